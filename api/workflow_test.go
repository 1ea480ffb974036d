package api_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestWorkflowApprovalOverHTTP: an editor cannot publish a type that
// requires approval; a reviewer approves; publish succeeds; the audit log
// shows each step with its actor.
func TestWorkflowApprovalOverHTTP(t *testing.T) {
	for _, b := range []backend{sqliteBackend, postgresBackend} {
		t.Run(b.name, func(t *testing.T) {
			env := newEnv(t, b)
			env.must(t, http.StatusForbidden, "editor", "POST", "/api/admin/v1/workflows",
				map[string]any{"name": "Review", "tasks": []any{map[string]any{"name": "Review", "roles": []string{"reviewer"}}}, "types": []string{"article"}})
			bad := env.call(t, "admin", "POST", "/api/admin/v1/workflows", map[string]any{"name": "Review", "tasks": []any{}, "types": []string{"article"}})
			if bad.Status != http.StatusUnprocessableEntity || !strings.Contains(string(bad.Body), `"path":"tasks"`) {
				t.Fatalf("invalid workflow: %d %s", bad.Status, bad.Body)
			}
			env.must(t, http.StatusCreated, "admin", "POST", "/api/admin/v1/workflows", map[string]any{"name": "Review",
				"require_approval": true, "types": []string{"article"},
				"tasks": []any{map[string]any{"name": "Review", "roles": []string{"reviewer"}}}})
			id := env.createEntry(t, "editor", "", map[string]any{"type": "article", "title": "On Stories"})
			base := entriesURL + "/" + id
			env.must(t, http.StatusForbidden, "editor", "POST", base+"/publish", nil)
			env.must(t, http.StatusOK, "editor", "POST", base+"/workflow/submit", map[string]any{"comment": "please review"})
			env.must(t, http.StatusForbidden, "editor", "POST", base+"/workflow/approve", nil)
			env.must(t, http.StatusConflict, "editor", "POST", base+"/workflow/submit", nil)
			st := env.must(t, http.StatusOK, "reviewer", "POST", base+"/workflow/approve", map[string]any{"comment": "lovely"})
			if st["status"] != "approved" {
				t.Fatalf("after approval: %v", st)
			}
			env.must(t, http.StatusOK, "editor", "POST", base+"/publish", nil)
			env.must(t, http.StatusOK, "", "GET", "/api/v1/content/article/"+id, nil)
			cur := env.call(t, "reviewer", "GET", base+"/workflow", nil)
			if cur.Status != http.StatusOK || !strings.Contains(string(cur.Body), `"comment":"lovely"`) {
				t.Fatalf("workflow state: %d %s", cur.Status, cur.Body)
			}
			log := env.must(t, http.StatusOK, "admin", "GET", "/api/admin/v1/audit?entry="+id, nil)
			var steps []string
			items := log["items"].([]any)
			for i := len(items) - 1; i >= 0; i-- {
				row := items[i].(map[string]any)
				steps = append(steps, row["action"].(string)+":"+row["actor_id"].(string))
			}
			ed, rv := env.get(t, "tokenid:editor"), env.get(t, "tokenid:reviewer")
			want := "create:" + ed + " workflow_submit:" + ed + " workflow_approve:" + rv + " publish:" + ed
			if strings.Join(steps, " ") != want {
				t.Fatalf("audit:\n got %s\nwant %s", strings.Join(steps, " "), want)
			}
		})
	}
}
