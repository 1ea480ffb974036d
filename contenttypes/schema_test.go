package contenttypes

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// get follows a path of object keys and array indexes through a decoded
// schema.
func get(t *testing.T, v any, path ...any) any {
	t.Helper()
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("at %q: not an object: %v", k, v)
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				t.Fatalf("at [%d]: not an array or too short: %v", k, v)
			}
			v = a[k]
		}
	}
	return v
}

func TestJSONSchemaStructure(t *testing.T) {
	ct := articleType()
	in := schemaJSON(ct.JSONSchema(SchemaInput))
	out := schemaJSON(ct.JSONSchema(SchemaOutput))
	for _, s := range []map[string]any{in, out} {
		if _, ok := s["$schema"]; ok {
			t.Error("$schema present")
		}
		if _, ok := s["$id"]; ok {
			t.Error("$id present")
		}
	}
	checks := []struct {
		schema map[string]any
		path   []any
		want   string // JSON
	}{
		{in, []any{"type"}, `"object"`},
		{in, []any{"title"}, `"Article"`},
		{in, []any{"description"}, `"A news article."`},
		{in, []any{"additionalProperties"}, `false`},
		{in, []any{"required"}, `["headline"]`},
		{in, []any{"properties", "headline"}, `{"type":"string","title":"Headline","description":"Shown in lists.","minLength":1,"maxLength":20,"pattern":"^[^\\r\\n]*$"}`},
		{in, []any{"properties", "code"}, `{"type":"string","pattern":"^[A-Z]{3}$","allOf":[{"pattern":"^[^\\r\\n]*$"}]}`},
		{in, []any{"properties", "summary"}, `{"type":"string","minLength":3}`},
		{in, []any{"properties", "intro"}, `{"type":"string"}`},
		{out, []any{"properties", "intro"}, `{"type":"object","properties":{"markdown":{"type":"string","minLength":1},"html":{"type":"string"}},"required":["markdown","html"],"additionalProperties":false}`},
		{in, []any{"properties", "rating"}, `{"type":"integer","minimum":1,"maximum":5}`},
		{in, []any{"properties", "price"}, `{"type":"number","minimum":0}`},
		{in, []any{"properties", "featured"}, `{"type":"boolean"}`},
		{in, []any{"properties", "day"}, `{"type":"string","format":"date"}`},
		{in, []any{"properties", "at"}, `{"type":"string","format":"date-time"}`},
		{in, []any{"properties", "status"}, `{"type":"string","enum":["draft","live"]}`},
		{in, []any{"properties", "tags"}, `{"type":"array","items":{"type":"string","minLength":1},"maxItems":3}`},
		{out, []any{"properties", "tags"}, `{"type":"array","items":{"type":"string","minLength":1},"minItems":1,"maxItems":3,"uniqueItems":true}`},
		{in, []any{"properties", "author"}, `{"type":"string"}`},
		{out, []any{"properties", "image"}, `{"type":"string","minLength":1}`},
		{in, []any{"properties", "extra"}, `{}`},
		{in, []any{"properties", "seo"}, `{"type":"object","properties":{"title":{"type":"string","minLength":1,"pattern":"^[^\\r\\n]*$"},"noindex":{"type":"boolean"}},"required":["title"],"additionalProperties":false}`},
		{in, []any{"properties", "links", "items", "anyOf", 1}, `{"type":"string","pattern":"^[^\\r\\n]*$"}`},
		{in, []any{"properties", "links", "items", "anyOf", 0, "required"}, `["type"]`},
		{out, []any{"properties", "links", "items", "required"}, `["type","id"]`},
		{out, []any{"properties", "links", "items", "properties", "type"}, `{"const":"item"}`},
		{out, []any{"properties", "links", "items", "properties", "id"}, `{"type":"string","pattern":"^[A-Za-z0-9_-]{1,64}$"}`},
		{in, []any{"properties", "body", "items", "oneOf", 0, "title"}, `"Paragraph"`},
		{in, []any{"properties", "body", "items", "oneOf", 0, "properties", "type"}, `{"const":"paragraph"}`},
		{in, []any{"properties", "body", "items", "oneOf", 0, "required"}, `["type","value"]`},
		{out, []any{"properties", "body", "items", "oneOf", 0, "required"}, `["type","id","value"]`},
		{out, []any{"properties", "body", "items", "oneOf", 3, "required"}, `["type","id"]`},
		{out, []any{"properties", "body", "items", "oneOf", 1, "properties", "value", "properties", "caption", "type"}, `"object"`},
	}
	for _, c := range checks {
		got := mustJSON(t, get(t, c.schema, c.path...))
		if got != canon(t, c.want) {
			t.Errorf("%v:\n got %s\nwant %s", c.path, got, canon(t, c.want))
		}
	}
	f, _ := ct.Field("rating")
	if got := mustJSON(t, f.JSONSchema(SchemaOutput)); got != canon(t, `{"type":"integer","minimum":1,"maximum":5}`) {
		t.Errorf("field schema = %s", got)
	}
	def := &Field{Name: "n", Kind: KindInteger, Default: json.RawMessage(`7`)}
	if got := mustJSON(t, def.JSONSchema(SchemaInput)); got != `{"default":7,"type":"integer"}` {
		t.Errorf("default schema = %s", got)
	}
	if SchemaInput.String() != "input" || SchemaOutput.String() != "output" {
		t.Error("SchemaMode.String")
	}
}

// TestJSONSchemaConformance checks prepared values against the schemas with
// a small validator (see jsonschema_check_test.go).
func TestJSONSchemaConformance(t *testing.T) {
	ct := articleType()
	in := schemaJSON(ct.JSONSchema(SchemaInput))
	out := schemaJSON(ct.JSONSchema(SchemaOutput))

	var rawBody any
	_ = json.Unmarshal([]byte(strings.ReplaceAll(fullArticle, `"go"]`, `"rust"]`)), &rawBody)
	if err := checkSchema(in, rawBody, "$"); err != nil {
		t.Errorf("accepted input does not conform to the input schema: %v", err)
	}
	v, diags := ct.Prepare(json.RawMessage(fullArticle), &PrepareOptions{NewID: seqIDs()})
	if diags.HasError() {
		t.Fatal(diags)
	}
	var stored, delivered any
	_ = json.Unmarshal([]byte(mustJSON(t, v)), &stored)
	_ = json.Unmarshal([]byte(mustJSON(t, ct.Render(v, nil))), &delivered)
	if err := checkSchema(in, stored, "$"); err != nil {
		t.Errorf("prepared values do not conform to the input schema: %v", err)
	}
	if err := checkSchema(out, delivered, "$"); err != nil {
		t.Errorf("rendered values do not conform to the output schema: %v", err)
	}
	if err := checkSchema(out, stored, "$"); err == nil {
		t.Error("unrendered richtext conforms to the output schema")
	}

	// Bodies rejected by Prepare for reasons a schema can express are
	// rejected by the input schema too.
	bad := []string{
		`{"headline":"H","nope":1}`,
		`{}`,
		`{"headline":"a\nb"}`,
		`{"headline":"H","rating":9}`,
		`{"headline":"H","rating":1.5}`,
		`{"headline":"H","status":"x"}`,
		`{"headline":"H","tags":["a","b","c","d"]}`,
		`{"headline":"H","seo":{}}`,
		`{"headline":"H","links":[{"type":"item","id":"a b","value":"x"}]}`,
		`{"headline":"H","body":[{"type":"video","value":"x"}]}`,
		`{"headline":"H","body":[{"type":"paragraph"}]}`,
		`{"headline":"H","body":[{"type":"quote","value":{"text":"t","x":1}}]}`,
		`{"headline":"H","code":"abc"}`,
	}
	for _, b := range bad {
		if _, diags := ct.Prepare(json.RawMessage(b), nil); !diags.HasError() {
			t.Errorf("Prepare accepted %s", b)
		}
		var body any
		_ = json.Unmarshal([]byte(b), &body)
		if err := checkSchema(in, body, "$"); err == nil {
			t.Errorf("input schema accepted %s", b)
		}
	}
}

func TestJSONSchemaKeywords(t *testing.T) {
	// Only JSON Schema 2020-12 / OpenAPI 3.1 keywords appear.
	allowed := []string{"type", "properties", "required", "additionalProperties", "items", "minItems", "maxItems",
		"uniqueItems", "minLength", "maxLength", "minimum", "maximum", "pattern", "enum", "const", "oneOf", "anyOf",
		"allOf", "format", "title", "description", "default"}
	var walk func(v any, inProps bool)
	walk = func(v any, inProps bool) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if !inProps && !slices.Contains(allowed, k) {
					t.Errorf("keyword %q", k)
				}
				if k == "default" || k == "const" || k == "enum" {
					continue
				}
				walk(e, k == "properties" && !inProps)
			}
		case []any:
			for _, e := range x {
				walk(e, false)
			}
		}
	}
	for _, m := range []SchemaMode{SchemaInput, SchemaOutput} {
		walk(schemaJSON(articleType().JSONSchema(m)), false)
	}
}
