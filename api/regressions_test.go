package api_test

// Regression tests for product bugs found while writing the API tests; each
// failed before its fix.

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// Postgres: two moves that swap parent and child lock the same two rows in
// opposite orders (engine/entries/move.go: loadEntry(page) FOR UPDATE, then
// pageParent(parent) FOR UPDATE); Postgres aborts one with SQLSTATE 40P01,
// which surfaces as a 500 after a one-second deadlock_timeout stall.
func TestRegressionConcurrentMovesDeadlock(t *testing.T) {
	env := newEnv(t, postgresBackend)
	for k := range 5 {
		a := env.createEntry(t, "admin", "", page(fmt.Sprint("A", k), ""))
		b := env.createEntry(t, "admin", "", page(fmt.Sprint("B", k), ""))
		var wg sync.WaitGroup
		statuses := make([]int, 2)
		for i, mv := range [][2]string{{a, b}, {b, a}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i] = env.call(t, "admin", "POST", entriesURL+"/"+mv[0]+"/move", map[string]any{"parent_id": mv[1]}).Status
			}()
		}
		wg.Wait()
		for _, st := range statuses {
			if st >= 500 {
				t.Fatalf("round %d: crossing moves gave %v; want one 200 and one 422 (cycle) or 409", k, statuses)
			}
		}
	}
}

// Marking an existing field indexed is accepted as a non-destructive change,
// but the live entries are not projected into entry_index again, so the new
// filter (and sort) silently ignores every entry published before.
func TestRegressionIndexedFlagNotReprojected(t *testing.T) {
	env := newEnv(t, sqliteBackend)
	def := `{"key":"event","label":"Event","fields":[{"name":"venue","kind":"text"}]}`
	env.must(t, 201, "admin", "POST", typesURL, def)
	env.publish(t, "admin", env.createEntry(t, "admin", "", map[string]any{"type": "event", "title": "Launch", "fields": map[string]any{"venue": "Hall"}}))
	env.must(t, 200, "admin", "POST", typesURL, strings.Replace(def, `"kind":"text"`, `"kind":"text","indexed":true`, 1))
	m := env.must(t, 200, "", "GET", "/api/v1/content/event?filter[venue]=Hall", nil)
	if n := len(items(t, m)); n != 1 {
		t.Fatalf("filter on a newly indexed field finds %d of 1 live entries", n)
	}
}

// The OpenAPI component schemas describe neither expand= (a reference
// becomes an object, or null) nor fields= (required members may be left
// out), although both parameters are documented on the same operations.
func TestRegressionOpenAPIExpandAndFields(t *testing.T) {
	env := newEnv(t, sqliteBackend)
	seedDelivery(t, env)
	env.must(t, 201, "admin", "POST", typesURL, eventType)
	env.publish(t, "admin", env.createEntry(t, "admin", "", map[string]any{"type": "event", "title": "Launch",
		"fields": map[string]any{"venue": "Hall", "starts": "2026-05-01T10:00:00Z"}}))
	doc := loadOpenAPI(t, env)
	for _, c := range []struct{ component, url string }{
		{"Article", "/api/v1/content/article/hotel?expand=author"}, // author: object
		{"Article", "/api/v1/content/article/kilo?expand=author"},  // author: null
		{"Event", "/api/v1/content/event/launch?fields=starts"},    // required venue left out
	} {
		res := env.call(t, "", "GET", c.url, nil)
		if res.Status != 200 {
			t.Fatalf("%s: %s", c.url, res)
		}
		body := res.Body
		if err := validateAgainst(doc, c.component, body); err != nil {
			t.Errorf("%s does not match its documented schema %s: %v", c.url, c.component, err)
		}
	}
}

// The catch-all 404 middleware (api/server.go) is registered before fiber
// appends its automatic HEAD routes at startup, so HEAD on every GET route
// answers 404.
func TestRegressionHeadRoutes(t *testing.T) {
	env := newEnv(t, sqliteBackend)
	for _, u := range []string{"/healthz", "/readyz", "/api/v1/openapi.json", "/api/v1/content/article"} {
		if res := env.call(t, "", "HEAD", u, nil); res.Status != 200 {
			t.Errorf("HEAD %s: %d, want 200 like GET", u, res.Status)
		}
	}
}

// POST /tokens accepts a negative (or overflowing) ttl_seconds and then
// issues a token that never expires.
func TestRegressionTokenTTL(t *testing.T) {
	env := newEnv(t, sqliteBackend)
	for _, ttl := range []string{"-5", "9223372036854775807"} {
		res := env.call(t, "admin", "POST", "/api/admin/v1/tokens", `{"name":"t","role":"admin","ttl_seconds":`+ttl+`}`)
		if res.Status == 201 && !strings.Contains(string(res.Body), "expires_at") {
			t.Errorf("ttl_seconds %s: a token without expiry was issued: %s", ttl, res)
		} else if res.Status != 201 && res.Status != 422 {
			t.Errorf("ttl_seconds %s: %s", ttl, res)
		}
	}
}

// PUT /grants stores grants for actions that do not exist (a typo such as
// entries.publsh answers 204 and grants nothing).
func TestRegressionGrantValidation(t *testing.T) {
	env := newEnv(t, sqliteBackend)
	res := env.call(t, "admin", "PUT", "/api/admin/v1/grants", `{"role":"editor","action":"entries.publsh","type_key":"*","allow":true}`)
	if res.Status != 422 {
		t.Errorf("unknown action: %s, want 422", res)
	}
}

// The audit log is ordered by (created_at, id) but paged with an id-only
// cursor (before=<id> → id < before), so a row whose id is greater but
// created_at older than the cursor row is skipped. created_at is the
// action's clock reading, the id is a UUIDv7 drawn when the row is written,
// so concurrent transactions produce such rows; the fake clock here just
// makes it deterministic.
func TestRegressionAuditCursorSkipsRows(t *testing.T) {
	env := newEnv(t, sqliteBackend)
	env.Clock.Set(clockBase.Add(time.Hour), time.Second)
	id := env.createEntry(t, "admin", "", article("Audited", nil))
	env.Clock.Set(clockBase.Add(30*time.Minute), time.Second) // a later write with an earlier clock reading
	env.must(t, 200, "admin", "PUT", entriesURL+"/"+id, map[string]any{"title": "Audited 2"})
	var seen []string
	before := ""
	for range 5 {
		u := "/api/admin/v1/audit?limit=1&entry=" + id
		if before != "" {
			u += "&before=" + before
		}
		its := items(t, env.must(t, 200, "admin", "GET", u, nil))
		if len(its) == 0 {
			break
		}
		seen = append(seen, its[0]["action"].(string))
		before = its[0]["id"].(string)
	}
	if len(seen) != 2 {
		t.Errorf("paging the audit log one row at a time saw %v, want both save and create", seen)
	}
}

// GET /audit ignores a malformed limit (limit=abc, limit=-1) where
// GET /entries answers 422.
func TestRegressionAuditLimit(t *testing.T) {
	env := newEnv(t, sqliteBackend)
	for _, l := range []string{"abc", "-1", "0"} {
		if res := env.call(t, "admin", "GET", "/api/admin/v1/audit?limit="+l, nil); res.Status != 422 {
			t.Errorf("limit=%s: %d, want 422", l, res.Status)
		}
	}
}

// PUT /entries/:id with "fields": null deletes every field value, while
// "title": null keeps the title: JSON null reaches SaveInput.Fields as the
// non-nil RawMessage "null".
func TestRegressionSaveFieldsNull(t *testing.T) {
	env := newEnv(t, sqliteBackend)
	id := env.createEntry(t, "admin", "", article("Keep", map[string]any{"views": 3}))
	m := env.must(t, 200, "admin", "PUT", entriesURL+"/"+id, `{"title":null,"fields":null}`)
	if v, _ := lookup(m, "latest_revision.fields.views"); v != 3.0 {
		t.Errorf(`"fields":null dropped the values: %v`, m["latest_revision"])
	}
}

// A repeated delivery list parameter keeps only its first value (q.Get),
// silently: filter[views][in]=1&filter[views][in]=10 filters on 1 alone,
// whereas the get endpoint joins repeated values.
func TestRegressionRepeatedListParameter(t *testing.T) {
	env := newEnv(t, sqliteBackend)
	seedDelivery(t, env)
	res := env.call(t, "", "GET", "/api/v1/content/article?filter[views][in]=1&filter[views][in]=10", nil)
	if res.Status == 200 && len(items(t, res.JSON(t))) != 2 {
		t.Errorf("repeated filter silently narrowed: %s (want a 422, or both values honoured)", res)
	}
}
