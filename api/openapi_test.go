package api_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// loadOpenAPI fetches /api/v1/openapi.json and loads and validates it with
// kin-openapi.
func loadOpenAPI(t *testing.T, env *testEnv) *openapi3.T {
	t.Helper()
	res := env.call(t, "", "GET", "/api/v1/openapi.json", nil)
	if res.Status != 200 {
		t.Fatalf("openapi.json: %s", res)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(res.Body)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the document is not valid OpenAPI: %v", err)
	}
	return doc
}

// validateAgainst checks a delivered JSON document against a component
// schema of doc with JSON Schema 2020-12 semantics (OpenAPI 3.1).
func validateAgainst(doc *openapi3.T, component string, body []byte) error {
	ref, ok := doc.Components.Schemas[component]
	if !ok || ref.Value == nil {
		return &missingComponent{component}
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return err
	}
	return ref.Value.VisitJSON(v, openapi3.EnableJSONSchema2020(), openapi3.MultiErrors())
}

type missingComponent struct{ name string }

func (m *missingComponent) Error() string { return "no component schema " + m.name }

func TestOpenAPI(t *testing.T) {
	env := newEnv(t, sqliteBackend)
	seedDelivery(t, env)
	doc := loadOpenAPI(t, env)

	if doc.OpenAPI != "3.1.0" || !doc.IsOpenAPI31OrLater() {
		t.Fatalf("openapi = %q", doc.OpenAPI)
	}
	if doc.Info == nil || doc.Info.Version != "test" {
		t.Errorf("info.version = %+v", doc.Info)
	}
	for _, typ := range env.Types.List() {
		for _, p := range []string{"/api/v1/content/" + typ.Key, "/api/v1/content/" + typ.Key + "/{idOrSlug}"} {
			item := doc.Paths.Value(p)
			if item == nil || item.Get == nil {
				t.Errorf("no GET %s", p)
				continue
			}
			if item.Get.Responses.Value("200") == nil {
				t.Errorf("GET %s has no 200 response", p)
			}
		}
	}
	// Two per type, and the media rendition.
	if n := doc.Paths.Len(); n != 2*len(env.Types.List())+1 {
		t.Errorf("%d paths for %d types", n, len(env.Types.List()))
	}
	if doc.Paths.Value("/api/v1/content/article").Get.Responses.Value("422") == nil {
		t.Error("the list operation does not document 422")
	}

	// Real responses validate against their component schemas.
	cases := []struct{ component, url string }{
		{"Article", "/api/v1/content/article/alpha"},
		{"Article", "/api/v1/content/article/hotel"},
		{"Article", "/api/v1/content/article/kilo"},
		{"Author", "/api/v1/content/author/{{ann}}"},
		{"Page", "/api/v1/content/page/{{guideIntro}}"},
		{"Page", "/api/v1/content/page/docs"},
		{"ArticlePage", "/api/v1/content/article?limit=3"},
		{"ArticlePage", "/api/v1/content/article?limit=100&sort=title"},
		{"PagePage", "/api/v1/content/page"},
		{"Problem", "/api/v1/content/article?limit=0"},
		{"Problem", "/api/v1/content/page/intro"},
		{"Problem", "/api/v1/content/article/nope"},
	}
	for _, c := range cases {
		res := env.call(t, "", "GET", c.url, nil)
		if res.Status >= 500 {
			t.Fatalf("%s: %s", c.url, res)
		}
		if err := validateAgainst(doc, c.component, res.Body); err != nil {
			t.Errorf("%s does not match %s: %v\n%s", c.url, c.component, err, res.Body)
		}
	}

	// The validation is not vacuous: broken documents are refused.
	good := env.must(t, 200, "", "GET", "/api/v1/content/article/alpha", nil)
	for name, mutate := range map[string]func(m map[string]any){
		"views as a string":     func(m map[string]any) { m["fields"].(map[string]any)["views"] = "ten" },
		"an unknown field":      func(m map[string]any) { m["fields"].(map[string]any)["nope"] = 1 },
		"unrendered rich text":  func(m map[string]any) { m["fields"].(map[string]any)["body"] = "**x**" },
		"another type":          func(m map[string]any) { m["type"] = "page" },
		"no id":                 func(m map[string]any) { delete(m, "id") },
		"a category not listed": func(m map[string]any) { m["fields"].(map[string]any)["category"] = "gossip" },
	} {
		var m map[string]any
		b, _ := json.Marshal(good)
		_ = json.Unmarshal(b, &m)
		mutate(m)
		b, _ = json.Marshal(m)
		if err := validateAgainst(doc, "Article", b); err == nil {
			t.Errorf("a delivered article with %s validates", name)
		}
	}

	// The document follows the registered types.
	env.must(t, 201, "admin", "POST", typesURL, eventType)
	doc = loadOpenAPI(t, env)
	if doc.Paths.Value("/api/v1/content/event") == nil || doc.Components.Schemas["Event"] == nil {
		t.Error("a newly registered type is missing from the document")
	}
}
