//go:build unix

package main

// End-to-end tests: the real binary, built once per run, serving HTTP on a
// loopback port, on SQLite (`serve --data DIR`, nothing else) and on
// PostgreSQL (the same, plus INKLING_DATABASE_URL). Every scenario gets its
// own server and database, so each can run alone:
//
//	go test ./cmd/inkling/ -run 'E2E/postgres/bad_input' -v
//
// Set INKLING_REQUIRE_SERVICES=1 to make a missing PostgreSQL a failure
// instead of a skip.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestE2E(t *testing.T) {
	bin := buildInkling(t, t.TempDir())
	scenarios := []struct {
		name string
		run  func(t *testing.T, in *instance)
	}{
		{"publish_and_deliver", testPublishAndDeliver},
		{"draft_after_publish", testDraftAfterPublish},
		{"bad_input", testBadInput},
		{"auth", testAuth},
		{"health_and_openapi", testHealthAndOpenAPI},
	}
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			for _, sc := range scenarios {
				t.Run(sc.name, func(t *testing.T) {
					in := startInkling(t, bin, be)
					in.registerEventType(t)
					sc.run(t, in)
				})
			}
		})
	}
}

// eventFixture is one entry of testPublishAndDeliver.
type eventFixture struct {
	title string
	year  int // 0: no year
	tags  []string
	draft bool // never published
}

// testPublishAndDeliver creates drafts, publishes them, and reads them back
// through the delivery API: single reads by slug and id, rendered richtext,
// block ids, filters, sorts and cursor pagination.
func testPublishAndDeliver(t *testing.T, in *instance) {
	const para = "Hello **world** <script>alert('pwned')</script>"
	fixtures := []eventFixture{
		{"Alpha", 2020, []string{"x", "go"}, false},
		{"Bravo", 2021, []string{"y"}, false},
		{"Charlie", 2022, []string{"x"}, false},
		{"Delta", 2023, nil, false},
		{"Echo", 2024, []string{"x", "y"}, false},
		{"Foxtrot", 2025, []string{"x"}, true}, // a draft matches filters but must never be delivered
		{"Golf", 0, []string{"z"}, false},      // no year: sorts last
		{"Hotel", 2021, []string{"y"}, false},  // same year as Bravo: ties break by id
	}
	ids := map[string]string{} // slug → id
	var alpha entry
	var published []string // slugs
	for _, f := range fixtures {
		fields := map[string]any{"venue": "Hall " + f.title}
		if f.year != 0 {
			fields["year"] = f.year
		}
		if f.tags != nil {
			fields["tags"] = f.tags
		}
		switch f.title {
		case "Alpha":
			fields["body"] = []any{
				map[string]any{"type": "para", "value": para}, // no id: the server assigns one
				map[string]any{"type": "quote", "id": "b1", "value": map[string]any{"text": "Be bold", "caption": "Anon"}},
			}
		case "Delta":
			fields["related"] = ids["alpha"]
		}
		e := in.createEntry(t, map[string]any{"type": "event", "title": f.title, "fields": fields})
		slug := strings.ToLower(f.title)
		if e.Slug != slug {
			t.Fatalf("create %s: slug %q, want %q derived from the title", f.title, e.Slug, slug)
		}
		ids[slug] = e.ID
		if f.title == "Alpha" {
			alpha = e
		}
		if !f.draft {
			in.publish(t, e.ID)
			published = append(published, slug)
		}
	}
	// Before the first publish nothing is delivered; by now exactly the
	// published entries are.

	t.Run("get_by_slug_and_id", func(t *testing.T) {
		bySlug := in.deliveryGet(t, "alpha")
		expect(t, bySlug, http.StatusOK)
		byID := in.deliveryGet(t, ids["alpha"])
		expect(t, byID, http.StatusOK)
		a, b := decode[map[string]any](t, bySlug), decode[map[string]any](t, byID)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("by slug and by id differ:\n%s\n%s", bySlug, byID)
		}
		it := decode[item](t, bySlug)
		if it.ID != ids["alpha"] || it.Type != "event" || it.Title != "Alpha" || it.Slug != "alpha" ||
			it.FirstPublishedAt.IsZero() || it.PublishedAt.IsZero() {
			t.Errorf("unexpected delivered entry:\n%s", bySlug)
		}
		if it.Fields["venue"] != "Hall Alpha" || it.Fields["year"] != float64(2020) ||
			!reflect.DeepEqual(it.Fields["tags"], []any{"x", "go"}) {
			t.Errorf("unexpected delivered fields: %v", it.Fields)
		}
		// A draft is not delivered, by slug or by id.
		expectProblem(t, in.deliveryGet(t, "foxtrot"), http.StatusNotFound, "not_found", "")
		expectProblem(t, in.deliveryGet(t, ids["foxtrot"]), http.StatusNotFound, "not_found", "")
	})

	t.Run("richtext_and_block_ids", func(t *testing.T) {
		it := decode[item](t, in.deliveryGet(t, "alpha"))
		body, ok := it.Fields["body"].([]any)
		if !ok || len(body) != 2 {
			t.Fatalf("fields.body: want 2 blocks, got %#v", it.Fields["body"])
		}
		p, _ := body[0].(map[string]any)
		q, _ := body[1].(map[string]any)
		// Block ids: assigned when missing, kept when sent, and the same
		// in the stored draft as in delivery.
		pid, _ := p["id"].(string)
		if pid == "" || pid == "b1" || p["type"] != "para" {
			t.Errorf("para block: want a fresh id and type para, got %v", p)
		}
		draftBody, _ := alpha.LatestRevision.Fields["body"].([]any)
		if len(draftBody) != 2 || draftBody[0].(map[string]any)["id"] != pid {
			t.Errorf("para block id %q differs from the stored draft's %v", pid, draftBody)
		}
		if q["id"] != "b1" || q["type"] != "quote" ||
			!reflect.DeepEqual(q["value"], map[string]any{"text": "Be bold", "caption": "Anon"}) {
			t.Errorf("quote block: want id b1 and its value unchanged, got %v", q)
		}
		// Richtext is delivered as {"markdown", "html"}, the HTML sanitised.
		v, _ := p["value"].(map[string]any)
		if got := slices.Sorted(maps.Keys(v)); !reflect.DeepEqual(got, []string{"html", "markdown"}) {
			t.Fatalf("richtext value: want exactly markdown and html, got %v", p["value"])
		}
		html, _ := v["html"].(string)
		if v["markdown"] != para {
			t.Errorf("markdown = %q, want the source %q", v["markdown"], para)
		}
		if !strings.Contains(html, "<strong>world</strong>") {
			t.Errorf("html %q does not render the markdown", html)
		}
		if l := strings.ToLower(html); strings.Contains(l, "<script") || strings.Contains(l, "</script") {
			t.Errorf("html %q keeps the <script>", html)
		}
	})

	t.Run("expand_reference", func(t *testing.T) {
		plain := decode[item](t, in.deliveryGet(t, "delta"))
		if plain.Fields["related"] != ids["alpha"] {
			t.Errorf("related = %v, want alpha's id %s", plain.Fields["related"], ids["alpha"])
		}
		r := in.do(t, "GET", "/api/v1/content/event/delta?expand=related", nil)
		expect(t, r, http.StatusOK)
		rel, _ := decode[item](t, r).Fields["related"].(map[string]any)
		if rel["id"] != ids["alpha"] || rel["title"] != "Alpha" {
			t.Errorf("expand=related: want the Alpha entry, got %v", rel)
		}
	})

	t.Run("list", func(t *testing.T) {
		r := in.do(t, "GET", "/api/v1/content/event", nil)
		expect(t, r, http.StatusOK)
		pg := decode[page](t, r)
		if got := sorted(slugsOf(pg.Items)); !reflect.DeepEqual(got, sorted(published)) {
			t.Errorf("list: got %v, want exactly the published %v", got, sorted(published))
		}
		if pg.NextCursor != nil {
			t.Errorf("list: a single page has next_cursor %q", *pg.NextCursor)
		}
		// The list shows the same document as a single read.
		one := decode[map[string]any](t, in.deliveryGet(t, "alpha"))
		for _, raw := range decode[struct{ Items []map[string]any }](t, r).Items {
			if raw["slug"] == "alpha" && !reflect.DeepEqual(raw, one) {
				t.Errorf("list item and single read differ:\n%v\n%v", raw, one)
			}
		}
	})

	t.Run("filters", func(t *testing.T) {
		for _, tc := range []struct {
			query url.Values
			want  []string
		}{
			{url.Values{"filter[tags]": {"x"}}, []string{"alpha", "charlie", "echo"}},
			{url.Values{"filter[year][gte]": {"2022"}}, []string{"charlie", "delta", "echo"}},
			{url.Values{"filter[year][lt]": {"2022"}, "filter[tags]": {"y"}}, []string{"bravo", "hotel"}},
			{url.Values{"filter[year][in]": {"2020,2024"}}, []string{"alpha", "echo"}},
			{url.Values{"filter[year][ne]": {"2021"}}, []string{"alpha", "charlie", "delta", "echo", "golf"}},
			{url.Values{"filter[venue]": {"Hall Golf"}}, []string{"golf"}},
			{url.Values{"filter[tags]": {"nothing"}}, []string{}},
		} {
			name, _ := url.QueryUnescape(tc.query.Encode())
			t.Run(name, func(t *testing.T) {
				r := in.do(t, "GET", "/api/v1/content/event?"+tc.query.Encode(), nil)
				expect(t, r, http.StatusOK)
				if got := sorted(slugsOf(decode[page](t, r).Items)); !slices.Equal(got, tc.want) {
					t.Errorf("got %v, want %v", got, tc.want)
				}
			})
		}
	})

	t.Run("sort_by_year_desc", func(t *testing.T) {
		r := in.do(t, "GET", "/api/v1/content/event?sort=-year", nil)
		expect(t, r, http.StatusOK)
		var years []any
		for _, it := range decode[page](t, r).Items {
			years = append(years, it.Fields["year"])
		}
		want := []any{2024.0, 2023.0, 2022.0, 2021.0, 2021.0, 2020.0, nil} // entries without a year last
		if !reflect.DeepEqual(years, want) {
			t.Errorf("sort=-year: years %v, want %v", years, want)
		}
	})

	t.Run("cursor_pagination", func(t *testing.T) {
		for _, tc := range []struct {
			name  string
			query url.Values
			want  []string // slugs, any order
		}{
			{"default_sort", url.Values{}, published},
			{"sort=-year", url.Values{"sort": {"-year"}}, published},
			{"sort=year", url.Values{"sort": {"year"}}, published},
			{"sort=title", url.Values{"sort": {"title"}}, published},
			{"sort=-published_at", url.Values{"sort": {"-published_at"}}, published},
			{"sort=venue", url.Values{"sort": {"venue"}}, published},
			{"filter[tags]=y&sort=-year", url.Values{"filter[tags]": {"y"}, "sort": {"-year"}}, []string{"bravo", "echo", "hotel"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				// The order of one big page is the reference.
				all := url.Values{"limit": {"100"}}
				for k, v := range tc.query {
					all[k] = v
				}
				r := in.do(t, "GET", "/api/v1/content/event?"+all.Encode(), nil)
				expect(t, r, http.StatusOK)
				wantOrder := slugsOf(decode[page](t, r).Items)
				if !reflect.DeepEqual(sorted(wantOrder), sorted(tc.want)) {
					t.Fatalf("one page: got %v, want %v", wantOrder, sorted(tc.want))
				}

				var got []string
				cursor, pages := "", 0
				for {
					q := url.Values{"limit": {"2"}}
					for k, v := range tc.query {
						q[k] = v
					}
					if cursor != "" {
						q.Set("cursor", cursor)
					}
					r := in.do(t, "GET", "/api/v1/content/event?"+q.Encode(), nil)
					expect(t, r, http.StatusOK)
					pg := decode[page](t, r)
					pages++
					if pg.Limit != 2 || len(pg.Items) > 2 {
						t.Fatalf("page %d: limit %d with %d items:\n%s", pages, pg.Limit, len(pg.Items), r)
					}
					got = append(got, slugsOf(pg.Items)...)
					if pg.NextCursor == nil {
						break
					}
					if len(pg.Items) != 2 {
						t.Fatalf("page %d: a page with a next_cursor holds %d items, want 2", pages, len(pg.Items))
					}
					if pages > 20 {
						t.Fatalf("pagination does not end; so far %v", got)
					}
					cursor = *pg.NextCursor
				}
				seen := map[string]int{}
				for _, s := range got {
					seen[s]++
				}
				for s, n := range seen {
					if n != 1 {
						t.Errorf("%s returned %d times", s, n)
					}
				}
				if !reflect.DeepEqual(sorted(got), sorted(tc.want)) {
					t.Errorf("pages returned %v, want every one of %v exactly once", got, sorted(tc.want))
				}
				if !reflect.DeepEqual(got, wantOrder) {
					t.Errorf("pages returned order %v, one page gives %v", got, wantOrder)
				}
				if wantPages := (len(tc.want) + 1) / 2; pages != wantPages {
					t.Errorf("%d pages, want %d", pages, wantPages)
				}
			})
		}
	})
}

// testDraftAfterPublish checks that saving a draft of a live entry does not
// change what the delivery API serves until it is published, and that
// unpublishing removes the entry from delivery.
func testDraftAfterPublish(t *testing.T, in *instance) {
	e := in.createEntry(t, map[string]any{"type": "event", "title": "Original",
		"fields": map[string]any{"venue": "Old Hall", "year": 2020, "tags": []string{"old"}}})
	expectProblem(t, in.deliveryGet(t, e.ID), http.StatusNotFound, "not_found", "")
	in.publish(t, e.ID)
	first := decode[item](t, in.deliveryGet(t, "original"))

	// listed returns the slugs delivered for a query.
	listed := func(t *testing.T, query string) []string {
		t.Helper()
		r := in.do(t, "GET", "/api/v1/content/event"+query, nil)
		expect(t, r, http.StatusOK)
		return slugsOf(decode[page](t, r).Items)
	}
	// expectLive checks what delivery serves for the entry.
	expectLive := func(t *testing.T, slug, title, venue string, year float64, tag string) item {
		t.Helper()
		for _, key := range []string{e.ID, slug} {
			r := in.deliveryGet(t, key)
			expect(t, r, http.StatusOK)
			it := decode[item](t, r)
			if it.ID != e.ID || it.Slug != slug || it.Title != title || it.Fields["venue"] != venue || it.Fields["year"] != year ||
				!reflect.DeepEqual(it.Fields["tags"], []any{tag}) {
				t.Fatalf("GET %s: want %s %q at %s, %v, [%s]; got:\n%s", key, slug, title, venue, year, tag, r)
			}
		}
		for _, q := range []string{"", "?filter[venue]=" + url.QueryEscape(venue), fmt.Sprintf("?filter[year]=%v", year), "?filter[tags]=" + tag} {
			if got := listed(t, q); !reflect.DeepEqual(got, []string{slug}) {
				t.Fatalf("list%s: got %v, want [%s]", q, got, slug)
			}
		}
		return decode[item](t, in.deliveryGet(t, e.ID))
	}
	expectLive(t, "original", "Original", "Old Hall", 2020, "old")

	// A new draft: every value changes, the slug too.
	d := in.saveEntry(t, e.ID, map[string]any{"title": "Renamed", "slug": "renamed", "base_revision_id": *e.LatestRevisionID,
		"fields": map[string]any{"venue": "New Hall", "year": 2021, "tags": []string{"new"}}})
	if !d.Live || !d.HasUnpublishedChanges || d.LatestRevision == nil || d.LatestRevision.Number != 2 || d.LatestRevision.Title != "Renamed" {
		t.Fatalf("save after publish: want a live entry with unpublished revision 2, got %+v", d)
	}
	t.Run("draft_not_delivered", func(t *testing.T) {
		it := expectLive(t, "original", "Original", "Old Hall", 2020, "old")
		if !it.PublishedAt.Equal(first.PublishedAt) {
			t.Errorf("published_at moved from %s to %s without a publish", first.PublishedAt, it.PublishedAt)
		}
		expectProblem(t, in.deliveryGet(t, "renamed"), http.StatusNotFound, "not_found", "")
		for _, q := range []string{"?filter[venue]=New+Hall", "?filter[year]=2021", "?filter[tags]=new"} {
			if got := listed(t, q); len(got) != 0 {
				t.Errorf("list%s: the unpublished draft's values match %v", q, got)
			}
		}
		m := in.getEntry(t, e.ID)
		if !m.Live || !m.HasUnpublishedChanges || *m.LatestRevisionID == *m.LiveRevisionID {
			t.Errorf("management view: want live with unpublished changes, got %+v", m)
		}
	})

	t.Run("published_again", func(t *testing.T) {
		p := in.publish(t, e.ID)
		if p.HasUnpublishedChanges || *p.LiveRevisionID != d.LatestRevision.ID {
			t.Errorf("publish: want revision %s live with nothing unpublished, got %+v", d.LatestRevision.ID, p)
		}
		it := expectLive(t, "renamed", "Renamed", "New Hall", 2021, "new")
		if !it.FirstPublishedAt.Equal(first.FirstPublishedAt) {
			t.Errorf("first_published_at changed from %s to %s", first.FirstPublishedAt, it.FirstPublishedAt)
		}
		if it.PublishedAt.Before(first.PublishedAt) {
			t.Errorf("published_at went back from %s to %s", first.PublishedAt, it.PublishedAt)
		}
		expectProblem(t, in.deliveryGet(t, "original"), http.StatusNotFound, "not_found", "")
		for _, q := range []string{"?filter[venue]=Old+Hall", "?filter[year]=2020", "?filter[tags]=old"} {
			if got := listed(t, q); len(got) != 0 {
				t.Errorf("list%s: the previous live values still match %v", q, got)
			}
		}
	})

	t.Run("unpublished", func(t *testing.T) {
		r := in.do(t, "POST", "/api/admin/v1/entries/"+e.ID+"/unpublish", nil)
		expect(t, r, http.StatusOK)
		if u := decode[entry](t, r); u.Live {
			t.Errorf("unpublish: entry still live: %+v", u)
		}
		for _, key := range []string{e.ID, "renamed", "original"} {
			expectProblem(t, in.deliveryGet(t, key), http.StatusNotFound, "not_found", "")
		}
		for _, q := range []string{"", "?filter[venue]=New+Hall", "?filter[year]=2021", "?filter[tags]=new", "?sort=-year"} {
			if got := listed(t, q); len(got) != 0 {
				t.Errorf("list%s after unpublish: got %v, want nothing", q, got)
			}
		}
		// Its content stays in the management API.
		if m := in.getEntry(t, e.ID); m.Live || m.LatestRevision == nil || m.LatestRevision.Title != "Renamed" {
			t.Errorf("management view after unpublish: %+v", m)
		}
		// Publishing again brings it back.
		in.publish(t, e.ID)
		expectLive(t, "renamed", "Renamed", "New Hall", 2021, "new")
	})
}

// testBadInput sends bad requests and checks that each gets a precise
// problem+json and writes nothing: the number of entries of the type and
// the revisions of an existing entry are the same afterwards.
func testBadInput(t *testing.T, in *instance) {
	existing := in.createEntry(t, map[string]any{"type": "event", "title": "Existing",
		"fields": map[string]any{"venue": "Hall", "year": 2020,
			"body": []any{map[string]any{"type": "quote", "id": "b1", "value": map[string]any{"text": "ok"}}}}})
	rev1 := existing.LatestRevision.ID
	in.publish(t, existing.ID)
	in.saveEntry(t, existing.ID, map[string]any{"title": "Existing v2"}) // revision 2: rev1 is stale now
	entryPath := "/api/admin/v1/entries/" + existing.ID

	valid := func(extra map[string]any) map[string]any { // a valid create body, changed by extra
		fields := map[string]any{"venue": "Hall", "year": 2021}
		body := map[string]any{"type": "event", "title": "New", "fields": fields}
		for k, v := range extra {
			if strings.HasPrefix(k, "fields.") {
				k = strings.TrimPrefix(k, "fields.")
				if v == nil {
					delete(fields, k)
				} else {
					fields[k] = v
				}
			} else {
				body[k] = v
			}
		}
		return body
	}
	longCaption := strings.Repeat("c", 21)
	badQuote := []any{
		map[string]any{"type": "para", "value": "fine"},
		map[string]any{"type": "quote", "id": "b1", "value": map[string]any{"text": "t", "caption": longCaption}},
	}
	// A well-formed document just over 10 MB, refused for its size alone
	// (the limit is 4 MiB). The server answers 413 after reading the
	// headers; its lingering close (api.LingeringListener) lets an ordinary
	// client read that answer instead of a connection reset.
	huge := []byte(`{"type":"event","title":"Huge","fields":{"venue":"` + strings.Repeat("a", 10<<20) + `"}}`)

	cases := []struct {
		name   string
		method string
		path   string
		body   any
		opts   []reqOption
		status int
		code   string
		diag   string // "" when no diagnostic path is expected
	}{
		{name: "malformed JSON on create", method: "POST", path: "/api/admin/v1/entries",
			body: `{"type":"event","title":"x","fields":{`, status: 400, code: "malformed", diag: "body"},
		{name: "malformed JSON on save", method: "PUT", path: entryPath,
			body: `{"title": "x",}`, status: 400, code: "malformed", diag: "body"},
		{name: "two JSON values", method: "POST", path: "/api/admin/v1/entries",
			body: `{"type":"event","title":"x","fields":{"venue":"v"}} {}`, status: 400, code: "malformed", diag: "body"},
		{name: "unknown body member", method: "POST", path: "/api/admin/v1/entries",
			body: valid(map[string]any{"colour": "red"}), status: 400, code: "malformed", diag: "colour"},
		{name: "empty body", method: "POST", path: "/api/admin/v1/entries",
			body: "", status: 400, code: "malformed", diag: "body"},
		{name: "not JSON media type", method: "POST", path: "/api/admin/v1/entries",
			body: valid(nil), opts: []reqOption{withContentType("text/plain")}, status: 415, code: "malformed"},
		{name: "wrong field type on create", method: "POST", path: "/api/admin/v1/entries",
			body: valid(map[string]any{"fields.year": "twenty"}), status: 422, code: "invalid", diag: "fields.year"},
		{name: "wrong field type on save", method: "PUT", path: entryPath,
			body: map[string]any{"fields": map[string]any{"venue": "Hall", "year": 20.5}}, status: 422, code: "invalid", diag: "fields.year"},
		{name: "missing required field on create", method: "POST", path: "/api/admin/v1/entries",
			body: valid(map[string]any{"fields.venue": nil}), status: 422, code: "invalid", diag: "fields.venue"},
		{name: "missing required field on save", method: "PUT", path: entryPath,
			body: map[string]any{"fields": map[string]any{"year": 2022}}, status: 422, code: "invalid", diag: "fields.venue"},
		{name: "unknown field", method: "POST", path: "/api/admin/v1/entries",
			body: valid(map[string]any{"fields.nope": 1}), status: 422, code: "invalid", diag: "fields.nope"},
		{name: "missing title", method: "POST", path: "/api/admin/v1/entries",
			body: valid(map[string]any{"title": " "}), status: 422, code: "invalid", diag: "title"},
		{name: "bad slug", method: "POST", path: "/api/admin/v1/entries",
			body: valid(map[string]any{"slug": "Not A Slug"}), status: 422, code: "invalid", diag: "slug"},
		{name: "slug taken", method: "POST", path: "/api/admin/v1/entries",
			body: valid(map[string]any{"slug": "existing"}), status: 409, code: "conflict", diag: "slug"},
		{name: "reference to a missing entry", method: "POST", path: "/api/admin/v1/entries",
			body: valid(map[string]any{"fields.related": "00000000-0000-7000-8000-000000000000"}), status: 422, code: "invalid", diag: "fields.related"},
		{name: "unknown content type on create", method: "POST", path: "/api/admin/v1/entries",
			body: valid(map[string]any{"type": "nope"}), status: 422, code: "invalid", diag: "type"},
		{name: "bad nested block value on create", method: "POST", path: "/api/admin/v1/entries",
			body: valid(map[string]any{"fields.body": badQuote}), status: 422, code: "invalid", diag: "fields.body[b1].value.caption"},
		{name: "bad nested block value on save", method: "PUT", path: entryPath,
			body: map[string]any{"fields": map[string]any{"venue": "Hall", "body": badQuote}}, status: 422, code: "invalid", diag: "fields.body[b1].value.caption"},
		{name: "missing nested required member", method: "POST", path: "/api/admin/v1/entries",
			body:   valid(map[string]any{"fields.body": []any{map[string]any{"type": "quote", "id": "q9", "value": map[string]any{"caption": "c"}}}}),
			status: 422, code: "invalid", diag: "fields.body[q9].value.text"},
		{name: "unknown block type", method: "POST", path: "/api/admin/v1/entries",
			body:   valid(map[string]any{"fields.body": []any{map[string]any{"type": "video", "value": "x"}}}),
			status: 422, code: "invalid", diag: "fields.body[0].type"},
		{name: "duplicate block id", method: "POST", path: "/api/admin/v1/entries",
			body: valid(map[string]any{"fields.body": []any{
				map[string]any{"type": "para", "id": "dup", "value": "a"},
				map[string]any{"type": "para", "id": "dup", "value": "b"}}}),
			status: 422, code: "invalid", diag: "fields.body[1].id"},
		{name: "stale base revision", method: "PUT", path: entryPath,
			body: map[string]any{"title": "Lost update", "base_revision_id": rev1}, status: 409, code: "conflict"},
		{name: "unknown entry", method: "PUT", path: "/api/admin/v1/entries/00000000-0000-7000-8000-000000000000",
			body: map[string]any{"title": "x"}, status: 404, code: "not_found"},
		{name: "10 MB body", method: "POST", path: "/api/admin/v1/entries",
			body: huge, status: 413, code: "too_large"},
		{name: "10 MB chunked body", method: "PUT", path: entryPath,
			body: bytes.NewReader(huge), status: 413, code: "too_large"},
		{name: "unknown content type on delivery", method: "GET", path: "/api/v1/content/nope",
			status: 404, code: "not_found"},
		{name: "unknown filter field", method: "GET", path: "/api/v1/content/event?filter[nope]=1",
			status: 422, code: "invalid", diag: "filter[nope]"},
		{name: "unindexed filter field", method: "GET", path: "/api/v1/content/event?filter%5Brelated%5D=x",
			status: 422, code: "invalid", diag: "filter[related]"},
		{name: "unknown filter operator", method: "GET", path: "/api/v1/content/event?filter[year][like]=1",
			status: 422, code: "invalid", diag: "filter[year][like]"},
		{name: "filter value of the wrong type", method: "GET", path: "/api/v1/content/event?filter[year][gte]=soon",
			status: 422, code: "invalid", diag: "filter[year][gte]"},
		{name: "unknown sort field", method: "GET", path: "/api/v1/content/event?sort=-nope",
			status: 422, code: "invalid", diag: "sort"},
		{name: "limit out of range", method: "GET", path: "/api/v1/content/event?limit=1000",
			status: 422, code: "invalid", diag: "limit"},
		{name: "forged cursor", method: "GET", path: "/api/v1/content/event?cursor=bm90LWEtY3Vyc29y",
			status: 422, code: "invalid", diag: "cursor"},
		{name: "unknown query parameter", method: "GET", path: "/api/v1/content/event?colour=red",
			status: 422, code: "invalid", diag: "colour"},
	}

	wantEntries := in.entryIDs(t, "event")
	wantRevisions := in.revisionIDs(t, existing.ID)
	if len(wantEntries) != 1 || len(wantRevisions) != 2 {
		t.Fatalf("setup: %d entries with %d revisions, want 1 entry with 2", len(wantEntries), len(wantRevisions))
	}
	wantLive := in.deliveryGet(t, existing.ID)
	expect(t, wantLive, http.StatusOK)

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := in.do(t, tc.method, tc.path, tc.body, tc.opts...)
			expectProblem(t, r, tc.status, tc.code, tc.diag)
			if got := in.entryIDs(t, "event"); !reflect.DeepEqual(got, wantEntries) {
				t.Errorf("entries of type event are now %v, want %v", got, wantEntries)
			}
			if got := in.revisionIDs(t, existing.ID); !reflect.DeepEqual(got, wantRevisions) {
				t.Errorf("revisions of the existing entry are now %v, want %v", got, wantRevisions)
			}
		})
	}

	// Nothing leaked into delivery either.
	if r := in.deliveryGet(t, existing.ID); r.status != http.StatusOK || !bytes.Equal(r.body, wantLive.body) {
		t.Errorf("delivery of the existing entry changed:\nbefore %s\nafter  %s", wantLive, r)
	}
	if m := in.getEntry(t, existing.ID); m.LatestRevision.Title != "Existing v2" {
		t.Errorf("latest draft title is %q, want Existing v2", m.LatestRevision.Title)
	}
}

// testAuth checks that the management API needs a token and honours roles.
func testAuth(t *testing.T, in *instance) {
	e := in.createEntry(t, map[string]any{"type": "event", "title": "Guarded", "fields": map[string]any{"venue": "Vault"}})
	reviewer := in.createToken(t, "reviewer", "e2e-reviewer")
	entryPath := "/api/admin/v1/entries/" + e.ID
	createBody := map[string]any{"type": "event", "title": "Intruder", "fields": map[string]any{"venue": "Nowhere"}}

	cases := []struct {
		name   string
		method string
		path   string
		body   any
		auth   string // Authorization header ("" none)
		status int
		code   string
	}{
		{"no token: create", "POST", "/api/admin/v1/entries", createBody, "", 401, "unauthorized"},
		{"no token: list", "GET", "/api/admin/v1/entries?type=event", nil, "", 401, "unauthorized"},
		{"no token: read", "GET", entryPath, nil, "", 401, "unauthorized"},
		{"no token: register type", "POST", "/api/admin/v1/content-types", eventType, "", 401, "unauthorized"},
		{"empty bearer", "POST", "/api/admin/v1/entries", createBody, "Bearer ", 401, "unauthorized"},
		{"unknown token", "POST", "/api/admin/v1/entries", createBody, "Bearer not-a-real-token", 401, "unauthorized"},
		{"basic auth", "POST", "/api/admin/v1/entries", createBody, "Basic ZTJlOmUyZQ==", 401, "unauthorized"},
		{"reviewer: create", "POST", "/api/admin/v1/entries", createBody, "Bearer " + reviewer, 403, "forbidden"},
		{"reviewer: save", "PUT", entryPath, map[string]any{"title": "Defaced"}, "Bearer " + reviewer, 403, "forbidden"},
		{"reviewer: publish", "POST", entryPath + "/publish", nil, "Bearer " + reviewer, 403, "forbidden"},
		{"reviewer: delete", "DELETE", entryPath, nil, "Bearer " + reviewer, 403, "forbidden"},
		{"reviewer: register type", "POST", "/api/admin/v1/content-types", eventType, "Bearer " + reviewer, 403, "forbidden"},
	}
	wantEntries := in.entryIDs(t, "event")
	wantRevisions := in.revisionIDs(t, e.ID)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := in.do(t, tc.method, tc.path, tc.body, withAuth(tc.auth))
			expectProblem(t, r, tc.status, tc.code, "")
			if tc.status == 401 && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without a Bearer challenge: WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
			}
			if got := in.entryIDs(t, "event"); !reflect.DeepEqual(got, wantEntries) {
				t.Errorf("entries are now %v, want %v", got, wantEntries)
			}
			if got := in.revisionIDs(t, e.ID); !reflect.DeepEqual(got, wantRevisions) {
				t.Errorf("revisions are now %v, want %v", got, wantRevisions)
			}
		})
	}

	t.Run("reviewer can read", func(t *testing.T) {
		r := in.do(t, "GET", entryPath, nil, withToken(reviewer))
		expect(t, r, http.StatusOK)
		if got := decode[entry](t, r); got.ID != e.ID || got.Live {
			t.Errorf("reviewer read: got %+v", got)
		}
	})
	t.Run("delivery needs no token", func(t *testing.T) {
		expectProblem(t, in.deliveryGet(t, e.ID), http.StatusNotFound, "not_found", "") // refused publish above
		in.publish(t, e.ID)
		expect(t, in.deliveryGet(t, e.ID), http.StatusOK)
	})
}

// testHealthAndOpenAPI checks the probes and the generated OpenAPI document.
func testHealthAndOpenAPI(t *testing.T, in *instance) {
	t.Run("readyz", func(t *testing.T) {
		r := in.do(t, "GET", "/readyz", nil)
		expect(t, r, http.StatusOK)
		got := decode[map[string]any](t, r)
		if got["status"] != "ready" || got["database"] != in.backend {
			t.Errorf("readyz: want ready on %s, got %s", in.backend, r)
		}
	})
	t.Run("healthz", func(t *testing.T) {
		r := in.do(t, "GET", "/healthz", nil)
		expect(t, r, http.StatusOK)
		if got := decode[map[string]any](t, r); got["status"] != "ok" {
			t.Errorf("healthz: %s", r)
		}
	})
	t.Run("data_location", func(t *testing.T) {
		// SQLite keeps its database in --data; Postgres leaves it alone.
		// Nothing is written to the working directory (no stray ./data).
		if _, err := os.Stat(filepath.Join(in.dataDir, "inkling.db")); (err == nil) != (in.backend == "sqlite") {
			t.Errorf("%s: stat --data/inkling.db: %v", in.backend, err)
		}
		if ents, err := os.ReadDir(in.workDir); err != nil || len(ents) != 0 {
			t.Errorf("the working directory holds %v (%v); want nothing", ents, err)
		}
	})
	t.Run("openapi", func(t *testing.T) {
		r := in.do(t, "GET", "/api/v1/openapi.json", nil)
		expect(t, r, http.StatusOK)
		if r.mediaType() != "application/json" || !json.Valid(r.body) {
			t.Fatalf("openapi.json is not a JSON document:\n%s", r)
		}
		doc := decode[struct {
			OpenAPI string                     `json:"openapi"`
			Paths   map[string]json.RawMessage `json:"paths"`
		}](t, r)
		if doc.OpenAPI != "3.1.0" {
			t.Errorf("openapi = %q, want 3.1.0", doc.OpenAPI)
		}
		for _, p := range []string{"/api/v1/content/event", "/api/v1/content/event/{idOrSlug}"} {
			if _, ok := doc.Paths[p]; !ok {
				t.Errorf("no path %s in %v", p, slices.Sorted(maps.Keys(doc.Paths)))
			}
		}
	})
	t.Run("unknown_route", func(t *testing.T) {
		expectProblem(t, in.do(t, "GET", "/api/v1/nothing-here", nil), http.StatusNotFound, "not_found", "")
	})
}
