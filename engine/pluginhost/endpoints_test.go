package pluginhost_test

import (
	"testing"

	"github.com/inklingcms/inkling/engine/pluginhost"
	"github.com/inklingcms/inkling/plugins/protocol/pluginv1"
)

// TestRelatedList: a declared list reaches the API in engine terms, with
// the SDK's defaults for what a plugin left out or got wrong.
func TestRelatedList(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec *pluginv1.RelatedListSpec
		want *pluginhost.RelatedList
	}{
		{"handled by the plugin", nil, nil},
		{"as the SDK sends it", &pluginv1.RelatedListSpec{Type: "passage", Field: "motifs", SeedParam: "id", FilterField: "register",
			FilterParam: "in", LimitParam: "n", DefaultLimit: 10, MaxLimit: 30, ItemKey: "passage", SeedKey: "passage_id"},
			&pluginhost.RelatedList{Type: "passage", Field: "motifs", SeedParam: "id", FilterField: "register",
				FilterParam: "in", LimitParam: "n", DefaultLimit: 10, MaxLimit: 30, ItemKey: "passage", SeedKey: "passage_id"}},
		{"defaults", &pluginv1.RelatedListSpec{Type: "note", Field: "tags", SeedParam: "id", FilterField: "kind"},
			&pluginhost.RelatedList{Type: "note", Field: "tags", SeedParam: "id", FilterField: "kind",
				FilterParam: "kind", LimitParam: "limit", DefaultLimit: 20, MaxLimit: 50, ItemKey: "entry", SeedKey: "seed_id"}},
		{"limits out of range", &pluginv1.RelatedListSpec{Type: "note", Field: "tags", SeedParam: "id", DefaultLimit: 80, MaxLimit: 500},
			&pluginhost.RelatedList{Type: "note", Field: "tags", SeedParam: "id", LimitParam: "limit", DefaultLimit: 20, MaxLimit: 50, ItemKey: "entry", SeedKey: "seed_id"}},
		{"a default over a small max", &pluginv1.RelatedListSpec{Type: "note", Field: "tags", SeedParam: "id", DefaultLimit: 9, MaxLimit: 5},
			&pluginhost.RelatedList{Type: "note", Field: "tags", SeedParam: "id", LimitParam: "limit", DefaultLimit: 5, MaxLimit: 5, ItemKey: "entry", SeedKey: "seed_id"}},
		{"negative limits", &pluginv1.RelatedListSpec{Type: "note", Field: "tags", SeedParam: "id", DefaultLimit: -1, MaxLimit: -1},
			&pluginhost.RelatedList{Type: "note", Field: "tags", SeedParam: "id", LimitParam: "limit", DefaultLimit: 20, MaxLimit: 50, ItemKey: "entry", SeedKey: "seed_id"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ep := pluginhost.Endpoint{Plugin: "p", Spec: &pluginv1.EndpointSpec{Path: "/x/{id}/related", Related: tc.spec}}
			got := ep.RelatedList()
			switch {
			case got == nil || tc.want == nil:
				if got != tc.want {
					t.Fatalf("got %+v, want %+v", got, tc.want)
				}
			case *got != *tc.want:
				t.Fatalf("got  %+v\nwant %+v", *got, *tc.want)
			}
		})
	}
}
