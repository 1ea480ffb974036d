package deliveryclient_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/gofiber/fiber/v3"
	"github.com/inklingcms/inkling/api"
	"github.com/inklingcms/inkling/api/deliveryclient"
	"github.com/inklingcms/inkling/api/deliveryclient/fixture"
	"github.com/inklingcms/inkling/engine/auth"
	"github.com/inklingcms/inkling/engine/delivery"
	"github.com/inklingcms/inkling/engine/entries"
	"github.com/inklingcms/inkling/engine/registry"
	"github.com/inklingcms/inkling/engine/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// TestGeneratedFilesAreCurrent: openapi.json is what the server generates
// for the fixture types today, and client.gen.go is what oapi-codegen
// generates from it (run `go generate ./api/deliveryclient` to refresh).
func TestGeneratedFilesAreCurrent(t *testing.T) {
	want, err := json.MarshalIndent(fixture.Document(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(bytes.TrimSpace(got), bytes.TrimSpace(want)) {
		t.Fatal("openapi.json is stale: run go generate ./api/deliveryclient")
	}
	out := filepath.Join(t.TempDir(), "client.gen.go")
	cmd := exec.Command("go", "tool", "oapi-codegen", "-generate", "types,client", "-package", "deliveryclient", "-o", out, "openapi.json")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("oapi-codegen: %v\n%s", err, b)
	}
	gen, _ := os.ReadFile(out)
	committed, _ := os.ReadFile("client.gen.go")
	if !bytes.Equal(gen, committed) {
		t.Fatal("client.gen.go is stale: run go generate ./api/deliveryclient")
	}
}

// TestRoundTrip drives a real server with the generated client.
func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	db := testdb.SQLite(t)
	types := registry.New(db)
	for _, ct := range fixture.Types() {
		if _, err := types.Register(ctx, ct, nil); err != nil {
			t.Fatal(err)
		}
	}
	authSvc := auth.New(db, nil)
	ents := entries.New(db, types, authSvc, nil)
	srv := api.New(api.Deps{DB: db, Types: types, Entries: ents, Delivery: delivery.New(db, types), Auth: authSvc, Version: "test"})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.App.Listener(ln, fiber.ListenConfig{DisableStartupMessage: true}) }()
	t.Cleanup(func() { _ = srv.App.Shutdown() })

	admin := auth.Principal{Kind: auth.KindToken, ID: "t", Role: auth.RoleAdmin}
	mk := func(typ, title string, fields map[string]any) string {
		t.Helper()
		b, _ := json.Marshal(fields)
		d, err := ents.Create(ctx, admin, entries.CreateInput{Type: typ, Title: title, Fields: b})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ents.Publish(ctx, admin, d.ID, entries.PublishInput{}); err != nil {
			t.Fatal(err)
		}
		return d.ID
	}
	author := mk("author", "George MacDonald", map[string]any{"born": 1824})
	mk("article", "Lilith", map[string]any{"summary": "A late fantasy.", "rating": 4.5, "published_on": "1895-01-01", "featured": true,
		"category": "essay", "tags": []string{"myth"}, "author": author,
		"body": []any{map[string]any{"type": "para", "value": "Mr **Vane**."}, map[string]any{"type": "quote", "value": map[string]any{"text": "Back to the house"}}}})
	mk("article", "Phantastes", map[string]any{"summary": "A faerie romance."})

	c, err := deliveryclient.NewClientWithResponses("http://" + ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	expand := "author"
	got, err := c.GetArticleWithResponse(ctx, "lilith", &deliveryclient.GetArticleParams{Expand: &expand})
	if err != nil || got.JSON200 == nil {
		t.Fatalf("get: %v %s", err, got.Body)
	}
	a := got.JSON200
	if a.Title != "Lilith" || *a.Fields.Summary != "A late fantasy." || *a.Fields.Rating != 4.5 || a.Fields.PublishedOn.String() != "1895-01-01" ||
		!*a.Fields.Featured || *a.Fields.Category != "essay" || (*a.Fields.Tags)[0] != "myth" {
		t.Fatalf("decoded article: %+v", a)
	}
	body := *a.Fields.Body
	para, err := body[0].AsArticleFieldsBody0()
	if err != nil || para.Value.Html != "<p>Mr <strong>Vane</strong>.</p>\n" {
		t.Fatalf("paragraph block: %+v %v", para, err)
	}
	quote, err := body[1].AsArticleFieldsBody1()
	if err != nil || quote.Value.Text != "Back to the house" || quote.Id == "" {
		t.Fatalf("quote block: %+v %v", quote, err)
	}
	expanded, err := a.Fields.Author.AsArticleFieldsAuthor1()
	if err != nil || expanded["title"] != "George MacDonald" {
		t.Fatalf("expanded author: %v %v", expanded, err)
	}
	// Pagination through the typed page.
	limit, seen := 1, 0
	params := &deliveryclient.ListArticleParams{Limit: &limit}
	for {
		page, err := c.ListArticleWithResponse(ctx, params)
		if err != nil || page.JSON200 == nil {
			t.Fatalf("list: %v %s", err, page.Body)
		}
		seen += len(page.JSON200.Items)
		if page.JSON200.NextCursor == nil {
			break
		}
		params.Cursor = page.JSON200.NextCursor
	}
	if seen != 2 {
		t.Fatalf("paginated %d articles, want 2", seen)
	}
	// Errors decode as problems.
	missing, err := c.GetArticleWithResponse(ctx, "nope", nil)
	if err != nil || missing.ApplicationproblemJSON404 == nil || missing.ApplicationproblemJSON404.Code != "not_found" {
		t.Fatalf("404: %v %s", err, missing.Body)
	}
	bad := 0
	invalid, err := c.ListArticleWithResponse(ctx, &deliveryclient.ListArticleParams{Limit: &bad})
	if err != nil || invalid.ApplicationproblemJSON422 == nil || (*invalid.ApplicationproblemJSON422.Diagnostics)[0].Path == nil {
		t.Fatalf("422: %v %s", err, invalid.Body)
	}
}
