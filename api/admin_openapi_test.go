package api_test

import (
	"context"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// TestAdminOpenAPI: the management document loads and validates, and
// documents exactly the management routes the server serves.
func TestAdminOpenAPI(t *testing.T) {
	env := newEnv(t, sqliteBackend)
	res := env.call(t, "", "GET", "/api/admin/v1/openapi.json", nil)
	if res.Status != http.StatusOK {
		t.Fatalf("status %d", res.Status)
	}
	doc, err := openapi3.NewLoader().LoadFromData(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("invalid document: %v", err)
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	param := regexp.MustCompile(`:([a-zA-Z]+)`)
	served := map[string]bool{}
	for _, r := range env.Server.App.GetRoutes(true) {
		if !strings.HasPrefix(r.Path, "/api/admin/v1/") || r.Method == "HEAD" || r.Path == "/api/admin/v1/openapi.json" || r.Path == "/api/admin/v1/docs" {
			continue
		}
		served[r.Method+" "+param.ReplaceAllString(strings.TrimPrefix(r.Path, "/api/admin/v1"), "{$1}")] = true
	}
	var missing, stale []string
	for k := range served {
		if !documented[k] {
			missing = append(missing, k)
		}
	}
	for k := range documented {
		if !served[k] {
			stale = append(stale, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(stale)
	if len(missing) > 0 || len(stale) > 0 {
		t.Fatalf("undocumented routes: %v\ndocumented but not served: %v", missing, stale)
	}
	if len(served) < 30 {
		t.Fatalf("only %d management routes found; is GetRoutes working?", len(served))
	}
}
