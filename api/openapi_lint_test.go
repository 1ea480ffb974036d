package api_test

import (
	"net/http"
	"testing"

	"github.com/inklingcms/inkling/engine/testdb"
)

// TestOpenAPILintsClean: both generated documents pass @redocly/cli's
// recommended rules with no error and no warning.
func TestOpenAPILintsClean(t *testing.T) {
	env := newEnv(t, sqliteBackend)
	for _, url := range []string{"/api/v1/openapi.json", "/api/admin/v1/openapi.json"} {
		t.Run(url, func(t *testing.T) {
			res := env.call(t, "", "GET", url, nil)
			if res.Status != http.StatusOK {
				t.Fatalf("status %d", res.Status)
			}
			testdb.RedoclyLint(t, res.Body)
		})
	}
}
