package contenttypes

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestDiff(t *testing.T) {
	field := func(ct *ContentType, name string) *Field { f, _ := ct.Field(name); return f }
	tests := []struct {
		name   string
		mutate func(ct *ContentType)
		want   []string // "path op destructive"
	}{
		{"identical", func(*ContentType) {}, nil},
		{"label and help", func(ct *ContentType) {
			ct.Label = "Story"
			field(ct, "headline").Label = "Title"
			field(ct, "headline").Help = ""
		},
			[]string{"fields.headline changed false", "fields.headline changed false", "label changed false"}},
		{"description", func(ct *ContentType) { ct.Description = "x" }, []string{"description changed false"}},
		{"is_page", func(ct *ContentType) { ct.IsPage = true }, []string{"is_page changed true"}},
		{"key", func(ct *ContentType) { ct.Key = "story" }, []string{"key changed true"}},
		{"optional field added", func(ct *ContentType) { ct.Fields = append(ct.Fields, Field{Name: "n", Kind: KindText}) },
			[]string{"fields.n added false"}},
		{"required field added", func(ct *ContentType) {
			ct.Fields = append(ct.Fields, Field{Name: "n", Kind: KindText, Required: true})
		}, []string{"fields.n added true"}},
		{"required field with default added", func(ct *ContentType) {
			ct.Fields = append(ct.Fields, Field{Name: "n", Kind: KindText, Required: true, Default: json.RawMessage(`"x"`)})
		}, []string{"fields.n added false"}},
		{"field removed", func(ct *ContentType) { ct.Fields = slices.Delete(ct.Fields, 1, 2) }, []string{"fields.summary removed true"}},
		{"kind changed", func(ct *ContentType) { field(ct, "summary").Kind = KindRichText }, []string{"fields.summary changed true"}},
		{"now required", func(ct *ContentType) { field(ct, "summary").Required = true }, []string{"fields.summary changed true"}},
		{"no longer required", func(ct *ContentType) { field(ct, "headline").Required = false }, []string{"fields.headline changed false"}},
		{"indexed toggled", func(ct *ContentType) { field(ct, "headline").Indexed = false }, []string{"fields.headline changed false"}},
		{"max length loosened", func(ct *ContentType) { field(ct, "headline").MaxLength = intp(40) }, []string{"fields.headline changed false"}},
		{"max length removed", func(ct *ContentType) { field(ct, "headline").MaxLength = nil }, []string{"fields.headline changed false"}},
		{"max length tightened", func(ct *ContentType) { field(ct, "headline").MaxLength = intp(10) }, []string{"fields.headline changed true"}},
		{"min length added", func(ct *ContentType) { field(ct, "headline").MinLength = intp(1) }, []string{"fields.headline changed true"}},
		{"min length lowered", func(ct *ContentType) { field(ct, "summary").MinLength = intp(1) }, []string{"fields.summary changed false"}},
		{"min raised and max lowered", func(ct *ContentType) { field(ct, "rating").Min = floatp(2); field(ct, "rating").Max = floatp(4) },
			[]string{"fields.rating changed true", "fields.rating changed true"}},
		{"max items raised", func(ct *ContentType) { field(ct, "tags").MaxItems = intp(10) }, []string{"fields.tags changed false"}},
		{"min items added", func(ct *ContentType) { field(ct, "links").MinItems = intp(1) }, []string{"fields.links changed true"}},
		{"pattern added", func(ct *ContentType) { field(ct, "headline").Pattern = "^a" }, []string{"fields.headline changed true"}},
		{"pattern changed", func(ct *ContentType) { field(ct, "code").Pattern = "^b" }, []string{"fields.code changed true"}},
		{"pattern removed", func(ct *ContentType) { field(ct, "code").Pattern = "" }, []string{"fields.code changed false"}},
		{"choice added", func(ct *ContentType) {
			f := field(ct, "status")
			f.Choices = append(f.Choices, Choice{Value: "archived"})
		}, []string{"fields.status.choices.archived added false"}},
		{"choice removed and relabelled", func(ct *ContentType) {
			field(ct, "status").Choices = []Choice{{Value: "draft", Label: "Rough"}}
		}, []string{"fields.status.choices.draft changed false", "fields.status.choices.live removed true"}},
		{"allowed types narrowed", func(ct *ContentType) { ct.Fields[16].Children[2].Children[1].AllowedTypes = []string{"person"} },
			[]string{"fields.body.children.quote.children.source changed true"}},
		{"allowed types widened", func(ct *ContentType) { field(ct, "author").AllowedTypes = []string{"person", "team"} },
			[]string{"fields.author changed false"}},
		{"allowed types to any", func(ct *ContentType) { field(ct, "author").AllowedTypes = nil }, []string{"fields.author changed false"}},
		{"allowed types from any", func(ct *ContentType) {
			ct.Fields[16].Children[2].Children[1].AllowedTypes = nil
			field(ct, "author").AllowedTypes = nil
		},
			[]string{"fields.author changed false", "fields.body.children.quote.children.source changed false"}},
		{"taxonomy changed", func(ct *ContentType) { field(ct, "tags").Taxonomy = "topics" }, []string{"fields.tags changed true"}},
		{"default changed", func(ct *ContentType) { field(ct, "rating").Default = json.RawMessage(`3`) }, []string{"fields.rating changed false"}},
		{"block type added", func(ct *ContentType) {
			f := field(ct, "body")
			f.Children = append(f.Children, Field{Name: "video", Kind: KindMedia, Required: true})
		}, []string{"fields.body.children.video added false"}},
		{"block type removed", func(ct *ContentType) { f := field(ct, "body"); f.Children = f.Children[:3] },
			[]string{"fields.body.children.divider removed true"}},
		{"struct member added", func(ct *ContentType) {
			f := field(ct, "seo")
			f.Children = append(f.Children, Field{Name: "canonical", Kind: KindText})
		}, []string{"fields.seo.children.canonical added false"}},
		{"required struct member added", func(ct *ContentType) {
			f := field(ct, "seo")
			f.Children = append(f.Children, Field{Name: "canonical", Kind: KindText, Required: true})
		}, []string{"fields.seo.children.canonical added true"}},
		{"nested list item member removed", func(ct *ContentType) {
			g := &ct.Fields[16].Children[1].Children[1].Item.Children
			*g = (*g)[:1]
		}, []string{"fields.body.children.gallery.children.items.item.children.alt removed true"}},
		{"list item kind changed", func(ct *ContentType) { field(ct, "links").Item = &Field{Kind: KindMedia} },
			[]string{"fields.links.item changed true"}},
		{"fields reordered", func(ct *ContentType) { ct.Fields[0], ct.Fields[1] = ct.Fields[1], ct.Fields[0] },
			[]string{"fields changed false"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old, new := articleType(), articleType()
			tt.mutate(new)
			var got []string
			for _, c := range Diff(old, new) {
				if c.Detail == "" || (c.Op != OpAdded && c.Op != OpRemoved && c.Op != OpChanged) {
					t.Errorf("bad change %+v", c)
				}
				got = append(got, c.Path+" "+c.Op+" "+sprint(c.Destructive))
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("changes = %q, want %q\n%+v", got, tt.want, Diff(old, new))
			}
		})
	}
	// key, label and description, then every field.
	if got := Diff(nil, articleType()); len(got) != 3+len(articleType().Fields) {
		t.Errorf("Diff(nil, t) = %d changes", len(got))
	}
}
