package sdk_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/plugins/sdk"
	"github.com/inklingcms/inkling/plugins/sdk/sdktest"
)

// prober serves a plugin whose admin action "probe" runs a function of the
// test inside the plugin, with the plugin's *sdk.Host: Host calls travel
// plugin → broker → in-memory host exactly as in production.
type prober struct {
	*sdktest.Harness
	mu sync.Mutex
	fn func(ctx context.Context, h *sdk.Host) error
}

func newProber(t *testing.T, opts *sdktest.Options) *prober {
	pr := &prober{}
	p := basePlugin()
	p.Scopes = sdk.AllScopes() // asks for everything; opts.Scopes decides
	p.Actions = []sdk.Action{{Name: "probe", Label: "Probe", Run: func(ctx context.Context, h *sdk.Host, _ *sdk.ActionRun) (any, contenttypes.Diagnostics, error) {
		pr.mu.Lock()
		fn := pr.fn
		pr.mu.Unlock()
		return nil, nil, fn(ctx, h)
	}}}
	pr.Harness = sdktest.New(t, p, opts)
	return pr
}

// run runs fn in the plugin and returns its error as fn returned it.
func (pr *prober) run(t *testing.T, fn func(ctx context.Context, h *sdk.Host) error) error {
	t.Helper()
	var got error
	pr.mu.Lock()
	pr.fn = func(ctx context.Context, h *sdk.Host) error { got = fn(ctx, h); return nil }
	pr.mu.Unlock()
	if _, _, err := pr.RunAction(t.Context(), sdktest.Action{Name: "probe"}); err != nil {
		t.Fatalf("RunAction: %v", err)
	}
	return got
}

func TestHostScopes(t *testing.T) {
	calls := []struct {
		name  string
		scope string // "" when always allowed
		call  func(ctx context.Context, h *sdk.Host) error
	}{
		{"GetEntry", sdk.ScopeEntriesRead, func(ctx context.Context, h *sdk.Host) error {
			_, err := h.GetEntry(ctx, "n1", false)
			return err
		}},
		{"ListEntries", sdk.ScopeEntriesRead, func(ctx context.Context, h *sdk.Host) error {
			_, err := h.ListEntries(ctx, sdk.ListParams{Type: "note"})
			return err
		}},
		{"SaveDraft", sdk.ScopeEntriesWrite, func(ctx context.Context, h *sdk.Host) error {
			_, ds, err := h.SaveDraft(ctx, sdk.Draft{EntryID: "n1", Title: "New title"})
			if err == nil && ds.HasError() {
				return ds
			}
			return err
		}},
		{"EnqueueJob", sdk.ScopeJobsEnqueue, func(ctx context.Context, h *sdk.Host) error {
			_, err := h.EnqueueJob(ctx, "reindex", nil, 0)
			return err
		}},
		{"InvalidateCache", sdk.ScopeCacheInvalidate, func(ctx context.Context, h *sdk.Host) error {
			return h.InvalidateCache(ctx, "n1")
		}},
		{"PutMedia", sdk.ScopeMediaWrite, func(ctx context.Context, h *sdk.Host) error {
			_, err := h.PutMedia(ctx, "a.txt", "text/plain", []byte("a"))
			return err
		}},
		{"GetSettings", "", func(ctx context.Context, h *sdk.Host) error {
			_, _, err := h.Settings(ctx)
			return err
		}},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			for _, granted := range []bool{true, false} {
				scopes := []string{}
				if granted && c.scope != "" {
					scopes = []string{c.scope}
				}
				pr := newProber(t, &sdktest.Options{Scopes: scopes})
				pr.Store.Add(sdk.Entry{ID: "n1", Type: "note", Title: "N", Fields: contenttypes.Values{"body": "b"}})
				err := pr.run(t, c.call)
				switch {
				case granted || c.scope == "":
					if err != nil {
						t.Errorf("granted %v: %v", scopes, err)
					}
				default:
					if !errors.Is(err, sdk.ErrPermission) {
						t.Fatalf("without scope: got %v, want ErrPermission", err)
					}
					var he *sdk.HostError
					if !errors.As(err, &he) || he.Method != c.name || !strings.Contains(he.Message, c.scope) {
						t.Errorf("got %#v, want the host's message naming %s", err, c.scope)
					}
					if errors.Is(err, sdk.ErrNotFound) {
						t.Error("a permission error also matches ErrNotFound")
					}
				}
			}
		})
	}
}

func TestHostReadsEntries(t *testing.T) {
	pr := newProber(t, nil)
	for i, tags := range [][]any{{"x"}, {"y"}, {"x", "y"}, nil, {"x"}} {
		e := sdk.Entry{Type: "note", Title: "Note " + string(rune('A'+i)), Live: i != 3,
			Fields: contenttypes.Values{"body": "b", "rating": i + 1, "tags": tags}}
		pr.Store.Add(e)
	}
	pr.Store.Add(sdk.Entry{ID: "draft", Type: "note", Title: "Draft", Fields: contenttypes.Values{"body": "b"}})
	pr.Store.Add(sdk.Entry{ID: "page1", Type: "page", Title: "Page", Live: true})

	cases := []struct {
		name string
		fn   func(ctx context.Context, h *sdk.Host) error
	}{
		{"GetEntry decodes the entry", func(ctx context.Context, h *sdk.Host) error {
			e, err := h.GetEntry(ctx, "e1", true)
			if err != nil {
				return err
			}
			var f struct {
				Body   string
				Rating int
				Tags   []string
			}
			if err := e.Decode(&f); err != nil {
				return err
			}
			if e.Title != "Note A" || e.Slug != "note-a" || !e.Live || e.FirstPublishedAt.IsZero() || e.LiveRevisionID != e.RevisionID ||
				f.Rating != 1 || !slices.Equal(f.Tags, []string{"x"}) || e.Fields["rating"] != json.Number("1") {
				return errors.New("unexpected entry: " + mustJSON(e))
			}
			return nil
		}},
		{"GetEntry of a missing entry", func(ctx context.Context, h *sdk.Host) error {
			_, err := h.GetEntry(ctx, "nope", false)
			return want(errors.Is(err, sdk.ErrNotFound) && !errors.Is(err, sdk.ErrPermission), err)
		}},
		{"GetEntry published of a draft", func(ctx context.Context, h *sdk.Host) error {
			_, err := h.GetEntry(ctx, "draft", true)
			if !errors.Is(err, sdk.ErrNotFound) {
				return want(false, err)
			}
			e, err := h.GetEntry(ctx, "draft", false)
			return want(err == nil && !e.Live && e.FirstPublishedAt.IsZero(), err)
		}},
		{"Entries follows cursors", func(ctx context.Context, h *sdk.Host) error {
			var titles []string
			for e, err := range h.Entries(ctx, sdk.ListParams{Type: "note", Published: true, Limit: 2}) {
				if err != nil {
					return err
				}
				titles = append(titles, e.Title)
			}
			return want(slices.Equal(titles, []string{"Note A", "Note B", "Note C", "Note E"}), errors.New(strings.Join(titles, ",")))
		}},
		{"one page", func(ctx context.Context, h *sdk.Host) error {
			page, err := h.ListEntries(ctx, sdk.ListParams{Type: "note", Limit: 4})
			if err != nil {
				return err
			}
			return want(len(page.Entries) == 4 && page.NextCursor != "", errors.New(mustJSON(page)))
		}},
		{"filters", func(ctx context.Context, h *sdk.Host) error {
			var ids []string
			for e, err := range h.Entries(ctx, sdk.ListParams{Type: "note", Published: true, Filters: map[string]string{"tags": "x"}}) {
				if err != nil {
					return err
				}
				ids = append(ids, e.ID)
			}
			page, err := h.ListEntries(ctx, sdk.ListParams{Type: "note", Published: true, Filters: map[string]string{"rating": "2"}})
			if err != nil {
				return err
			}
			return want(slices.Equal(ids, []string{"e1", "e3", "e5"}) && len(page.Entries) == 1 && page.Entries[0].ID == "e2",
				errors.New(strings.Join(ids, ",")))
		}},
		{"filter operators", func(ctx context.Context, h *sdk.Host) error {
			ids := func(f map[string]string) string {
				var out []string
				for e, err := range h.Entries(ctx, sdk.ListParams{Type: "note", Published: true, Filters: f}) {
					if err != nil {
						return err.Error()
					}
					out = append(out, e.ID)
				}
				return strings.Join(out, ",")
			}
			got := []string{ids(map[string]string{"rating[gte]": "3"}), ids(map[string]string{"tags[in]": "y,z"}),
				ids(map[string]string{"rating[lt]": "3", "tags": "x"}), ids(map[string]string{"rating[ne]": "1"})}
			return want(slices.Equal(got, []string{"e3,e5", "e2,e3", "e1", "e2,e3,e5"}), errors.New(strings.Join(got, " | ")))
		}},
		{"a filter on a field that is not indexed", func(ctx context.Context, h *sdk.Host) error {
			_, err := h.ListEntries(ctx, sdk.ListParams{Type: "note", Published: true, Filters: map[string]string{"body": "b"}})
			return want(errors.Is(err, sdk.ErrInvalid), err)
		}},
		{"stops at the first error", func(ctx context.Context, h *sdk.Host) error {
			n := 0
			for e, err := range h.Entries(ctx, sdk.ListParams{Cursor: "not a cursor"}) {
				n++
				if e != nil || !errors.Is(err, sdk.ErrInvalid) {
					return want(false, err)
				}
			}
			return want(n == 1, nil)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := pr.run(t, tc.fn); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestHostWrites(t *testing.T) {
	pr := newProber(t, &sdktest.Options{Secrets: map[string]string{"API_KEY": "s3cret"}, Settings: map[string]string{"mode": "fast"}})
	pr.Store.Add(sdk.Entry{ID: "n1", Type: "note", Title: "N", Fields: contenttypes.Values{"body": "b"}, Live: true})
	narrated := pr.Store.Add(sdk.Entry{ID: "n2", Type: "note", Title: "Narrated", Fields: contenttypes.Values{"body": "b"}})
	cases := []struct {
		name string
		fn   func(ctx context.Context, h *sdk.Host) error
	}{
		{"create a draft", func(ctx context.Context, h *sdk.Host) error {
			e, ds, err := h.SaveDraft(ctx, sdk.Draft{Type: "note", Title: "Fresh Note", Message: "by the plugin",
				Fields: map[string]any{"body": "hello", "steps": []any{map[string]any{"type": "step", "value": map[string]any{"text": "t"}}}}})
			if err != nil || len(ds) > 0 {
				return want(false, errors.Join(err, ds))
			}
			var f struct{ Steps []sdk.Block }
			if err := e.Decode(&f); err != nil {
				return err
			}
			// The host prepared the values: the block has an id.
			return want(e.ID != "" && e.Slug == "fresh-note" && !e.Live && len(f.Steps) == 1 && f.Steps[0].ID != "", errors.New(mustJSON(e)))
		}},
		{"invalid values are not saved", func(ctx context.Context, h *sdk.Host) error {
			e, ds, err := h.SaveDraft(ctx, sdk.Draft{EntryID: "n1", Fields: contenttypes.Values{"rating": 0}})
			if err != nil {
				return err
			}
			return want(e == nil && len(ds.At("fields.body")) == 1 && len(ds.At("fields.rating")) == 1, ds)
		}},
		{"update with a stale base revision", func(ctx context.Context, h *sdk.Host) error {
			_, _, err := h.SaveDraft(ctx, sdk.Draft{EntryID: "n1", Title: "T", BaseRevisionID: "r0"})
			return want(errors.Is(err, sdk.ErrConflict), err)
		}},
		{"update keeps what is not sent", func(ctx context.Context, h *sdk.Host) error {
			cur, err := h.GetEntry(ctx, "n1", false)
			if err != nil {
				return err
			}
			var keep contenttypes.Values // a nil Values keeps the fields, like nil
			e, _, err := h.SaveDraft(ctx, sdk.Draft{EntryID: "n1", Title: "Renamed", BaseRevisionID: cur.RevisionID, Fields: keep})
			if err != nil {
				return err
			}
			return want(e.Title == "Renamed" && e.Fields["body"] == "b" && e.HasUnpublishedChanges && e.RevisionID != cur.RevisionID, errors.New(mustJSON(e)))
		}},
		{"update of a missing entry", func(ctx context.Context, h *sdk.Host) error {
			_, _, err := h.SaveDraft(ctx, sdk.Draft{EntryID: "nope", Title: "T"})
			return want(errors.Is(err, sdk.ErrNotFound), err)
		}},
		{"settings and secrets", func(ctx context.Context, h *sdk.Host) error {
			settings, secrets, err := h.Settings(ctx)
			if err != nil {
				return err
			}
			key, ok, err := h.Secret(ctx, "api_key")
			if err != nil {
				return err
			}
			_, missing, _ := h.Secret(ctx, "other")
			return want(settings["mode"] == "fast" && secrets["API_KEY"] == "s3cret" && ok && key == "s3cret" && !missing && h.Setting("mode") == "fast", nil)
		}},
		{"enqueue", func(ctx context.Context, h *sdk.Host) error {
			id, err := h.EnqueueJob(ctx, "reindex", map[string]string{"id": "n1"}, 1500*time.Millisecond)
			return want(err == nil && id != "", err)
		}},
		{"enqueue an undeclared kind", func(ctx context.Context, h *sdk.Host) error {
			_, err := h.EnqueueJob(ctx, "other", nil, 0)
			var he *sdk.HostError
			return want(err != nil && !errors.As(err, &he) && strings.Contains(err.Error(), "not declared"), err)
		}},
		{"invalidate", func(ctx context.Context, h *sdk.Host) error {
			return errors.Join(h.InvalidateCache(ctx, "n1", "notes"), h.InvalidateCache(ctx))
		}},
		{"media", func(ctx context.Context, h *sdk.Host) error {
			m, err := h.PutMedia(ctx, "dir/cover.png", "image/png", []byte{1, 2})
			if err != nil {
				return err
			}
			_, err2 := h.PutMedia(ctx, "", "image/png", nil)
			// Content-addressed: sha256("\x01\x02") in hex plus the extension.
			return want(m.Key == "a12871fee210fb8619291eaea194581cbd2531e4b23759d225f6806923f63222.png" && m.URL == "/media/"+m.Key &&
				m.SHA256+".png" == m.Key && m.Size == 2 && errors.Is(err2, sdk.ErrInvalid), err2)
		}},
		{"attach media", func(ctx context.Context, h *sdk.Host) error {
			e := narrated
			if _, err := h.AttachMedia(ctx, sdk.Attachment{EntryID: e.ID, Role: "audio", SourceHash: "v1", Filename: "a.mp3", ContentType: "audio/mpeg", Data: []byte("one")}); err != nil {
				return err
			}
			if _, err := h.AttachMedia(ctx, sdk.Attachment{EntryID: e.ID, Role: "audio", SourceHash: "v2", Filename: "a.mp3", ContentType: "audio/mpeg", Data: []byte("two")}); err != nil {
				return err
			}
			got, err := h.EntryMedia(ctx, e.ID, "audio")
			if err != nil {
				return err
			}
			_, errRole := h.AttachMedia(ctx, sdk.Attachment{EntryID: e.ID, Role: "Bad Role", Filename: "a.mp3", Data: []byte("x")})
			_, errMissing := h.EntryMedia(ctx, "nope", "")
			return want(len(got) == 1 && got[0].SourceHash == "v2" && got[0].Role == "audio" && got[0].EntryID == e.ID &&
				errors.Is(errRole, sdk.ErrInvalid) && errors.Is(errMissing, sdk.ErrNotFound), errors.Join(errRole, errMissing))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := pr.run(t, tc.fn); err != nil {
				t.Error(err)
			}
		})
	}

	// What the plugin did is on record.
	drafts := pr.Store.Drafts()
	if len(drafts) != 2 || !drafts[0].Created || drafts[0].Message != "by the plugin" || drafts[1].Entry.Title != "Renamed" {
		t.Errorf("drafts: %+v", drafts)
	}
	if live, _ := pr.Store.LiveEntry("n1"); live.Title != "N" {
		t.Errorf("a draft changed the live version: %+v", live)
	}
	if jobs := pr.Store.Jobs(); len(jobs) != 1 || jobs[0].Kind != "reindex" || jobs[0].Delay != 2*time.Second || string(jobs[0].Args) != `{"id":"n1"}` {
		t.Errorf("jobs: %+v", jobs)
	}
	if tags := pr.Store.InvalidatedTags(); !slices.Equal(tags, []string{"n1", "notes"}) {
		t.Errorf("tags: %v", tags)
	}
	if media := pr.Store.Media(); len(media) != 3 || media[0].ContentType != "image/png" || len(media[0].Data) != 2 {
		t.Errorf("media: %+v", media)
	}
	if a, ok := pr.Store.Attachment("n2", "audio"); !ok || string(a.Data) != "two" || a.SourceHash != "v2" {
		t.Errorf("attachment: %+v %v", a, ok)
	}
}

func TestHostBeforeConfigure(t *testing.T) {
	pr := newProber(t, &sdktest.Options{NoConfigure: true})
	err := pr.run(t, func(ctx context.Context, h *sdk.Host) error {
		_, err := h.GetEntry(ctx, "n1", false)
		return err
	})
	if !errors.Is(err, sdk.ErrUnavailable) || !strings.Contains(err.Error(), "Configure") {
		t.Fatalf("got %v, want ErrUnavailable", err)
	}
	if _, err := pr.Configure(t.Context()); err != nil {
		t.Fatal(err)
	}
	err = pr.run(t, func(ctx context.Context, h *sdk.Host) error {
		_, err := h.GetEntry(ctx, "n1", false)
		return err
	})
	if !errors.Is(err, sdk.ErrNotFound) {
		t.Fatalf("after Configure: got %v, want ErrNotFound", err)
	}
}

// want returns nil when ok, and err (or a generic error) otherwise.
func want(ok bool, err error) error {
	if ok {
		return nil
	}
	if err == nil {
		return errors.New("unexpected result")
	}
	return err
}

func mustJSON(v any) string {
	raw, _ := json.Marshal(v)
	return string(raw)
}
