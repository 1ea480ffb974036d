// Package aitags is the AI tag drafting plugin: when a passage's text
// changes, a job asks a model which tags of the managed vocabulary
// describe it, and stores them, with their
// confidence, as draft suggestions in the passage's tag_review for an
// editor to review. It never touches the editor-accepted motifs, never
// drops an editor's suggestions, and never blocks saving or publishing:
// a failure is recorded on the passage (tag_review.status "failed") and
// fails the job, which the host then lists among its failed jobs.
//
// The provider setting picks the model's API: Anthropic's Messages API
// (the default, through the official anthropic-sdk-go client, with tool
// use for structured output), or the Chat Completions API of OpenAI or of
// a server compatible with it (through the official openai-go client, with
// a forced function call).
//
// Without the selected provider's API key secret (api_key or
// openai_api_key) the plugin is idle: its hooks do nothing.
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
	"github.com/openai/openai-go/v3"
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
	// DefaultModel is the default model of the anthropic provider, a
	// current Claude model (claude-sonnet-4-5 reaches its end of life on
	// 2026-11-30).
	DefaultModel = anthropic.ModelClaudeSonnet5_5
	// DefaultOpenAIModel is the default model of the openai provider: a
	// current GPT model that takes reasoning_effort "none", without which
	// OpenAI's Chat Completions refuses function tools for its reasoning
	// models.
	DefaultOpenAIModel = openai.ChatModelGPT6_1Terra
	// DefaultReasoningEffort is the openai provider's reasoning_effort.
	DefaultReasoningEffort = "none"
	DefaultMaxTags         = 8
	DefaultMaxRetries      = 2
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
	SettingProvider        = "provider"
	SettingTypes           = "types"
	SettingModel           = "model"
	SettingPrompt          = "prompt"
	SettingBaseURL         = "base_url"
	SettingVocabulary      = "vocabulary"
	SettingMaxTags         = "max_tags"
	SettingMaxRetries      = "max_retries"
	SettingReasoningEffort = "reasoning_effort"
	// SecretAPIKey is the Anthropic API key (provider anthropic).
	SecretAPIKey = "api_key"
	// SecretOpenAIAPIKey is the API key of the OpenAI-compatible API
	// (provider openai).
	SecretOpenAIAPIKey = "openai_api_key"
	SecretBaseURL      = "base_url"
)

// Providers: the values of the provider setting.
const (
	ProviderAnthropic = "anthropic"
	ProviderOpenAI    = "openai"
)

// ReasoningEffortOmit, as the reasoning_effort setting, leaves
// reasoning_effort out of the request (for servers that reject it).
const ReasoningEffortOmit = "omit"

// reasoningEfforts are the values of the reasoning_effort setting.
var reasoningEfforts = []string{"none", "minimal", "low", "medium", "high", "xhigh", "max", ReasoningEffortOmit}

// providers describe each provider: its API key secret and environment
// variable, and an example base URL.
var providers = map[string]struct {
	secret, env, exampleURL string
}{
	ProviderAnthropic: {SecretAPIKey, "INKLING_PLUGIN_AITAGS_API_KEY", "https://api.anthropic.com"},
	ProviderOpenAI:    {SecretOpenAIAPIKey, "INKLING_PLUGIN_AITAGS_OPENAI_API_KEY", "https://api.openai.com/v1"},
}

// Options configure the plugin beyond its settings; the zero value is what
// Plugin uses.
type Options struct {
	// Logger receives the plugin's own messages; nil logs text to stderr,
	// which the host captures into its log.
	Logger *slog.Logger
	// HTTPClient is the client the API client (Anthropic's or OpenAI's)
	// sends with; nil uses a fresh http.Client.
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
			Description: "Drafts tag suggestions for an entry with the configured model and stores them in its tag_review."}},
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
	// provider is ProviderAnthropic or ProviderOpenAI.
	provider   string
	types      []string
	model      string
	prompt     string
	baseURL    string
	vocabulary []string // nil: the motifs of the entries
	maxTags    int
	maxRetries int
	// reasoningEffort is the openai provider's reasoning_effort ("": not
	// sent).
	reasoningEffort string
	// drafter is nil when the plugin is idle (no API key, or scopes
	// missing); idle then says why.
	drafter drafter
	idle    string
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

// idleReason says why the plugin does not draft (for an action's answer).
func (t *tagger) idleReason() string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.cfg == nil {
		return "tag drafting is off: the aitags plugin is not configured"
	}
	return "tag drafting is off: " + t.cfg.idle
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
	key := lookup(secrets, providers[cfg.provider].secret)
	var missing []string
	for _, s := range []string{sdk.ScopeEntriesRead, sdk.ScopeEntriesWrite, sdk.ScopeJobsEnqueue} {
		if !h.HasScope(s) {
			missing = append(missing, s)
		}
	}
	switch {
	case key == "":
		p := providers[cfg.provider]
		cfg.idle = fmt.Sprintf("the aitags plugin (provider %s) has no %s secret (%s)", cfg.provider, p.secret, p.env)
		t.log.Info(fmt.Sprintf("aitags is idle: no %s secret (set %s to draft tags)", p.secret, p.env), "provider", cfg.provider)
	case len(missing) > 0:
		cfg.idle = "the aitags plugin lacks the scopes " + strings.Join(missing, ", ")
		t.log.Warn("aitags is idle: scopes not granted", "missing", strings.Join(missing, ","))
	case cfg.provider == ProviderOpenAI:
		cfg.drafter = newOpenAIChat(key, cfg, t.httpClient)
	default:
		cfg.drafter = newClaude(key, cfg, t.httpClient)
	}
	if cfg.drafter != nil {
		t.log.Info("aitags drafts tags", "provider", cfg.provider, "model", cfg.model, "types", strings.Join(cfg.types, ","),
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
		provider: strings.ToLower(strings.TrimSpace(settings[SettingProvider])),
		model:    strings.TrimSpace(settings[SettingModel]),
		prompt:   strings.TrimSpace(settings[SettingPrompt]),
	}
	switch cfg.provider {
	case "":
		cfg.provider = ProviderAnthropic
	case ProviderAnthropic, ProviderOpenAI:
	default:
		diags.AppendErrorf("settings."+SettingProvider, contenttypes.CodeInvalidChoice,
			"provider must be %q or %q, got %q", ProviderAnthropic, ProviderOpenAI, settings[SettingProvider])
		cfg.provider = ProviderAnthropic // to check the other settings
	}
	if cfg.model == "" {
		cfg.model = DefaultModel
		if cfg.provider == ProviderOpenAI {
			cfg.model = DefaultOpenAIModel
		}
	}
	effort := strings.ToLower(strings.TrimSpace(settings[SettingReasoningEffort]))
	switch {
	case effort != "" && cfg.provider != ProviderOpenAI:
		diags.AppendErrorf("settings."+SettingReasoningEffort, contenttypes.CodeInvalidChoice,
			"reasoning_effort applies to provider %q only; remove it, or set provider to %q", ProviderOpenAI, ProviderOpenAI)
	case effort == "" && cfg.provider == ProviderOpenAI:
		cfg.reasoningEffort = DefaultReasoningEffort
	case effort == ReasoningEffortOmit:
	case effort != "" && !slices.Contains(reasoningEfforts, effort):
		diags.AppendErrorf("settings."+SettingReasoningEffort, contenttypes.CodeInvalidChoice,
			"reasoning_effort must be one of %s, got %q", strings.Join(reasoningEfforts, ", "), settings[SettingReasoningEffort])
	default:
		cfg.reasoningEffort = effort
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
				"base_url must be an http(s) URL such as %s, got %q", providers[cfg.provider].exampleURL, cfg.baseURL)
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
