package api_test

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// seedArticle is one live article of the delivery fixture.
type seedArticle struct {
	Name   string
	Title  string
	Fields map[string]any
	PubAt  time.Duration // first publication, after clockBase
	// Republish, when set, publishes the entry again at this offset
	// (published_at moves, first_published_at stays).
	Republish time.Duration

	ID               string
	FirstPublishedAt time.Time
	PublishedAt      time.Time
}

// deliverySeed is the published content the delivery tests read. Titles
// mix cases and values tie on purpose (ties are broken by id), and several
// articles lack indexed fields (they sort last in both directions).
type deliverySeed struct {
	Articles []*seedArticle
	byID     map[string]*seedArticle
}

func newSeedArticles() []*seedArticle {
	ms := time.Millisecond
	return []*seedArticle{
		{Name: "a1", Title: "Alpha", PubAt: 5 * time.Second, Fields: map[string]any{
			"subtitle": "sub m", "body": "Some **bold** text<script>alert(1)</script>", "views": 10, "rating": 4.5,
			"category": "news", "tags": []string{"go", "db"}, "published_on": "2026-01-10", "featured": true}},
		{Name: "a2", Title: "bravo", PubAt: 3 * time.Second, Republish: 21 * time.Second, Fields: map[string]any{
			"views": 30, "rating": 3, "category": "blog", "tags": []string{"go"}, "published_on": "2026-02-01", "featured": false}},
		{Name: "a3", Title: "Charlie", PubAt: 5 * time.Second, Fields: map[string]any{ // same instant as a1
			"subtitle": "sub a", "views": 10, "category": "guide", "published_on": "2026-01-10"}},
		{Name: "a4", Title: "delta", PubAt: 1 * time.Second, Republish: 20 * time.Second, Fields: map[string]any{
			"subtitle": "sub z", "rating": 1.25, "category": "news", "tags": []string{"db", "web"}, "published_on": "2025-12-31", "featured": true}},
		{Name: "a5", Title: "Echo", PubAt: 7500 * ms, Fields: map[string]any{
			"subtitle": "Sub b", "views": 0, "rating": 5, "category": "blog", "featured": false}},
		{Name: "a6", Title: "foxtrot", PubAt: 2250 * ms, Fields: map[string]any{
			"category": "news", "tags": []string{"web"}, "published_on": "2026-03-15"}},
		{Name: "a7", Title: "Golf", PubAt: 7250 * ms, Fields: map[string]any{
			"subtitle": "sub m", "views": 250, "rating": 2.5, "category": "guide", "tags": []string{"go", "web"},
			"published_on": "2026-02-01", "featured": true}},
		{Name: "a8", Title: "hotel", PubAt: 4*time.Second + time.Microsecond, Fields: map[string]any{
			"views": 7, "rating": 4.5, "category": "news", "tags": []string{"go"}, "published_on": "2026-01-01",
			"featured": false, "author": "{{ann}}"}},
		{Name: "a9", Title: "Kilo", PubAt: 6 * time.Second, Fields: map[string]any{
			"views": 30, "category": "blog", "author": "{{dan}}"}},
	}
}

// seedDelivery creates the fixture through the management API: authors
// (ann live, dan draft), articles a1..a9 (live), a draft article (india),
// an unpublished one (juliet), and pages /docs/, /guide/, /docs/intro/,
// /guide/intro/ (live) and /docs/secret/ (draft).
func seedDelivery(t testing.TB, env *testEnv) {
	t.Helper()
	at := func(d time.Duration) { env.Clock.Set(clockBase.Add(d), 0) }
	at(0)
	env.publish(t, "admin", env.createEntry(t, "admin", "ann", map[string]any{"type": "author", "title": "Ann", "fields": map[string]any{"bio": "writes"}}))
	env.createEntry(t, "admin", "dan", map[string]any{"type": "author", "title": "Dan"})

	seed := &deliverySeed{Articles: newSeedArticles(), byID: map[string]*seedArticle{}}
	for _, a := range seed.Articles {
		fields := map[string]any{}
		for k, v := range a.Fields {
			if s, ok := v.(string); ok {
				v = env.expand(t, s)
				a.Fields[k] = v
			}
			fields[k] = v
		}
		a.ID = env.createEntry(t, "admin", a.Name, map[string]any{"type": "article", "title": a.Title, "fields": fields})
		seed.byID[a.ID] = a
	}
	env.createEntry(t, "admin", "india", article("India", map[string]any{"views": 99, "category": "news", "tags": []string{"go"}}))
	juliet := env.createEntry(t, "admin", "juliet", article("Juliet", map[string]any{"views": 98, "category": "news", "tags": []string{"go"}}))

	// Publish in time order, each at its own instant (a1 and a3 share one).
	byTime := slices.Clone(seed.Articles)
	slices.SortStableFunc(byTime, func(x, y *seedArticle) int { return cmp.Compare(x.PubAt, y.PubAt) })
	for _, a := range byTime {
		at(a.PubAt)
		m := env.publish(t, "admin", a.ID)
		want := clockBase.Add(a.PubAt)
		a.FirstPublishedAt, a.PublishedAt = want, want
		if got := str(t, m, "first_published_at"); got != want.Format(time.RFC3339Nano) {
			t.Fatalf("%s first_published_at %s, want %s", a.Name, got, want.Format(time.RFC3339Nano))
		}
	}
	at(8 * time.Second)
	env.publish(t, "admin", juliet)
	env.must(t, 200, "admin", "POST", entriesURL+"/"+juliet+"/unpublish", nil)
	for _, a := range byTime {
		if a.Republish == 0 {
			continue
		}
		at(a.Republish)
		env.must(t, 200, "admin", "PUT", entriesURL+"/"+a.ID, map[string]any{"message": "again"})
		m := env.publish(t, "admin", a.ID)
		a.PublishedAt = clockBase.Add(a.Republish)
		if got := str(t, m, "last_published_at"); got != a.PublishedAt.Format(time.RFC3339Nano) {
			t.Fatalf("%s last_published_at %s", a.Name, got)
		}
	}

	at(30 * time.Second)
	docs := env.createEntry(t, "admin", "docs", page("Docs", ""))
	guide := env.createEntry(t, "admin", "guide", page("Guide", ""))
	docsIntro := env.createEntry(t, "admin", "docsIntro", page("Intro", docs))
	guideIntro := env.createEntry(t, "admin", "guideIntro", map[string]any{"type": "page", "title": "Intro", "parent_id": guide,
		"fields": map[string]any{"summary": "Guide intro", "related": env.get(t, "a1")}})
	env.createEntry(t, "admin", "secret", page("Secret", docs))
	for _, id := range []string{docs, guide, docsIntro, guideIntro} {
		env.publish(t, "admin", id)
	}
	env.Clock.Set(clockBase.Add(time.Minute), time.Second)
	env.Seed = seed
}

// fork returns a view of a shared env for one parallel scenario: its own
// Vars and Last, the same server and database.
func (env *testEnv) fork() *testEnv {
	env.mu.Lock()
	defer env.mu.Unlock()
	return &testEnv{Backend: env.Backend, DB: env.DB, Types: env.Types, Auth: env.Auth, Entries: env.Entries,
		Delivery: env.Delivery, Server: env.Server, Clock: env.Clock, Vars: maps.Clone(env.Vars), Seed: env.Seed}
}

// sortValue is an article's value for a sort field: ok false when absent.
func (a *seedArticle) sortValue(field string) (v any, ok bool) {
	switch field {
	case "id":
		return a.ID, true
	case "slug":
		return strings.ToLower(a.Title), true
	case "title":
		return a.Title, true
	case "first_published_at":
		return a.FirstPublishedAt, true
	case "published_at":
		return a.PublishedAt, true
	}
	v, ok = a.Fields[field]
	switch x := v.(type) {
	case int:
		return float64(x), ok
	case bool:
		if x {
			return 1.0, ok
		}
		return 0.0, ok
	}
	return v, ok
}

func compareAny(x, y any) int {
	switch a := x.(type) {
	case float64:
		return cmp.Compare(a, y.(float64))
	case string:
		return strings.Compare(a, y.(string)) // byte order: the databases use the C collation
	case time.Time:
		return a.Compare(y.(time.Time))
	}
	panic(fmt.Sprintf("cannot compare %T", x))
}

// order returns the names of the live articles that keep passes, in the
// order the API must list them for sort (field or -field; "" is the
// default, -first_published_at): absent values last in both directions,
// ties broken by id in the sort direction.
func (s *deliverySeed) order(sort string, keep func(*seedArticle) bool) []string {
	if sort == "" {
		sort = "-first_published_at"
	}
	field, desc := strings.TrimPrefix(sort, "-"), strings.HasPrefix(sort, "-")
	var list []*seedArticle
	for _, a := range s.Articles {
		if keep == nil || keep(a) {
			list = append(list, a)
		}
	}
	slices.SortFunc(list, func(x, y *seedArticle) int {
		xv, xok := x.sortValue(field)
		yv, yok := y.sortValue(field)
		if xok != yok {
			if xok {
				return -1
			}
			return 1
		}
		c := 0
		if xok {
			c = compareAny(xv, yv)
		}
		if c == 0 {
			c = strings.Compare(x.ID, y.ID)
		}
		if desc {
			c = -c
		}
		return c
	})
	out := make([]string, len(list))
	for i, a := range list {
		out[i] = a.Name
	}
	return out
}

func (s *deliverySeed) names(t testing.TB, env *testEnv, its []map[string]any) []string {
	t.Helper()
	out := make([]string, len(its))
	for i, it := range its {
		id, _ := it["id"].(string)
		if a, ok := s.byID[id]; ok {
			out[i] = a.Name
		} else {
			out[i] = fmt.Sprintf("unexpected(%v %v)", it["id"], it["title"])
		}
	}
	return out
}

// walk lists /api/v1/content/article?query page by page with limit,
// following next_cursor, and returns the names in the order received. It
// fails on a repeated entry, an over-full page, a short page that is not
// the last, or a runaway cursor.
func walk(t testing.TB, env *testEnv, query string, limit int) []string {
	t.Helper()
	base := "/api/v1/content/article?" + query
	if query != "" {
		base += "&"
	}
	base += fmt.Sprintf("limit=%d", limit)
	var got []string
	seen := map[string]bool{}
	cursor := ""
	for pageNo := 0; ; pageNo++ {
		if pageNo > 50 {
			t.Fatalf("%s: more than 50 pages; cursor loop? got %v", query, got)
		}
		u := base
		if cursor != "" {
			u += "&cursor=" + url.QueryEscape(cursor)
		}
		res := env.call(t, "", http.MethodGet, u, nil)
		if res.Status != 200 {
			t.Fatalf("GET %s: %s", u, res)
		}
		m := res.JSON(t)
		its := items(t, m)
		if m["limit"] != float64(limit) {
			t.Fatalf("GET %s: limit %v, want %d", u, m["limit"], limit)
		}
		if len(its) > limit {
			t.Fatalf("GET %s: %d items on a page of %d", u, len(its), limit)
		}
		names := env.Seed.names(t, env, its)
		for _, n := range names {
			if seen[n] {
				t.Fatalf("%s: %s listed twice (pages so far %v, this page %v)", query, n, got, names)
			}
			seen[n] = true
		}
		got = append(got, names...)
		next, _ := m["next_cursor"].(string)
		if next == "" {
			if m["next_cursor"] != nil {
				t.Fatalf("GET %s: next_cursor %#v", u, m["next_cursor"])
			}
			return got
		}
		if len(its) != limit {
			t.Fatalf("GET %s: short page (%d) with a next_cursor", u, len(its))
		}
		cursor = next
	}
}

// sorts are every sortable field, both directions.
var sorts = []string{"", "id", "-id", "slug", "-slug", "title", "-title",
	"first_published_at", "-first_published_at", "published_at", "-published_at",
	"views", "-views", "rating", "-rating", "subtitle", "-subtitle", "category", "-category",
	"published_on", "-published_on", "featured", "-featured", "author", "-author"}

func testPagination(t *testing.T, env *testEnv) {
	s := env.Seed
	// Sanity of the model itself: absent values sort last both ways.
	if o := s.order("views", nil); !slices.Equal(o[len(o)-2:], []string{"a4", "a6"}) {
		t.Fatalf("model: views order %v", o)
	}
	if o := s.order("-views", nil); !slices.Equal(o[len(o)-2:], []string{"a6", "a4"}) || o[0] != "a7" {
		t.Fatalf("model: -views order %v", o)
	}
	for _, sort := range sorts {
		t.Run("sort="+sort, func(t *testing.T) {
			q := ""
			if sort != "" {
				q = "sort=" + url.QueryEscape(sort)
			}
			want := s.order(sort, nil)
			if len(want) != 9 {
				t.Fatalf("model lists %d articles", len(want))
			}
			if got := walk(t, env, q, 2); !slices.Equal(got, want) {
				t.Errorf("limit=2 pages: got  %v\nwant %v", got, want)
			}
			if got := walk(t, env, q, 100); !slices.Equal(got, want) {
				t.Errorf("one page: got  %v\nwant %v", got, want)
			}
		})
	}
	combos := []struct {
		query string
		keep  func(a *seedArticle) bool
		sort  string
	}{
		{"sort=views&filter[category]=news", func(a *seedArticle) bool { return a.Fields["category"] == "news" }, "views"},
		{"sort=-title&filter[tags]=go", func(a *seedArticle) bool { return hasTag(a, "go") }, "-title"},
		{"sort=-rating&filter[views][gte]=10", func(a *seedArticle) bool { v, ok := a.Fields["views"].(int); return ok && v >= 10 }, "-rating"},
		{"sort=subtitle&filter[featured]=true", func(a *seedArticle) bool { return a.Fields["featured"] == true }, "subtitle"},
		{"filter[published_on][gte]=2026-01-01", func(a *seedArticle) bool { d, ok := a.Fields["published_on"].(string); return ok && d >= "2026-01-01" }, ""},
	}
	for _, c := range combos {
		t.Run(c.query, func(t *testing.T) {
			want := s.order(c.sort, c.keep)
			if got := walk(t, env, c.query, 2); !slices.Equal(got, want) {
				t.Errorf("got  %v\nwant %v", got, want)
			}
		})
	}
	t.Run("limit=3 and limit=1", func(t *testing.T) {
		for _, limit := range []int{1, 3} {
			want := s.order("-views", nil)
			if got := walk(t, env, "sort=-views", limit); !slices.Equal(got, want) {
				t.Errorf("limit=%d: got %v\nwant %v", limit, got, want)
			}
		}
	})
	t.Run("a cursor is bound to its sort", func(t *testing.T) {
		m := env.must(t, 200, "", "GET", "/api/v1/content/article?sort=views&limit=2", nil)
		cur := url.QueryEscape(m["next_cursor"].(string))
		res := env.call(t, "", "GET", "/api/v1/content/article?sort=title&limit=2&cursor="+cur, nil)
		if res.Status != 422 || checkProblem(t, res).Code != "invalid" {
			t.Fatalf("views cursor used with sort=title: %s", res)
		}
		res = env.call(t, "", "GET", "/api/v1/content/article?sort=first_published_at&limit=2&cursor="+cur, nil)
		if res.Status != 422 {
			t.Fatalf("views cursor used with sort=first_published_at: %s", res)
		}
	})
}

func hasTag(a *seedArticle, tag string) bool {
	tags, _ := a.Fields["tags"].([]string)
	return slices.Contains(tags, tag)
}

// filterCases: query → the live articles it selects (listed in the default
// order, which the API must keep).
var filterCases = []struct {
	query string
	want  []string
}{
	{"filter[views]=10", []string{"a1", "a3"}},
	{"filter[views][eq]=10", []string{"a1", "a3"}},
	{"filter[views][ne]=10", []string{"a2", "a4", "a5", "a6", "a7", "a8", "a9"}}, // absent counts as not equal
	{"filter[views][lt]=10", []string{"a5", "a8"}},
	{"filter[views][lte]=10", []string{"a1", "a3", "a5", "a8"}},
	{"filter[views][gt]=10", []string{"a2", "a7", "a9"}},
	{"filter[views][gte]=30", []string{"a2", "a7", "a9"}},
	{"filter[views][in]=0,250", []string{"a5", "a7"}},
	{"filter[rating]=4.5", []string{"a1", "a8"}},
	{"filter[rating][gt]=4", []string{"a1", "a5", "a8"}},
	{"filter[rating][lte]=2.5", []string{"a4", "a7"}},
	{"filter[subtitle]=sub%20m", []string{"a1", "a7"}},
	{"filter[subtitle][lt]=sub%20m", []string{"a3", "a5"}},
	{"filter[subtitle][gte]=sub%20m", []string{"a1", "a4", "a7"}},
	{"filter[subtitle][in]=sub%20a,sub%20z", []string{"a3", "a4"}},
	{"filter[tags]=go", []string{"a1", "a2", "a7", "a8"}},
	{"filter[tags][in]=db,web", []string{"a1", "a4", "a6", "a7"}},
	{"filter[tags][ne]=go", []string{"a3", "a4", "a5", "a6", "a9"}},
	{"filter[published_on]=2026-01-10", []string{"a1", "a3"}},
	{"filter[published_on][lt]=2026-01-10", []string{"a4", "a8"}},
	{"filter[published_on][gte]=2026-02-01", []string{"a2", "a6", "a7"}},
	{"filter[published_on][lte]=2026-01-01", []string{"a4", "a8"}},
	{"filter[category][in]=news,guide", []string{"a1", "a3", "a4", "a6", "a7", "a8"}},
	{"filter[category][ne]=news", []string{"a2", "a3", "a5", "a7", "a9"}},
	{"filter[featured]=true", []string{"a1", "a4", "a7"}},
	{"filter[featured]=false", []string{"a2", "a5", "a8"}},
	{"filter[author]={{ann}}", []string{"a8"}},
	{"filter[author]={{dan}}", []string{"a9"}},
	{"filter[slug]=alpha", []string{"a1"}},
	{"filter[slug][in]=alpha,bravo,india,juliet", []string{"a1", "a2"}},
	{"filter[title][gte]=a", []string{"a2", "a4", "a6", "a8"}},
	{"filter[id]={{a3}}", []string{"a3"}},
	{"filter[id][ne]={{a3}}", []string{"a1", "a2", "a4", "a5", "a6", "a7", "a8", "a9"}},
	{"filter[first_published_at][gt]=2026-01-01T00:00:05Z", []string{"a5", "a7", "a9"}},
	{"filter[first_published_at]=2026-01-01T00:00:05Z", []string{"a1", "a3"}},
	{"filter[first_published_at][lte]=2026-01-01T00:00:04.000001Z", []string{"a2", "a4", "a6", "a8"}},
	{"filter[first_published_at][lt]=2026-01-01T00:00:04.000001Z", []string{"a2", "a4", "a6"}},
	{"filter[published_at][gte]=2026-01-01T00:00:20Z", []string{"a2", "a4"}},
	{"filter[views][gte]=10&filter[category]=news", []string{"a1"}},
	{"filter[views][gte]=10&filter[tags]=go", []string{"a1", "a2", "a7"}},
	{"filter[views][gt]=1000", nil},
}

func testFilters(t *testing.T, env *testEnv) {
	for _, fc := range filterCases {
		t.Run(fc.query, func(t *testing.T) {
			want := env.Seed.order("", func(a *seedArticle) bool { return slices.Contains(fc.want, a.Name) })
			if len(want) != len(fc.want) {
				t.Fatalf("bad case: %v", fc.want)
			}
			m := env.must(t, 200, "", "GET", "/api/v1/content/article?limit=100&"+fc.query, nil)
			if got := env.Seed.names(t, env, items(t, m)); !slices.Equal(got, want) {
				t.Errorf("got  %v\nwant %v", got, want)
			}
		})
	}
}

func deliveryScenarios() []apiScenario {
	const list = "/api/v1/content/article"
	return []apiScenario{
		{
			Name: "list shows only live entries", Method: "GET", URL: list + "?limit=100",
			ExpectedStatus:     200,
			ExpectedContent:    []string{`"title":"Alpha"`, `"title":"Kilo"`, `"next_cursor":null`, `"limit":100`},
			NotExpectedContent: []string{"India", "Juliet", "draft_title", "latest_revision", `"live"`},
		},
		{
			Name: "default limit", Method: "GET", URL: list,
			ExpectedStatus: 200, ExpectedContent: []string{`"limit":20`},
		},
		{
			Name: "get by slug", Method: "GET", URL: list + "/alpha",
			ExpectedStatus: 200,
			ExpectedContent: []string{`"id":"{{a1}}"`, `"type":"article"`, `"title":"Alpha"`, `"slug":"alpha"`,
				`"first_published_at":"2026-01-01T00:00:05Z"`, `<strong>bold</strong>`, `"markdown":"Some **bold** text`},
			NotExpectedContent: []string{"url_path", "parent_id"},
			After: func(t *testing.T, env *testEnv) {
				html, _ := lookup(env.Last.JSON(t), "fields.body.html")
				if s, _ := html.(string); s == "" || strings.Contains(s, "<script") {
					t.Fatalf("rendered html %q", html)
				}
			},
		},
		{
			Name: "get by id", Method: "GET", URL: list + "/{{a8}}",
			ExpectedStatus:  200,
			ExpectedContent: []string{`"slug":"hotel"`, `"first_published_at":"2026-01-01T00:00:04.000001Z"`, `"author":"{{ann}}"`},
		},
		{
			Name: "published_at moves on republish", Method: "GET", URL: list + "/delta",
			ExpectedStatus:  200,
			ExpectedContent: []string{`"first_published_at":"2026-01-01T00:00:01Z"`, `"published_at":"2026-01-01T00:00:20Z"`},
		},
		{
			Name: "a draft by id", Method: "GET", URL: list + "/{{india}}",
			ExpectedStatus: 404, ExpectedProblemCode: "not_found",
		},
		{
			Name: "a draft by slug", Method: "GET", URL: list + "/india",
			ExpectedStatus: 404, ExpectedProblemCode: "not_found",
		},
		{
			Name: "an unpublished entry", Method: "GET", URL: list + "/juliet",
			ExpectedStatus: 404, ExpectedProblemCode: "not_found",
		},
		{
			Name: "an entry through another type", Method: "GET", URL: "/api/v1/content/author/{{a1}}",
			ExpectedStatus: 404, ExpectedProblemCode: "not_found",
		},
		{
			Name: "an unknown type", Method: "GET", URL: "/api/v1/content/nope",
			ExpectedStatus: 404, ExpectedProblemCode: "not_found",
		},
		{
			Name: "an unknown type by id", Method: "GET", URL: "/api/v1/content/nope/x",
			ExpectedStatus: 404, ExpectedProblemCode: "not_found",
		},
		{
			Name: "get with fields", Method: "GET", URL: list + "/alpha?fields=views,subtitle",
			ExpectedStatus: 200,
			After: func(t *testing.T, env *testEnv) {
				m := env.Last.JSON(t)
				f, _ := m["fields"].(map[string]any)
				if keys := slices.Sorted(maps.Keys(f)); !slices.Equal(keys, []string{"subtitle", "views"}) {
					t.Fatalf("fields %v", f)
				}
				if m["title"] != "Alpha" || m["id"] != env.get(t, "a1") {
					t.Fatalf("built-in attributes dropped: %v", m)
				}
			},
		},
		{
			Name: "list with fields", Method: "GET", URL: list + "?fields=views&limit=100",
			ExpectedStatus: 200,
			After: func(t *testing.T, env *testEnv) {
				its := items(t, env.Last.JSON(t))
				if len(its) != 9 {
					t.Fatalf("%d items", len(its))
				}
				for _, it := range its {
					f, _ := it["fields"].(map[string]any)
					a := env.Seed.byID[it["id"].(string)]
					_, has := a.Fields["views"]
					if len(f) > 1 || (len(f) == 1) != has {
						t.Errorf("%s: fields %v", a.Name, f)
					}
				}
			},
		},
		{
			Name: "get with an unknown field", Method: "GET", URL: list + "/alpha?fields=nope",
			ExpectedStatus: 422, ExpectedProblemCode: "invalid", ExpectedDiagPaths: []string{"fields"},
		},
		{
			Name: "list with an unknown field", Method: "GET", URL: list + "?fields=views,nope",
			ExpectedStatus: 422, ExpectedProblemCode: "invalid", ExpectedDiagPaths: []string{"fields"},
		},
		{
			Name: "expand a reference to a live entry", Method: "GET", URL: list + "/hotel?expand=author",
			ExpectedStatus: 200,
			After: func(t *testing.T, env *testEnv) {
				m := env.Last.JSON(t)
				au, ok := lookup(m, "fields.author")
				obj, isObj := au.(map[string]any)
				if !ok || !isObj || obj["id"] != env.get(t, "ann") || obj["title"] != "Ann" || obj["type"] != "author" {
					t.Fatalf("expanded author = %#v", au)
				}
				if bio, _ := lookup(obj, "fields.bio"); bio != "writes" {
					t.Fatalf("expanded author fields = %v", obj["fields"])
				}
			},
		},
		{
			Name: "expand a reference to a draft", Method: "GET", URL: list + "/kilo?expand=author",
			ExpectedStatus: 200,
			After: func(t *testing.T, env *testEnv) {
				m := env.Last.JSON(t)
				au, ok := lookup(m, "fields.author")
				if !ok || au != nil {
					t.Fatalf("author of a draft should be null, got %#v (present %v)", au, ok)
				}
			},
		},
		{
			Name: "expand in a list", Method: "GET", URL: list + "?expand=author&limit=100",
			ExpectedStatus: 200,
			After: func(t *testing.T, env *testEnv) {
				for _, it := range items(t, env.Last.JSON(t)) {
					a := env.Seed.byID[it["id"].(string)]
					au, present := lookup(it, "fields.author")
					switch a.Name {
					case "a8":
						if obj, _ := au.(map[string]any); obj["title"] != "Ann" {
							t.Errorf("a8 author %#v", au)
						}
					case "a9":
						if !present || au != nil {
							t.Errorf("a9 author %#v", au)
						}
					default:
						if present {
							t.Errorf("%s has author %#v", a.Name, au)
						}
					}
				}
			},
		},
		{
			Name: "expand with fields keeps the expanded field", Method: "GET", URL: list + "/hotel?fields=views&expand=author",
			ExpectedStatus: 200, ExpectedContent: []string{`"views":7`, `"title":"Ann"`},
			NotExpectedContent: []string{`"rating"`},
		},
		{
			Name: "expand a field that is not a reference", Method: "GET", URL: list + "/hotel?expand=views",
			ExpectedStatus: 422, ExpectedProblemCode: "invalid", ExpectedDiagPaths: []string{"expand"},
		},
		{
			Name: "expand too many fields", Method: "GET", URL: list + "?expand=author,author,author,author,author,author,author,author,author,author,author",
			ExpectedStatus: 422, ExpectedProblemCode: "invalid", ExpectedDiagPaths: []string{"expand"},
		},
		{
			Name: "an ambiguous page slug", Method: "GET", URL: "/api/v1/content/page/intro",
			ExpectedStatus: 409, ExpectedProblemCode: "conflict",
		},
		{
			Name: "a page by id", Method: "GET", URL: "/api/v1/content/page/{{docsIntro}}",
			ExpectedStatus:  200,
			ExpectedContent: []string{`"url_path":"/docs/intro/"`, `"parent_id":"{{docs}}"`, `"slug":"intro"`},
		},
		{
			Name: "the other page by id", Method: "GET", URL: "/api/v1/content/page/{{guideIntro}}?expand=related",
			ExpectedStatus:  200,
			ExpectedContent: []string{`"url_path":"/guide/intro/"`, `"summary":"Guide intro"`, `"title":"Alpha"`},
		},
		{
			Name: "a unique page slug", Method: "GET", URL: "/api/v1/content/page/docs",
			ExpectedStatus:     200,
			ExpectedContent:    []string{`"id":"{{docs}}"`, `"url_path":"/docs/"`},
			NotExpectedContent: []string{`"parent_id"`},
		},
		{
			Name: "a draft page", Method: "GET", URL: "/api/v1/content/page/secret",
			ExpectedStatus: 404, ExpectedProblemCode: "not_found",
		},
		{
			Name: "filter pages by parent", Method: "GET", URL: "/api/v1/content/page?filter[parent]={{docs}}",
			ExpectedStatus:     200,
			ExpectedContent:    []string{`"id":"{{docsIntro}}"`},
			NotExpectedContent: []string{"{{guideIntro}}", "Secret", `"id":"{{docs}}"`},
		},
		// Bad queries: 4xx problems, never 5xx.
		{
			Name: "an unknown query parameter", Method: "GET", URL: list + "?page=2",
			ExpectedStatus: 422, ExpectedProblemCode: "invalid", ExpectedDiagPaths: []string{"page"},
		},
		{
			Name: "a misspelt filter", Method: "GET", URL: list + "?filters[views]=1",
			ExpectedStatus: 422, ExpectedProblemCode: "invalid", ExpectedDiagPaths: []string{"filters[views]"},
		},
		{
			Name: "an unknown query parameter on get", Method: "GET", URL: list + "/alpha?sort=title",
			ExpectedStatus: 422, ExpectedProblemCode: "invalid", ExpectedDiagPaths: []string{"sort"},
		},
		{
			Name: "a bad cursor", Method: "GET", URL: list + "?cursor=garbage!",
			ExpectedStatus: 422, ExpectedProblemCode: "invalid", ExpectedDiagPaths: []string{"cursor"},
		},
		{
			Name: "a cursor without an id", Method: "GET", URL: list + "?cursor=" + base64.RawURLEncoding.EncodeToString([]byte(`{"v":"x"}`)),
			ExpectedStatus: 422, ExpectedProblemCode: "invalid", ExpectedDiagPaths: []string{"cursor"},
		},
		{
			Name: "a cursor with a wrong value type", Method: "GET", URL: list + "?sort=views&cursor=" + base64.RawURLEncoding.EncodeToString([]byte(`{"v":"x","id":"y"}`)),
			ExpectedStatus: 422, ExpectedProblemCode: "invalid", ExpectedDiagPaths: []string{"cursor"},
		},
		{
			Name: "a cursor with an object value", Method: "GET", URL: list + "?sort=title&cursor=" + base64.RawURLEncoding.EncodeToString([]byte(`{"v":{"a":1},"id":"y"}`)),
			ExpectedStatus: 422, ExpectedProblemCode: "invalid", ExpectedDiagPaths: []string{"cursor"},
		},
		{
			Name: "limit=0", Method: "GET", URL: list + "?limit=0",
			ExpectedStatus: 422, ExpectedProblemCode: "invalid", ExpectedDiagPaths: []string{"limit"},
		},
		{
			Name: "limit=1000", Method: "GET", URL: list + "?limit=1000",
			ExpectedStatus: 422, ExpectedProblemCode: "invalid", ExpectedDiagPaths: []string{"limit"},
		},
		{
			Name: "limit=101", Method: "GET", URL: list + "?limit=101",
			ExpectedStatus: 422, ExpectedProblemCode: "invalid", ExpectedDiagPaths: []string{"limit"},
		},
		{
			Name: "limit=-1", Method: "GET", URL: list + "?limit=-1",
			ExpectedStatus: 422, ExpectedProblemCode: "invalid", ExpectedDiagPaths: []string{"limit"},
		},
		{
			Name: "limit=abc", Method: "GET", URL: list + "?limit=abc",
			ExpectedStatus: 422, ExpectedProblemCode: "invalid", ExpectedDiagPaths: []string{"limit"},
		},
		{
			Name: "limit=100", Method: "GET", URL: list + "?limit=100",
			ExpectedStatus: 200, ExpectedContent: []string{`"limit":100`},
		},
		{
			Name: "a malformed query string", Method: "GET", URL: list + "?limit=%zz",
			ExpectedStatus: 400, ExpectedProblemCode: "malformed",
		},
		{
			Name: "sort by a field that is not indexed", Method: "GET", URL: list + "?sort=body",
			ExpectedStatus: 422, ExpectedProblemCode: "invalid", ExpectedDiagPaths: []string{"sort"},
		},
		{
			Name: "sort by tags", Method: "GET", URL: list + "?sort=-tags",
			ExpectedStatus: 422, ExpectedProblemCode: "invalid", ExpectedDiagPaths: []string{"sort"},
		},
		{
			Name: "sort by parent", Method: "GET", URL: list + "?sort=parent",
			ExpectedStatus: 422, ExpectedProblemCode: "invalid", ExpectedDiagPaths: []string{"sort"},
		},
		{
			Name: "filter with a wrong value type", Method: "GET", URL: list + "?filter[views]=ten",
			ExpectedStatus: 422, ExpectedProblemCode: "invalid", ExpectedDiagPaths: []string{"filter[views]"},
		},
		{
			Name: "filter with a wrong value in a list", Method: "GET", URL: list + "?filter[views][in]=1,ten",
			ExpectedStatus: 422, ExpectedProblemCode: "invalid", ExpectedDiagPaths: []string{"filter[views][in]"},
		},
		{
			Name: "filter with an unknown operator", Method: "GET", URL: list + "?filter[views][like]=1",
			ExpectedStatus: 422, ExpectedProblemCode: "invalid", ExpectedDiagPaths: []string{"filter[views][like]"},
		},
		{
			Name: "filter on a field that is not indexed", Method: "GET", URL: list + "?filter[body]=x",
			ExpectedStatus: 422, ExpectedProblemCode: "invalid", ExpectedDiagPaths: []string{"filter[body]"},
		},
		{
			Name: "filter on an unknown field", Method: "GET", URL: list + "?filter[nope]=x",
			ExpectedStatus: 422, ExpectedProblemCode: "invalid", ExpectedDiagPaths: []string{"filter[nope]"},
		},
		{
			Name: "filter a select by an unknown choice", Method: "GET", URL: list + "?filter[category]=gossip",
			ExpectedStatus: 422, ExpectedProblemCode: "invalid", ExpectedDiagPaths: []string{"filter[category]"},
		},
		{
			Name: "filter a date by a non-date", Method: "GET", URL: list + "?filter[published_on][gt]=yesterday",
			ExpectedStatus: 422, ExpectedProblemCode: "invalid", ExpectedDiagPaths: []string{"filter[published_on][gt]"},
		},
		{
			Name: "filter a timestamp by a non-timestamp", Method: "GET", URL: list + "?filter[first_published_at]=yesterday",
			ExpectedStatus: 422, ExpectedProblemCode: "invalid", ExpectedDiagPaths: []string{"filter[first_published_at]"},
		},
		{
			Name: "filter a boolean by a non-boolean", Method: "GET", URL: list + "?filter[featured]=maybe",
			ExpectedStatus: 422, ExpectedProblemCode: "invalid", ExpectedDiagPaths: []string{"filter[featured]"},
		},
		{
			Name: "several problems at once", Method: "GET", URL: list + "?filter[nope]=1&sort=body&limit=0",
			ExpectedStatus: 422, ExpectedProblemCode: "invalid", ExpectedDiagPaths: []string{"limit"},
		},
	}
}

func TestDelivery(t *testing.T) {
	for _, b := range []backend{sqliteBackend, postgresBackend} {
		t.Run(b.name, func(t *testing.T) {
			env := newEnv(t, b)
			seedDelivery(t, env)
			t.Run("scenarios", func(t *testing.T) {
				runScenarios(t, func(*testing.T) *testEnv { return env.fork() }, deliveryScenarios())
			})
			t.Run("filters", func(t *testing.T) { testFilters(t, env) })
			t.Run("pagination", func(t *testing.T) { testPagination(t, env) })
		})
	}
}
