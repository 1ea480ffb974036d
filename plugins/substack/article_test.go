package substack

import (
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
)

func item(edit func(*gofeed.Item)) *gofeed.Item {
	pub := time.Date(2026, 11, 20, 9, 30, 0, 0, time.FixedZone("EST", -5*3600))
	it := &gofeed.Item{
		Title: "Till We Have Faces", Description: "Why <b>Orual</b> complains.",
		Content: "<p>Body <em>text</em>.</p>", Link: "https://inklings.substack.com/p/till-we-have-faces",
		GUID: "https://inklings.substack.com/p/till-we-have-faces", Published: "Fri, 20 Nov 2026 09:30:00 EST",
		PublishedParsed: &pub, Authors: []*gofeed.Person{{Name: "Joy Davidman"}},
	}
	if edit != nil {
		edit(it)
	}
	return it
}

func TestMapItem(t *testing.T) {
	s := newSanitizer()
	a, err := s.mapItem(item(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"guid": "https://inklings.substack.com/p/till-we-have-faces", "source": "substack",
		"canonical_url": "https://inklings.substack.com/p/till-we-have-faces", "published_date": "2026-11-20T14:30:00Z",
		"author": "Joy Davidman", "excerpt": "Why Orual complains.", "body": "Body *text*.",
	}
	if a.Title != "Till We Have Faces" || a.Slug != "till-we-have-faces" || a.GUID != want["guid"] {
		t.Errorf("title, slug, guid = %q, %q, %q", a.Title, a.Slug, a.GUID)
	}
	for k, v := range want {
		if a.Fields[k] != v {
			t.Errorf("fields.%s = %q, want %q", k, a.Fields[k], v)
		}
	}
	if len(a.Fields) != len(want) {
		t.Errorf("fields = %v, want exactly %v", a.Fields, want)
	}
}

func TestMapItemVariants(t *testing.T) {
	s := newSanitizer()
	tests := []struct {
		name  string
		edit  func(*gofeed.Item)
		check func(t *testing.T, a *article)
	}{
		{"body falls back to the description", func(it *gofeed.Item) { it.Content = "" }, func(t *testing.T, a *article) {
			if a.Fields["body"] != "Why **Orual** complains." {
				t.Errorf("body = %q", a.Fields["body"])
			}
		}},
		{"no date leaves published_date out", func(it *gofeed.Item) { it.Published, it.PublishedParsed = "", nil }, func(t *testing.T, a *article) {
			if _, ok := a.Fields["published_date"]; ok {
				t.Errorf("published_date = %q, want none", a.Fields["published_date"])
			}
		}},
		{"author from the deprecated Author", func(it *gofeed.Item) { it.Authors, it.Author = nil, &gofeed.Person{Name: "W. H. Lewis"} }, func(t *testing.T, a *article) {
			if a.Fields["author"] != "W. H. Lewis" {
				t.Errorf("author = %q", a.Fields["author"])
			}
		}},
		{"no author", func(it *gofeed.Item) { it.Authors = nil }, func(t *testing.T, a *article) {
			if _, ok := a.Fields["author"]; ok {
				t.Errorf("author = %q, want none", a.Fields["author"])
			}
		}},
		{"title with markup and entities", func(it *gofeed.Item) { it.Title = " Fish &amp; <i>chips</i>\n" }, func(t *testing.T, a *article) {
			if a.Title != "Fish & chips" {
				t.Errorf("title = %q", a.Title)
			}
		}},
		{"custom domain link", func(it *gofeed.Item) { it.Link = "https://www.example.org/p/Hello_World?utm=x" }, func(t *testing.T, a *article) {
			if a.Slug != "hello-world" || a.Fields["canonical_url"] != "https://www.example.org/p/Hello_World?utm=x" {
				t.Errorf("slug, canonical_url = %q, %q", a.Slug, a.Fields["canonical_url"])
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := s.mapItem(item(tt.edit))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, a)
		})
	}
}

func TestMapItemRefusesMalformedItems(t *testing.T) {
	s := newSanitizer()
	tests := []struct {
		name string
		edit func(*gofeed.Item)
		want []string
	}{
		{"no title", func(it *gofeed.Item) { it.Title = "  " }, []string{"the item has no title"}},
		{"title of markup only", func(it *gofeed.Item) { it.Title = "<script>x</script>" }, []string{"the item has no title"}},
		{"no guid", func(it *gofeed.Item) { it.GUID = "" }, []string{"the item has no guid"}},
		{"no link", func(it *gofeed.Item) { it.Link = "" }, []string{"the item has no link"}},
		{"http link", func(it *gofeed.Item) { it.Link = "http://inklings.substack.com/p/x" },
			[]string{`the link "http://inklings.substack.com/p/x" is not an https URL`}},
		{"javascript link", func(it *gofeed.Item) { it.Link = "javascript:alert(1)" }, []string{"is not an https URL"}},
		{"relative link", func(it *gofeed.Item) { it.Link = "/p/x" }, []string{"is not an https URL"}},
		{"link with credentials", func(it *gofeed.Item) { it.Link = "https://u:p@inklings.substack.com/p/x" }, []string{"is not an https URL"}},
		{"bad date", func(it *gofeed.Item) { it.Published, it.PublishedParsed = "yesterday-ish", nil },
			[]string{`the pubDate "yesterday-ish" is not a date`}},
		{"every problem at once", func(it *gofeed.Item) { it.Title, it.GUID, it.Link = "", "", "ftp://x/y" },
			[]string{"no guid", "no title", "not an https URL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := s.mapItem(item(tt.edit))
			if err == nil {
				t.Fatalf("mapItem accepted the item: %+v", a)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestSlugFromPath(t *testing.T) {
	tests := []struct{ path, want string }{
		{"/p/the-slug", "the-slug"},
		{"/p/the-slug/", "the-slug"},
		{"/p/The_Slug--Again", "the-slug-again"},
		{"/p/the-slug/comments", "the-slug"},
		{"/2026/11/some-post", "some-post"},
		{"/", ""},
		{"", ""},
		{"/p/✓", ""},
		{"/p/" + strings.Repeat("a", 250), strings.Repeat("a", 200)},
	}
	for _, tt := range tests {
		if got := slugFromPath(tt.path); got != tt.want {
			t.Errorf("slugFromPath(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}
