package contenttypes

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestValidateSample(t *testing.T) {
	if diags := articleType().Validate(); len(diags) != 0 {
		t.Fatalf("sample type invalid: %v", diags)
	}
}

func TestValidate(t *testing.T) {
	base := func() *ContentType {
		return &ContentType{Key: "page", Label: "Page", Fields: []Field{{Name: "x", Kind: KindText}}}
	}
	withField := func(f Field) func(*ContentType) {
		return func(ct *ContentType) { ct.Fields = []Field{f} }
	}
	tests := []struct {
		name   string
		mutate func(*ContentType)
		paths  []string // sorted paths of invalid_definition errors
	}{
		{"valid", func(*ContentType) {}, nil},
		{"bad key", func(ct *ContentType) { ct.Key = "Page" }, []string{"key"}},
		{"empty label", func(ct *ContentType) { ct.Label = " " }, []string{"label"}},
		{"bad field name", withField(Field{Name: "X-1", Kind: KindText}), []string{"fields[0]"}},
		{"duplicate field name", func(ct *ContentType) { ct.Fields = append(ct.Fields, Field{Name: "x", Kind: KindInteger}) }, []string{"fields.x"}},
		{"reserved name", withField(Field{Name: "slug", Kind: KindText}), []string{"fields.slug"}},
		{"reserved name allowed in struct", withField(Field{Name: "s", Kind: KindStruct, Children: []Field{{Name: "slug", Kind: KindText}}}), nil},
		{"unknown kind", withField(Field{Name: "x", Kind: "blob"}), []string{"fields.x.kind"}},
		{"length on integer", withField(Field{Name: "x", Kind: KindInteger, MaxLength: intp(3)}), []string{"fields.x.max_length"}},
		{"negative length", withField(Field{Name: "x", Kind: KindText, MinLength: intp(-1)}), []string{"fields.x.min_length"}},
		{"min length above max", withField(Field{Name: "x", Kind: KindText, MinLength: intp(5), MaxLength: intp(3)}), []string{"fields.x.min_length"}},
		{"bad pattern", withField(Field{Name: "x", Kind: KindText, Pattern: "("}), []string{"fields.x.pattern"}},
		{"pattern on select", withField(Field{Name: "x", Kind: KindSelect, Pattern: "a", Choices: []Choice{{Value: "a"}}}), []string{"fields.x.pattern"}},
		{"min above max", withField(Field{Name: "x", Kind: KindDecimal, Min: floatp(2), Max: floatp(1)}), []string{"fields.x.min"}},
		{"min on text", withField(Field{Name: "x", Kind: KindText, Min: floatp(1)}), []string{"fields.x.min"}},
		{"select without choices", withField(Field{Name: "x", Kind: KindSelect}), []string{"fields.x.choices"}},
		{"choices on text", withField(Field{Name: "x", Kind: KindText, Choices: []Choice{{Value: "a"}}}), []string{"fields.x.choices"}},
		{"duplicate and empty choices", withField(Field{Name: "x", Kind: KindSelect, Choices: []Choice{{Value: "a"}, {Value: "a"}, {Value: ""}}}),
			[]string{"fields.x.choices[1]", "fields.x.choices[2]"}},
		{"taxonomy on text", withField(Field{Name: "x", Kind: KindText, Taxonomy: "t"}), []string{"fields.x.taxonomy"}},
		{"bad taxonomy", withField(Field{Name: "x", Kind: KindTags, Taxonomy: "T T"}), []string{"fields.x.taxonomy"}},
		{"allowed types on media", withField(Field{Name: "x", Kind: KindMedia, AllowedTypes: []string{"a"}}), []string{"fields.x.allowed_types"}},
		{"bad allowed types", withField(Field{Name: "x", Kind: KindReference, AllowedTypes: []string{"ok", "Not", "ok"}}),
			[]string{"fields.x.allowed_types[1]", "fields.x.allowed_types[2]"}},
		{"items on text", withField(Field{Name: "x", Kind: KindText, MaxItems: intp(2)}), []string{"fields.x.max_items"}},
		{"min items above max", withField(Field{Name: "x", Kind: KindTags, MinItems: intp(3), MaxItems: intp(2)}), []string{"fields.x.min_items"}},
		{"struct without children", withField(Field{Name: "x", Kind: KindStruct}), []string{"fields.x.children"}},
		{"stream without children", withField(Field{Name: "x", Kind: KindStream}), []string{"fields.x.children"}},
		{"children on list", withField(Field{Name: "x", Kind: KindList, Item: &Field{Kind: KindText}, Children: []Field{{Name: "a", Kind: KindText}}}),
			[]string{"fields.x.children"}},
		{"list without item", withField(Field{Name: "x", Kind: KindList}), []string{"fields.x.item"}},
		{"item on struct", withField(Field{Name: "x", Kind: KindStruct, Children: []Field{{Name: "a", Kind: KindText}}, Item: &Field{Kind: KindText}}),
			[]string{"fields.x.item"}},
		{"indexed richtext", withField(Field{Name: "x", Kind: KindRichText, Indexed: true}), []string{"fields.x.indexed"}},
		{"indexed member", withField(Field{Name: "x", Kind: KindStruct, Children: []Field{{Name: "a", Kind: KindText, Indexed: true}}}),
			[]string{"fields.x.children.a.indexed"}},
		{"nested block problems", withField(Field{Name: "body", Kind: KindStream, Children: []Field{
			{Name: "p", Kind: KindText, Default: json.RawMessage(`"a"`)},
			{Name: "Bad", Kind: KindText},
			{Name: "l", Kind: KindList, Item: &Field{Name: "it", Kind: KindStruct, Children: []Field{{Name: "z", Kind: "nope"}}}},
			{Name: "p", Kind: KindText},
		}}), []string{"fields.body.children.l.item.children.z.kind", "fields.body.children.p", "fields.body.children.p.default", "fields.body.children[1]"}},
		{"default wrong type", withField(Field{Name: "x", Kind: KindInteger, Default: json.RawMessage(`"a"`)}), []string{"fields.x.default"}},
		{"default out of range", withField(Field{Name: "x", Kind: KindInteger, Max: floatp(3), Default: json.RawMessage(`4`)}), []string{"fields.x.default"}},
		{"default invalid json", withField(Field{Name: "x", Kind: KindText, Default: json.RawMessage(`{`)}), []string{"fields.x.default"}},
		{"default null", withField(Field{Name: "x", Kind: KindText, Default: json.RawMessage(`null`)}), []string{"fields.x.default"}},
		{"default nested struct member", withField(Field{Name: "x", Kind: KindStruct, Children: []Field{
			{Name: "a", Kind: KindSelect, Choices: []Choice{{Value: "a"}}, Default: json.RawMessage(`"b"`)}}}), []string{"fields.x.children.a.default"}},
		{"valid defaults", withField(Field{Name: "x", Kind: KindStream, Default: json.RawMessage(`[{"type":"a","value":"v"}]`),
			Children: []Field{{Name: "a", Kind: KindText}}}), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ct := base()
			tt.mutate(ct)
			diags := ct.Validate()
			var paths []string
			for _, d := range diags {
				if d.Code != CodeInvalidDefinition || d.Severity != SeverityError || d.Summary == "" {
					t.Errorf("unexpected diagnostic shape: %+v", d)
				}
				paths = append(paths, d.Path)
			}
			slices.Sort(paths)
			if !slices.Equal(paths, tt.paths) {
				t.Errorf("paths = %q, want %q\n%v", paths, tt.paths, diags)
			}
		})
	}
}

// cyclicType has a list whose item is the list itself: an invalid
// definition that every function must survive.
func cyclicType() *ContentType {
	l := &Field{Name: "l", Kind: KindList}
	l.Item = l
	return &ContentType{Key: "c", Label: "C", Fields: []Field{*l}}
}

func TestCyclicDefinition(t *testing.T) {
	ct := cyclicType()
	if diags := ct.Validate(); !diags.HasError() {
		t.Error("cyclic definition accepted")
	}
	v, _ := ct.Prepare(json.RawMessage(`{"l":[[[["x"]]]]}`), nil)
	ct.Walk(v, func(string, *Field, any) {})
	_ = ct.Render(v, nil)
	_ = ct.JSONSchema(SchemaInput)
	_ = ct.Hash()
	_ = Diff(ct, cyclicType())
	var nilType *ContentType
	if diags := nilType.Validate(); !diags.HasError() {
		t.Error("nil type accepted")
	}
}
