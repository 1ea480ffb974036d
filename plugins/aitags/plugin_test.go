package aitags

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/plugins/aitags/anthropicfake"
	"github.com/inklingcms/inkling/plugins/aitags/openaifake"
	"github.com/inklingcms/inkling/plugins/cslewis"
	"github.com/inklingcms/inkling/plugins/protocol"
	"github.com/inklingcms/inkling/plugins/sdk"
	"github.com/inklingcms/inkling/plugins/sdk/sdktest"
)

const testKey = "sk-ant-aitags-test"

var clock = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// env is a plugin served to an in-memory host that knows cslewis's types,
// with a fake Anthropic API.
type env struct {
	h   *sdktest.Harness
	api *anthropicfake.Server
	// oai is the fake OpenAI API of an env from newOpenAIEnv (api is nil
	// then).
	oai  *openaifake.Server
	logs *syncBuffer
}

// newEnv starts the fake and the plugin. Secrets get the fake's base URL
// and, unless secrets already say, the right API key; a nil secrets map
// leaves the plugin without any secret.
func newEnv(t *testing.T, settings, secrets map[string]string) *env {
	t.Helper()
	api, err := anthropicfake.Start(testKey)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(api.Close)
	if secrets != nil {
		if _, ok := secrets[SecretAPIKey]; !ok {
			secrets[SecretAPIKey] = testKey
		}
		secrets[SecretBaseURL] = api.URL
	}
	logs := &syncBuffer{}
	p := New(Options{Logger: slog.New(slog.NewTextHandler(logs, nil)), Now: func() time.Time { return clock }})
	h := sdktest.New(t, p, &sdktest.Options{Settings: settings, Secrets: secrets, Types: cslewis.Plugin().ContentTypes})
	return &env{h: h, api: api, logs: logs}
}

// passage seeds a passage with the body blocks and extra fields.
func (e *env) passage(t *testing.T, title string, blocks []any, extra map[string]any) *sdk.Entry {
	t.Helper()
	fields := contenttypes.Values{"body": blocks, "work": "w1", "register": "devotional"}
	for k, v := range extra {
		fields[k] = v
	}
	return e.h.Store.Add(sdk.Entry{Type: "passage", Title: title, Fields: fields})
}

func paragraph(s string) any { return map[string]any{"type": "paragraph", "value": s} }

// review is tag_review as the tests read it.
type review struct {
	Status      string `json:"status"`
	TextHash    string `json:"text_hash"`
	Model       string `json:"model"`
	DraftedAt   string `json:"drafted_at"`
	Error       string `json:"error"`
	Suggestions []struct {
		ID    string `json:"id"`
		Value struct {
			Tag        string  `json:"tag"`
			Confidence float64 `json:"confidence"`
			Source     string  `json:"source"`
		} `json:"value"`
	} `json:"suggestions"`
}

func (r review) tags(source string) string {
	var out []string
	for _, s := range r.Suggestions {
		if s.Value.Source == source {
			out = append(out, s.Value.Tag+"="+strconv.FormatFloat(s.Value.Confidence, 'f', -1, 64))
		}
	}
	return strings.Join(out, ",")
}

func (e *env) review(t *testing.T, id string) (review, *sdk.Entry) {
	t.Helper()
	entry, ok := e.h.Store.Entry(id)
	if !ok {
		t.Fatalf("no entry %s", id)
	}
	var r review
	raw, _ := json.Marshal(entry.Fields["tag_review"])
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	return r, entry
}

// saved delivers after_save for id, as the host does after a save.
func (e *env) saved(t *testing.T, id string) {
	t.Helper()
	if err := e.h.Event(t.Context(), sdktest.Event{Name: sdk.AfterSave, EntryID: id}); err != nil {
		t.Fatal(err)
	}
}

func TestDraftsSuggestions(t *testing.T) {
	e := newEnv(t, nil, map[string]string{})
	// The vocabulary comes from the motifs of the passages.
	e.passage(t, "Other", []any{paragraph("Other text.")}, map[string]any{"motifs": []any{"Joy", "longing", "grace", "pride", "myth"}})
	p := e.passage(t, "The Weight of Glory", []any{
		map[string]any{"type": "heading", "value": "On longing"},
		paragraph("We are far too easily pleased; **joy** is offered."),
		map[string]any{"type": "quote", "value": map[string]any{"text": "Myth became fact.", "attribution": "pride of place"}},
		map[string]any{"type": "scripture", "value": map[string]any{"reference": "1 Cor 13:12", "text": "through a glass, darkly", "translation": "KJV"}},
	}, map[string]any{
		"motifs":     []any{"pride"},
		"tag_review": map[string]any{"status": "reviewed", "suggestions": []any{map[string]any{"tag": "grace", "confidence": 0.5, "source": "editor"}}},
	})
	before, _ := e.review(t, p.ID)
	editorID := before.Suggestions[0].ID

	e.saved(t, p.ID)
	jobs := e.h.Store.Jobs()
	if len(jobs) != 1 || jobs[0].Kind != JobDraftTags {
		t.Fatalf("jobs after the save = %+v", jobs)
	}
	if n, err := e.h.RunEnqueued(t.Context()); err != nil || n != 1 {
		t.Fatalf("RunEnqueued = %d, %v", n, err)
	}

	r, entry := e.review(t, p.ID)
	// longing (heading), joy (paragraph), myth (quote); the guess "grace"
	// is the editor's already; "pride" (only in the attribution) is an
	// accepted motif anyway.
	if got, want := r.tags("ai"), "longing=0.95,Joy=0.9,myth=0.85"; got != want {
		t.Errorf("AI suggestions = %s, want %s", got, want)
	}
	if got := r.tags("editor"); got != "grace=0.5" || r.Suggestions[0].ID != editorID {
		t.Errorf("editor suggestions = %s (id %s), want grace=0.5 with id %s", got, r.Suggestions[0].ID, editorID)
	}
	if got := stringList(entry.Fields["motifs"]); !slices.Equal(got, []string{"pride"}) {
		t.Errorf("motifs = %v, want [pride] untouched", got)
	}
	if r.Status != StatusDraft || r.TextHash != readPassage(p).hash || r.Model != DefaultModel ||
		r.DraftedAt != "2026-11-26T12:00:00Z" || r.Error != "" {
		t.Errorf("review = %+v", r)
	}
	drafts := e.h.Store.Drafts()
	if len(drafts) != 1 || drafts[0].Published || !strings.Contains(drafts[0].Message, "aitags") {
		t.Errorf("drafts = %+v", drafts)
	}

	// What was sent.
	reqs := e.api.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d API requests", len(reqs))
	}
	req := reqs[0]
	if req.APIKey != testKey || req.Header.Get("anthropic-version") == "" || req.Model != DefaultModel || req.System != DefaultPrompt {
		t.Errorf("request: key %q, version %q, model %q, system %.40q", req.APIKey, req.Header.Get("anthropic-version"), req.Model, req.System)
	}
	if req.ToolChoice.Type != "tool" || req.ToolChoice.Name != ToolName || !req.ToolChoice.DisableParallelToolUse {
		t.Errorf("tool_choice = %+v", req.ToolChoice)
	}
	if _, ok := req.Tool(ToolName); !ok {
		t.Errorf("tools = %+v", req.Tools)
	}
	if got := strings.Join(anthropicfake.Vocabulary(&req), ","); got != "grace,Joy,longing,myth,pride" {
		t.Errorf("vocabulary sent = %s", got)
	}
	passage := anthropicfake.Passage(&req)
	for _, want := range []string{"The Weight of Glory", "On longing", "**joy** is offered", "Myth became fact.", "1 Cor 13:12\nthrough a glass, darkly"} {
		if !strings.Contains(passage, want) {
			t.Errorf("the passage sent lacks %q:\n%s", want, passage)
		}
	}
	for _, unwanted := range []string{"pride of place", "KJV"} {
		if strings.Contains(passage, unwanted) {
			t.Errorf("the passage sent has %q (metadata, not text)", unwanted)
		}
	}
}

func TestOwnSaveDoesNotRetrigger(t *testing.T) {
	e := newEnv(t, map[string]string{SettingVocabulary: "joy"}, map[string]string{})
	p := e.passage(t, "Joy", []any{paragraph("Joy.")}, nil)
	e.saved(t, p.ID)
	if _, err := e.h.RunEnqueued(t.Context()); err != nil {
		t.Fatal(err)
	}
	// The plugin's own save is delivered as after_save too.
	e.saved(t, p.ID)
	if jobs := e.h.Store.Jobs(); len(jobs) != 0 {
		t.Errorf("the plugin's own save enqueued %+v", jobs)
	}
	// A job for the same text (a redelivered event) does not call the API.
	if err := e.h.RunJob(t.Context(), JobDraftTags, jobArgs{EntryID: p.ID, TextHash: readPassage(p).hash}); err != nil {
		t.Fatal(err)
	}
	if n := len(e.api.Requests()); n != 1 {
		t.Errorf("%d API requests, want 1", n)
	}
	// A job for a text that has moved on does nothing either.
	if err := e.h.RunJob(t.Context(), JobDraftTags, jobArgs{EntryID: p.ID, TextHash: "old"}); err != nil {
		t.Fatal(err)
	}
	if n := len(e.api.Requests()); n != 1 {
		t.Errorf("%d API requests, want 1", n)
	}
}

func TestEditedTextIsDraftedAgain(t *testing.T) {
	e := newEnv(t, map[string]string{SettingVocabulary: "joy, grief"}, map[string]string{})
	p := e.passage(t, "Joy", []any{paragraph("Joy.")}, nil)
	e.saved(t, p.ID)
	if _, err := e.h.RunEnqueued(t.Context()); err != nil {
		t.Fatal(err)
	}
	drafted, entry := e.review(t, p.ID)
	// An editor changes the text: the event carries the new text with the
	// old tag review.
	entry.Fields["body"] = []any{paragraph("A grief observed.")}
	if err := e.h.Event(t.Context(), sdktest.Event{Name: sdk.AfterSave, Entry: entry}); err != nil {
		t.Fatal(err)
	}
	jobs := e.h.Store.Jobs()
	var args jobArgs
	if len(jobs) != 1 || json.Unmarshal(jobs[0].Args, &args) != nil || args.TextHash == drafted.TextHash || args.EntryID != p.ID {
		t.Errorf("jobs after an edit = %+v", jobs)
	}
}

func TestRetriesThenSucceeds(t *testing.T) {
	e := newEnv(t, map[string]string{SettingVocabulary: "joy"}, map[string]string{})
	p := e.passage(t, "Joy", []any{paragraph("Joy.")}, nil)
	e.api.FailNext(1, anthropicfake.RateLimited(0)) // retry-after: 0
	e.api.FailNext(1, anthropicfake.ServerError())  // no retry-after: the client's backoff
	start := time.Now()
	if err := e.h.RunJob(t.Context(), JobDraftTags, jobArgs{EntryID: p.ID}); err != nil {
		t.Fatalf("job: %v", err)
	}
	if elapsed := time.Since(start); elapsed < 700*time.Millisecond {
		t.Errorf("the job took %s: the client did not back off before its second retry", elapsed)
	}
	var statuses []int
	for _, r := range e.api.Requests() {
		statuses = append(statuses, r.Status)
	}
	if !slices.Equal(statuses, []int{429, 500, 200}) {
		t.Errorf("statuses = %v", statuses)
	}
	if r, _ := e.review(t, p.ID); r.Status != StatusDraft || r.tags("ai") != "joy=0.95" {
		t.Errorf("review = %+v", r)
	}
}

func TestTransientFailure(t *testing.T) {
	for _, tc := range []struct {
		name     string
		attempt  int
		recorded bool
	}{
		{"before the last attempt: the host retries, nothing recorded", 1, false},
		{"next to last attempt", MaxAttempts - 1, false},
		{"last attempt: recorded, and the job fails", MaxAttempts, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, map[string]string{SettingVocabulary: "joy", SettingMaxRetries: "0"}, map[string]string{})
			p := e.passage(t, "Joy", []any{paragraph("Joy.")}, nil)
			e.api.FailAlways(anthropicfake.ServerError())
			err := e.h.RunJobAttempt(t.Context(), JobDraftTags, jobArgs{EntryID: p.ID}, tc.attempt)
			want := fmt.Sprintf("attempt %d of %d", tc.attempt, MaxAttempts)
			if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "500 api_error") {
				t.Fatalf("job error = %v, want one naming the cause and %q", err, want)
			}
			if protocol.IsPermanent(err) {
				t.Errorf("a server error is not permanent: %v", err)
			}
			if n := len(e.api.Requests()); n != 1 {
				t.Errorf("%d requests with max_retries 0", n)
			}
			r, _ := e.review(t, p.ID)
			if !tc.recorded {
				if r.Status != "" || len(e.h.Store.Drafts()) != 0 {
					t.Errorf("recorded %+v before the last attempt", r)
				}
				return
			}
			if r.Status != StatusFailed || !strings.Contains(r.Error, "500 api_error") || r.TextHash != readPassage(p).hash {
				t.Errorf("review = %+v", r)
			}
			// The failure does not loop: the saved entry's hash matches.
			e.saved(t, p.ID)
			if jobs := e.h.Store.Jobs(); len(jobs) != 0 {
				t.Errorf("recording the failure enqueued %+v", jobs)
			}
		})
	}
}

func TestPermanentFailures(t *testing.T) {
	for _, tc := range []struct {
		name      string
		settings  map[string]string
		secrets   map[string]string
		responder func(*anthropicfake.Request) anthropicfake.Reply
		requests  int
		errHas    string
	}{
		{name: "wrong key", secrets: map[string]string{SecretAPIKey: "sk-wrong"}, requests: 1,
			errHas: "401 authentication_error: invalid x-api-key; check the api_key secret"},
		{name: "text instead of the tool", requests: 1, errHas: "the model did not call propose_tags",
			responder: func(*anthropicfake.Request) anthropicfake.Reply {
				return anthropicfake.Reply{Content: []map[string]any{anthropicfake.Text("Joy, I think.")}}
			}},
		{name: "tool input without tags", requests: 1, errHas: "without a tags list",
			responder: func(*anthropicfake.Request) anthropicfake.Reply {
				return anthropicfake.Reply{Content: []map[string]any{anthropicfake.ToolUse(ToolName, map[string]any{"labels": []string{"joy"}})}}
			}},
		{name: "no vocabulary", settings: map[string]string{SettingVocabulary: ""}, requests: 0, errHas: "no vocabulary"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			settings := tc.settings
			if settings == nil {
				settings = map[string]string{SettingVocabulary: "joy"}
			}
			secrets := map[string]string{}
			for k, v := range tc.secrets {
				secrets[k] = v
			}
			e := newEnv(t, settings, secrets)
			e.api.SetResponder(tc.responder)
			p := e.passage(t, "Joy", []any{paragraph("Joy.")}, nil)
			err := e.h.RunJob(t.Context(), JobDraftTags, jobArgs{EntryID: p.ID})
			if err == nil || !protocol.IsPermanent(err) || !strings.Contains(err.Error(), tc.errHas) {
				t.Fatalf("job error = %v; want a permanent failure naming %q, so that the host lists it at once", err, tc.errHas)
			}
			if n := len(e.api.Requests()); n != tc.requests {
				t.Errorf("%d requests, want %d (no pointless retries)", n, tc.requests)
			}
			r, _ := e.review(t, p.ID)
			if r.Status != StatusFailed || !strings.Contains(r.Error, tc.errHas) {
				t.Errorf("review = %+v, want failed with %q", r, tc.errHas)
			}
			if strings.Contains(r.Error, testKey) || strings.Contains(r.Error, "sk-wrong") ||
				strings.Contains(err.Error(), testKey) || strings.Contains(e.logs.String(), "sk-") {
				t.Errorf("an API key leaked: %q / %v / logs %q", r.Error, err, e.logs.String())
			}
		})
	}
}

// TestRerunAfterFailure runs a failed job again, as an admin does from the
// host's failures once the cause is fixed: it drafts, although the failure
// recorded the same text hash.
func TestRerunAfterFailure(t *testing.T) {
	e := newEnv(t, map[string]string{SettingVocabulary: "joy"}, map[string]string{})
	p := e.passage(t, "Joy", []any{paragraph("Joy.")}, nil)
	e.api.SetResponder(func(*anthropicfake.Request) anthropicfake.Reply {
		return anthropicfake.Reply{Content: []map[string]any{anthropicfake.Text("Joy, I think.")}}
	})
	args := jobArgs{EntryID: p.ID, TextHash: readPassage(p).hash}
	if err := e.h.RunJob(t.Context(), JobDraftTags, args); !protocol.IsPermanent(err) {
		t.Fatalf("job error = %v, want a permanent failure", err)
	}
	if r, _ := e.review(t, p.ID); r.Status != StatusFailed {
		t.Fatalf("review = %+v", r)
	}
	e.api.SetResponder(nil) // the default model again
	if err := e.h.RunJob(t.Context(), JobDraftTags, args); err != nil {
		t.Fatalf("re-run: %v", err)
	}
	if r, _ := e.review(t, p.ID); r.Status != StatusDraft || r.Error != "" || r.tags("ai") != "joy=0.95" {
		t.Errorf("review after the re-run = %+v", r)
	}
	if n := len(e.api.Requests()); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}

// TestEditorSavesWhileDrafting has an editor save the passage while the
// model answers: the plugin's save, based on the revision it read, is a
// conflict; it reads the editor's revision and applies its suggestions to
// it, unless the editor changed the text.
func TestEditorSavesWhileDrafting(t *testing.T) {
	for _, tc := range []struct {
		name      string
		edit      func(f contenttypes.Values)
		wantSaved bool
	}{
		{name: "editor added a suggestion and a motif", wantSaved: true, edit: func(f contenttypes.Values) {
			f["tag_review"] = map[string]any{"status": "reviewed", "suggestions": []any{map[string]any{"tag": "Grace", "source": "editor"}}}
			f["motifs"] = []any{"Hope"}
		}},
		{name: "editor changed the text", edit: func(f contenttypes.Values) { f["body"] = []any{paragraph("Grief.")} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, map[string]string{SettingVocabulary: "joy, hope, grace"}, map[string]string{})
			p := e.passage(t, "Joy", []any{paragraph("Joy.")}, nil)
			editorRevision := make(chan string, 1)
			e.api.SetResponder(func(*anthropicfake.Request) anthropicfake.Reply {
				cur, _ := e.h.Store.Entry(p.ID)
				fields := maps.Clone(cur.Fields)
				tc.edit(fields)
				editorRevision <- e.h.Store.Update(p.ID, "", fields).RevisionID
				return anthropicfake.Reply{Content: []map[string]any{anthropicfake.ToolUse(ToolName, map[string]any{
					"tags": []any{map[string]any{"tag": "joy", "confidence": 0.9}, map[string]any{"tag": "hope", "confidence": 0.8}}})}}
			})
			if err := e.h.RunJob(t.Context(), JobDraftTags, jobArgs{EntryID: p.ID}); err != nil {
				t.Fatal(err)
			}
			edited := <-editorRevision
			r, entry := e.review(t, p.ID)
			drafts := e.h.Store.Drafts()
			if !tc.wantSaved {
				if len(drafts) != 0 || entry.RevisionID != edited || r.Status != "" {
					t.Errorf("the plugin saved over the editor's new text: drafts %+v, review %+v", drafts, r)
				}
				return
			}
			if len(drafts) != 1 || entry.RevisionID == edited {
				t.Fatalf("drafts = %+v (editor's revision %s, latest %s)", drafts, edited, entry.RevisionID)
			}
			// Based on the editor's revision: the motif and the editor's
			// suggestion survive; "hope", now a motif, is not suggested.
			if got := stringList(entry.Fields["motifs"]); !slices.Equal(got, []string{"Hope"}) {
				t.Errorf("motifs = %v: the editor's save was lost", got)
			}
			if r.Status != StatusDraft || r.tags("editor") != "Grace=0" || r.tags("ai") != "joy=0.9" {
				t.Errorf("review = %+v (editor %s, ai %s)", r, r.tags("editor"), r.tags("ai"))
			}
		})
	}
}

func TestRedraftAction(t *testing.T) {
	e := newEnv(t, map[string]string{SettingVocabulary: "joy"}, map[string]string{})
	p := e.passage(t, "Joy", []any{paragraph("Joy.")}, nil)
	e.saved(t, p.ID)
	if _, err := e.h.RunEnqueued(t.Context()); err != nil {
		t.Fatal(err)
	}
	raw, diags, err := e.h.RunAction(t.Context(), sdktest.Action{Name: ActionRedraftTags, EntryID: p.ID})
	if err != nil || diags.HasError() {
		t.Fatalf("action: %v %v", err, diags)
	}
	var res struct {
		JobID string `json:"job_id"`
	}
	if err := json.Unmarshal(raw, &res); err != nil || res.JobID == "" {
		t.Fatalf("result %s: %v", raw, err)
	}
	jobs := e.h.Store.Jobs()
	var args jobArgs
	if len(jobs) != 1 || jobs[0].ID != res.JobID || json.Unmarshal(jobs[0].Args, &args) != nil || !args.Force {
		t.Fatalf("jobs = %+v", jobs)
	}
	e.api.SetResponder(func(*anthropicfake.Request) anthropicfake.Reply {
		return anthropicfake.Reply{Content: []map[string]any{anthropicfake.ToolUse(ToolName, map[string]any{"tags": []any{map[string]any{"tag": "joy", "confidence": 0.42}}})}}
	})
	if _, err := e.h.RunEnqueued(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := len(e.api.Requests()); n != 2 {
		t.Errorf("%d requests: the forced redraft did not call the API", n)
	}
	if r, _ := e.review(t, p.ID); r.tags("ai") != "joy=0.42" {
		t.Errorf("AI suggestions after the redraft = %s", r.tags("ai"))
	}

	// Not on an unknown entry.
	if _, _, err := e.h.RunAction(t.Context(), sdktest.Action{Name: ActionRedraftTags, EntryID: "nope"}); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("redraft of a missing entry: %v", err)
	}
}

func TestVocabularyFiltering(t *testing.T) {
	e := newEnv(t, map[string]string{SettingVocabulary: "Joy, Longing\nPride,  Sweet  Desire", SettingMaxTags: "3"}, map[string]string{})
	e.api.SetResponder(func(*anthropicfake.Request) anthropicfake.Reply {
		return anthropicfake.Reply{Content: []map[string]any{anthropicfake.ToolUse(ToolName, map[string]any{"tags": []any{
			map[string]any{"tag": "joy", "confidence": 0.7},
			map[string]any{"tag": "JOY", "confidence": 0.9},
			map[string]any{"tag": "Sehnsucht", "confidence": 0.99},
			map[string]any{"tag": "longing", "confidence": "0.8"},
			map[string]any{"tag": "pride", "confidence": 1.7},
			map[string]any{"tag": "sweet desire", "confidence": 0.3},
			map[string]any{"tag": "Pride"},
		}})}}
	})
	p := e.passage(t, "Joy", []any{paragraph("Joy.")}, nil)
	if err := e.h.RunJob(t.Context(), JobDraftTags, jobArgs{EntryID: p.ID}); err != nil {
		t.Fatal(err)
	}
	if r, _ := e.review(t, p.ID); r.tags("ai") != "Pride=1,Joy=0.9,Longing=0.8" {
		t.Errorf("AI suggestions = %s", r.tags("ai"))
	}
	req := e.api.Requests()[0]
	if got := strings.Join(anthropicfake.Vocabulary(&req), "|"); got != "Joy|Longing|Pride|Sweet Desire" {
		t.Errorf("vocabulary sent = %s", got)
	}
}

func TestIdleWithoutKey(t *testing.T) {
	e := newEnv(t, nil, nil)
	p := e.passage(t, "Joy", []any{paragraph("Joy.")}, map[string]any{"motifs": []any{"joy"}})
	e.saved(t, p.ID)
	e.saved(t, p.ID)
	if jobs := e.h.Store.Jobs(); len(jobs) != 0 {
		t.Errorf("an idle plugin enqueued %+v", jobs)
	}
	if err := e.h.RunJob(t.Context(), JobDraftTags, jobArgs{EntryID: p.ID}); err != nil {
		t.Fatal(err)
	}
	if n := len(e.api.Requests()); n != 0 || len(e.h.Store.Drafts()) != 0 {
		t.Errorf("an idle plugin made %d requests and %d drafts", n, len(e.h.Store.Drafts()))
	}
	if _, _, err := e.h.RunAction(t.Context(), sdktest.Action{Name: ActionRedraftTags, EntryID: p.ID}); err == nil || !strings.Contains(err.Error(), "api_key") {
		t.Errorf("redraft while idle: %v", err)
	}
	if n := strings.Count(e.logs.String(), "aitags is idle: no api_key secret"); n != 1 {
		t.Errorf("logged the idle state %d times, want once:\n%s", n, e.logs.String())
	}
}

func TestOtherTypesIgnored(t *testing.T) {
	e := newEnv(t, map[string]string{SettingVocabulary: "joy"}, map[string]string{})
	a := e.h.Store.Add(sdk.Entry{Type: "article", Title: "Joy", Fields: contenttypes.Values{"body": "Joy."}})
	e.saved(t, a.ID)
	if jobs := e.h.Store.Jobs(); len(jobs) != 0 {
		t.Errorf("an article save enqueued %+v", jobs)
	}
}

func TestConfigureRejectsBadSettings(t *testing.T) {
	p := New(Options{Logger: slog.New(slog.NewTextHandler(&syncBuffer{}, nil))})
	h := sdktest.New(t, p, &sdktest.Options{NoConfigure: true, Settings: map[string]string{SettingMaxTags: "0"}})
	diags, err := h.Configure(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(diags.At("settings.max_tags")) != 1 {
		t.Errorf("diagnostics = %v", diags)
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestDeclaration checks what the host sees: only an after_save event on
// passages (no save hooks, so the plugin can never block a save or a
// publish), the draft_tags job with its attempt bound, the redraft action
// on passages, and the three scopes.
func TestDeclaration(t *testing.T) {
	e := newEnv(t, nil, nil)
	md := e.h.Metadata
	if hooks := md.GetHooks(); len(hooks) != 1 || hooks[0].GetHook() != string(sdk.AfterSave) ||
		!slices.Equal(hooks[0].GetTypes(), []string{"passage"}) {
		t.Errorf("hooks = %v", hooks)
	}
	if jobs := md.GetJobKinds(); len(jobs) != 1 || jobs[0].GetKind() != JobDraftTags || jobs[0].GetMaxAttempts() != MaxAttempts {
		t.Errorf("jobs = %v", jobs)
	}
	if acts := md.GetActions(); len(acts) != 1 || acts[0].GetName() != ActionRedraftTags || !slices.Equal(acts[0].GetTypes(), []string{"passage"}) {
		t.Errorf("actions = %v", acts)
	}
	if got := md.GetScopes(); !slices.Equal(got, []string{sdk.ScopeEntriesRead, sdk.ScopeEntriesWrite, sdk.ScopeJobsEnqueue}) {
		t.Errorf("scopes = %v", got)
	}
}

func TestIdleWithoutScopes(t *testing.T) {
	api, err := anthropicfake.Start(testKey)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(api.Close)
	logs := &syncBuffer{}
	h := sdktest.New(t, New(Options{Logger: slog.New(slog.NewTextHandler(logs, nil))}), &sdktest.Options{
		Scopes:  []string{sdk.ScopeEntriesRead},
		Secrets: map[string]string{SecretAPIKey: testKey, SecretBaseURL: api.URL}, Types: cslewis.Plugin().ContentTypes})
	p := h.Store.Add(sdk.Entry{Type: "passage", Title: "Joy", Fields: contenttypes.Values{
		"body": []any{paragraph("Joy.")}, "work": "w1", "register": "devotional", "motifs": []any{"joy"}}})
	if err := h.Event(t.Context(), sdktest.Event{Name: sdk.AfterSave, EntryID: p.ID}); err != nil {
		t.Fatalf("after_save without scopes: %v", err)
	}
	if !strings.Contains(logs.String(), "missing=entries:write,jobs:enqueue") {
		t.Errorf("logs = %s", logs.String())
	}
	if len(api.Requests()) != 0 {
		t.Error("called the API without the scopes to store the result")
	}
}
