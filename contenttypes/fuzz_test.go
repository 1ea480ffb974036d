package contenttypes

import (
	"encoding/json"
	"reflect"
	"testing"
)

func FuzzPrepare(f *testing.F) {
	seeds := []string{
		fullArticle,
		`{}`,
		`{"headline":"H","rating":1e2,"price":-0,"tags":["a","a"," b "]}`,
		`{"headline":"H","links":["a",{"type":"item","value":"b"},{"type":"item","id":"x","value":null}]}`,
		`{"headline":"H","body":[{"type":"gallery","value":{"items":[{"image":"m"},{"type":"item","id":"x","value":{"image":"n"}}]}}]}`,
		`{"headline":"H","at":"2024-01-02T03:04:05.999999999-23:59","day":"2024-12-31"}`,
		`{"headline":"H","extra":{"x":[1.0,-2e-400,"\u0000"]}}`,
		`[`, `null`, `"x"`, `{"headline":"H","body":[1,{"type":1},{"id":[]}]}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	ct := articleType()
	r := NewRenderer()
	f.Fuzz(func(t *testing.T, data []byte) {
		v, diags := ct.Prepare(data, &PrepareOptions{NewID: seqIDs()})
		if diags.HasError() {
			if v != nil {
				t.Fatal("values returned with errors")
			}
			return
		}
		stored, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("prepared values do not marshal: %v", err)
		}
		again, diags := ct.Prepare(stored, &PrepareOptions{NewID: noIDs(t)})
		if len(diags) != 0 {
			t.Fatalf("second pass: %v\n%s", diags, stored)
		}
		if !reflect.DeepEqual(again, v) {
			t.Fatalf("not idempotent:\n%s\n%s", stored, mustJSON(t, again))
		}
		_ = ct.Render(v, r)
		_ = ct.IndexEntries(v)
		_ = ct.References(v)
		ct.Walk(v, func(string, *Field, any) {})
	})
}
