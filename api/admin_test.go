package api_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/auth"
	"github.com/inklingcms/inkling/engine/registry"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

func fresh(b backend) func(t *testing.T) *testEnv {
	return func(t *testing.T) *testEnv { return newEnv(t, b) }
}

func article(title string, fields map[string]any) map[string]any {
	in := map[string]any{"type": "article", "title": title}
	if fields != nil {
		in["fields"] = fields
	}
	return in
}

func page(title, parent string) map[string]any {
	in := map[string]any{"type": "page", "title": title}
	if parent != "" {
		in["parent_id"] = parent
	}
	return in
}

const (
	entriesURL = "/api/admin/v1/entries"
	typesURL   = "/api/admin/v1/content-types"
)

// --- Authentication and authorization --------------------------------------

func TestAuth(t *testing.T) {
	const password = "correct horse battery staple"
	addUser := func(t *testing.T, env *testEnv) {
		if _, err := env.Auth.CreateUser(context.Background(), "ed@example.com", password, auth.RoleEditor); err != nil {
			t.Fatal(err)
		}
	}
	runScenarios(t, fresh(sqliteBackend), []apiScenario{
		{
			Name: "no Authorization header", Method: "GET", URL: "/api/admin/v1/me",
			ExpectedStatus: 401, ExpectedProblemCode: "unauthorized",
			ExpectedHeaders: map[string]string{"WWW-Authenticate": `Bearer realm="inkling"`},
		},
		{
			Name: "no Authorization header on a write", Method: "POST", URL: entriesURL,
			Body:           `{"type":"author","title":"Ann"}`,
			ExpectedStatus: 401, ExpectedProblemCode: "unauthorized",
			ExpectedHeaders: map[string]string{"WWW-Authenticate": "Bearer"},
			After: func(t *testing.T, env *testEnv) {
				m := env.must(t, 200, "admin", "GET", entriesURL+"?type=author", nil)
				if n := len(items(t, m)); n != 0 {
					t.Fatalf("an unauthenticated create stored %d entries", n)
				}
			},
		},
		{
			Name: "basic scheme", Method: "GET", URL: "/api/admin/v1/me",
			Headers:        map[string]string{"Authorization": "Basic YWRtaW46YWRtaW4="},
			ExpectedStatus: 401, ExpectedProblemCode: "unauthorized",
			ExpectedHeaders: map[string]string{"WWW-Authenticate": "Bearer"},
		},
		{
			Name: "bad token", Method: "GET", URL: "/api/admin/v1/me",
			Headers:        map[string]string{"Authorization": "Bearer ink_thisisnotatokenthisisnotatoken"},
			ExpectedStatus: 401, ExpectedProblemCode: "unauthorized",
			ExpectedHeaders: map[string]string{"WWW-Authenticate": `error="invalid_token"`},
		},
		{
			Name: "token without the ink_ prefix", Method: "GET", URL: "/api/admin/v1/me",
			Headers:        map[string]string{"Authorization": "Bearer {{tokenid:admin}}"},
			ExpectedStatus: 401, ExpectedProblemCode: "unauthorized",
		},
		{
			Name: "revoked token", Method: "GET", URL: "/api/admin/v1/me", Headers: asEditor,
			Before: func(t *testing.T, env *testEnv) {
				if err := env.Auth.RevokeToken(context.Background(), env.get(t, "tokenid:editor")); err != nil {
					t.Fatal(err)
				}
			},
			ExpectedStatus: 401, ExpectedProblemCode: "unauthorized",
		},
		{
			Name: "me", Method: "GET", URL: "/api/admin/v1/me", Headers: asAdmin,
			ExpectedStatus:  200,
			ExpectedContent: []string{`"role":"admin"`, `"id":"{{tokenid:admin}}"`, `"kind":"token"`},
			ExpectedHeaders: map[string]string{"Cache-Control": "no-store"},
		},
		{
			Name: "reviewer cannot create an entry", Method: "POST", URL: entriesURL, Headers: asReviewer,
			Body:           `{"type":"article","title":"Nope"}`,
			ExpectedStatus: 403, ExpectedProblemCode: "forbidden",
			ExpectedContent: []string{"reviewer"},
		},
		{
			Name: "reviewer can read an entry", Method: "GET", URL: entriesURL + "/{{a}}", Headers: asReviewer,
			Before: func(t *testing.T, env *testEnv) {
				env.createEntry(t, "admin", "a", article("Readable", nil))
			},
			ExpectedStatus: 200, ExpectedContent: []string{`"id":"{{a}}"`, `"title":"Readable"`},
		},
		{
			Name: "reviewer cannot publish", Method: "POST", URL: entriesURL + "/{{a}}/publish", Headers: asReviewer,
			Before: func(t *testing.T, env *testEnv) {
				env.createEntry(t, "admin", "a", article("Draft", nil))
			},
			ExpectedStatus: 403, ExpectedProblemCode: "forbidden",
			After: func(t *testing.T, env *testEnv) {
				env.must(t, 404, "", "GET", "/api/v1/content/article/{{a}}", nil)
			},
		},
		{
			Name: "editor creates, saves and publishes", Method: "POST", URL: entriesURL + "/{{a}}/publish", Headers: asEditor,
			Before: func(t *testing.T, env *testEnv) {
				id := env.createEntry(t, "editor", "a", article("By editor", map[string]any{"views": 1}))
				env.must(t, 200, "editor", "PUT", entriesURL+"/"+id, map[string]any{"fields": map[string]any{"views": 2}})
			},
			ExpectedStatus:  200,
			ExpectedContent: []string{`"live":true`, `"number":2`},
			After: func(t *testing.T, env *testEnv) {
				m := env.must(t, 200, "", "GET", "/api/v1/content/article/{{a}}", nil)
				if v, _ := lookup(m, "fields.views"); v != 2.0 {
					t.Fatalf("delivered views = %v, want 2", v)
				}
			},
		},
		{
			Name: "editor cannot create users", Method: "POST", URL: "/api/admin/v1/users", Headers: asEditor,
			Body:           `{"email":"x@example.com","password":"long enough password","role":"admin"}`,
			ExpectedStatus: 403, ExpectedProblemCode: "forbidden",
			After: func(t *testing.T, env *testEnv) {
				if _, err := env.Auth.Authenticate(context.Background(), "x@example.com", "long enough password"); err == nil {
					t.Fatal("the refused user exists")
				}
			},
		},
		{
			Name: "editor cannot create tokens", Method: "POST", URL: "/api/admin/v1/tokens", Headers: asEditor,
			Body:           `{"name":"escalate","role":"admin"}`,
			ExpectedStatus: 403, ExpectedProblemCode: "forbidden", NotExpectedContent: []string{"ink_"},
		},
		{
			Name: "editor cannot register content types", Method: "POST", URL: typesURL, Headers: asEditor,
			Body:           `{"key":"event","label":"Event","fields":[]}`,
			ExpectedStatus: 403, ExpectedProblemCode: "forbidden",
		},
		{
			Name: "editor cannot change grants", Method: "PUT", URL: "/api/admin/v1/grants", Headers: asEditor,
			Body:           `{"role":"editor","action":"users.manage","type_key":"*","allow":true}`,
			ExpectedStatus: 403, ExpectedProblemCode: "forbidden",
		},
		{
			Name: "admin creates a user", Method: "POST", URL: "/api/admin/v1/users", Headers: asAdmin,
			Body:               `{"email":"new@example.com","password":"long enough password","role":"reviewer"}`,
			ExpectedStatus:     201,
			ExpectedContent:    []string{`"email":"new@example.com"`, `"role":"reviewer"`},
			NotExpectedContent: []string{"argon2id", "password"},
			After: func(t *testing.T, env *testEnv) {
				// The user can sign in.
				env.must(t, 201, "", "POST", "/api/admin/v1/auth/token", `{"email":"new@example.com","password":"long enough password"}`)
			},
		},
		{
			Name: "admin creates a user with a short password", Method: "POST", URL: "/api/admin/v1/users", Headers: asAdmin,
			Body:           `{"email":"new@example.com","password":"short","role":"reviewer"}`,
			ExpectedStatus: 422, ExpectedProblemCode: "invalid",
		},
		{
			Name: "admin creates a duplicate user", Method: "POST", URL: "/api/admin/v1/users", Headers: asAdmin,
			Body:           `{"email":"ED@example.com","password":"long enough password","role":"reviewer"}`,
			Before:         addUser,
			ExpectedStatus: 409, ExpectedProblemCode: "conflict",
		},
		{
			Name: "admin creates a token", Method: "POST", URL: "/api/admin/v1/tokens", Headers: asAdmin,
			Body:            `{"name":"ci","role":"editor","ttl_seconds":3600}`,
			ExpectedStatus:  201,
			ExpectedContent: []string{`"token":"ink_`, `"role":"editor"`, `"expires_at"`},
			After: func(t *testing.T, env *testEnv) {
				var tr struct{ Token string }
				env.Last.Decode(t, &tr)
				env.set("token:ci", tr.Token)
				m := env.must(t, 200, "ci", "GET", "/api/admin/v1/me", nil)
				if m["role"] != "editor" {
					t.Fatalf("new token has role %v", m["role"])
				}
			},
		},
		{
			Name: "login returns a working token", Method: "POST", URL: "/api/admin/v1/auth/token",
			Body:            `{"email":"ed@example.com","password":"` + password + `"}`,
			Before:          addUser,
			ExpectedStatus:  201,
			ExpectedContent: []string{`"token":"ink_`, `"role":"editor"`, `"expires_at"`},
			ExpectedHeaders: map[string]string{"Cache-Control": "no-store"},
			After: func(t *testing.T, env *testEnv) {
				var tr struct{ Token string }
				env.Last.Decode(t, &tr)
				env.set("token:session", tr.Token)
				me := env.must(t, 200, "session", "GET", "/api/admin/v1/me", nil)
				if me["role"] != "editor" || me["user_id"] == nil {
					t.Fatalf("session principal = %v", me)
				}
				d := env.must(t, 201, "session", "POST", entriesURL, article("Via session", nil))
				if d["owner_id"] != me["user_id"] {
					t.Fatalf("owner_id = %v, want the user %v", d["owner_id"], me["user_id"])
				}
				env.must(t, 403, "session", "POST", "/api/admin/v1/users", `{"email":"y@example.com","password":"long enough password","role":"admin"}`)
			},
		},
		{
			Name: "login with a wrong password", Method: "POST", URL: "/api/admin/v1/auth/token",
			Body:                `{"email":"ed@example.com","password":"wrong password!"}`,
			Before:              addUser,
			ExpectedStatus:      401,
			ExpectedProblemCode: "unauthorized",
			ExpectedContent:     []string{"wrong email or password"},
			NotExpectedContent:  []string{"ink_", "no user", "unknown"},
			After: func(t *testing.T, env *testEnv) {
				// An unknown email gets the very same answer.
				other := env.call(t, "", "POST", "/api/admin/v1/auth/token", `{"email":"nobody@example.com","password":"wrong password!"}`)
				a, b := checkProblem(t, env.Last), checkProblem(t, other)
				if other.Status != 401 || a.Detail != b.Detail || a.Title != b.Detail && a.Title != b.Title {
					t.Fatalf("wrong password and unknown email differ:\n%s\n%s", env.Last, other)
				}
			},
		},
		{
			Name: "login with an unknown email", Method: "POST", URL: "/api/admin/v1/auth/token",
			Body:           `{"email":"nobody@example.com","password":"` + password + `"}`,
			ExpectedStatus: 401, ExpectedProblemCode: "unauthorized",
			ExpectedContent: []string{"wrong email or password"},
		},
		{
			Name: "login with an unknown member", Method: "POST", URL: "/api/admin/v1/auth/token",
			Body:           `{"email":"ed@example.com","password":"x","remember":true}`,
			ExpectedStatus: 400, ExpectedProblemCode: "malformed", ExpectedDiagPaths: []string{"remember"},
		},
		{
			Name: "grant lets a reviewer create authors only", Method: "POST", URL: entriesURL, Headers: asReviewer,
			Body: `{"type":"author","title":"Granted"}`,
			Before: func(t *testing.T, env *testEnv) {
				env.must(t, 204, "admin", "PUT", "/api/admin/v1/grants", `{"role":"reviewer","action":"entries.create","type_key":"author","allow":true}`)
			},
			ExpectedStatus: 201,
			After: func(t *testing.T, env *testEnv) {
				env.must(t, 403, "reviewer", "POST", entriesURL, article("Not granted", nil))
				g := env.must(t, 200, "admin", "GET", "/api/admin/v1/grants", nil)
				found := false
				for _, it := range items(t, g) {
					found = found || (it["role"] == "reviewer" && it["action"] == "entries.create" && it["type_key"] == "author")
				}
				if !found {
					t.Fatal("grant not listed")
				}
			},
		},
		{
			Name: "revoking a grant takes effect", Method: "POST", URL: entriesURL, Headers: asEditor,
			Body: `{"type":"author","title":"Revoked"}`,
			Before: func(t *testing.T, env *testEnv) {
				env.must(t, 204, "admin", "PUT", "/api/admin/v1/grants", `{"role":"editor","action":"entries.create","type_key":"*","allow":false}`)
			},
			ExpectedStatus: 403, ExpectedProblemCode: "forbidden",
		},
		{
			Name: "signing out revokes one's own token", Method: "DELETE", URL: "/api/admin/v1/tokens/{{tokenid:editor}}", Headers: asEditor,
			ExpectedStatus: 204,
			After: func(t *testing.T, env *testEnv) {
				env.must(t, 401, "editor", "GET", "/api/admin/v1/me", nil)
				env.must(t, 200, "reviewer", "GET", "/api/admin/v1/me", nil)
			},
		},
		{
			Name: "an editor cannot revoke another token", Method: "DELETE", URL: "/api/admin/v1/tokens/{{tokenid:admin}}", Headers: asEditor,
			ExpectedStatus: 403, ExpectedProblemCode: "forbidden",
			After: func(t *testing.T, env *testEnv) {
				env.must(t, 200, "admin", "GET", "/api/admin/v1/me", nil)
			},
		},
	})
}

// --- Content types ----------------------------------------------------------

const eventType = `{"key":"event","label":"Event","fields":[{"name":"venue","kind":"text","required":true},{"name":"starts","kind":"datetime","indexed":true}]}`

func TestContentTypes(t *testing.T) {
	registerEvent := func(t *testing.T, env *testEnv) {
		env.must(t, 201, "admin", "POST", typesURL, eventType)
	}
	runScenarios(t, fresh(sqliteBackend), []apiScenario{
		{
			Name: "register a new type", Method: "POST", URL: typesURL, Headers: asAdmin, Body: eventType,
			ExpectedStatus:  201,
			ExpectedContent: []string{`"created":true`, `"changed":true`, `"key":"event"`, `"version":1`, `"source":"api"`},
			After: func(t *testing.T, env *testEnv) {
				env.must(t, 200, "reviewer", "GET", typesURL+"/event", nil)
				env.must(t, 201, "editor", "POST", entriesURL, `{"type":"event","title":"Launch","fields":{"venue":"Hall"}}`)
				env.must(t, 200, "", "GET", "/api/v1/content/event", nil)
			},
		},
		{
			Name: "register the same definition again", Method: "POST", URL: typesURL, Headers: asAdmin, Body: eventType,
			Before:             registerEvent,
			ExpectedStatus:     200,
			ExpectedContent:    []string{`"created":false`, `"changed":false`, `"version":1`},
			NotExpectedContent: []string{`"changes"`},
		},
		{
			Name: "an additive change", Method: "POST", URL: typesURL, Headers: asAdmin,
			Body:            strings.Replace(eventType, `]}`, `,{"name":"capacity","kind":"integer"}]}`, 1),
			Before:          registerEvent,
			ExpectedStatus:  200,
			ExpectedContent: []string{`"created":false`, `"changed":true`, `"version":2`, `"changes"`, "capacity"},
			After: func(t *testing.T, env *testEnv) {
				env.must(t, 201, "admin", "POST", entriesURL, `{"type":"event","title":"Big","fields":{"venue":"Hall","capacity":500}}`)
			},
		},
		{
			Name: "an invalid definition", Method: "POST", URL: typesURL, Headers: asAdmin,
			Body:                `{"key":"Bad Key","label":"","fields":[{"name":"x","kind":"nope"},{"name":"title","kind":"text"},{"name":"n","kind":"integer","min":5,"max":1}]}`,
			ExpectedStatus:      422,
			ExpectedProblemCode: "invalid",
			ExpectedDiagPaths:   []string{"key", "label", "fields.x.kind", "fields.title", "fields.n.min"},
			After: func(t *testing.T, env *testEnv) {
				env.must(t, 404, "admin", "GET", typesURL+"/Bad%20Key", nil)
			},
		},
		{
			Name: "a destructive change (removing a field)", Method: "POST", URL: typesURL, Headers: asAdmin,
			Body:                `{"key":"event","label":"Event","fields":[{"name":"venue","kind":"text","required":true}]}`,
			Before:              registerEvent,
			ExpectedStatus:      409,
			ExpectedProblemCode: "conflict",
			ExpectedContent:     []string{"starts"},
			After: func(t *testing.T, env *testEnv) {
				res := env.call(t, "admin", "GET", typesURL+"/event", nil)
				if res.Status != 200 || !strings.Contains(string(res.Body), `"starts"`) || res.JSON(t)["version"] != 1.0 {
					t.Fatalf("the refused change was applied: %s", res)
				}
			},
		},
		{
			Name: "a destructive change (changing a kind)", Method: "POST", URL: typesURL, Headers: asAdmin,
			Body:           strings.Replace(eventType, `"name":"venue","kind":"text"`, `"name":"venue","kind":"integer"`, 1),
			Before:         registerEvent,
			ExpectedStatus: 409, ExpectedProblemCode: "conflict",
		},
		{
			Name: "redefining a type owned by another source", Method: "POST", URL: typesURL, Headers: asAdmin,
			Body: `{"key":"builtin_thing","label":"Thing","fields":[{"name":"a","kind":"text"},{"name":"b","kind":"text"}]}`,
			Before: func(t *testing.T, env *testEnv) {
				if _, err := env.Types.Register(context.Background(), contenttypes.ContentType{Key: "builtin_thing", Label: "Thing",
					Fields: []contenttypes.Field{{Name: "a", Kind: contenttypes.KindText}}}, &registry.RegisterOptions{Source: "builtin"}); err != nil {
					t.Fatal(err)
				}
			},
			ExpectedStatus: 409, ExpectedProblemCode: "conflict",
		},
		{
			Name: "an unknown member in a definition", Method: "POST", URL: typesURL, Headers: asAdmin,
			Body:           `{"key":"event","label":"Event","fields":[],"colour":"red"}`,
			ExpectedStatus: 400, ExpectedProblemCode: "malformed", ExpectedDiagPaths: []string{"colour"},
		},
		{
			Name: "list types", Method: "GET", URL: typesURL, Headers: asReviewer,
			ExpectedStatus:  200,
			ExpectedContent: []string{`"key":"article"`, `"key":"author"`, `"key":"page"`, `"is_page":true`},
		},
		{
			Name: "get an unknown type", Method: "GET", URL: typesURL + "/nope", Headers: asAdmin,
			ExpectedStatus: 404, ExpectedProblemCode: "not_found",
		},
		{
			Name: "input JSON Schema", Method: "GET", URL: typesURL + "/article/schema", Headers: asEditor,
			ExpectedStatus:  200,
			ExpectedHeaders: map[string]string{"Content-Type": "application/schema+json"},
			ExpectedContent: []string{`"$schema":"https://json-schema.org/draft/2020-12/schema"`, `"properties"`, `"views"`, `"additionalProperties":false`},
			After: func(t *testing.T, env *testEnv) {
				sch := compileSchema(t, env.Last.Body)
				valid := `{"views":3,"body":"**hi**","category":"news","tags":["a","b"],"published_on":"2026-01-02","featured":true}`
				for _, good := range []string{valid, `{}`} {
					if err := sch.Validate(decodeAny(t, good)); err != nil {
						t.Errorf("%s is rejected: %v", good, err)
					}
				}
				for _, bad := range []string{`{"views":"x"}`, `{"views":-1}`, `{"category":"gossip"}`, `{"nope":1}`, `{"featured":"yes"}`} {
					if err := sch.Validate(decodeAny(t, bad)); err == nil {
						t.Errorf("%s is accepted", bad)
					}
				}
			},
		},
		{
			Name: "output JSON Schema", Method: "GET", URL: typesURL + "/article/schema?mode=output", Headers: asAdmin,
			ExpectedStatus:  200,
			ExpectedContent: []string{`"html"`, `"markdown"`},
			After: func(t *testing.T, env *testEnv) {
				sch := compileSchema(t, env.Last.Body)
				if err := sch.Validate(decodeAny(t, `{"body":{"markdown":"x","html":"<p>x</p>"}}`)); err != nil {
					t.Errorf("rendered body rejected: %v", err)
				}
				if err := sch.Validate(decodeAny(t, `{"body":"x"}`)); err == nil {
					t.Errorf("unrendered body accepted by the output schema")
				}
			},
		},
		{
			Name: "schema of an unknown type", Method: "GET", URL: typesURL + "/nope/schema", Headers: asAdmin,
			ExpectedStatus: 404, ExpectedProblemCode: "not_found",
		},
	})
}

func decodeAny(t testing.TB, s string) any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func compileSchema(t testing.TB, body []byte) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("mem://schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("mem://schema.json")
	if err != nil {
		t.Fatalf("the schema does not compile: %v", err)
	}
	return sch
}

// --- Entries ----------------------------------------------------------------

// entryScenarios are the lifecycle scenarios; they run on every backend.
func entryScenarios() []apiScenario {
	return []apiScenario{
		{
			Name: "create", Method: "POST", URL: entriesURL, Headers: asAdmin,
			Body:            `{"type":"article","title":"Hello World","fields":{"views":3,"tags":["go"," go ","db"],"published_on":"2026-02-03"},"message":"first"}`,
			ExpectedStatus:  201,
			ExpectedContent: []string{`"slug":"hello-world"`, `"live":false`, `"number":1`, `"message":"first"`, `"has_unpublished_changes":true`},
			ExpectedHeaders: map[string]string{"Location": "/api/admin/v1/entries/"},
			After: func(t *testing.T, env *testEnv) {
				m := env.Last.JSON(t)
				id := str(t, m, "id")
				if loc := env.Last.Header.Get("Location"); loc != entriesURL+"/"+id {
					t.Fatalf("Location %q, want %s/%s", loc, entriesURL, id)
				}
				if tags, _ := lookup(m, "latest_revision.fields.tags"); len(tags.([]any)) != 2 {
					t.Fatalf("tags not de-duplicated: %v", tags)
				}
				got := env.must(t, 200, "reviewer", "GET", env.Last.Header.Get("Location"), nil)
				if got["id"] != id || got["title"] != "Hello World" {
					t.Fatalf("GET Location = %v", got)
				}
				// Nothing is live yet.
				env.must(t, 404, "", "GET", "/api/v1/content/article/"+id, nil)
			},
		},
		{
			Name: "create with an explicit slug", Method: "POST", URL: entriesURL, Headers: asAdmin,
			Body:           `{"type":"author","title":"Ann Smith","slug":"ann"}`,
			ExpectedStatus: 201, ExpectedContent: []string{`"slug":"ann"`},
		},
		{
			Name: "get", Method: "GET", URL: entriesURL + "/{{a}}", Headers: asEditor,
			Before: func(t *testing.T, env *testEnv) {
				env.createEntry(t, "admin", "a", article("Gettable", map[string]any{"views": 5}))
			},
			ExpectedStatus:  200,
			ExpectedContent: []string{`"id":"{{a}}"`, `"draft_title":"Gettable"`, `"views":5`, `"id":"{{a:rev1}}"`},
		},
		{
			Name: "get a missing entry", Method: "GET", URL: entriesURL + "/0190d5a2-0000-7000-8000-000000000000", Headers: asAdmin,
			ExpectedStatus: 404, ExpectedProblemCode: "not_found",
		},
		{
			Name: "save makes revision 2", Method: "PUT", URL: entriesURL + "/{{a}}", Headers: asEditor,
			Body: `{"title":"Renamed","fields":{"views":7},"base_revision_id":"{{a:rev1}}","message":"second"}`,
			Before: func(t *testing.T, env *testEnv) {
				env.createEntry(t, "admin", "a", article("Original", map[string]any{"views": 5, "subtitle": "kept?"}))
			},
			ExpectedStatus:     200,
			ExpectedContent:    []string{`"number":2`, `"draft_title":"Renamed"`, `"views":7`, `"message":"second"`},
			NotExpectedContent: []string{"kept?"}, // fields replace all values
			After: func(t *testing.T, env *testEnv) {
				m := env.Last.JSON(t)
				if str(t, m, "latest_revision_id") == env.get(t, "a:rev1") {
					t.Fatal("latest revision did not move")
				}
				// A never-published entry takes the new title and slug.
				got := env.must(t, 200, "admin", "GET", entriesURL+"/{{a}}", nil)
				if got["title"] != "Renamed" || got["slug"] != "original" {
					t.Fatalf("entry after save: title %v slug %v", got["title"], got["slug"])
				}
			},
		},
		{
			Name: "save keeps absent members", Method: "PUT", URL: entriesURL + "/{{a}}", Headers: asEditor,
			Body: `{"message":"touch"}`,
			Before: func(t *testing.T, env *testEnv) {
				env.createEntry(t, "admin", "a", article("Keep", map[string]any{"views": 5}))
			},
			ExpectedStatus:  200,
			ExpectedContent: []string{`"number":2`, `"title":"Keep"`, `"views":5`},
		},
		{
			Name: "save based on a stale revision", Method: "PUT", URL: entriesURL + "/{{a}}", Headers: asAdmin,
			Body: `{"title":"Lost update","base_revision_id":"{{a:rev1}}"}`,
			Before: func(t *testing.T, env *testEnv) {
				id := env.createEntry(t, "admin", "a", article("Base", nil))
				env.must(t, 200, "editor", "PUT", entriesURL+"/"+id, map[string]any{"title": "Someone else"})
			},
			ExpectedStatus: 409, ExpectedProblemCode: "conflict",
			After: func(t *testing.T, env *testEnv) {
				revs := items(t, env.must(t, 200, "admin", "GET", entriesURL+"/{{a}}/revisions", nil))
				if len(revs) != 2 || revs[0]["title"] != "Someone else" {
					t.Fatalf("revisions after refused save: %v", revs)
				}
			},
		},
		{
			Name: "save an invalid value", Method: "PUT", URL: entriesURL + "/{{a}}", Headers: asAdmin,
			Body: `{"fields":{"views":-3,"category":"gossip"}}`,
			Before: func(t *testing.T, env *testEnv) {
				env.createEntry(t, "admin", "a", article("Valid", nil))
			},
			ExpectedStatus: 422, ExpectedProblemCode: "invalid",
			ExpectedDiagPaths: []string{"fields.views", "fields.category"},
		},
		{
			Name: "list revisions newest first", Method: "GET", URL: entriesURL + "/{{a}}/revisions", Headers: asReviewer,
			Before: func(t *testing.T, env *testEnv) {
				id := env.createEntry(t, "admin", "a", article("R1", nil))
				env.must(t, 200, "admin", "PUT", entriesURL+"/"+id, map[string]any{"title": "R2"})
				env.must(t, 200, "admin", "PUT", entriesURL+"/"+id, map[string]any{"title": "R3"})
			},
			ExpectedStatus: 200,
			After: func(t *testing.T, env *testEnv) {
				revs := items(t, env.Last.JSON(t))
				var got []string
				for _, r := range revs {
					got = append(got, r["title"].(string))
					if r["entry_id"] != env.get(t, "a") || r["author_kind"] != "token" || r["author_id"] != env.get(t, "tokenid:admin") {
						t.Errorf("revision %v", r)
					}
				}
				if !slices.Equal(got, []string{"R3", "R2", "R1"}) {
					t.Fatalf("revision order %v", got)
				}
			},
		},
		{
			Name: "get one revision", Method: "GET", URL: entriesURL + "/{{a}}/revisions/{{a:rev1}}", Headers: asAdmin,
			Before: func(t *testing.T, env *testEnv) {
				id := env.createEntry(t, "admin", "a", article("First", map[string]any{"views": 1}))
				env.must(t, 200, "admin", "PUT", entriesURL+"/"+id, map[string]any{"title": "Second"})
			},
			ExpectedStatus:     200,
			ExpectedContent:    []string{`"id":"{{a:rev1}}"`, `"number":1`, `"title":"First"`, `"views":1`},
			NotExpectedContent: []string{"Second"},
		},
		{
			Name: "get a revision through another entry", Method: "GET", URL: entriesURL + "/{{b}}/revisions/{{a:rev1}}", Headers: asAdmin,
			Before: func(t *testing.T, env *testEnv) {
				env.createEntry(t, "admin", "a", article("A", nil))
				env.createEntry(t, "admin", "b", article("B", nil))
			},
			ExpectedStatus: 404, ExpectedProblemCode: "not_found",
		},
		{
			Name: "publish without a body", Method: "POST", URL: entriesURL + "/{{a}}/publish", Headers: asAdmin,
			Before: func(t *testing.T, env *testEnv) {
				env.createEntry(t, "admin", "a", article("Publish me", map[string]any{"views": 4, "body": "Some **bold** text"}))
			},
			ExpectedStatus:  200,
			ExpectedContent: []string{`"live":true`, `"live_revision_id":"{{a:rev1}}"`, `"has_unpublished_changes":false`, `"first_published_at":"20`},
			After: func(t *testing.T, env *testEnv) {
				m := env.must(t, 200, "", "GET", "/api/v1/content/article/publish-me", nil)
				if m["id"] != env.get(t, "a") {
					t.Fatalf("delivered %v", m)
				}
				if html, _ := lookup(m, "fields.body.html"); !strings.Contains(html.(string), "<strong>bold</strong>") {
					t.Fatalf("body not rendered: %v", m["fields"])
				}
			},
		},
		{
			Name: "publish with an empty JSON object", Method: "POST", URL: entriesURL + "/{{a}}/publish", Headers: asEditor,
			Body: `{}`,
			Before: func(t *testing.T, env *testEnv) {
				env.createEntry(t, "admin", "a", article("Empty body", nil))
			},
			ExpectedStatus: 200, ExpectedContent: []string{`"live":true`},
		},
		{
			Name: "publish with a message", Method: "POST", URL: entriesURL + "/{{a}}/publish", Headers: asEditor,
			Body: `{"message":"go live"}`,
			Before: func(t *testing.T, env *testEnv) {
				env.createEntry(t, "admin", "a", article("With message", nil))
			},
			ExpectedStatus: 200, ExpectedContent: []string{`"live":true`},
		},
		{
			Name: "publish an older revision", Method: "POST", URL: entriesURL + "/{{a}}/publish", Headers: asAdmin,
			Body: `{"revision_id":"{{a:rev1}}"}`,
			Before: func(t *testing.T, env *testEnv) {
				id := env.createEntry(t, "admin", "a", article("Old", map[string]any{"views": 1}))
				m := env.must(t, 200, "admin", "PUT", entriesURL+"/"+id, map[string]any{"title": "New", "fields": map[string]any{"views": 2}})
				env.set("a:rev2", str(t, m, "latest_revision.id"))
			},
			ExpectedStatus: 200,
			ExpectedContent: []string{`"live":true`, `"live_revision_id":"{{a:rev1}}"`, `"latest_revision_id":"{{a:rev2}}"`,
				`"has_unpublished_changes":true`},
			After: func(t *testing.T, env *testEnv) {
				m := env.must(t, 200, "", "GET", "/api/v1/content/article/{{a}}", nil)
				if v, _ := lookup(m, "fields.views"); v != 1.0 || m["title"] != "Old" {
					t.Fatalf("delivered %v, want revision 1", m)
				}
				// The draft still shows revision 2.
				d := env.must(t, 200, "admin", "GET", entriesURL+"/{{a}}", nil)
				if n, _ := lookup(d, "latest_revision.number"); n != 2.0 || d["draft_title"] != "New" {
					t.Fatalf("draft after publishing rev 1: %v", d)
				}
				// Publishing the latest then delivers revision 2.
				env.publish(t, "admin", env.get(t, "a"))
				m = env.must(t, 200, "", "GET", "/api/v1/content/article/{{a}}", nil)
				if v, _ := lookup(m, "fields.views"); v != 2.0 || m["title"] != "New" {
					t.Fatalf("delivered %v, want revision 2", m)
				}
			},
		},
		{
			Name: "publish an unknown revision", Method: "POST", URL: entriesURL + "/{{a}}/publish", Headers: asAdmin,
			Body: `{"revision_id":"nope"}`,
			Before: func(t *testing.T, env *testEnv) {
				env.createEntry(t, "admin", "a", article("A", nil))
			},
			ExpectedStatus: 404, ExpectedProblemCode: "not_found",
		},
		{
			Name: "publish a missing entry", Method: "POST", URL: entriesURL + "/nope/publish", Headers: asAdmin,
			ExpectedStatus: 404, ExpectedProblemCode: "not_found",
		},
		{
			Name: "unpublish", Method: "POST", URL: entriesURL + "/{{a}}/unpublish", Headers: asEditor,
			Before: func(t *testing.T, env *testEnv) {
				id := env.createEntry(t, "admin", "a", article("Short lived", map[string]any{"views": 1}))
				env.publish(t, "admin", id)
				env.must(t, 200, "", "GET", "/api/v1/content/article/"+id, nil)
			},
			ExpectedStatus:  200,
			ExpectedContent: []string{`"live":false`},
			After: func(t *testing.T, env *testEnv) {
				env.must(t, 404, "", "GET", "/api/v1/content/article/{{a}}", nil)
				env.must(t, 404, "", "GET", "/api/v1/content/article/short-lived", nil)
				l := env.must(t, 200, "", "GET", "/api/v1/content/article?filter[views]=1", nil)
				if n := len(items(t, l)); n != 0 {
					t.Fatalf("unpublished entry still listed (%d items)", n)
				}
				res := env.call(t, "editor", "POST", entriesURL+"/{{a}}/unpublish", nil)
				if res.Status != 409 || checkProblem(t, res).Code != "conflict" {
					t.Fatalf("second unpublish: %s", res)
				}
			},
		},
		{
			Name: "unpublish a never-published entry", Method: "POST", URL: entriesURL + "/{{a}}/unpublish", Headers: asAdmin,
			Before: func(t *testing.T, env *testEnv) {
				env.createEntry(t, "admin", "a", article("Draft", nil))
			},
			ExpectedStatus: 409, ExpectedProblemCode: "conflict",
		},
		{
			Name: "delete", Method: "DELETE", URL: entriesURL + "/{{a}}", Headers: asEditor,
			Before: func(t *testing.T, env *testEnv) {
				env.publish(t, "admin", env.createEntry(t, "admin", "a", article("Doomed", nil)))
			},
			ExpectedStatus: 204,
			After: func(t *testing.T, env *testEnv) {
				if len(env.Last.Body) != 0 {
					t.Errorf("204 with a body: %s", env.Last.Body)
				}
				env.must(t, 404, "admin", "GET", entriesURL+"/{{a}}", nil)
				env.must(t, 404, "admin", "GET", entriesURL+"/{{a}}/revisions", nil)
				env.must(t, 404, "", "GET", "/api/v1/content/article/{{a}}", nil)
				// The slug is free again.
				env.createEntry(t, "admin", "", article("Doomed", nil))
			},
		},
		{
			Name: "delete a page with children", Method: "DELETE", URL: entriesURL + "/{{root}}", Headers: asAdmin,
			Before: func(t *testing.T, env *testEnv) {
				root := env.createEntry(t, "admin", "root", page("Root", ""))
				env.createEntry(t, "admin", "child", page("Child", root))
			},
			ExpectedStatus: 409, ExpectedProblemCode: "conflict",
			After: func(t *testing.T, env *testEnv) {
				env.must(t, 200, "admin", "GET", entriesURL+"/{{root}}", nil)
				// Children first, then the parent.
				env.must(t, 204, "admin", "DELETE", entriesURL+"/{{child}}", nil)
				env.must(t, 204, "admin", "DELETE", entriesURL+"/{{root}}", nil)
			},
		},
		{
			Name: "reviewer cannot delete", Method: "DELETE", URL: entriesURL + "/{{a}}", Headers: asReviewer,
			Before: func(t *testing.T, env *testEnv) {
				env.createEntry(t, "admin", "a", article("Kept", nil))
			},
			ExpectedStatus: 403, ExpectedProblemCode: "forbidden",
		},
		{
			Name: "create with a reference to a missing entry", Method: "POST", URL: entriesURL, Headers: asAdmin,
			Body:           `{"type":"article","title":"Dangling","fields":{"author":"0190d5a2-0000-7000-8000-000000000000"}}`,
			ExpectedStatus: 422, ExpectedProblemCode: "invalid", ExpectedDiagPaths: []string{"fields.author"},
		},
		{
			Name: "create with a reference to a disallowed type", Method: "POST", URL: entriesURL, Headers: asAdmin,
			Body: `{"type":"article","title":"Wrong ref","fields":{"author":"{{other}}"}}`,
			Before: func(t *testing.T, env *testEnv) {
				env.createEntry(t, "admin", "other", article("Not an author", nil))
			},
			ExpectedStatus: 422, ExpectedProblemCode: "invalid", ExpectedDiagPaths: []string{"fields.author"},
		},
		{
			Name: "create with a valid reference", Method: "POST", URL: entriesURL, Headers: asAdmin,
			Body: `{"type":"article","title":"Ref","fields":{"author":"{{ann}}"}}`,
			Before: func(t *testing.T, env *testEnv) {
				env.createEntry(t, "admin", "ann", map[string]any{"type": "author", "title": "Ann"})
			},
			ExpectedStatus: 201, ExpectedContent: []string{`"author":"{{ann}}"`},
		},
		{
			Name: "create with a wrong field type", Method: "POST", URL: entriesURL, Headers: asAdmin,
			Body:           `{"type":"article","title":"Typed","fields":{"views":"ten","featured":"yes","tags":"go"}}`,
			ExpectedStatus: 422, ExpectedProblemCode: "invalid",
			ExpectedDiagPaths: []string{"fields.views", "fields.featured", "fields.tags"},
		},
		{
			Name: "create with an unknown field", Method: "POST", URL: entriesURL, Headers: asAdmin,
			Body:           `{"type":"article","title":"Unknown","fields":{"colour":"red"}}`,
			ExpectedStatus: 422, ExpectedProblemCode: "invalid", ExpectedDiagPaths: []string{"fields.colour"},
		},
		{
			Name: "create with an out-of-range integer", Method: "POST", URL: entriesURL, Headers: asAdmin,
			Body:           `{"type":"article","title":"Huge","fields":{"views":1e400}}`,
			ExpectedStatus: 422, ExpectedProblemCode: "invalid", ExpectedDiagPaths: []string{"fields.views"},
		},
		{
			Name: "create with fields that are not an object", Method: "POST", URL: entriesURL, Headers: asAdmin,
			Body:           `{"type":"article","title":"Scalar fields","fields":"x"}`,
			ExpectedStatus: 422, ExpectedProblemCode: "invalid",
		},
		{
			Name: "create with an unknown type", Method: "POST", URL: entriesURL, Headers: asAdmin,
			Body:           `{"type":"nope","title":"X"}`,
			ExpectedStatus: 422, ExpectedProblemCode: "invalid", ExpectedDiagPaths: []string{"type"},
		},
		{
			Name: "create without a title", Method: "POST", URL: entriesURL, Headers: asAdmin,
			Body:           `{"type":"article","title":"   "}`,
			ExpectedStatus: 422, ExpectedProblemCode: "invalid", ExpectedDiagPaths: []string{"title"},
		},
		{
			Name: "create with a too long title", Method: "POST", URL: entriesURL, Headers: asAdmin,
			Body:           `{"type":"article","title":"` + strings.Repeat("x", 256) + `"}`,
			ExpectedStatus: 422, ExpectedProblemCode: "invalid", ExpectedDiagPaths: []string{"title"},
		},
		{
			Name: "create with an invalid slug", Method: "POST", URL: entriesURL, Headers: asAdmin,
			Body:           `{"type":"article","title":"X","slug":"Not A Slug"}`,
			ExpectedStatus: 422, ExpectedProblemCode: "invalid", ExpectedDiagPaths: []string{"slug"},
		},
		{
			Name: "slug collision in a collection", Method: "POST", URL: entriesURL, Headers: asAdmin,
			Body: `{"type":"article","title":"Same Title"}`,
			Before: func(t *testing.T, env *testEnv) {
				env.createEntry(t, "admin", "", article("Same title", nil))
			},
			ExpectedStatus: 409, ExpectedProblemCode: "conflict", ExpectedDiagPaths: []string{"slug"},
			After: func(t *testing.T, env *testEnv) {
				// Another type may use the slug.
				env.createEntry(t, "admin", "", map[string]any{"type": "author", "title": "Same title"})
			},
		},
		{
			Name: "slug collision among sibling pages", Method: "POST", URL: entriesURL, Headers: asAdmin,
			Body: `{"type":"page","title":"Intro","parent_id":"{{docs}}"}`,
			Before: func(t *testing.T, env *testEnv) {
				docs := env.createEntry(t, "admin", "docs", page("Docs", ""))
				env.createEntry(t, "admin", "guide", page("Guide", ""))
				env.createEntry(t, "admin", "", page("Intro", docs))
			},
			ExpectedStatus: 409, ExpectedProblemCode: "conflict", ExpectedDiagPaths: []string{"slug"},
			After: func(t *testing.T, env *testEnv) {
				// The same slug under another parent is fine.
				m := env.must(t, 201, "admin", "POST", entriesURL, `{"type":"page","title":"Intro","parent_id":"{{guide}}"}`)
				if m["url_path"] != "/guide/intro/" || m["depth"] != 2.0 {
					t.Fatalf("child page: url_path %v depth %v", m["url_path"], m["depth"])
				}
			},
		},
		{
			Name: "slug collision among root pages", Method: "POST", URL: entriesURL, Headers: asAdmin,
			Body: `{"type":"page","title":"Docs"}`,
			Before: func(t *testing.T, env *testEnv) {
				env.createEntry(t, "admin", "", page("Docs", ""))
			},
			ExpectedStatus: 409, ExpectedProblemCode: "conflict", ExpectedDiagPaths: []string{"slug"},
		},
		{
			Name: "saving a slug taken by a sibling", Method: "PUT", URL: entriesURL + "/{{b}}", Headers: asAdmin,
			Body: `{"slug":"first"}`,
			Before: func(t *testing.T, env *testEnv) {
				env.createEntry(t, "admin", "a", article("First", nil))
				env.createEntry(t, "admin", "b", article("Second", nil))
			},
			ExpectedStatus: 409, ExpectedProblemCode: "conflict", ExpectedDiagPaths: []string{"slug"},
		},
		{
			Name: "saving a live entry with a slug taken by a sibling", Method: "PUT", URL: entriesURL + "/{{b}}", Headers: asAdmin,
			Body: `{"slug":"first"}`,
			Before: func(t *testing.T, env *testEnv) {
				env.createEntry(t, "admin", "a", article("First", nil))
				env.publish(t, "admin", env.createEntry(t, "admin", "b", article("Second", nil)))
			},
			ExpectedStatus: 409, ExpectedProblemCode: "conflict", ExpectedDiagPaths: []string{"slug"},
			After: func(t *testing.T, env *testEnv) {
				revs := items(t, env.must(t, 200, "admin", "GET", entriesURL+"/{{b}}/revisions", nil))
				if len(revs) != 1 {
					t.Fatalf("the refused save stored a revision (%d revisions)", len(revs))
				}
			},
		},
		{
			Name: "saving a live entry with a free slug keeps the live slug", Method: "PUT", URL: entriesURL + "/{{b}}", Headers: asAdmin,
			Body: `{"slug":"renamed"}`,
			Before: func(t *testing.T, env *testEnv) {
				env.publish(t, "admin", env.createEntry(t, "admin", "b", article("Second", nil)))
			},
			ExpectedStatus:  200,
			ExpectedContent: []string{`"slug":"second"`, `"slug":"renamed"`, `"has_unpublished_changes":true`},
			After: func(t *testing.T, env *testEnv) {
				env.must(t, 200, "", "GET", "/api/v1/content/article/second", nil)
				env.must(t, 404, "", "GET", "/api/v1/content/article/renamed", nil)
				env.publish(t, "admin", env.get(t, "b"))
				env.must(t, 200, "", "GET", "/api/v1/content/article/renamed", nil)
			},
		},
		{
			Name: "a page under a missing parent", Method: "POST", URL: entriesURL, Headers: asAdmin,
			Body:           `{"type":"page","title":"Orphan","parent_id":"0190d5a2-0000-7000-8000-000000000000"}`,
			ExpectedStatus: 422, ExpectedProblemCode: "invalid", ExpectedDiagPaths: []string{"parent_id"},
		},
		{
			Name: "a page under a non-page", Method: "POST", URL: entriesURL, Headers: asAdmin,
			Body: `{"type":"page","title":"Odd","parent_id":"{{a}}"}`,
			Before: func(t *testing.T, env *testEnv) {
				env.createEntry(t, "admin", "a", article("Flat", nil))
			},
			ExpectedStatus: 422, ExpectedProblemCode: "invalid", ExpectedDiagPaths: []string{"parent_id"},
		},
		{
			Name: "a parent for a non-page type", Method: "POST", URL: entriesURL, Headers: asAdmin,
			Body: `{"type":"article","title":"Child article","parent_id":"{{root}}"}`,
			Before: func(t *testing.T, env *testEnv) {
				env.createEntry(t, "admin", "root", page("Root", ""))
			},
			ExpectedStatus: 422, ExpectedProblemCode: "invalid", ExpectedDiagPaths: []string{"parent_id"},
		},
		{
			Name: "move a page rewrites its subtree", Method: "POST", URL: entriesURL + "/{{c}}/move", Headers: asEditor,
			Body:            `{"parent_id":"{{b}}"}`,
			Before:          buildTree,
			ExpectedStatus:  200,
			ExpectedContent: []string{`"url_path":"/b/c/"`, `"parent_id":"{{b}}"`, `"depth":2`},
			After: func(t *testing.T, env *testEnv) {
				d := env.must(t, 200, "admin", "GET", entriesURL+"/{{d}}", nil)
				if d["url_path"] != "/b/c/d/" || d["depth"] != 3.0 || d["parent_id"] != env.get(t, "c") {
					t.Fatalf("grandchild after move: url_path %v depth %v parent %v", d["url_path"], d["depth"], d["parent_id"])
				}
				// Delivery sees the new url_path of the live grandchild.
				m := env.must(t, 200, "", "GET", "/api/v1/content/page/{{d}}", nil)
				if m["url_path"] != "/b/c/d/" {
					t.Fatalf("delivered url_path %v", m["url_path"])
				}
				// The old parent has no children left and can go.
				env.must(t, 204, "admin", "DELETE", entriesURL+"/{{a}}", nil)
				// Moving it further still works (paths were rewritten, not just url paths).
				env.must(t, 200, "admin", "POST", entriesURL+"/{{c}}/move", `{"parent_id":null}`)
				d = env.must(t, 200, "admin", "GET", entriesURL+"/{{d}}", nil)
				if d["url_path"] != "/c/d/" || d["depth"] != 2.0 {
					t.Fatalf("grandchild after second move: url_path %v depth %v", d["url_path"], d["depth"])
				}
			},
		},
		{
			Name: "publishing a renamed page rewrites its live subtree", Method: "POST", URL: entriesURL + "/{{a}}/publish", Headers: asAdmin,
			Before: func(t *testing.T, env *testEnv) {
				buildTree(t, env)
				env.publish(t, "admin", env.get(t, "a"))
				env.publish(t, "admin", env.get(t, "c"))
				// A live page keeps its slug until the renaming draft is published.
				m := env.must(t, 200, "admin", "PUT", entriesURL+"/{{a}}", `{"slug":"alpha"}`)
				if m["url_path"] != "/a/" || m["slug"] != "a" {
					t.Fatalf("saving a live page changed its live slug: %v %v", m["slug"], m["url_path"])
				}
				env.must(t, 200, "", "GET", "/api/v1/content/page/{{d}}", nil)
			},
			ExpectedStatus:  200,
			ExpectedContent: []string{`"slug":"alpha"`, `"url_path":"/alpha/"`},
			After: func(t *testing.T, env *testEnv) {
				for name, want := range map[string]string{"a": "/alpha/", "c": "/alpha/c/", "d": "/alpha/c/d/"} {
					m := env.must(t, 200, "", "GET", "/api/v1/content/page/{{"+name+"}}", nil)
					if m["url_path"] != want {
						t.Errorf("%s: delivered url_path %v, want %s", name, m["url_path"], want)
					}
				}
				env.must(t, 404, "", "GET", "/api/v1/content/page/a", nil)
				env.must(t, 200, "", "GET", "/api/v1/content/page/alpha", nil)
			},
		},
		{
			Name: "renaming a draft page rewrites its subtree", Method: "PUT", URL: entriesURL + "/{{c}}", Headers: asAdmin,
			Body:            `{"title":"Chapter","slug":"chapter"}`,
			Before:          buildTree,
			ExpectedStatus:  200,
			ExpectedContent: []string{`"slug":"chapter"`, `"url_path":"/a/chapter/"`},
			After: func(t *testing.T, env *testEnv) {
				d := env.must(t, 200, "admin", "GET", entriesURL+"/{{d}}", nil)
				if d["url_path"] != "/a/chapter/d/" {
					t.Fatalf("grandchild url_path %v", d["url_path"])
				}
			},
		},
		{
			Name: "move a page to a position", Method: "POST", URL: entriesURL + "/{{b}}/move", Headers: asAdmin,
			Body:            `{"parent_id":null,"position":0}`,
			Before:          buildTree,
			ExpectedStatus:  200,
			ExpectedContent: []string{`"sort_order":0`, `"url_path":"/b/"`},
			After: func(t *testing.T, env *testEnv) {
				a := env.must(t, 200, "admin", "GET", entriesURL+"/{{a}}", nil)
				if a["sort_order"] != 1.0 {
					t.Fatalf("sibling sort_order %v, want 1", a["sort_order"])
				}
			},
		},
		{
			Name: "move a page under its own descendant", Method: "POST", URL: entriesURL + "/{{a}}/move", Headers: asAdmin,
			Body:           `{"parent_id":"{{d}}"}`,
			Before:         buildTree,
			ExpectedStatus: 422, ExpectedProblemCode: "invalid", ExpectedDiagPaths: []string{"parent_id"},
			After: func(t *testing.T, env *testEnv) {
				d := env.must(t, 200, "admin", "GET", entriesURL+"/{{d}}", nil)
				if d["url_path"] != "/a/c/d/" {
					t.Fatalf("refused move changed the tree: %v", d["url_path"])
				}
			},
		},
		{
			Name: "move a page under itself", Method: "POST", URL: entriesURL + "/{{a}}/move", Headers: asAdmin,
			Body:           `{"parent_id":"{{a}}"}`,
			Before:         buildTree,
			ExpectedStatus: 422, ExpectedProblemCode: "invalid", ExpectedDiagPaths: []string{"parent_id"},
		},
		{
			Name: "move a page next to a sibling with its slug", Method: "POST", URL: entriesURL + "/{{x}}/move", Headers: asAdmin,
			Body: `{"parent_id":"{{a}}"}`,
			Before: func(t *testing.T, env *testEnv) {
				buildTree(t, env)
				env.createEntry(t, "admin", "x", page("C", env.get(t, "b"))) // slug c under b
			},
			ExpectedStatus: 409, ExpectedProblemCode: "conflict", ExpectedDiagPaths: []string{"slug"},
		},
		{
			Name: "move a page to a negative position", Method: "POST", URL: entriesURL + "/{{c}}/move", Headers: asAdmin,
			Body:           `{"parent_id":"{{b}}","position":-1}`,
			Before:         buildTree,
			ExpectedStatus: 422, ExpectedProblemCode: "invalid", ExpectedDiagPaths: []string{"position"},
		},
		{
			Name: "move a non-page", Method: "POST", URL: entriesURL + "/{{x}}/move", Headers: asAdmin,
			Body: `{"parent_id":null}`,
			Before: func(t *testing.T, env *testEnv) {
				env.createEntry(t, "admin", "x", article("Flat", nil))
			},
			ExpectedStatus: 422, ExpectedProblemCode: "invalid",
		},
		{
			Name: "list entries", Method: "GET", URL: entriesURL + "?type=article&limit=2", Headers: asReviewer,
			Before: func(t *testing.T, env *testEnv) {
				for _, title := range []string{"L1", "L2", "L3"} {
					env.createEntry(t, "admin", title, article(title, nil))
				}
			},
			ExpectedStatus:  200,
			ExpectedContent: []string{`"id":"{{L1}}"`, `"id":"{{L2}}"`, `"next_after":"{{L2}}"`},
			After: func(t *testing.T, env *testEnv) {
				m := env.must(t, 200, "admin", "GET", entriesURL+"?type=article&limit=2&after={{L2}}", nil)
				if its := items(t, m); len(its) != 1 || its[0]["id"] != env.get(t, "L3") || m["next_after"] != nil {
					t.Fatalf("second page: %v", m)
				}
			},
		},
		{
			Name: "list entries without a type", Method: "GET", URL: entriesURL, Headers: asAdmin,
			ExpectedStatus: 422, ExpectedProblemCode: "invalid", ExpectedDiagPaths: []string{"type"},
		},
		{
			Name: "list entries with limit 0", Method: "GET", URL: entriesURL + "?type=article&limit=0", Headers: asAdmin,
			ExpectedStatus: 422, ExpectedProblemCode: "invalid", ExpectedDiagPaths: []string{"limit"},
		},
		{
			Name: "list entries of an unknown type", Method: "GET", URL: entriesURL + "?type=nope", Headers: asAdmin,
			ExpectedStatus: 404, ExpectedProblemCode: "not_found",
		},
	}
}

// buildTree creates pages /a/, /b/, /a/c/ and /a/c/d/ (d live).
func buildTree(t *testing.T, env *testEnv) {
	a := env.createEntry(t, "admin", "a", page("A", ""))
	env.createEntry(t, "admin", "b", page("B", ""))
	c := env.createEntry(t, "admin", "c", page("C", a))
	d := env.createEntry(t, "admin", "d", page("D", c))
	if m := env.publish(t, "admin", d); m["url_path"] != "/a/c/d/" {
		t.Fatalf("tree fixture: url_path %v", m["url_path"])
	}
}

func TestEntries(t *testing.T) {
	for _, b := range []backend{sqliteBackend, postgresBackend} {
		t.Run(b.name, func(t *testing.T) {
			runScenarios(t, fresh(b), entryScenarios())
		})
	}
}

// TestConcurrentWrites races writers on one resource: exactly one wins,
// the others get a 409 (never a 5xx, never a second winner).
func TestConcurrentWrites(t *testing.T) {
	race := func(t *testing.T, n int, f func(i int) *testResponse) map[int]int {
		var mu sync.Mutex
		var wg sync.WaitGroup
		out := map[int]int{}
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res := f(i)
				mu.Lock()
				defer mu.Unlock()
				out[res.Status]++
				if res.Status >= 500 {
					t.Errorf("5xx under concurrency: %s", res)
				}
			}()
		}
		wg.Wait()
		return out
	}
	for _, b := range []backend{sqliteBackend, postgresBackend} {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			env := newEnv(t, b)
			got := race(t, 8, func(int) *testResponse { return env.call(t, "editor", "POST", entriesURL, article("Same", nil)) })
			if got[201] != 1 || got[409] != 7 {
				t.Errorf("same-slug creates: %v, want one 201 and seven 409", got)
			}
			id := env.createEntry(t, "admin", "x", article("Base", nil))
			got = race(t, 8, func(i int) *testResponse {
				return env.call(t, "admin", "PUT", entriesURL+"/"+id,
					map[string]any{"title": fmt.Sprint("Edit ", i), "base_revision_id": env.get(t, "x:rev1")})
			})
			if got[200] != 1 || got[409] != 7 {
				t.Errorf("saves on one base revision: %v, want one 200 and seven 409", got)
			}
			revs := items(t, env.must(t, 200, "admin", "GET", entriesURL+"/"+id+"/revisions", nil))
			if len(revs) != 2 {
				t.Errorf("%d revisions after the race, want 2", len(revs))
			}
			got = race(t, 4, func(int) *testResponse { return env.call(t, "admin", "POST", entriesURL+"/"+id+"/publish", nil) })
			if got[200] != 4 {
				t.Errorf("concurrent publishes of one revision: %v", got)
			}
			env.must(t, 200, "", "GET", "/api/v1/content/article/"+id, nil)
		})
	}
}

// --- Bad input: always 4xx problem+json, never 5xx ---------------------------

func TestBadInput(t *testing.T) {
	big := strings.Repeat("x", testBodyLimit)
	almost := strings.Repeat("y", testBodyLimit-200)
	noEntries := func(t *testing.T, env *testEnv) {
		for _, typ := range []string{"article", "author"} {
			m := env.must(t, 200, "admin", "GET", entriesURL+"?type="+typ, nil)
			if n := len(items(t, m)); n != 0 {
				t.Fatalf("a refused request stored %d %s entries", n, typ)
			}
		}
	}
	runScenarios(t, fresh(sqliteBackend), []apiScenario{
		{
			Name: "truncated JSON", Method: "POST", URL: entriesURL, Headers: asAdmin,
			Body:           `{"type":"author","title":`,
			ExpectedStatus: 400, ExpectedProblemCode: "malformed", ExpectedDiagPaths: []string{"body"},
			After: noEntries,
		},
		{
			Name: "JSON syntax error", Method: "POST", URL: entriesURL, Headers: asAdmin,
			Body:           `{"type" "author"}`,
			ExpectedStatus: 400, ExpectedProblemCode: "malformed", ExpectedDiagPaths: []string{"body"},
		},
		{
			Name: "trailing garbage after the JSON value", Method: "POST", URL: entriesURL, Headers: asAdmin,
			Body:           `{"type":"author","title":"Ann"} garbage`,
			ExpectedStatus: 400, ExpectedProblemCode: "malformed", ExpectedDiagPaths: []string{"body"},
			After: noEntries,
		},
		{
			Name: "two JSON values", Method: "POST", URL: entriesURL, Headers: asAdmin,
			Body:           `{"type":"author","title":"Ann"}{"type":"author","title":"Bob"}`,
			ExpectedStatus: 400, ExpectedProblemCode: "malformed",
			After: noEntries,
		},
		{
			Name: "trailing whitespace is fine", Method: "POST", URL: entriesURL, Headers: asAdmin,
			Body:           "{\"type\":\"author\",\"title\":\"Ann\"}\n\t ",
			ExpectedStatus: 201,
		},
		{
			Name: "an unknown body member", Method: "POST", URL: entriesURL, Headers: asAdmin,
			Body:           `{"type":"author","title":"Ann","colour":"red"}`,
			ExpectedStatus: 400, ExpectedProblemCode: "malformed", ExpectedDiagPaths: []string{"colour"},
			ExpectedContent: []string{"colour"},
			After:           noEntries,
		},
		{
			Name: "an unknown member on save", Method: "PUT", URL: entriesURL + "/{{a}}", Headers: asAdmin,
			Body: `{"titel":"typo"}`,
			Before: func(t *testing.T, env *testEnv) {
				env.createEntry(t, "admin", "a", article("A", nil))
			},
			ExpectedStatus: 400, ExpectedProblemCode: "malformed", ExpectedDiagPaths: []string{"titel"},
		},
		{
			Name: "an unknown member on publish", Method: "POST", URL: entriesURL + "/{{a}}/publish", Headers: asAdmin,
			Body: `{"revision":"x"}`,
			Before: func(t *testing.T, env *testEnv) {
				env.createEntry(t, "admin", "a", article("A", nil))
			},
			ExpectedStatus: 400, ExpectedProblemCode: "malformed", ExpectedDiagPaths: []string{"revision"},
			After: func(t *testing.T, env *testEnv) {
				env.must(t, 404, "", "GET", "/api/v1/content/article/{{a}}", nil)
			},
		},
		{
			Name: "a wrong member type", Method: "POST", URL: entriesURL, Headers: asAdmin,
			Body:           `{"type":"author","title":5}`,
			ExpectedStatus: 400, ExpectedProblemCode: "malformed", ExpectedDiagPaths: []string{"title"},
		},
		{
			Name: "a JSON array body", Method: "POST", URL: entriesURL, Headers: asAdmin,
			Body:           `[{"type":"author","title":"Ann"}]`,
			ExpectedStatus: 400, ExpectedProblemCode: "malformed",
		},
		{
			Name: "a JSON null body", Method: "POST", URL: entriesURL, Headers: asAdmin,
			Body:           `null`,
			ExpectedStatus: 422, ExpectedProblemCode: "invalid",
		},
		{
			Name: "no body", Method: "POST", URL: entriesURL, Headers: asAdmin,
			ExpectedStatus: 400, ExpectedProblemCode: "malformed", ExpectedDiagPaths: []string{"body"},
		},
		{
			Name: "text/plain", Method: "POST", URL: entriesURL,
			Headers:        withHeader(asAdmin, "Content-Type", "text/plain"),
			Body:           `{"type":"author","title":"Ann"}`,
			ExpectedStatus: 415, ExpectedProblemCode: "malformed",
			ExpectedContent: []string{"application/json"},
			After:           noEntries,
		},
		{
			Name: "text/plain on login", Method: "POST", URL: "/api/admin/v1/auth/token",
			Headers:        map[string]string{"Content-Type": "text/plain"},
			Body:           `{"email":"a@example.com","password":"x"}`,
			ExpectedStatus: 415, ExpectedProblemCode: "malformed",
		},
		{
			Name: "a broken Content-Type", Method: "POST", URL: entriesURL,
			Headers:        withHeader(asAdmin, "Content-Type", "application/json; charset"),
			Body:           `{"type":"author","title":"Ann"}`,
			ExpectedStatus: 415, ExpectedProblemCode: "malformed",
		},
		{
			Name: "JSON with a charset", Method: "POST", URL: entriesURL,
			Headers:        withHeader(asAdmin, "Content-Type", "application/json; charset=utf-8"),
			Body:           `{"type":"author","title":"Ann"}`,
			ExpectedStatus: 201,
		},
		{
			Name: "a +json media type", Method: "POST", URL: entriesURL,
			Headers:        withHeader(asAdmin, "Content-Type", "application/vnd.inkling+json"),
			Body:           `{"type":"author","title":"Ann"}`,
			ExpectedStatus: 201,
		},
		{
			Name: "a wrong field type", Method: "POST", URL: entriesURL, Headers: asAdmin,
			Body:           `{"type":"article","title":"X","fields":{"views":"many"}}`,
			ExpectedStatus: 422, ExpectedProblemCode: "invalid", ExpectedDiagPaths: []string{"fields.views"},
		},
		{
			Name: "a body over the limit", Method: "POST", URL: entriesURL, Headers: asAdmin, Live: true,
			Body:           `{"type":"article","title":"Big","fields":{"notes":"` + big + `"}}`,
			ExpectedStatus: 413, ExpectedProblemCode: "too_large",
			NotExpectedContent: []string{big[:100]},
			After:              noEntries,
		},
		{
			Name: "a body just under the limit", Method: "POST", URL: entriesURL, Headers: asAdmin, Live: true,
			Body:           `{"type":"article","title":"Almost","fields":{"notes":"` + almost + `"}}`,
			ExpectedStatus: 201,
		},
		{
			Name: "a body over the limit on an unauthenticated route", Method: "POST", URL: "/api/admin/v1/auth/token", Live: true,
			Body:           `{"email":"` + big + `","password":"x"}`,
			ExpectedStatus: 413, ExpectedProblemCode: "too_large",
		},
		{
			Name: "an unknown route", Method: "GET", URL: "/nope",
			ExpectedStatus: 404, ExpectedProblemCode: "not_found", ExpectedContent: []string{`"instance":"/nope"`},
		},
		{
			Name: "an unknown delivery route", Method: "GET", URL: "/api/v1/nope",
			ExpectedStatus: 404, ExpectedProblemCode: "not_found",
		},
		{
			Name: "an unknown admin route", Method: "GET", URL: "/api/admin/v1/nope", Headers: asAdmin,
			ExpectedStatus: 404, ExpectedProblemCode: "not_found",
		},
		{
			Name: "an unknown admin route without a token", Method: "GET", URL: "/api/admin/v1/nope",
			ExpectedStatus: 401, ExpectedProblemCode: "unauthorized",
		},
		{
			Name: "a write to the delivery API", Method: "POST", URL: "/api/v1/content/article",
			Body:           `{"title":"x"}`,
			ExpectedStatus: 405, ExpectedProblemCode: "malformed",
		},
		{
			Name: "health", Method: "GET", URL: "/healthz",
			ExpectedStatus: 200, ExpectedContent: []string{`"status":"ok"`, `"version":"test"`},
		},
		{
			Name: "readiness", Method: "GET", URL: "/readyz",
			ExpectedStatus: 200, ExpectedContent: []string{`"status":"ready"`, `"database":"sqlite"`},
		},
		{
			Name: "a request id is echoed", Method: "GET", URL: "/nope",
			Headers:        map[string]string{"X-Request-Id": "req-123"},
			ExpectedStatus: 404, ExpectedProblemCode: "not_found",
			ExpectedHeaders: map[string]string{"X-Request-Id": "req-123"},
			ExpectedContent: []string{`"request_id":"req-123"`},
		},
	})
}

// --- Audit --------------------------------------------------------------------

func TestAudit(t *testing.T) {
	lifecycle := func(t *testing.T, env *testEnv) {
		id := env.createEntry(t, "editor", "a", article("Audited", nil))
		env.must(t, 200, "admin", "PUT", entriesURL+"/"+id, map[string]any{"title": "Audited 2"})
		env.publish(t, "editor", id)
		env.must(t, 200, "admin", "POST", entriesURL+"/"+id+"/unpublish", nil)
		// Noise: another entry's history must not show up.
		env.createEntry(t, "admin", "", article("Other", nil))
	}
	runScenarios(t, fresh(sqliteBackend), []apiScenario{
		{
			Name: "an entry's history, newest first", Method: "GET", URL: "/api/admin/v1/audit?entry={{a}}", Headers: asAdmin,
			Before:         lifecycle,
			ExpectedStatus: 200,
			After: func(t *testing.T, env *testEnv) {
				var out struct {
					Items []struct {
						EntryID    string `json:"entry_id"`
						Action     string `json:"action"`
						ActorID    string `json:"actor_id"`
						ActorKind  string `json:"actor_kind"`
						RevisionID string `json:"revision_id"`
						Type       string `json:"type"`
					} `json:"items"`
				}
				env.Last.Decode(t, &out)
				want := []struct{ action, actor string }{
					{"unpublish", "tokenid:admin"}, {"publish", "tokenid:editor"},
					{"save", "tokenid:admin"}, {"create", "tokenid:editor"},
				}
				if len(out.Items) != len(want) {
					t.Fatalf("%d audit rows, want %d: %s", len(out.Items), len(want), env.Last.Body)
				}
				for i, w := range want {
					it := out.Items[i]
					if it.Action != w.action || it.ActorID != env.get(t, w.actor) || it.ActorKind != "token" ||
						it.EntryID != env.get(t, "a") || it.Type != "article" {
						t.Errorf("row %d = %+v, want %s by %s", i, it, w.action, w.actor)
					}
				}
				if out.Items[3].RevisionID != env.get(t, "a:rev1") || out.Items[1].RevisionID == "" {
					t.Errorf("revision ids: %s", env.Last.Body)
				}
			},
		},
		{
			Name: "filter by action", Method: "GET", URL: "/api/admin/v1/audit?entry={{a}}&action=publish", Headers: asAdmin,
			Before:             lifecycle,
			ExpectedStatus:     200,
			ExpectedContent:    []string{`"action":"publish"`},
			NotExpectedContent: []string{`"action":"save"`, `"action":"create"`, `"action":"unpublish"`},
		},
		{
			Name: "an empty history", Method: "GET", URL: "/api/admin/v1/audit?entry=nope", Headers: asAdmin,
			ExpectedStatus: 200, ExpectedContent: []string{`{"items":[]}`},
		},
		{
			Name: "editors may not read the audit log", Method: "GET", URL: "/api/admin/v1/audit", Headers: asEditor,
			ExpectedStatus: 403, ExpectedProblemCode: "forbidden",
		},
	})
}
