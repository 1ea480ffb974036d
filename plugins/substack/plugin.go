package substack

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/plugins/sdk"
)

// Version of the plugin.
const Version = "0.1.0"

// Name of the plugin.
const Name = "substack"

// SettingFeedURL is the setting holding the publication's feed URL, e.g.
// https://NAME.substack.com/feed. Unset, the plugin is idle.
const SettingFeedURL = "feed_url"

// Job and action names.
const (
	JobSync       = "sync"
	ActionSyncNow = "sync_now"
)

// SyncEvery is how often the host runs the sync job. It is part of the
// declaration, so it is fixed (not a setting).
const SyncEvery = 15 * time.Minute

// SyncMaxAttempts bounds the retries of one failed sync (the next period
// runs anyway).
const SyncMaxAttempts = 3

// Options configure the plugin; the zero value is production's.
type Options struct {
	// HTTPClient fetches the feed; nil uses a client with FetchTimeout.
	HTTPClient *http.Client
	// Logger receives the sync summaries; nil logs text to stderr, which
	// the host captures into its log.
	Logger *slog.Logger
}

// Plugin declares the Substack plugin with production options.
func Plugin() *sdk.Plugin { return New(Options{}) }

// New declares the Substack plugin.
func New(opts Options) *sdk.Plugin {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	s := &syncer{fetch: newFetcher(opts.HTTPClient, log), clean: newSanitizer(), log: log, sem: make(chan struct{}, 1)}
	return &sdk.Plugin{
		Name:    Name,
		Version: Version,
		Scopes:  []string{sdk.ScopeEntriesRead, sdk.ScopeEntriesWrite, sdk.ScopeEntriesPublish},
		Jobs: []sdk.Job{{
			Kind:        JobSync,
			Description: "Import and update articles from the Substack feed (feed_url)",
			Every:       SyncEvery,
			MaxAttempts: SyncMaxAttempts,
			Run:         s.job,
		}},
		Actions:   []sdk.Action{{Name: ActionSyncNow, Label: "Sync Substack now", Run: s.action}},
		Configure: configure,
		Logger:    opts.Logger,
	}
}

// configure checks the settings: the plugin does not start with a
// malformed feed_url, request_retries or retry_backoff.
func configure(_ context.Context, h *sdk.Host) error {
	if _, diags := loadConfig(h.Setting); diags.HasError() {
		return diags
	}
	return nil
}

// feedURL is the feed_url setting, trimmed.
func feedURL(h *sdk.Host) string { return strings.TrimSpace(h.Setting(SettingFeedURL)) }

// job is the periodic sync. Per-item failures are logged and do not fail
// the job; a feed-level failure does, and the host retries it, unless it
// is permanent (the feed answered 404, 410 or another 4xx), which the
// host records without retrying.
func (s *syncer) job(ctx context.Context, h *sdk.Host, j *sdk.JobRun) error {
	sum, err := s.run(ctx, h, true)
	if err != nil {
		s.log.Error("substack sync failed", "attempt", j.Attempt, "final", j.Final() || sdk.IsPermanent(err),
			"permanent", sdk.IsPermanent(err), "error", err)
		return err
	}
	s.report(sum)
	return nil
}

// action is sync_now: a full (unconditional) sync, whose summary is the
// result.
func (s *syncer) action(ctx context.Context, h *sdk.Host, _ *sdk.ActionRun) (any, contenttypes.Diagnostics, error) {
	if feedURL(h) == "" {
		var diags contenttypes.Diagnostics
		diags.AppendError("settings."+SettingFeedURL, contenttypes.CodeRequired,
			"no feed to sync: set the plugin setting feed_url (e.g. https://NAME.substack.com/feed)")
		return nil, nil, sdk.Invalid(diags)
	}
	sum, err := s.run(ctx, h, false)
	if err != nil {
		s.log.Error("substack sync failed", "permanent", sdk.IsPermanent(err), "error", err)
		return nil, nil, err
	}
	s.report(sum)
	return sum, nil, nil
}

func (s *syncer) report(sum *Summary) {
	if sum.Idle {
		s.log.Info("substack sync idle: no feed_url set")
		return
	}
	s.log.Info("substack sync done", "sync", sum)
	for _, f := range sum.Failed {
		s.log.Warn("substack item not synced", "guid", f.GUID, "title", f.Title, "error", f.Error)
	}
}
