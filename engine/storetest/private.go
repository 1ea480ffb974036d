package storetest

import (
	"context"
	"strings"
	"testing"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/delivery"
)

// testPrivateFields: a private field is stored and readable by editors but
// never delivered; making a field private later re-renders what is live.
func testPrivateFields(t *testing.T, env *Env) {
	ctx := context.Background()
	ct := contenttypes.ContentType{Key: "track", Label: "Track", Fields: []contenttypes.Field{
		{Name: "title_note", Kind: contenttypes.KindText},
		{Name: "audio", Kind: contenttypes.KindMedia, Private: true},
		{Name: "notes", Kind: contenttypes.KindText},
	}}
	mustRegister(t, env, ct)
	d, err := env.Entries.Create(ctx, editor, entriesCreate("track", "Track", map[string]any{"title_note": "x", "audio": "a/1.mp3", "notes": "internal"}))
	if err != nil {
		t.Fatal(err)
	}
	publish(t, env, d.ID)
	if !strings.Contains(string(d.Revision.Fields), "a/1.mp3") {
		t.Fatalf("private value not stored: %s", d.Revision.Fields)
	}
	get := func() string {
		it, err := env.Delivery.Get(ctx, delivery.GetQuery{Type: "track", IDOrSlug: d.ID})
		if err != nil {
			t.Fatal(err)
		}
		return string(it.Fields)
	}
	if got := get(); strings.Contains(got, "a/1.mp3") || !strings.Contains(got, "internal") {
		t.Fatalf("delivered: %s", got)
	}
	if s := ct.JSONSchema(contenttypes.SchemaOutput); strings.Contains(mustJSONString(t, s), `"audio"`) {
		t.Fatal("the delivery schema lists a private field")
	}
	// notes becomes private: the live document is rendered again.
	ct.Fields[2].Private = true
	mustRegister(t, env, ct)
	if got := get(); strings.Contains(got, "internal") {
		t.Fatalf("after making notes private: %s", got)
	}
	bad := ct
	bad.Fields = append([]contenttypes.Field(nil), ct.Fields...)
	bad.Fields[0].Indexed, bad.Fields[0].Private = true, true
	if diags := bad.Validate(); !diags.HasError() {
		t.Fatal("an indexed private field is accepted")
	}
}
