package api_test

import (
	"strings"
	"testing"
)

func TestReferencePages(t *testing.T) {
	env := newEnv(t, sqliteBackend)
	for _, tc := range []struct{ url, spec string }{
		{"/api/v1/docs", "/api/v1/openapi.json"},
		{"/api/admin/v1/docs", "/api/admin/v1/openapi.json"},
	} {
		res := env.call(t, "", "GET", tc.url, nil)
		if res.Status != 200 || !strings.Contains(string(res.Body), `spec-url="`+tc.spec+`"`) ||
			!strings.Contains(res.Header.Get("Content-Security-Policy"), "script-src 'self'") {
			t.Fatalf("%s: %d %s", tc.url, res.Status, res.Body)
		}
		if strings.Contains(string(res.Body), "https://") {
			t.Fatalf("%s loads something from the internet", tc.url)
		}
	}
	js := env.call(t, "", "GET", "/api/v1/docs/redoc.standalone.js", nil)
	if js.Status != 200 || len(js.Body) < 500_000 || !strings.HasPrefix(js.Header.Get("Content-Type"), "text/javascript") {
		t.Fatalf("redoc bundle: %d, %d bytes, %s", js.Status, len(js.Body), js.Header.Get("Content-Type"))
	}
}
