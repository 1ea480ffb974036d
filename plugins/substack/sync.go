package substack

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/inklingcms/inkling/plugins/sdk"
	"github.com/mmcdole/gofeed"
)

// Summary is the outcome of one sync: the result of the sync_now action
// and what the sync job logs.
type Summary struct {
	FeedURL string `json:"feed_url,omitempty"`
	// Idle is true when no feed_url is set: nothing was fetched.
	Idle bool `json:"idle,omitempty"`
	// NotModified is true when the feed answered 304 to a conditional
	// request: nothing changed since the last complete sync.
	NotModified bool `json:"not_modified,omitempty"`
	// Items counts the items of the feed.
	Items     int       `json:"items"`
	Imported  int       `json:"imported"`
	Updated   int       `json:"updated"`
	Unchanged int       `json:"unchanged"`
	Failed    []Failure `json:"failed"`
}

// Failure is an item that could not be synced.
type Failure struct {
	GUID  string `json:"guid"`
	Title string `json:"title,omitempty"`
	Error string `json:"error"`
}

func (s *Summary) fail(guid, title string, err error) {
	s.Failed = append(s.Failed, Failure{GUID: guid, Title: title, Error: err.Error()})
}

// LogValue lists the counts (and failed guids) for the log.
func (s *Summary) LogValue() slog.Value {
	guids := make([]string, len(s.Failed))
	for i, f := range s.Failed {
		guids[i] = f.GUID
	}
	return slog.GroupValue(slog.String("feed_url", s.FeedURL), slog.Bool("not_modified", s.NotModified),
		slog.Int("items", s.Items), slog.Int("imported", s.Imported), slog.Int("updated", s.Updated),
		slog.Int("unchanged", s.Unchanged), slog.Int("failed", len(s.Failed)), slog.String("failed_guids", strings.Join(guids, " ")))
}

// syncer syncs the feed into article entries. One sync runs at a time per
// process (the job and the action share it), so that two runs never both
// create the same article.
type syncer struct {
	fetch *fetcher
	clean *sanitizer
	log   *slog.Logger
	sem   chan struct{}
}

// run syncs the feed of the feed_url setting. conditional lets an
// unchanged feed answer 304 (the periodic job); the admin action always
// fetches and compares everything. A feed-level failure (the feed cannot
// be fetched or parsed, the host refuses every call) is an error, marked
// sdk.Permanent when retrying cannot fix it (see fetcher.fetch); a failure
// of one item is listed in the summary and the others go on.
func (s *syncer) run(ctx context.Context, h *sdk.Host, conditional bool) (*Summary, error) {
	cfg, _ := loadConfig(h.Setting) // Configure refused invalid settings
	sum := &Summary{FeedURL: cfg.feedURL, Failed: []Failure{}}
	if sum.FeedURL == "" {
		sum.Idle = true
		return sum, nil
	}
	select {
	case s.sem <- struct{}{}:
		defer func() { <-s.sem }()
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for the running sync: %w", ctx.Err())
	}

	got, err := s.fetch.fetch(ctx, sum.FeedURL, conditional, cfg.retry)
	if err != nil {
		return nil, err
	}
	if got.Feed == nil {
		sum.NotModified = true
		return sum, nil
	}
	items := slices.Clone(got.Feed.Items)
	sum.Items = len(items)
	// Oldest first, so that articles are created in publication order.
	slices.SortStableFunc(items, func(a, b *gofeed.Item) int { return cmp.Compare(pubTime(a), pubTime(b)) })

	existing, err := s.index(ctx, h)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, it := range items {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("sync of %s interrupted after %d of %d items: %w", sum.FeedURL,
				sum.Imported+sum.Updated+sum.Unchanged+len(sum.Failed), sum.Items, err)
		}
		a, err := s.clean.mapItem(it)
		if err != nil {
			sum.fail(strings.TrimSpace(it.GUID), strings.TrimSpace(it.Title), err)
			continue
		}
		if seen[a.GUID] {
			sum.fail(a.GUID, a.Title, errors.New("the guid appears more than once in the feed; only its first item was synced"))
			continue
		}
		seen[a.GUID] = true
		if err := s.upsert(ctx, h, a, existing, sum); err != nil {
			return nil, err
		}
	}
	if len(sum.Failed) == 0 {
		s.fetch.remember(sum.FeedURL, got.validators)
	}
	return sum, nil
}

func pubTime(it *gofeed.Item) int64 {
	if it.PublishedParsed == nil {
		return 0
	}
	return it.PublishedParsed.UnixNano()
}

// index maps the guid of every article (its latest draft, published or
// not) to its entry. ListEntries filters only published entries, and a
// synced article may be unpublished or an unpublished draft, so the sync
// lists the drafts once and looks guids up in memory.
func (s *syncer) index(ctx context.Context, h *sdk.Host) (map[string]*sdk.Entry, error) {
	out := map[string]*sdk.Entry{}
	for e, err := range h.Entries(ctx, sdk.ListParams{Type: ArticleType, Limit: 100}) {
		if err != nil {
			return nil, fmt.Errorf("listing the stored articles: %w", err)
		}
		guid, _ := e.Fields["guid"].(string)
		if guid == "" {
			continue // written by editors
		}
		if other, dup := out[guid]; dup {
			s.log.Warn("two articles carry the same feed guid; the sync updates the first", "guid", guid,
				"entry", other.ID, "duplicate", e.ID)
			continue
		}
		out[guid] = e
	}
	return out, nil
}

// upsert creates or updates the article of a, publishing the saved
// revision, and counts the outcome. It returns an error only when the
// whole sync must stop (the host refuses every call, or time is up).
func (s *syncer) upsert(ctx context.Context, h *sdk.Host, a *article, existing map[string]*sdk.Entry, sum *Summary) error {
	d := sdk.Draft{Type: ArticleType, Title: a.Title, Slug: a.Slug, Publish: true}
	cur := existing[a.GUID]
	if cur == nil {
		d.Fields, d.Message = a.values(nil), "Imported from Substack"
	} else {
		changed := a.differs(cur.Title, cur.Slug, cur.Fields)
		neverPublished := !cur.Live && cur.FirstPublishedAt.IsZero()
		if len(changed) == 0 && !neverPublished {
			sum.Unchanged++
			return nil
		}
		d.EntryID, d.BaseRevisionID, d.Fields = cur.ID, cur.RevisionID, a.values(cur.Fields)
		d.Message = "Updated from Substack: " + strings.Join(changed, ", ")
		if len(changed) == 0 {
			d.Message = "Published from Substack (the synced revision was never published)"
		}
	}
	e, diags, err := h.SaveDraft(ctx, d)
	switch {
	case err != nil && (errors.Is(err, sdk.ErrPermission) || errors.Is(err, sdk.ErrUnavailable) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)):
		return fmt.Errorf("saving article %s: %w", a.GUID, err)
	case err != nil:
		sum.fail(a.GUID, a.Title, fmt.Errorf("saving the article: %w", err))
		return nil
	case diags.HasError():
		sum.fail(a.GUID, a.Title, fmt.Errorf("the article is invalid: %s", diags.Errors().Error()))
		return nil
	}
	existing[a.GUID] = e
	if cur == nil {
		sum.Imported++
	} else {
		sum.Updated++
	}
	return nil
}
