//go:build unix

package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestE2EBrowserSession: a cookie session (HttpOnly, SameSite=Strict) works
// for reads, needs a same-site Origin for changes (CSRF), opens River's UI
// at /admin/jobs for admins only, and ends on sign-out.
func TestE2EBrowserSession(t *testing.T) {
	bin := buildInkling(t, t.TempDir())
	env := append(hermeticEnv(), "INKLING_LOG_FORMAT=text")
	dataDir := t.TempDir()
	runCLI(t, bin, env, "--data", dataDir, "users", "create", "--email", "ada@example.org", "--password", "correct horse battery", "--role", "admin")
	runCLI(t, bin, env, "--data", dataDir, "users", "create", "--email", "ed@example.org", "--password", "correct horse battery", "--role", "editor")
	p := startProc(t, bin, dataDir, env)
	host := strings.TrimPrefix(p.base, "http://")

	login := func(email string) *http.Cookie {
		t.Helper()
		resp, err := http.Post(p.base+"/api/admin/v1/auth/session", "application/json",
			strings.NewReader(`{"email":"`+email+`","password":"correct horse battery"}`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		for _, c := range resp.Cookies() {
			if c.Name == "inkling_session" {
				if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
					t.Fatalf("cookie flags: %+v", c)
				}
				if b, _ := io.ReadAll(resp.Body); strings.Contains(string(b), c.Value) {
					t.Fatal("the session token is in the response body")
				}
				return c
			}
		}
		t.Fatalf("no session cookie (status %d)", resp.StatusCode)
		return nil
	}
	do := func(method, path string, ck *http.Cookie, origin, body string) int {
		t.Helper()
		req, _ := http.NewRequest(method, p.base+path, strings.NewReader(body))
		if ck != nil {
			req.AddCookie(ck)
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	admin, editor := login("ada@example.org"), login("ed@example.org")
	typ := `{"key":"note","label":"Note","fields":[]}`
	for _, tc := range []struct {
		name         string
		method, path string
		ck           *http.Cookie
		origin, body string
		want         int
	}{
		{"read with the cookie", "GET", "/api/admin/v1/me", admin, "", "", 200},
		{"no cookie", "GET", "/api/admin/v1/me", nil, "", "", 401},
		{"change without Origin", "POST", "/api/admin/v1/content-types", admin, "", typ, 403},
		{"change from another site", "POST", "/api/admin/v1/content-types", admin, "https://evil.example", typ, 403},
		{"change from this site", "POST", "/api/admin/v1/content-types", admin, "http://" + host, typ, 201},
		{"River UI for an admin", "GET", "/admin/jobs/", admin, "", "", 200},
		{"River UI API for an admin", "GET", "/admin/jobs/api/queues", admin, "", "", 200},
		{"River UI for an editor", "GET", "/admin/jobs/", editor, "", "", 403},
		{"River UI without a session", "GET", "/admin/jobs/", nil, "", "", 401},
		{"sign out", "DELETE", "/api/admin/v1/auth/session", admin, "http://" + host, "", 204},
		{"the session is over", "GET", "/api/admin/v1/me", admin, "", "", 401},
	} {
		if got := do(tc.method, tc.path, tc.ck, tc.origin, tc.body); got != tc.want {
			t.Errorf("%s: %s %s → %d, want %d", tc.name, tc.method, tc.path, got, tc.want)
		}
	}
}
