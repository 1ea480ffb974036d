package substack

import (
	"errors"
	"strings"
	"testing"

	"github.com/inklingcms/inkling/plugins/substack/substackfake"
)

func TestFetch(t *testing.T) {
	tests := []struct {
		name      string
		raw       string
		wantTitle string // of the first item; "" expects an error
		wantErr   string
	}{
		{"latin-1 feed", "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss version=\"2.0\"><channel><title>x</title>" +
			"<item><title>Caf\xe9</title><guid>g</guid></item></channel></rss>", "Café", ""},
		{"HTML entities in text", `<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>` +
			`<item><title>A&nbsp;B &amp; C</title></item></channel></rss>`, "A\u00a0B & C", ""},
		{"mismatched tags", `<rss version="2.0"><channel><title>x</title><item><title>a</titl></item></channel></rss>`, "", "parsing: XML syntax error"},
		{"two roots", `<rss version="2.0"><channel></channel></rss><rss/>`, "", "parsing"},
		{"Atom is accepted", `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>x</title>` +
			`<entry><title>Atom entry</title><id>urn:1</id></entry></feed>`, "Atom entry", ""},
		{"JSON Feed is accepted", `{"version":"https://jsonfeed.org/version/1.1","title":"x","items":[{"id":"1","title":"JSON item"}]}`, "JSON item", ""},
		{"text after the root", `<rss version="2.0"><channel></channel></rss>junk`, "", "text outside the root element"},
		{"empty document", ``, "", "parsing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := substackfake.Start()
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			srv.ServeRaw([]byte(tt.raw))
			got, err := newFetcher(nil).fetch(t.Context(), srv.FeedURL(), false)
			if tt.wantErr != "" {
				var fe *FeedError
				if !errors.As(err, &fe) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want a FeedError saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Feed.Items) == 0 || got.Feed.Items[0].Title != tt.wantTitle {
				t.Errorf("items %+v, want the first titled %q", got.Feed.Items, tt.wantTitle)
			}
		})
	}
}

func TestFetchSendsRememberedValidators(t *testing.T) {
	srv, err := substackfake.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.SetItems(substackfake.SampleItems()...)
	f := newFetcher(nil)
	first, err := f.fetch(t.Context(), srv.FeedURL(), true)
	if err != nil || first.Feed == nil {
		t.Fatalf("first fetch: %v", err)
	}
	// Not remembered yet: a full answer again.
	if again, err := f.fetch(t.Context(), srv.FeedURL(), true); err != nil || again.Feed == nil {
		t.Fatalf("second fetch: %v, %+v", err, again)
	}
	f.remember(srv.FeedURL(), first.validators)
	got, err := f.fetch(t.Context(), srv.FeedURL(), true)
	if err != nil || got.Feed != nil {
		t.Fatalf("conditional fetch: %v, feed %v; want a 304", err, got)
	}
	if srv.LastRequestHeader("If-Modified-Since") != first.validators.lastModified || srv.LastRequestHeader("If-None-Match") != first.validators.etag {
		t.Error("validators not sent back")
	}
	// Unconditional fetches ignore them.
	if got, err := f.fetch(t.Context(), srv.FeedURL(), false); err != nil || got.Feed == nil {
		t.Fatalf("unconditional fetch: %v", err)
	}
	if srv.LastRequestHeader("If-None-Match") != "" || srv.NotModified() != 1 {
		t.Error("an unconditional fetch sent validators")
	}
	if accept := srv.LastRequestHeader("Accept"); !strings.Contains(accept, "application/rss+xml") {
		t.Errorf("Accept = %q", accept)
	}
}
