package aitags

import (
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/inklingcms/inkling/plugins/aitags/openaifake"
	"github.com/inklingcms/inkling/plugins/cslewis"
	"github.com/inklingcms/inkling/plugins/protocol"
	"github.com/inklingcms/inkling/plugins/sdk/sdktest"
)

const testOpenAIKey = "sk-proj-aitags-test"

// newOpenAIEnv starts the fake OpenAI API and the plugin with provider
// openai (unless settings say otherwise). Secrets get the fake's base URL
// and, unless secrets already say, the right openai_api_key; a nil
// secrets map leaves the plugin without any secret.
func newOpenAIEnv(t *testing.T, settings, secrets map[string]string) *env {
	t.Helper()
	api, err := openaifake.Start(testOpenAIKey)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(api.Close)
	settings = maps.Clone(settings)
	if settings == nil {
		settings = map[string]string{}
	}
	if _, ok := settings[SettingProvider]; !ok {
		settings[SettingProvider] = ProviderOpenAI
	}
	if secrets != nil {
		if _, ok := secrets[SecretOpenAIAPIKey]; !ok {
			secrets[SecretOpenAIAPIKey] = testOpenAIKey
		}
		secrets[SecretBaseURL] = api.URL
	}
	logs := &syncBuffer{}
	p := New(Options{Logger: slog.New(slog.NewTextHandler(logs, nil)), Now: func() time.Time { return clock }})
	h := sdktest.New(t, p, &sdktest.Options{Settings: settings, Secrets: secrets, Types: cslewis.Plugin().ContentTypes})
	return &env{h: h, oai: api, logs: logs}
}

func TestOpenAIDraftsSuggestions(t *testing.T) {
	for _, tc := range []struct {
		name       string
		settings   map[string]string
		wantModel  string
		wantEffort string
	}{
		{name: "defaults", wantModel: DefaultOpenAIModel, wantEffort: "none"},
		{name: "another model and effort", settings: map[string]string{SettingModel: "gpt-5.6-luna", SettingReasoningEffort: "Low"},
			wantModel: "gpt-5.6-luna", wantEffort: "low"},
		{name: "reasoning_effort left out, for servers that reject it", settings: map[string]string{SettingModel: "llama3.3",
			SettingReasoningEffort: ReasoningEffortOmit}, wantModel: "llama3.3", wantEffort: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The Anthropic key is there too: provider openai does not use it.
			e := newOpenAIEnv(t, tc.settings, map[string]string{SecretAPIKey: testKey})
			e.passage(t, "Other", []any{paragraph("Other text.")}, map[string]any{"motifs": []any{"grace", "Joy", "longing"}})
			p := e.passage(t, "Joy", []any{paragraph("Joy, and a longing for it.")}, nil)
			e.saved(t, p.ID)
			if n, err := e.h.RunEnqueued(t.Context()); err != nil || n != 1 {
				t.Fatalf("RunEnqueued = %d, %v", n, err)
			}

			r, _ := e.review(t, p.ID)
			// joy and longing occur in the text; grace is the fake's guess.
			if got, want := r.tags("ai"), "Joy=0.95,longing=0.9,grace=0.15"; got != want {
				t.Errorf("AI suggestions = %s, want %s", got, want)
			}
			if r.Status != StatusDraft || r.Model != tc.wantModel || r.TextHash != readPassage(p).hash || r.Error != "" {
				t.Errorf("review = %+v", r)
			}

			reqs := e.oai.Requests()
			if len(reqs) != 1 {
				t.Fatalf("%d API requests", len(reqs))
			}
			req := reqs[0]
			if req.APIKey != testOpenAIKey || req.Model != tc.wantModel || req.System() != DefaultPrompt ||
				req.ReasoningEffort != tc.wantEffort || req.MaxCompletionTokens != openAIOutputTokens || req.MaxTokens != 0 {
				t.Errorf("request: key %q, model %q, effort %q, max_completion_tokens %d, max_tokens %d, system %.40q",
					req.APIKey, req.Model, req.ReasoningEffort, req.MaxCompletionTokens, req.MaxTokens, req.System())
			}
			if req.ToolChoice != (openaifake.ToolChoice{Mode: "function", Name: ToolName}) {
				t.Errorf("tool_choice = %+v", req.ToolChoice)
			}
			if _, ok := req.Tool(ToolName); !ok || len(req.Tools) != 1 {
				t.Errorf("tools = %+v", req.Tools)
			}
			if got := strings.Join(openaifake.Vocabulary(&req), ","); got != "grace,Joy,longing" {
				t.Errorf("vocabulary sent = %s", got)
			}
			if got := openaifake.Passage(&req); got != "Joy\n\nJoy, and a longing for it." {
				t.Errorf("passage sent = %q", got)
			}
		})
	}
}

func TestOpenAIRetries(t *testing.T) {
	for _, tc := range []struct {
		name     string
		settings map[string]string
		script   func(api *openaifake.Server)
		attempt  int
		statuses []int
		// errHas is the job error expected ("" for success); the failure
		// is transient, recorded on the entry on the last attempt only.
		errHas   string
		recorded bool
	}{
		{name: "429 then 500 then success, within one run", attempt: 1, statuses: []int{429, 500, 200},
			script: func(api *openaifake.Server) {
				api.FailNext(1, openaifake.RateLimited(0))
				api.FailNext(1, openaifake.ServerError())
			}},
		{name: "500s before the last attempt: the host retries", settings: map[string]string{SettingMaxRetries: "0"},
			attempt: 1, statuses: []int{500}, errHas: "500 server_error",
			script: func(api *openaifake.Server) { api.FailAlways(openaifake.ServerError()) }},
		{name: "500s on the last attempt: recorded", settings: map[string]string{SettingMaxRetries: "0"},
			attempt: MaxAttempts, statuses: []int{500}, errHas: "500 server_error", recorded: true,
			script: func(api *openaifake.Server) { api.FailAlways(openaifake.ServerError()) }},
		{name: "429s past max_retries", settings: map[string]string{SettingMaxRetries: "1"},
			attempt: 2, statuses: []int{429, 429}, errHas: "429 requests/rate_limit_exceeded",
			script: func(api *openaifake.Server) { api.FailAlways(openaifake.RateLimited(0)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			settings := map[string]string{SettingVocabulary: "joy"}
			maps.Copy(settings, tc.settings)
			e := newOpenAIEnv(t, settings, map[string]string{})
			tc.script(e.oai)
			p := e.passage(t, "Joy", []any{paragraph("Joy.")}, nil)
			err := e.h.RunJobAttempt(t.Context(), JobDraftTags, jobArgs{EntryID: p.ID}, tc.attempt)
			var statuses []int
			for _, r := range e.oai.Requests() {
				statuses = append(statuses, r.Status)
			}
			if !slices.Equal(statuses, tc.statuses) {
				t.Errorf("statuses = %v, want %v", statuses, tc.statuses)
			}
			r, _ := e.review(t, p.ID)
			if tc.errHas == "" {
				if err != nil {
					t.Fatalf("job error = %v", err)
				}
				if r.Status != StatusDraft || r.tags("ai") != "joy=0.95" {
					t.Errorf("review = %+v", r)
				}
				return
			}
			want := fmt.Sprintf("attempt %d of %d", tc.attempt, MaxAttempts)
			if err == nil || protocol.IsPermanent(err) || !strings.Contains(err.Error(), tc.errHas) || !strings.Contains(err.Error(), want) {
				t.Fatalf("job error = %v; want a transient one naming %q and %q", err, tc.errHas, want)
			}
			if !tc.recorded {
				if r.Status != "" || len(e.h.Store.Drafts()) != 0 {
					t.Errorf("recorded %+v before the last attempt", r)
				}
				return
			}
			if r.Status != StatusFailed || !strings.Contains(r.Error, tc.errHas) {
				t.Errorf("review = %+v", r)
			}
		})
	}
}

func TestOpenAIPermanentFailures(t *testing.T) {
	for _, tc := range []struct {
		name      string
		secrets   map[string]string
		script    func(api *openaifake.Server)
		responder func(*openaifake.Request) openaifake.Reply
		errHas    string
	}{
		{name: "wrong key", secrets: map[string]string{SecretOpenAIAPIKey: "sk-wrong"},
			errHas: "401 invalid_request_error/invalid_api_key: Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.; check the openai_api_key secret (INKLING_PLUGIN_AITAGS_OPENAI_API_KEY)"},
		{name: "unknown model", script: func(api *openaifake.Server) { api.SetModels("gpt-other") },
			errHas: "404 invalid_request_error/model_not_found: The model `" + DefaultOpenAIModel + "` does not exist"},
		{name: "forbidden", script: func(api *openaifake.Server) {
			api.FailNext(1, openaifake.Failure{Status: 403, Message: "Project does not have access to model"})
		}, errHas: "403 invalid_request_error: Project does not have access to model; the API key may not use this model"},
		{name: "bad request", script: func(api *openaifake.Server) {
			api.FailNext(1, openaifake.Failure{Status: 400, Param: "tools", Message: "Invalid schema for function 'propose_tags'"})
		}, errHas: "400 invalid_request_error: Invalid schema for function 'propose_tags'"},
		{name: "text instead of the call", errHas: `the model did not call propose_tags (finish_reason "stop")`,
			responder: func(*openaifake.Request) openaifake.Reply { return openaifake.Text("Joy, I think.") }},
		{name: "arguments that are not JSON", errHas: "the model called propose_tags without a tags list ({\"tags\": [)",
			responder: func(*openaifake.Request) openaifake.Reply {
				return openaifake.Reply{ToolCalls: []openaifake.ToolCall{{Name: ToolName, Arguments: `{"tags": [`}}}
			}},
		{name: "arguments without tags", errHas: "without a tags list",
			responder: func(*openaifake.Request) openaifake.Reply {
				return openaifake.Call(ToolName, map[string]any{"labels": []string{"joy"}})
			}},
		{name: "another function", errHas: `the model did not call propose_tags (finish_reason "tool_calls")`,
			responder: func(*openaifake.Request) openaifake.Reply {
				return openaifake.Call("other", map[string]any{"tags": []any{}})
			}},
		{name: "cut off", errHas: "cut off (finish_reason length)",
			responder: func(*openaifake.Request) openaifake.Reply {
				return openaifake.Reply{Content: "Joy", FinishReason: "length"}
			}},
		{name: "refusal", errHas: "the model declined to tag this passage: I can't help with that.",
			responder: func(*openaifake.Request) openaifake.Reply {
				return openaifake.Reply{Refusal: "I can't help with that."}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			secrets := map[string]string{}
			maps.Copy(secrets, tc.secrets)
			e := newOpenAIEnv(t, map[string]string{SettingVocabulary: "joy"}, secrets)
			if tc.script != nil {
				tc.script(e.oai)
			}
			e.oai.SetResponder(tc.responder)
			p := e.passage(t, "Joy", []any{paragraph("Joy.")}, nil)
			err := e.h.RunJob(t.Context(), JobDraftTags, jobArgs{EntryID: p.ID})
			if err == nil || !protocol.IsPermanent(err) || !strings.Contains(err.Error(), tc.errHas) {
				t.Fatalf("job error = %v; want a permanent failure naming %q", err, tc.errHas)
			}
			if n := len(e.oai.Requests()); n != 1 {
				t.Errorf("%d requests, want 1 (no pointless retries)", n)
			}
			r, _ := e.review(t, p.ID)
			if r.Status != StatusFailed || !strings.Contains(r.Error, tc.errHas) {
				t.Errorf("review = %+v, want failed with %q", r, tc.errHas)
			}
			if strings.Contains(r.Error, testOpenAIKey) || strings.Contains(r.Error, "sk-wrong") ||
				strings.Contains(err.Error(), testOpenAIKey) || strings.Contains(e.logs.String(), "sk-") {
				t.Errorf("an API key leaked: %q / %v / logs %q", r.Error, err, e.logs.String())
			}
		})
	}
}

func TestProviderSettings(t *testing.T) {
	for _, tc := range []struct {
		name     string
		settings map[string]string
		// diagAt is where the one diagnostic is expected ("" for none).
		diagAt, diagHas string
		provider        string
		model, effort   string
	}{
		{name: "default provider", provider: ProviderAnthropic, model: DefaultModel},
		{name: "anthropic", settings: map[string]string{SettingProvider: "anthropic"}, provider: ProviderAnthropic, model: DefaultModel},
		{name: "openai", settings: map[string]string{SettingProvider: " OpenAI "}, provider: ProviderOpenAI,
			model: DefaultOpenAIModel, effort: "none"},
		{name: "openai with omitted effort", settings: map[string]string{SettingProvider: "openai", SettingReasoningEffort: "omit"},
			provider: ProviderOpenAI, model: DefaultOpenAIModel},
		{name: "unknown provider", settings: map[string]string{SettingProvider: "gemini"},
			diagAt: "settings.provider", diagHas: `provider must be "anthropic" or "openai", got "gemini"`},
		{name: "unknown effort", settings: map[string]string{SettingProvider: "openai", SettingReasoningEffort: "extreme"},
			diagAt: "settings.reasoning_effort", diagHas: `reasoning_effort must be one of none, minimal, low, medium, high, xhigh, max, omit, got "extreme"`},
		{name: "effort with anthropic", settings: map[string]string{SettingReasoningEffort: "low"},
			diagAt: "settings.reasoning_effort", diagHas: `reasoning_effort applies to provider "openai" only`},
		{name: "openai base_url not a URL", settings: map[string]string{SettingProvider: "openai", SettingBaseURL: "localhost:11434"},
			diagAt: "settings.base_url", diagHas: "such as https://api.openai.com/v1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, diags := parseConfig(tc.settings, nil, []string{"passage"})
			if tc.diagAt != "" {
				if len(diags) != 1 || len(diags.At(tc.diagAt)) != 1 || !strings.Contains(diags.Error(), tc.diagHas) {
					t.Errorf("diagnostics = %v, want one at %s naming %q", diags, tc.diagAt, tc.diagHas)
				}
				// The host sees it when the plugin starts.
				h := sdktest.New(t, New(Options{Logger: slog.New(slog.NewTextHandler(&syncBuffer{}, nil))}),
					&sdktest.Options{NoConfigure: true, Settings: tc.settings})
				d, err := h.Configure(t.Context())
				if err != nil || len(d.At(tc.diagAt)) != 1 {
					t.Errorf("Configure = %v, %v", d, err)
				}
				return
			}
			if diags.HasError() {
				t.Fatalf("diagnostics = %v", diags)
			}
			if cfg.provider != tc.provider || cfg.model != tc.model || cfg.reasoningEffort != tc.effort {
				t.Errorf("config: provider %q model %q effort %q; want %q %q %q",
					cfg.provider, cfg.model, cfg.reasoningEffort, tc.provider, tc.model, tc.effort)
			}
		})
	}
}

// TestIdleWithoutProviderKey: the plugin drafts only with the selected
// provider's key; the other provider's key does not wake it.
func TestIdleWithoutProviderKey(t *testing.T) {
	for _, tc := range []struct {
		name     string
		settings map[string]string
		secrets  map[string]string
		logHas   string
	}{
		{name: "openai with only the Anthropic key", settings: map[string]string{SettingProvider: ProviderOpenAI},
			secrets: map[string]string{SecretAPIKey: testKey}, logHas: "no openai_api_key secret (set INKLING_PLUGIN_AITAGS_OPENAI_API_KEY"},
		{name: "anthropic with only the OpenAI key", settings: map[string]string{SettingProvider: ProviderAnthropic},
			secrets: map[string]string{SecretOpenAIAPIKey: testOpenAIKey}, logHas: "no api_key secret (set INKLING_PLUGIN_AITAGS_API_KEY"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logs := &syncBuffer{}
			h := sdktest.New(t, New(Options{Logger: slog.New(slog.NewTextHandler(logs, nil))}),
				&sdktest.Options{Settings: tc.settings, Secrets: tc.secrets, Types: cslewis.Plugin().ContentTypes})
			e := &env{h: h, logs: logs}
			p := e.passage(t, "Joy", []any{paragraph("Joy.")}, map[string]any{"motifs": []any{"joy"}})
			e.saved(t, p.ID)
			if jobs := h.Store.Jobs(); len(jobs) != 0 {
				t.Errorf("an idle plugin enqueued %+v", jobs)
			}
			if !strings.Contains(logs.String(), tc.logHas) {
				t.Errorf("logs = %s, want %q", logs.String(), tc.logHas)
			}
			secret := providers[tc.settings[SettingProvider]].secret
			if _, _, err := h.RunAction(t.Context(), sdktest.Action{Name: ActionRedraftTags, EntryID: p.ID}); err == nil ||
				!strings.Contains(err.Error(), "has no "+secret+" secret") {
				t.Errorf("redraft while idle: %v, want it to name %s", err, secret)
			}
		})
	}
}

// TestOpenAIIgnoresEnvironment: the client reads nothing from OPENAI_*
// (openai.NewClient would): the key and base URL come from the plugin's
// secrets and settings only.
func TestOpenAIIgnoresEnvironment(t *testing.T) {
	t.Setenv("OPENAI_BASE_URL", "http://127.0.0.1:1/v1")
	t.Setenv("OPENAI_API_KEY", "sk-from-env")
	t.Setenv("OPENAI_ORG_ID", "org-from-env")
	t.Setenv("OPENAI_PROJECT_ID", "proj-from-env")
	e := newOpenAIEnv(t, map[string]string{SettingVocabulary: "joy"}, map[string]string{})
	p := e.passage(t, "Joy", []any{paragraph("Joy.")}, nil)
	if err := e.h.RunJob(t.Context(), JobDraftTags, jobArgs{EntryID: p.ID}); err != nil {
		t.Fatalf("job error = %v", err)
	}
	reqs := e.oai.Requests()
	if len(reqs) != 1 || reqs[0].APIKey != testOpenAIKey || reqs[0].Header.Get("OpenAI-Organization") != "" ||
		reqs[0].Header.Get("OpenAI-Project") != "" {
		t.Errorf("requests = %+v", reqs)
	}
}
