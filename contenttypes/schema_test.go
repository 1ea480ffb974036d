package contenttypes

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schemaJSON round-trips a schema through JSON so that checks see exactly
// what a client sees.
func schemaJSON(s map[string]any) map[string]any {
	data, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		panic(err)
	}
	return out
}

// compileSchema compiles a generated schema as JSON Schema 2020-12 with
// format assertions on; compiling also checks it against the meta-schema.
func compileSchema(t *testing.T, s map[string]any) *jsonschema.Schema {
	t.Helper()
	doc := decodeForSchema(t, mustJSON(t, s))
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource("inkling://schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("inkling://schema.json")
	if err != nil {
		t.Fatalf("schema does not compile: %v", err)
	}
	return sch
}

func decodeForSchema(t *testing.T, s string) any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(s)))
	if err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return v
}

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
		{in, []any{"properties", "rating"}, `{"type":"integer","format":"int64","minimum":1,"maximum":5}`},
		{in, []any{"properties", "price"}, `{"type":"number","format":"double","minimum":0}`},
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
	if got := mustJSON(t, f.JSONSchema(SchemaOutput)); got != canon(t, `{"type":"integer","format":"int64","minimum":1,"maximum":5}`) {
		t.Errorf("field schema = %s", got)
	}
	def := &Field{Name: "n", Kind: KindInteger, Default: json.RawMessage(`7`)}
	if got := mustJSON(t, def.JSONSchema(SchemaInput)); got != `{"default":7,"format":"int64","type":"integer"}` {
		t.Errorf("default schema = %s", got)
	}
	if SchemaInput.String() != "input" || SchemaOutput.String() != "output" {
		t.Error("SchemaMode.String")
	}
}

// TestJSONSchemaConformance validates Prepare's inputs and outputs against
// the generated schemas with santhosh-tekuri/jsonschema.
func TestJSONSchemaConformance(t *testing.T) {
	ct := articleType()
	in := compileSchema(t, ct.JSONSchema(SchemaInput))
	out := compileSchema(t, ct.JSONSchema(SchemaOutput))

	// An accepted body in canonical form (no duplicate tags: the schema
	// cannot express de-duplication).
	body := strings.ReplaceAll(fullArticle, `"go"]`, `"rust"]`)
	if _, diags := ct.Prepare(json.RawMessage(body), nil); diags.HasError() {
		t.Fatal(diags)
	}
	if err := in.Validate(decodeForSchema(t, body)); err != nil {
		t.Errorf("accepted input does not conform to the input schema: %v", err)
	}
	v, diags := ct.Prepare(json.RawMessage(fullArticle), &PrepareOptions{NewID: seqIDs()})
	if diags.HasError() {
		t.Fatal(diags)
	}
	stored := decodeForSchema(t, mustJSON(t, v))
	delivered := decodeForSchema(t, mustJSON(t, ct.Render(v, nil)))
	if err := in.Validate(stored); err != nil {
		t.Errorf("prepared values do not conform to the input schema: %v", err)
	}
	if err := out.Validate(delivered); err != nil {
		t.Errorf("rendered values do not conform to the output schema: %v", err)
	}
	if err := out.Validate(stored); err == nil {
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
		`{"headline":"H","day":"2023-02-30"}`,
		`{"headline":"H","at":"2024-01-02"}`,
		`{"headline":"H","status":"x"}`,
		`{"headline":"H","tags":["a","b","c","d"]}`,
		`{"headline":"H","seo":{}}`,
		`{"headline":"H","links":[{"type":"item","id":"a b","value":"x"}]}`,
		`{"headline":"H","links":[5]}`,
		`{"headline":"H","body":[{"type":"video","value":"x"}]}`,
		`{"headline":"H","body":[{"type":"paragraph"}]}`,
		`{"headline":"H","body":[{"type":"quote","value":{"text":"t","x":1}}]}`,
		`{"headline":"H","code":"abc"}`,
	}
	for _, b := range bad {
		if _, diags := ct.Prepare(json.RawMessage(b), nil); !diags.HasError() {
			t.Errorf("Prepare accepted %s", b)
		}
		if err := in.Validate(decodeForSchema(t, b)); err == nil {
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
