package aitags

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/plugins/sdk"
	"google.golang.org/grpc/codes"
)

func TestEntryText(t *testing.T) {
	for _, tc := range []struct {
		name  string
		title string
		body  any
		want  string
	}{
		{"blocks", "Title", []any{
			map[string]any{"type": "paragraph", "id": "a", "value": " Some *markdown*. "},
			map[string]any{"type": "heading", "id": "b", "value": "A heading"},
			map[string]any{"type": "quote", "id": "c", "value": map[string]any{"text": "Quoted.", "attribution": "Someone"}},
			map[string]any{"type": "scripture", "id": "d", "value": map[string]any{"reference": "John 1:5", "text": "The light shineth.", "translation": "KJV"}},
			map[string]any{"type": "paragraph", "id": "e"}, // no value
		}, "Title\n\nSome *markdown*.\n\nA heading\n\nQuoted.\n\nJohn 1:5\nThe light shineth."},
		{"richtext body", "T", "Plain body.", "T\n\nPlain body."},
		{"no body", "Only a title", nil, "Only a title"},
		{"nothing", "", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := entryText(tc.title, tc.body); got != tc.want {
				t.Errorf("entryText = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestTextHash(t *testing.T) {
	base := &sdk.Entry{Title: "T", Fields: contenttypes.Values{"body": []any{map[string]any{"type": "paragraph", "value": "x"}}}}
	h := readPassage(base).hash
	for _, tc := range []struct {
		name   string
		change func(e *sdk.Entry)
		same   bool
	}{
		{"tag review changed", func(e *sdk.Entry) { e.Fields["tag_review"] = map[string]any{"status": "draft", "text_hash": "x"} }, true},
		{"motifs changed", func(e *sdk.Entry) { e.Fields["motifs"] = []any{"joy"} }, true},
		{"block ids changed", func(e *sdk.Entry) {
			e.Fields["body"] = []any{map[string]any{"type": "paragraph", "id": "z", "value": "x"}}
		}, true},
		{"title changed", func(e *sdk.Entry) { e.Title = "U" }, false},
		{"text changed", func(e *sdk.Entry) { e.Fields["body"] = []any{map[string]any{"type": "paragraph", "value": "y"}} }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := *base
			e.Fields = maps.Clone(base.Fields)
			tc.change(&e)
			if got := readPassage(&e).hash; (got == h) != tc.same {
				t.Errorf("hash %s vs %s: same = %t, want %t", got, h, got == h, tc.same)
			}
		})
	}
}

func TestSelectTags(t *testing.T) {
	vocab := []string{"Joy", "Longing", "Sweet Desire", "joy"}
	raw := func(tag, conf string) rawProposal { return rawProposal{Tag: tag, Confidence: json.RawMessage(conf)} }
	for _, tc := range []struct {
		name  string
		props []rawProposal
		max   int
		want  string
	}{
		{"vocabulary spelling", []rawProposal{raw("JOY", "0.5"), raw(" sweet   desire ", "0.4")}, 8, "Joy=0.5,Sweet Desire=0.4"},
		{"not in the vocabulary", []rawProposal{raw("Sehnsucht", "0.9"), raw("", "0.9")}, 8, ""},
		{"duplicates keep the highest", []rawProposal{raw("joy", "0.2"), raw("Joy", "0.6"), raw("JOY", "0.3")}, 8, "Joy=0.6"},
		{"clamped and rounded", []rawProposal{raw("joy", "1.5"), raw("longing", "-2"), raw("sweet desire", "0.456")}, 8, "Joy=1,Sweet Desire=0.46,Longing=0"},
		{"numeric strings", []rawProposal{raw("joy", `"0.7"`), raw("longing", `"high"`)}, 8, "Joy=0.7"},
		{"missing or null confidence", []rawProposal{raw("joy", ""), raw("longing", "null"), raw("sweet desire", "true")}, 8, ""},
		{"sorted and capped", []rawProposal{raw("longing", "0.5"), raw("joy", "0.5"), raw("sweet desire", "0.9")}, 2, "Sweet Desire=0.9,Joy=0.5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, p := range selectTags(tc.props, vocab, tc.max) {
				b, _ := json.Marshal(p.Confidence)
				got = append(got, p.Tag+"="+string(b))
			}
			if s := strings.Join(got, ","); s != tc.want {
				t.Errorf("selectTags = %s, want %s", s, tc.want)
			}
		})
	}
}

func TestSplitList(t *testing.T) {
	if got := strings.Join(splitList(" joy,\nLonging\r\n,,JOY, sweet  desire "), "|"); got != "joy|Longing|sweet desire" {
		t.Errorf("splitList = %q", got)
	}
}

func TestOutcomeApply(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	editorItem := map[string]any{"type": "item", "id": "ed1", "value": map[string]any{"tag": "Grace", "confidence": json.Number("0.5"), "source": "editor"}}
	oldAI := map[string]any{"type": "item", "id": "ai1", "value": map[string]any{"tag": "pride", "confidence": json.Number("0.4"), "source": "ai"}}
	p := passage{
		motifs: []string{"Joy"},
		review: map[string]any{"status": "reviewed", "error": "old", "note": "kept", "suggestions": []any{editorItem, oldAI}},
	}
	tags := []proposal{{"joy", 0.9}, {"grace", 0.8}, {"longing", 0.7}}

	got := outcome{hash: "h1", model: "m", at: at, tags: tags}.apply(p)
	if got["status"] != StatusDraft || got["text_hash"] != "h1" || got["model"] != "m" || got["drafted_at"] != "2026-01-02T03:04:05Z" || got["note"] != "kept" {
		t.Errorf("review = %v", got)
	}
	if _, ok := got["error"]; ok {
		t.Errorf("error kept: %v", got["error"])
	}
	items := got["suggestions"].([]any)
	if len(items) != 2 || items[0].(map[string]any)["id"] != "ed1" {
		t.Fatalf("suggestions = %v", items)
	}
	if v := items[1].(map[string]any)["value"].(map[string]any); v["tag"] != "longing" || v["source"] != SourceAI || v["confidence"] != 0.7 {
		t.Errorf("new AI suggestion = %v (joy is a motif, grace the editor's)", v)
	}
	if p.review["status"] != "reviewed" || len(p.review["suggestions"].([]any)) != 2 {
		t.Errorf("apply changed its input: %v", p.review)
	}

	failed := outcome{hash: "h2", model: "m", failure: strings.Repeat("x", 600)}.apply(p)
	if failed["status"] != StatusFailed || len(failed["error"].(string)) > maxErrorLength || failed["text_hash"] != "h2" {
		t.Errorf("failure review = %v", failed)
	}
	if s := failed["suggestions"].([]any); len(s) != 2 {
		t.Errorf("a failure changed the suggestions: %v", s)
	}

	// Bare (unprepared) editor items are kept too; with no suggestion left
	// the member is dropped.
	bare := passage{review: map[string]any{"suggestions": []any{map[string]any{"tag": "x", "source": "editor"}}}}
	if s := (outcome{hash: "h"}.apply(bare))["suggestions"].([]any); len(s) != 1 {
		t.Errorf("bare editor item dropped: %v", s)
	}
	if _, ok := (outcome{hash: "h"}.apply(passage{}))["suggestions"]; ok {
		t.Error("empty suggestions stored")
	}
}

// busyHost is a host whose entry an editor saves again before each of the
// plugin's saves: every save is based on a stale revision. (The in-memory
// host of sdktest cannot interleave saves that often; see
// TestEditorSavesWhileDrafting for a conflict through it.)
type busyHost struct {
	entry sdk.Entry
	saves int
}

func (b *busyHost) GetEntry(_ context.Context, id string, _ bool) (*sdk.Entry, error) {
	if id != b.entry.ID {
		return nil, &sdk.HostError{Method: "GetEntry", Code: codes.NotFound, Message: "no entry " + id}
	}
	e := b.entry
	e.Fields = maps.Clone(b.entry.Fields)
	return &e, nil
}

func (b *busyHost) SaveDraft(_ context.Context, d sdk.Draft) (*sdk.Entry, contenttypes.Diagnostics, error) {
	b.saves++
	b.entry.RevisionID = fmt.Sprintf("r%d", b.saves+1) // the editor's save
	return nil, nil, &sdk.HostError{Method: "SaveDraft", Code: codes.Aborted,
		Message: fmt.Sprintf("base revision %s is stale (latest is %s)", d.BaseRevisionID, b.entry.RevisionID)}
}

func (b *busyHost) Entries(context.Context, sdk.ListParams) iter.Seq2[*sdk.Entry, error] {
	return func(func(*sdk.Entry, error) bool) {}
}

func TestRecordGivesUpAfterRepeatedConflicts(t *testing.T) {
	h := &busyHost{entry: sdk.Entry{ID: "e1", Type: "passage", Title: "Joy", RevisionID: "r1",
		Fields: contenttypes.Values{"body": []any{map[string]any{"type": "paragraph", "value": "Joy."}}}}}
	read, _ := h.GetEntry(t.Context(), "e1", false)
	o := outcome{hash: readPassage(read).hash, model: "m", tags: []proposal{{"Joy", 0.9}}}
	err := (&tagger{}).record(t.Context(), h, read, o)
	// A conflict may pass: the host retries the job, which is not permanent.
	if !errors.Is(err, sdk.ErrConflict) || sdk.IsPermanent(err) {
		t.Errorf("record error = %v, want a retryable conflict", err)
	}
	if h.saves != maxConflicts+1 {
		t.Errorf("%d saves, want %d", h.saves, maxConflicts+1)
	}
}

func TestParseConfig(t *testing.T) {
	for _, tc := range []struct {
		name     string
		settings map[string]string
		secrets  map[string]string
		errPath  string
		check    func(t *testing.T, c *config)
	}{
		{name: "defaults", check: func(t *testing.T, c *config) {
			if c.model != DefaultModel || c.prompt != DefaultPrompt || c.maxTags != DefaultMaxTags ||
				c.maxRetries != DefaultMaxRetries || c.vocabulary != nil || !c.handles("passage") || !c.handles("article") || c.baseURL != "" {
				t.Errorf("config = %+v", c)
			}
		}},
		{name: "types narrowed", settings: map[string]string{SettingTypes: "passage"}, check: func(t *testing.T, c *config) {
			if !c.handles("passage") || c.handles("article") {
				t.Errorf("types = %v", c.types)
			}
		}},
		{name: "type not bound", settings: map[string]string{SettingTypes: "passage, work"}, errPath: "settings.types"},
		{name: "settings", settings: map[string]string{SettingTypes: "passage, article", SettingModel: "claude-haiku-5-5",
			SettingVocabulary: "a\nb", SettingMaxTags: "3", SettingMaxRetries: "0", SettingBaseURL: "http://setting"},
			check: func(t *testing.T, c *config) {
				if !c.handles("article") || c.model != "claude-haiku-5-5" || len(c.vocabulary) != 2 || c.maxTags != 3 ||
					c.maxRetries != 0 || c.baseURL != "http://setting" {
					t.Errorf("config = %+v", c)
				}
			}},
		{name: "base_url secret wins", settings: map[string]string{SettingBaseURL: "http://setting"}, secrets: map[string]string{"BASE_URL": "https://secret"},
			check: func(t *testing.T, c *config) {
				if c.baseURL != "https://secret" {
					t.Errorf("baseURL = %q", c.baseURL)
				}
			}},
		{name: "bad base_url", settings: map[string]string{SettingBaseURL: "api.anthropic.com"}, errPath: "settings.base_url"},
		{name: "max_tags not a number", settings: map[string]string{SettingMaxTags: "eight"}, errPath: "settings.max_tags"},
		{name: "max_tags too high", settings: map[string]string{SettingMaxTags: "51"}, errPath: "settings.max_tags"},
		{name: "max_retries negative", settings: map[string]string{SettingMaxRetries: "-1"}, errPath: "settings.max_retries"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, diags := parseConfig(tc.settings, tc.secrets, []string{"passage", "article"})
			if tc.errPath != "" {
				if len(diags.At(tc.errPath)) != 1 || !diags.HasError() {
					t.Errorf("diagnostics = %v, want one at %s", diags, tc.errPath)
				}
				return
			}
			if diags.HasError() {
				t.Fatalf("diagnostics = %v", diags)
			}
			tc.check(t, c)
		})
	}
}

func TestScrub(t *testing.T) {
	cases := []struct{ in, key, want string }{
		{"bad key sk-ant-123 here", "sk-ant-123", "bad key [api key] here"},
		{"Incorrect API key provided: sk-proj-ab***********************yz12. You can find your API key at https://platform.openai.com.", "sk-other",
			"Incorrect API key provided: [api key]. You can find your API key at https://platform.openai.com."},
		{"rate limited, retry after 2s", "k", "rate limited, retry after 2s"},
		{"no key configured", "", "no key configured"},
	}
	for _, tc := range cases {
		if got := scrub(tc.in, tc.key); got != tc.want {
			t.Errorf("scrub(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
