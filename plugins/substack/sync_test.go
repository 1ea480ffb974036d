package substack

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/plugins/cslewis"
	"github.com/inklingcms/inkling/plugins/protocol"
	"github.com/inklingcms/inkling/plugins/sdk"
	"github.com/inklingcms/inkling/plugins/sdk/sdktest"
	"github.com/inklingcms/inkling/plugins/substack/substackfake"
	"github.com/mmcdole/gofeed"
)

// setup serves the sample publication and the plugin, configured with
// its feed, to an in-memory host that knows cslewis's types (or types).
func setup(t *testing.T, types []contenttypes.ContentType) (*sdktest.Harness, *substackfake.Server) {
	t.Helper()
	srv, err := substackfake.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	srv.SetItems(substackfake.SampleItems()...)
	if types == nil {
		types = cslewis.Plugin().ContentTypes
	}
	// Feed requests retry after 1 ms, 2 ms, 4 ms: a failing feed fails
	// fast.
	h := sdktest.New(t, Plugin(), &sdktest.Options{Types: types,
		Settings: map[string]string{SettingFeedURL: srv.FeedURL(), SettingRetryBackoff: "1ms"}})
	return h, srv
}

func syncNow(t *testing.T, h *sdktest.Harness) *Summary {
	t.Helper()
	raw, diags, err := h.RunAction(t.Context(), sdktest.Action{Name: ActionSyncNow})
	if err != nil {
		t.Fatalf("sync_now: %v", err)
	}
	if len(diags) > 0 {
		t.Fatalf("sync_now diagnostics: %v", diags)
	}
	var sum Summary
	if err := json.Unmarshal(raw, &sum); err != nil {
		t.Fatalf("decoding the sync_now result %s: %v", raw, err)
	}
	return &sum
}

func wantCounts(t *testing.T, sum *Summary, imported, updated, unchanged, failed int) {
	t.Helper()
	if sum.Imported != imported || sum.Updated != updated || sum.Unchanged != unchanged || len(sum.Failed) != failed {
		t.Errorf("imported/updated/unchanged/failed = %d/%d/%d/%d, want %d/%d/%d/%d (failures: %+v)",
			sum.Imported, sum.Updated, sum.Unchanged, len(sum.Failed), imported, updated, unchanged, failed, sum.Failed)
	}
}

// articles maps the guid of every stored article to its latest draft.
func articles(t *testing.T, h *sdktest.Harness) map[string]*sdk.Entry {
	t.Helper()
	out := map[string]*sdk.Entry{}
	for _, e := range h.Store.Entries(ArticleType) {
		g, _ := e.Fields["guid"].(string)
		out[g] = e
	}
	return out
}

func TestDeclaration(t *testing.T) {
	p := Plugin()
	if err := p.Check(); err != nil {
		t.Fatal(err)
	}
	want := []string{sdk.ScopeEntriesRead, sdk.ScopeEntriesWrite, sdk.ScopeEntriesPublish}
	if !slices.Equal(p.Scopes, want) {
		t.Errorf("scopes = %v, want %v", p.Scopes, want)
	}
	if len(p.Jobs) != 1 || p.Jobs[0].Kind != JobSync || p.Jobs[0].Every != 15*time.Minute || p.Jobs[0].MaxAttempts != SyncMaxAttempts {
		t.Errorf("jobs = %+v, want sync every 15m with %d attempts", p.Jobs, SyncMaxAttempts)
	}
	if len(p.Actions) != 1 || p.Actions[0].Name != ActionSyncNow || len(p.Actions[0].Types) != 0 {
		t.Errorf("actions = %+v, want the global sync_now", p.Actions)
	}
}

func TestSyncImportsAndPublishes(t *testing.T) {
	h, srv := setup(t, nil)
	ctx := t.Context()
	if err := h.RunJob(ctx, JobSync, nil); err != nil {
		t.Fatal(err)
	}
	if ua := srv.LastRequestHeader("User-Agent"); ua != UserAgent {
		t.Errorf("User-Agent = %q, want %q", ua, UserAgent)
	}
	got := articles(t, h)
	items := substackfake.SampleItems()
	if len(got) != len(items) {
		t.Fatalf("%d articles stored, want %d", len(got), len(items))
	}
	for _, it := range items {
		e := got[it.Link]
		if e == nil {
			t.Fatalf("no article with guid %s", it.Link)
		}
		live, ok := h.Store.LiveEntry(e.ID)
		if !ok || live.RevisionID != e.RevisionID {
			t.Errorf("article %s is not live at its synced revision", it.Link)
		}
		wantSlug := it.Link[strings.LastIndex(it.Link, "/")+1:]
		if e.Title != it.Title || e.Slug != wantSlug {
			t.Errorf("title, slug = %q, %q; want %q, %q", e.Title, e.Slug, it.Title, wantSlug)
		}
		for k, v := range map[string]string{"canonical_url": it.Link, "author": it.Creator, "source": "substack",
			"published_date": it.PubDate.UTC().Format(time.RFC3339)} {
			if e.Fields[k] != v {
				t.Errorf("%s: fields.%s = %v, want %q", it.Link, k, e.Fields[k], v)
			}
		}
	}
	first := got[substackfake.SampleLink+"/p/till-we-have-faces-revisited"].Fields
	for _, w := range []string{"**Few readers agreed**", "## The complaint", "> I ended my first book",
		"[![A veiled queen](https://substackcdn.com/image/fetch/faces.jpeg)](https://substackcdn.com/image/fetch/faces.jpeg)"} {
		if body, _ := first["body"].(string); !strings.Contains(body, w) {
			t.Errorf("body %q does not contain %q", body, w)
		}
	}
	if first["excerpt"] != "Why Orual’s complaint is the book’s answer." {
		t.Errorf("excerpt = %q", first["excerpt"])
	}
	// Created oldest first.
	drafts := h.Store.Drafts()
	if len(drafts) != 4 || !drafts[0].Created || drafts[0].Entry.Title != "An unsafe post" || !drafts[0].Published {
		t.Errorf("first saved draft = %+v, want the oldest post, created and published", drafts[0])
	}
}

func TestSyncIsIdempotent(t *testing.T) {
	h, srv := setup(t, nil)
	ctx := t.Context()
	if sum := syncNow(t, h); sum.Imported != 4 {
		t.Fatalf("first sync imported %d, want 4", sum.Imported)
	}
	before := len(h.Store.Drafts())

	// The job asks with the validators of the complete sync: 304.
	if err := h.RunJob(ctx, JobSync, nil); err != nil {
		t.Fatal(err)
	}
	if srv.NotModified() != 1 || srv.LastRequestHeader("If-None-Match") == "" {
		t.Errorf("304 answers = %d (If-None-Match %q), want 1", srv.NotModified(), srv.LastRequestHeader("If-None-Match"))
	}
	// sync_now fetches everything and compares: nothing to save.
	wantCounts(t, syncNow(t, h), 0, 0, 4, 0)
	// Without validators, the job compares everything too.
	srv.DisableETag(true)
	if err := h.RunJob(ctx, JobSync, nil); err != nil {
		t.Fatal(err)
	}
	if after := len(h.Store.Drafts()); after != before {
		t.Errorf("re-syncing an unchanged feed saved %d revisions", after-before)
	}
	if n := len(h.Store.Entries(ArticleType)); n != 4 {
		t.Errorf("%d articles after re-syncing, want 4", n)
	}
}

func TestSyncUpdatesChangedItems(t *testing.T) {
	h, srv := setup(t, nil)
	syncNow(t, h)
	guid := substackfake.SampleLink + "/p/reading-list-ransom"
	old := articles(t, h)[guid]
	srv.UpdateItem(guid, func(it *substackfake.Item) {
		it.Title = "Reading list: the Space Trilogy"
		it.Body = "<p>Read them <strong>in order</strong>.</p>"
	})
	sum := syncNow(t, h)
	wantCounts(t, sum, 0, 1, 3, 0)
	e := articles(t, h)[guid]
	if e.ID != old.ID || e.RevisionID == old.RevisionID {
		t.Fatalf("entry %s revision %s, want a new revision of %s", e.ID, e.RevisionID, old.ID)
	}
	if e.Title != "Reading list: the Space Trilogy" || e.Fields["body"] != "Read them **in order**." {
		t.Errorf("title, body = %q, %q", e.Title, e.Fields["body"])
	}
	if live, ok := h.Store.LiveEntry(e.ID); !ok || live.RevisionID != e.RevisionID {
		t.Error("the new revision is not live")
	}
	last := h.Store.Drafts()[len(h.Store.Drafts())-1]
	if last.Message != "Updated from Substack: title, body" || !last.Published {
		t.Errorf("revision message %q (published %t)", last.Message, last.Published)
	}
}

func TestSyncFindsDraftsAndKeepsEditorsChoices(t *testing.T) {
	h, srv := setup(t, nil)
	items := substackfake.SampleItems()
	srv.SetItems(items[:3]...)
	// An article of an older sync, saved but never published: the sync
	// finds it among the drafts and publishes it rather than duplicating.
	a, err := newSanitizer().mapItem(feedItem(t, srv, items[0].Link))
	if err != nil {
		t.Fatal(err)
	}
	draft := h.Store.Add(sdk.Entry{Type: ArticleType, Title: a.Title, Slug: a.Slug, Fields: a.values(nil)})
	// A synced article an editor took offline stays offline while the
	// post is unchanged.
	b, err := newSanitizer().mapItem(feedItem(t, srv, items[1].Link))
	if err != nil {
		t.Fatal(err)
	}
	offline := h.Store.Add(sdk.Entry{Type: ArticleType, Title: b.Title, Slug: b.Slug, Live: true, Fields: b.values(nil)})
	h.Store.Unpublish(offline.ID)
	// An editor's own article (no guid) is not touched.
	own := h.Store.Add(sdk.Entry{Type: ArticleType, Title: "Editor's note", Live: true, Fields: map[string]any{"source": "editor", "body": "Hi."}})

	sum := syncNow(t, h)
	wantCounts(t, sum, 1, 1, 1, 0)
	if n := len(h.Store.Entries(ArticleType)); n != 4 {
		t.Errorf("%d articles, want 4 (no duplicates)", n)
	}
	if live, ok := h.Store.LiveEntry(draft.ID); !ok || live.Fields["guid"] != items[0].Link {
		t.Error("the never-published synced draft was not published")
	}
	if _, ok := h.Store.LiveEntry(offline.ID); ok {
		t.Error("the article an editor unpublished was published again")
	}
	if e, _ := h.Store.Entry(own.ID); e.RevisionID != own.RevisionID {
		t.Error("the editor's article got a new revision")
	}
}

func TestSyncIsolatesItemFailures(t *testing.T) {
	// A copy of the article type whose author is at most 5 characters:
	// the host refuses that item with a diagnostic.
	types := cslewis.Plugin().ContentTypes
	for i := range types {
		if types[i].Key == ArticleType {
			for j := range types[i].Fields {
				if types[i].Fields[j].Name == "author" {
					five := 5
					types[i].Fields[j].MaxLength = &five
				}
			}
		}
	}
	h, srv := setup(t, types)
	good := substackfake.Item{Title: "Fine", Link: substackfake.SampleLink + "/p/fine", Creator: "Jack", Body: "<p>ok</p>",
		PubDate: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)}
	noTitle := good
	noTitle.Title, noTitle.Link = "", substackfake.SampleLink+"/p/untitled"
	insecure := good
	insecure.Title, insecure.Link = "Insecure", "http://inklingsdaily.substack.com/p/insecure"
	longAuthor := good
	longAuthor.Title, longAuthor.Link, longAuthor.Creator = "Long author", substackfake.SampleLink+"/p/long-author", "Clive Staples Lewis"
	dup := good
	dup.Title = "Fine again"
	srv.SetItems(good, noTitle, insecure, longAuthor, dup)

	sum := syncNow(t, h)
	wantCounts(t, sum, 1, 0, 0, 4)
	want := map[string]string{
		noTitle.Link:    "the item has no title",
		insecure.Link:   `the link "http://inklingsdaily.substack.com/p/insecure" is not an https URL`,
		longAuthor.Link: "fields.author: ",
		good.Link:       "the guid appears more than once in the feed",
	}
	for _, f := range sum.Failed {
		w, ok := want[f.GUID]
		if !ok || !strings.Contains(f.Error, w) {
			t.Errorf("failure %+v, want one for guid %s saying %q", f, f.GUID, w)
		}
		delete(want, f.GUID)
	}
	if len(want) != 0 {
		t.Errorf("no failure listed for %v", want)
	}
	if got := articles(t, h); len(got) != 1 || got[good.Link] == nil || got[good.Link].Title != "Fine" {
		t.Errorf("stored %v, want only the first good item", got)
	}
	// Failures keep the job from remembering the feed: the next run
	// fetches and retries everything instead of getting a 304.
	if err := h.RunJob(t.Context(), JobSync, nil); err != nil {
		t.Fatal(err)
	}
	if err := h.RunJob(t.Context(), JobSync, nil); err != nil {
		t.Fatal(err)
	}
	if srv.NotModified() != 0 {
		t.Errorf("%d 304 answers, want none while items fail", srv.NotModified())
	}
}

func TestSyncSanitises(t *testing.T) {
	h, _ := setup(t, nil)
	syncNow(t, h)
	e := articles(t, h)[substackfake.HostileGUID]
	body, _ := e.Fields["body"].(string)
	rendered := contenttypes.NewRenderer().Markdown(body)
	for _, s := range []string{body, rendered, e.Fields["excerpt"].(string)} {
		if m := unsafe.FindString(s); m != "" {
			t.Errorf("stored %q carries %q", s, m)
		}
	}
	for _, w := range []string{"[there](https://example.com/safe)", "![pic](https://substackcdn.com/image/fetch/x.png)", "After the attack."} {
		if !strings.Contains(body, w) {
			t.Errorf("body %q lost %q", body, w)
		}
	}
	if !strings.Contains(rendered, `rel="nofollow"`) {
		t.Errorf("rendered links %q lack rel=nofollow", rendered)
	}
	if e.Fields["excerpt"] != "Subtitle with markup & an ampersand" {
		t.Errorf("excerpt = %q", e.Fields["excerpt"])
	}
}

func TestSyncFeedFailures(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(*substackfake.Server)
		want      string
		permanent bool
		requests  int // per sync
	}{
		{"server error", func(s *substackfake.Server) { s.FailWith(http.StatusInternalServerError) }, "HTTP 500 Internal Server Error (gave up after 4 tries)", false, 4},
		{"not found", func(s *substackfake.Server) { s.FailWith(http.StatusNotFound) }, "HTTP 404 Not Found", true, 1},
		{"gone", func(s *substackfake.Server) { s.FailWith(http.StatusGone) }, "HTTP 410 Gone", true, 1},
		{"rate limited", func(s *substackfake.Server) { s.FailWith(http.StatusTooManyRequests) }, "HTTP 429", false, 4},
		{"malformed XML", func(s *substackfake.Server) {
			s.ServeRaw([]byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item><title>a</titl></item>`))
		}, "parsing", false, 1},
		{"truncated feed", func(s *substackfake.Server) {
			s.ServeRaw([]byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item><title>a</title>`))
		}, "parsing", false, 1},
		{"an HTML page", func(s *substackfake.Server) { s.ServeRaw([]byte("<!doctype html><html><body>Sign in</body></html>")) },
			"is not an RSS or Atom feed", false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, srv := setup(t, nil)
			tt.setup(srv)
			err := h.RunJob(t.Context(), JobSync, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("job error %v, want one saying %q", err, tt.want)
			}
			if protocol.IsPermanent(err) != tt.permanent {
				t.Errorf("job error permanent = %v, want %v", protocol.IsPermanent(err), tt.permanent)
			}
			_, _, err = h.RunAction(t.Context(), sdktest.Action{Name: ActionSyncNow})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("sync_now error %v, want one saying %q", err, tt.want)
			}
			if protocol.IsPermanent(err) != tt.permanent {
				t.Errorf("sync_now error permanent = %v, want %v", protocol.IsPermanent(err), tt.permanent)
			}
			if n := srv.Requests(); n != 2*tt.requests {
				t.Errorf("%d requests for two syncs, want %d", n, 2*tt.requests)
			}
			if n := len(h.Store.Drafts()); n != 0 {
				t.Errorf("%d drafts saved from a failing feed", n)
			}
		})
	}
}

// TestSyncRetriesTransientFailures: a feed that answers 429 and then 500
// syncs at the third request, in the job and in sync_now; after a
// permanent failure, a re-trigger syncs without duplicates.
func TestSyncRetriesTransientFailures(t *testing.T) {
	tests := []struct {
		name string
		run  func(*sdktest.Harness) (*Summary, error)
	}{
		{"job", func(h *sdktest.Harness) (*Summary, error) {
			if err := h.RunJob(t.Context(), JobSync, nil); err != nil {
				return nil, err
			}
			return &Summary{Imported: len(h.Store.Entries(ArticleType))}, nil
		}},
		{"sync_now", func(h *sdktest.Harness) (*Summary, error) {
			raw, _, err := h.RunAction(t.Context(), sdktest.Action{Name: ActionSyncNow})
			if err != nil {
				return nil, err
			}
			var sum Summary
			return &sum, json.Unmarshal(raw, &sum)
		}},
	}
	n := len(substackfake.SampleItems())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, srv := setup(t, nil)
			srv.FailNext(1, http.StatusTooManyRequests)
			srv.FailNext(1, http.StatusInternalServerError)
			sum, err := tt.run(h)
			if err != nil {
				t.Fatalf("sync: %v", err)
			}
			if sum.Imported != n || srv.Requests() != 3 {
				t.Errorf("imported %d with %d requests, want %d with 3", sum.Imported, srv.Requests(), n)
			}

			srv.FailWith(http.StatusNotFound)
			if _, err := tt.run(h); !protocol.IsPermanent(err) || !strings.Contains(err.Error(), "HTTP 404") {
				t.Errorf("sync of a 404 feed: %v, want a permanent error naming the 404", err)
			}
			srv.FailWith(0)
			if _, err := tt.run(h); err != nil {
				t.Fatalf("re-triggered sync: %v", err)
			}
			if got := len(h.Store.Entries(ArticleType)); got != n {
				t.Errorf("%d articles after the re-trigger, want %d", got, n)
			}
		})
	}
}

func TestConfigureChecksRetrySettings(t *testing.T) {
	tests := []struct {
		key, value, want string
	}{
		{SettingRequestRetries, "0", ""},
		{SettingRequestRetries, "10", ""},
		{SettingRequestRetries, "11", "from 0 to 10"},
		{SettingRequestRetries, "-1", "from 0 to 10"},
		{SettingRequestRetries, "three", "from 0 to 10"},
		{SettingRetryBackoff, "10ms", ""},
		{SettingRetryBackoff, "1m", ""},
		{SettingRetryBackoff, "2m", "from 1ms to 1m"},
		{SettingRetryBackoff, "10us", "from 1ms to 1m"},
		{SettingRetryBackoff, "10", "from 1ms to 1m"},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			h := sdktest.New(t, Plugin(), &sdktest.Options{NoConfigure: true,
				Settings: map[string]string{SettingFeedURL: "https://inklings.substack.com/feed", tt.key: tt.value}})
			diags, err := h.Configure(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == "" {
				if len(diags) != 0 {
					t.Errorf("diagnostics %v for a good value", diags)
				}
				return
			}
			if len(diags) != 1 || diags[0].Path != "settings."+tt.key || !strings.Contains(diags[0].Summary+diags[0].Detail, tt.want) {
				t.Errorf("diagnostics %v, want one at settings.%s saying %q", diags, tt.key, tt.want)
			}
		})
	}
}

func TestSyncFetchTimesOut(t *testing.T) {
	srv, err := substackfake.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.SetItems(substackfake.SampleItems()...)
	h := sdktest.New(t, New(Options{HTTPClient: &http.Client{Timeout: time.Nanosecond}}), &sdktest.Options{
		Types: cslewis.Plugin().ContentTypes, Settings: map[string]string{SettingFeedURL: srv.FeedURL(), SettingRetryBackoff: "1ms"}})
	err = h.RunJob(t.Context(), JobSync, nil)
	if err == nil || !strings.Contains(err.Error(), "substack feed "+srv.FeedURL()) || !strings.Contains(err.Error(), "gave up after 4 tries") {
		t.Errorf("job error %v, want a feed error after 4 tries", err)
	}
	if protocol.IsPermanent(err) {
		t.Error("a timeout failed the job for good")
	}
}

func TestSyncIdleWithoutFeedURL(t *testing.T) {
	srv, err := substackfake.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	h := sdktest.New(t, Plugin(), &sdktest.Options{Types: cslewis.Plugin().ContentTypes})
	if err := h.RunJob(t.Context(), JobSync, nil); err != nil {
		t.Fatalf("idle job failed: %v", err)
	}
	if len(h.Store.Drafts()) != 0 || srv.Requests() != 0 {
		t.Error("an unconfigured sync did something")
	}
	_, _, err = h.RunAction(t.Context(), sdktest.Action{Name: ActionSyncNow})
	if err == nil || !strings.Contains(err.Error(), "settings.feed_url") {
		t.Errorf("sync_now without feed_url: %v, want a 422 naming settings.feed_url", err)
	}
}

func TestSyncWithoutPublishScope(t *testing.T) {
	srv, err := substackfake.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.SetItems(substackfake.SampleItems()...)
	h := sdktest.New(t, Plugin(), &sdktest.Options{Types: cslewis.Plugin().ContentTypes,
		Scopes:   []string{sdk.ScopeEntriesRead, sdk.ScopeEntriesWrite},
		Settings: map[string]string{SettingFeedURL: srv.FeedURL()}})
	err = h.RunJob(t.Context(), JobSync, nil)
	if err == nil || !strings.Contains(err.Error(), "entries:publish") {
		t.Errorf("job error %v, want the host's refusal naming entries:publish", err)
	}
}

func TestConfigureChecksFeedURL(t *testing.T) {
	tests := []struct {
		url, want string
	}{
		{"https://inklings.substack.com/feed", ""},
		{"http://127.0.0.1:8080/feed", ""},
		{"http://localhost/feed", ""},
		{"http://inklings.substack.com/feed", "must use https"},
		{"ftp://inklings.substack.com/feed", "is not an absolute https URL"},
		{"inklings.substack.com/feed", "is not an absolute https URL"},
		{"https://user:pw@inklings.substack.com/feed", "must not carry credentials"},
		{"https://%zz", "is not a URL"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			h := sdktest.New(t, Plugin(), &sdktest.Options{NoConfigure: true, Settings: map[string]string{SettingFeedURL: tt.url}})
			diags, err := h.Configure(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == "" {
				if len(diags) != 0 {
					t.Errorf("diagnostics %v for a good URL", diags)
				}
				return
			}
			if len(diags) != 1 || diags[0].Path != "settings.feed_url" || !strings.Contains(diags[0].Summary+diags[0].Detail, tt.want) {
				t.Errorf("diagnostics %v, want one at settings.feed_url saying %q", diags, tt.want)
			}
		})
	}
}

// feedItem fetches the feed and returns its item with guid.
func feedItem(t *testing.T, srv *substackfake.Server, guid string) *gofeed.Item {
	t.Helper()
	got, err := newFetcher(nil, nil).fetch(context.Background(), srv.FeedURL(), false, retryPolicy{})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range got.Feed.Items {
		if it.GUID == guid {
			return it
		}
	}
	t.Fatalf("no item %s in the feed", guid)
	return nil
}

func TestConcurrentSyncsDoNotDuplicate(t *testing.T) {
	h, _ := setup(t, nil)
	const runs = 4
	errs := make(chan error, runs)
	imported := make(chan int, runs)
	for i := 0; i < runs; i++ {
		go func() {
			raw, _, err := h.RunAction(t.Context(), sdktest.Action{Name: ActionSyncNow})
			var sum Summary
			if err == nil {
				err = json.Unmarshal(raw, &sum)
			}
			errs <- err
			imported <- sum.Imported
		}()
	}
	total := 0
	for i := 0; i < runs; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		total += <-imported
	}
	if n := len(h.Store.Entries(ArticleType)); n != 4 || total != 4 {
		t.Errorf("%d articles, %d imported in all; want 4 and 4", n, total)
	}
}
