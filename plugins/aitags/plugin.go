// Package aitags is the AI tag drafting plugin: when a passage's text
// changes, a job asks Anthropic's Messages API (through the official
// anthropic-sdk-go client, with tool use for structured output) which tags
// of the managed vocabulary describe it, and stores them, with their
// confidence, as draft suggestions in the passage's tag_review for an
// editor to review. It never touches the editor-accepted motifs, never
// drops an editor's suggestions, and never blocks saving or publishing:
// a failure is recorded on the passage (tag_review.status "failed") and
// fails the job, which the host then lists among its failed jobs.
//
// Without the api_key secret the plugin is idle: its hooks do nothing.
// See docs/integrations.md for the operator's view.
package aitags

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/plugins/sdk"
)

// Name and Version of the plugin.
const (
	Name    = "aitags"
	Version = "0.1.0"
)

// The job kind and the admin action the plugin declares.
const (
	JobDraftTags      = "draft_tags"
	ActionRedraftTags = "redraft_tags"
)

// Defaults of the settings.
const (
	DefaultTypes = "passage"
	// DefaultModel is a current Claude model (claude-sonnet-4-5 reaches
	// its end of life on 2026-11-30).
	DefaultModel      = anthropic.ModelClaudeSonnet5_5
	DefaultMaxTags    = 8
	DefaultMaxRetries = 2
	// MaxAttempts is the draft_tags job's declared MaxAttempts: the host
	// runs a job whose drafts fail transiently at most this often; the
	// last attempt records the failure on the entry.
	MaxAttempts = 5
	// RequestTimeout bounds one HTTP attempt of the client.
	RequestTimeout = 30 * time.Second
	// JobTimeout bounds one run of draft_tags: the client's attempts
	// (1 + max_retries, each up to RequestTimeout, with backoff) and the
	// host calls around them.
	JobTimeout = 3 * time.Minute
)

// DefaultPrompt is the system prompt unless the prompt setting replaces it.
const DefaultPrompt = `You are an editorial assistant for a library of short passages from the writings of C. S. Lewis.
An editor will review the tags you propose before they are used, so propose only tags you would defend.

Read the passage and choose, from the managed vocabulary only, the tags that name its themes and motifs.
For each tag give a confidence between 0 and 1: the probability that the editor accepts it.
Prefer a few accurate tags to many loose ones; leave out tags that merely share a word with the passage.
Never invent a tag that is not in the vocabulary, and answer only by calling the propose_tags tool.`

// Setting and secret keys.
const (
	SettingTypes      = "types"
	SettingModel      = "model"
	SettingPrompt     = "prompt"
	SettingBaseURL    = "base_url"
	SettingVocabulary = "vocabulary"
	SettingMaxTags    = "max_tags"
	SettingMaxRetries = "max_retries"
	SecretAPIKey      = "api_key"
	SecretBaseURL     = "base_url"
)

// Options configure the plugin beyond its settings; the zero value is what
// Plugin uses.
type Options struct {
	// Logger receives the plugin's own messages; nil logs text to stderr,
	// which the host captures into its log.
	Logger *slog.Logger
	// HTTPClient is the client the Anthropic client sends with; nil uses
	// a fresh http.Client.
	HTTPClient *http.Client
	// Now is the clock of drafted_at; nil is time.Now.
	Now func() time.Time
	// Types are the content types the plugin's after_save hook and
	// redraft_tags action are bound to (nil: DefaultTypes). The types
	// setting picks among them. Each needs the passage's body, motifs and
	// tag_review fields.
	Types []string
}

// Plugin declares the aitags plugin.
func Plugin() *sdk.Plugin { return New(Options{}) }

// New declares the aitags plugin with options.
func New(o Options) *sdk.Plugin {
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if len(o.Types) == 0 {
		o.Types = []string{DefaultTypes}
	}
	t := &tagger{log: o.Logger.With("plugin", Name), httpClient: o.HTTPClient, now: o.Now, bound: slices.Clone(o.Types)}
	return &sdk.Plugin{
		Name:    Name,
		Version: Version,
		Scopes:  []string{sdk.ScopeEntriesRead, sdk.ScopeEntriesWrite, sdk.ScopeJobsEnqueue},
		Events:  []sdk.EventHook{{Event: sdk.AfterSave, Types: slices.Clone(o.Types), Func: t.afterSave}},
		Jobs: []sdk.Job{{Kind: JobDraftTags, MaxAttempts: MaxAttempts, Timeout: JobTimeout, Run: t.draftTags,
			Description: "Drafts tag suggestions for an entry with Claude and stores them in its tag_review."}},
		Actions: []sdk.Action{{Name: ActionRedraftTags, Label: "Redraft tags", Types: slices.Clone(o.Types),
			Run: t.redraft}},
		Configure: t.configure,
	}
}

// tagger is the plugin's state: its configuration, set by Configure.
type tagger struct {
	// bound are the types the hook and the action are declared for.
	bound      []string
	log        *slog.Logger
	httpClient *http.Client
	now        func() time.Time

	mu  sync.RWMutex
	cfg *config
}

// config is the plugin's configuration from its settings and secrets.
type config struct {
	types      []string
	model      string
	prompt     string
	baseURL    string
	vocabulary []string // nil: the motifs of the entries
	maxTags    int
	maxRetries int
	// drafter is nil when the plugin is idle (no API key).
	drafter drafter
}

// handles reports whether the plugin drafts tags for entries of typ.
func (c *config) handles(typ string) bool {
	return slices.Contains(c.types, typ)
}

// active returns the configuration when the plugin drafts tags, and nil
// when it is idle or not configured yet.
func (t *tagger) active() *config {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.cfg == nil || t.cfg.drafter == nil {
		return nil
	}
	return t.cfg
}

// configure reads the settings and secrets and builds the client. Without
// an API key (or without the scopes it needs) the plugin stays idle.
func (t *tagger) configure(ctx context.Context, h *sdk.Host) error {
	settings, secrets, err := h.Settings(ctx)
	if err != nil {
		return fmt.Errorf("aitags: reading settings: %w", err)
	}
	cfg, diags := parseConfig(settings, secrets, t.bound)
	if diags.HasError() {
		return diags
	}
	key := lookup(secrets, SecretAPIKey)
	var missing []string
	for _, s := range []string{sdk.ScopeEntriesRead, sdk.ScopeEntriesWrite, sdk.ScopeJobsEnqueue} {
		if !h.HasScope(s) {
			missing = append(missing, s)
		}
	}
	switch {
	case key == "":
		t.log.Info("aitags is idle: no api_key secret (set INKLING_PLUGIN_AITAGS_API_KEY to draft tags)")
	case len(missing) > 0:
		t.log.Warn("aitags is idle: scopes not granted", "missing", strings.Join(missing, ","))
	default:
		cfg.drafter = newClaude(key, cfg, t.httpClient)
		t.log.Info("aitags drafts tags", "model", cfg.model, "types", strings.Join(cfg.types, ","),
			"vocabulary", vocabularySource(cfg))
	}
	t.mu.Lock()
	t.cfg = cfg
	t.mu.Unlock()
	return nil
}

func vocabularySource(cfg *config) string {
	if cfg.vocabulary != nil {
		return strconv.Itoa(len(cfg.vocabulary)) + " terms from the vocabulary setting"
	}
	return "the motifs of the entries"
}

// parseConfig checks the settings against the types the plugin is bound
// to; each problem is a diagnostic at "settings.<key>".
func parseConfig(settings, secrets map[string]string, bound []string) (*config, contenttypes.Diagnostics) {
	var diags contenttypes.Diagnostics
	cfg := &config{
		model:  strings.TrimSpace(settings[SettingModel]),
		prompt: strings.TrimSpace(settings[SettingPrompt]),
	}
	if cfg.model == "" {
		cfg.model = DefaultModel
	}
	if cfg.prompt == "" {
		cfg.prompt = DefaultPrompt
	}
	cfg.types = slices.Clone(bound)
	if types := settings[SettingTypes]; strings.TrimSpace(types) != "" {
		cfg.types = splitList(types)
		for _, typ := range cfg.types {
			if !slices.Contains(bound, typ) {
				diags.AppendErrorf("settings."+SettingTypes, contenttypes.CodeInvalidChoice,
					"types: aitags is bound to %s; %q is not one of them", strings.Join(bound, ", "), typ)
			}
		}
	}

	cfg.baseURL = strings.TrimSpace(lookup(secrets, SecretBaseURL))
	if cfg.baseURL == "" {
		cfg.baseURL = strings.TrimSpace(settings[SettingBaseURL])
	}
	if cfg.baseURL != "" {
		u, err := url.Parse(cfg.baseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			diags.AppendErrorf("settings."+SettingBaseURL, contenttypes.CodeInvalidFormat,
				"base_url must be an http(s) URL such as https://api.anthropic.com, got %q", cfg.baseURL)
		}
	}
	if v := settings[SettingVocabulary]; strings.TrimSpace(v) != "" {
		cfg.vocabulary = splitList(v)
	}
	for _, n := range []struct {
		key      string
		def, min int
		max      int
		out      *int
	}{
		{SettingMaxTags, DefaultMaxTags, 1, 50, &cfg.maxTags},
		{SettingMaxRetries, DefaultMaxRetries, 0, 10, &cfg.maxRetries},
	} {
		*n.out = n.def
		raw := strings.TrimSpace(settings[n.key])
		if raw == "" {
			continue
		}
		v, err := strconv.Atoi(raw)
		if err != nil || v < n.min || v > n.max {
			diags.AppendErrorf("settings."+n.key, contenttypes.CodeOutOfRange,
				"%s must be a whole number from %d to %d, got %q", n.key, n.min, n.max, raw)
			continue
		}
		*n.out = v
	}
	return cfg, diags
}

// splitList splits a comma- or newline-separated list, trimming the items
// and dropping empty ones and case-insensitive duplicates (the first
// spelling wins).
func splitList(s string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, item := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
		item = strings.Join(strings.Fields(item), " ")
		if k := strings.ToLower(item); item != "" && !seen[k] {
			seen[k] = true
			out = append(out, item)
		}
	}
	return out
}

// lookup finds key in m without regard to case, as Host.Secret does.
func lookup(m map[string]string, key string) string {
	if v, ok := m[key]; ok {
		return v
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return ""
}
