package sdktest

import (
	"maps"
	"testing"

	"github.com/inklingcms/inkling/plugins/protocol/pluginv1"
	"github.com/inklingcms/inkling/plugins/sdk"
)

func TestRoute(t *testing.T) {
	eps := []*pluginv1.EndpointSpec{
		{Method: "GET", Path: "/recipes/{id}"},
		{Method: "GET", Path: "/recipes/quick"},
		{Method: "GET", Path: "/recipes/{id}/related"},
		{Method: "GET", Path: "/today"},
	}
	cases := []struct {
		method, path string
		tmpl         string
		params       map[string]string
	}{
		{"GET", "/recipes/quick", "/recipes/quick", map[string]string{}},
		{"GET", "/recipes/r1", "/recipes/{id}", map[string]string{"id": "r1"}},
		{"GET", "/recipes/a%2Fb/related", "/recipes/{id}/related", map[string]string{"id": "a/b"}},
		{"get", "/today", "/today", map[string]string{}},
		{"GET", "/recipes", "", nil},
		{"GET", "/recipes//related", "", nil},
		{"POST", "/today", "", nil},
	}
	for _, tc := range cases {
		tmpl, params, ok := route(eps, tc.method, tc.path)
		if tmpl != tc.tmpl || ok != (tc.tmpl != "") || !maps.Equal(params, tc.params) {
			t.Errorf("%s %s: got %q %v %t, want %q %v", tc.method, tc.path, tmpl, params, ok, tc.tmpl, tc.params)
		}
	}
}

func TestSlugify(t *testing.T) {
	for in, want := range map[string]string{"Crème Brûlée!": "crème-brûlée", "  Two  words ": "two-words", "???": "entry"} {
		if got := slugify(in); got != want {
			t.Errorf("slugify(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStoreLifecycle(t *testing.T) {
	s := newStore(t, nil, nil, nil)
	e := s.Add(pageEntry("A"))
	if e.Live || e.ID != "e1" || e.Slug != "a" {
		t.Fatalf("added: %+v", e)
	}
	live := s.Publish(e.ID)
	if !live.Live || live.FirstPublishedAt.IsZero() || live.LiveRevisionID != e.RevisionID {
		t.Fatalf("published: %+v", live)
	}
	s.Unpublish(e.ID)
	if _, ok := s.LiveEntry(e.ID); ok {
		t.Fatal("still live after Unpublish")
	}
	if d, _ := s.Entry(e.ID); d.Live || d.FirstPublishedAt.IsZero() {
		t.Fatalf("draft after Unpublish: %+v", d)
	}
}

func pageEntry(title string) sdk.Entry { return sdk.Entry{Type: "page", Title: title} }
