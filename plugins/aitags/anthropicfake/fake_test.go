package anthropicfake

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
)

const key = "sk-ant-test-key"

func start(t *testing.T) *Server {
	t.Helper()
	s, err := Start(key)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func client(s *Server, apiKey string, retries int) anthropic.Client {
	return anthropic.NewClient(option.WithoutEnvironmentDefaults(), option.WithAPIKey(apiKey),
		option.WithBaseURL(s.URL), option.WithMaxRetries(retries))
}

// tagParams forces the tag tool over a vocabulary given as an enum.
func tagParams(text string, vocab ...string) anthropic.MessageNewParams {
	return anthropic.MessageNewParams{
		Model: "claude-test", MaxTokens: 256,
		System:   []anthropic.TextBlockParam{{Text: "Tag the passage."}},
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("<passage>\n" + text + "\n</passage>"))},
		Tools: []anthropic.ToolUnionParam{{OfTool: &anthropic.ToolParam{Name: "propose_tags", InputSchema: anthropic.ToolInputSchemaParam{
			Properties: map[string]any{"tags": map[string]any{"type": "array", "items": map[string]any{"type": "object",
				"properties": map[string]any{"tag": map[string]any{"type": "string", "enum": vocab}, "confidence": map[string]any{"type": "number"}}}}},
		}}}},
		ToolChoice: anthropic.ToolChoiceParamOfTool("propose_tags"),
	}
}

func TestDefaultModelProposesVocabularyTerms(t *testing.T) {
	s := start(t)
	c := client(s, key, 0)
	msg, err := c.Messages.New(t.Context(), tagParams("Joy is the serious business of Heaven; longing, too.", "grace", "Joy", "longing", "pride"))
	if err != nil {
		t.Fatal(err)
	}
	if msg.StopReason != anthropic.StopReasonToolUse || len(msg.Content) != 1 || msg.Model != "claude-test" {
		t.Fatalf("message = %+v", msg)
	}
	block := msg.Content[0].AsToolUse()
	if block.Name != "propose_tags" || !strings.HasPrefix(block.ID, "toolu_") {
		t.Fatalf("tool_use = %+v", block)
	}
	var input struct{ Tags []Proposal }
	if err := json.Unmarshal(block.Input, &input); err != nil {
		t.Fatal(err)
	}
	want := []Proposal{{Tag: "Joy", Confidence: 0.95}, {Tag: "longing", Confidence: 0.9}, {Tag: "grace", Confidence: GuessConfidence}}
	if len(input.Tags) != len(want) {
		t.Fatalf("tags = %+v, want %+v", input.Tags, want)
	}
	for i := range want {
		if input.Tags[i] != want[i] {
			t.Errorf("tags[%d] = %+v, want %+v", i, input.Tags[i], want[i])
		}
	}
	reqs := s.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests recorded", len(reqs))
	}
	r := reqs[0]
	if r.APIKey != key || r.Header.Get("anthropic-version") == "" || r.Model != "claude-test" || r.MaxTokens != 256 ||
		r.System != "Tag the passage." || r.ToolChoice.Type != "tool" || r.ToolChoice.Name != "propose_tags" || r.Status != 200 {
		t.Errorf("recorded request = %+v", r)
	}
	if got := Vocabulary(&r); strings.Join(got, ",") != "grace,Joy,longing,pride" {
		t.Errorf("Vocabulary = %v", got)
	}
}

func TestVocabularyFromUserText(t *testing.T) {
	r := &Request{Messages: []Message{{Role: "user", Text: "Tag it.\n<vocabulary>\n- joy\nmyth\n\n</vocabulary>\n<passage>Myth became fact.</passage>"}}}
	if got := strings.Join(Vocabulary(r), ","); got != "joy,myth" {
		t.Errorf("Vocabulary = %q", got)
	}
	if got := Propose(r); len(got) != 2 || got[0] != (Proposal{Tag: "myth", Confidence: MatchConfidence}) || got[1] != (Proposal{Tag: "joy", Confidence: GuessConfidence}) {
		t.Errorf("Propose = %+v", got)
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name     string
		apiKey   string
		script   func(s *Server)
		retries  int
		status   int
		errType  string
		requests int
	}{
		{name: "wrong key", apiKey: "sk-wrong", status: 401, errType: "authentication_error", requests: 1},
		{name: "rate limited then ok", apiKey: key, retries: 1, script: func(s *Server) { s.FailNext(1, RateLimited(0)) }, requests: 2},
		{name: "overloaded always", apiKey: key, retries: 2, script: func(s *Server) {
			s.FailAlways(Failure{Status: 529, RetryAfter: "0"})
		}, status: 529, errType: "overloaded_error", requests: 3},
		{name: "server error, no retries", apiKey: key, script: func(s *Server) { s.FailNext(1, ServerError()) },
			status: 500, errType: "api_error", requests: 1},
		{name: "custom failure", apiKey: key, script: func(s *Server) {
			s.FailNext(1, Failure{Status: 400, Message: "prompt is too long"})
		}, status: 400, errType: "invalid_request_error", requests: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t)
			if tc.script != nil {
				tc.script(s)
			}
			c := client(s, tc.apiKey, tc.retries)
			_, err := c.Messages.New(t.Context(), tagParams("Joy.", "joy"))
			if n := len(s.Requests()); n != tc.requests {
				t.Errorf("%d requests, want %d", n, tc.requests)
			}
			if tc.status == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var api *anthropic.Error
			if !errors.As(err, &api) {
				t.Fatalf("error = %v, want an *anthropic.Error", err)
			}
			if api.StatusCode != tc.status || string(api.Type()) != tc.errType || api.RequestID == "" {
				t.Errorf("error = %d %q (request id %q), want %d %q", api.StatusCode, api.Type(), api.RequestID, tc.status, tc.errType)
			}
		})
	}
}

func TestRecoverAndRetryAfterHeader(t *testing.T) {
	s := start(t)
	s.FailAlways(RateLimited(1500 * time.Millisecond))
	resp := post(t, s, map[string]string{"x-api-key": key, "anthropic-version": "2023-06-01"}, `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`)
	if resp.StatusCode != 429 || resp.Header.Get("retry-after") != "2" {
		t.Errorf("status %d, retry-after %q; want 429 and 2", resp.StatusCode, resp.Header.Get("retry-after"))
	}
	s.Recover()
	resp = post(t, s, map[string]string{"x-api-key": key, "anthropic-version": "2023-06-01"}, `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`)
	if resp.StatusCode != 200 {
		t.Errorf("after Recover: status %d", resp.StatusCode)
	}
}

// TestRequestValidation sends raw requests, as the API documents them,
// and checks the answers.
func TestRequestValidation(t *testing.T) {
	ok := map[string]string{"x-api-key": key, "anthropic-version": "2023-06-01"}
	for _, tc := range []struct {
		name    string
		headers map[string]string
		body    string
		status  int
		message string
	}{
		{"x-api-key accepted", ok, `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`, 200, ""},
		{"no key", map[string]string{"anthropic-version": "2023-06-01"}, `{}`, 401, "x-api-key header is required"},
		{"no version", map[string]string{"x-api-key": key}, `{}`, 400, "anthropic-version"},
		{"no model", ok, `{"max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`, 400, "model: Field required"},
		{"no max_tokens", ok, `{"model":"m","messages":[{"role":"user","content":"hi"}]}`, 400, "max_tokens: Field required"},
		{"assistant first", ok, `{"model":"m","max_tokens":5,"messages":[{"role":"assistant","content":"hi"}]}`, 400, "first message"},
		{"bad tool name", ok, `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}],"tools":[{"name":"a b","input_schema":{"type":"object"}}]}`, 400, "tools.0.name"},
		{"forced tool missing", ok, `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}],"tools":[{"name":"a","input_schema":{"type":"object"}}],"tool_choice":{"type":"tool","name":"b"}}`, 400, "tool_choice"},
		{"not json", ok, `{`, 400, "not valid JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t)
			resp := post(t, s, tc.headers, tc.body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if tc.status == 200 {
				return
			}
			var body struct {
				Type  string `json:"type"`
				Error struct {
					Type, Message string
				} `json:"error"`
				RequestID string `json:"request_id"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			if body.Type != "error" || body.Error.Type != errorTypes[tc.status] || !strings.Contains(body.Error.Message, tc.message) || body.RequestID == "" {
				t.Errorf("error body = %+v, want type %q and a message with %q", body, errorTypes[tc.status], tc.message)
			}
		})
	}
}

func TestStartNeedsKey(t *testing.T) {
	if _, err := Start(""); err == nil {
		t.Error("Start(\"\") succeeded")
	}
}

func post(t *testing.T, s *Server, headers map[string]string, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL+"/v1/messages", bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}
