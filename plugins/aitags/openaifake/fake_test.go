package openaifake

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"

	"github.com/inklingcms/inkling/plugins/aitags/internal/fakemodel"
)

const key = "sk-test-openai-key"

func start(t *testing.T) *Server {
	t.Helper()
	s, err := Start(key)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// completions is the real client's Chat Completions service pointed at s
// (without reading OPENAI_* from the environment).
func completions(s *Server, apiKey string, retries int) openai.ChatCompletionService {
	return openai.NewChatCompletionService(option.WithAPIKey(apiKey), option.WithBaseURL(s.URL),
		option.WithMaxRetries(retries))
}

// tagParams forces the tag function over a vocabulary given as an enum.
func tagParams(text string, vocab ...string) openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{
		Model:               "gpt-test",
		Messages:            []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("Tag the passage."), openai.UserMessage("<passage>\n" + text + "\n</passage>")},
		MaxCompletionTokens: openai.Int(256),
		ReasoningEffort:     shared.ReasoningEffortNone,
		Tools: []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
			Name: "propose_tags",
			Parameters: shared.FunctionParameters{"type": "object", "properties": map[string]any{"tags": map[string]any{
				"type": "array", "items": map[string]any{"type": "object", "properties": map[string]any{
					"tag": map[string]any{"type": "string", "enum": vocab}, "confidence": map[string]any{"type": "number"}}}}}},
		})},
		ToolChoice: openai.ToolChoiceOptionFunctionToolChoice(openai.ChatCompletionNamedToolChoiceFunctionParam{Name: "propose_tags"}),
	}
}

func TestDefaultModelCallsTheForcedFunction(t *testing.T) {
	s := start(t)
	c := completions(s, key, 0)
	res, err := c.New(t.Context(), tagParams("Joy is the serious business of Heaven; longing, too.", "grace", "Joy", "longing", "pride"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Choices) != 1 || res.Choices[0].FinishReason != "tool_calls" || res.Model != "gpt-test" ||
		!strings.HasPrefix(res.ID, "chatcmpl-") || res.Usage.TotalTokens != res.Usage.PromptTokens+res.Usage.CompletionTokens || res.Usage.PromptTokens == 0 {
		t.Fatalf("completion = %+v", res)
	}
	msg := res.Choices[0].Message
	if msg.Content != "" || len(msg.ToolCalls) != 1 {
		t.Fatalf("message = %+v", msg)
	}
	call := msg.ToolCalls[0]
	if call.Type != "function" || call.Function.Name != "propose_tags" || !strings.HasPrefix(call.ID, "call_") {
		t.Fatalf("tool call = %+v", call)
	}
	var args struct{ Tags []Proposal }
	if err := json.Unmarshal([]byte(call.Function.Arguments), &args); err != nil {
		t.Fatalf("arguments %q: %v", call.Function.Arguments, err)
	}
	want := []Proposal{{Tag: "Joy", Confidence: 0.95}, {Tag: "longing", Confidence: 0.9}, {Tag: "grace", Confidence: fakemodel.GuessConfidence}}
	if !slices.Equal(args.Tags, want) {
		t.Errorf("tags = %+v, want %+v", args.Tags, want)
	}

	reqs := s.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests recorded", len(reqs))
	}
	r := reqs[0]
	if r.APIKey != key || r.Path != "/v1/chat/completions" || r.Model != "gpt-test" || r.System() != "Tag the passage." ||
		r.MaxCompletionTokens != 256 || r.MaxTokens != 0 || r.ReasoningEffort != "none" || r.Status != http.StatusOK {
		t.Errorf("request = %+v", r)
	}
	if r.ToolChoice != (ToolChoice{Mode: "function", Name: "propose_tags"}) {
		t.Errorf("tool_choice = %+v", r.ToolChoice)
	}
	if got := strings.Join(Vocabulary(&r), ","); got != "grace,Joy,longing,pride" {
		t.Errorf("vocabulary = %s", got)
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		apiKey  string
		retries int
		script  func(s *Server)
		params  func(p *openai.ChatCompletionNewParams)
		// status 0: success expected.
		status    int
		typ, code string
		param     string
		statuses  []int
	}{
		{name: "wrong key", apiKey: "sk-wrong", status: 401, typ: "invalid_request_error", code: "invalid_api_key", statuses: []int{401}},
		{name: "unknown model", script: func(s *Server) { s.SetModels("gpt-other") }, status: 404, typ: "invalid_request_error",
			code: "model_not_found", statuses: []int{404}},
		{name: "tool_choice names a missing function", status: 400, typ: "invalid_request_error", param: "tool_choice", statuses: []int{400},
			params: func(p *openai.ChatCompletionNewParams) {
				p.ToolChoice = openai.ToolChoiceOptionFunctionToolChoice(openai.ChatCompletionNamedToolChoiceFunctionParam{Name: "other"})
			}},
		{name: "unknown reasoning effort", status: 400, typ: "invalid_request_error", param: "reasoning_effort", statuses: []int{400},
			params: func(p *openai.ChatCompletionNewParams) { p.ReasoningEffort = "extreme" }},
		{name: "both token limits", status: 400, typ: "invalid_request_error", param: "max_tokens", statuses: []int{400},
			params: func(p *openai.ChatCompletionNewParams) { p.MaxTokens = openai.Int(10) }},
		{name: "a 429 is retried after retry-after", retries: 1, statuses: []int{429, 200},
			script: func(s *Server) { s.FailNext(1, RateLimited(0)) }},
		{name: "a 500 without retries", status: 500, typ: "server_error", statuses: []int{500},
			script: func(s *Server) { s.FailAlways(ServerError()) }},
		{name: "a 503 retried until the retries run out", retries: 1, status: 503, typ: "server_error", statuses: []int{503, 503},
			script: func(s *Server) { s.FailAlways(Overloaded()) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t)
			if tc.script != nil {
				tc.script(s)
			}
			apiKey := key
			if tc.apiKey != "" {
				apiKey = tc.apiKey
			}
			p := tagParams("Joy.", "joy")
			if tc.params != nil {
				tc.params(&p)
			}
			c := completions(s, apiKey, tc.retries)
			_, err := c.New(t.Context(), p)
			var statuses []int
			for _, r := range s.Requests() {
				statuses = append(statuses, r.Status)
			}
			if !slices.Equal(statuses, tc.statuses) {
				t.Errorf("statuses = %v, want %v", statuses, tc.statuses)
			}
			if tc.status == 0 {
				if err != nil {
					t.Fatalf("error = %v, want success", err)
				}
				return
			}
			var api *openai.Error
			if !errors.As(err, &api) {
				t.Fatalf("error = %v, want an *openai.Error", err)
			}
			if api.StatusCode != tc.status || api.Type != tc.typ || api.Code != tc.code || api.Param != tc.param || api.Message == "" {
				t.Errorf("error = %d type %q code %q param %q message %q; want %d %q %q %q",
					api.StatusCode, api.Type, api.Code, api.Param, api.Message, tc.status, tc.typ, tc.code, tc.param)
			}
			if api.Response == nil || !strings.HasPrefix(api.Response.Header.Get("x-request-id"), "req_") {
				t.Errorf("no x-request-id on the error response")
			}
		})
	}
}

func TestResponder(t *testing.T) {
	s := start(t)
	s.SetResponder(func(r *Request) Reply {
		return Reply{Content: "No.", Refusal: "I can't help with that.", FinishReason: "stop"}
	})
	c := completions(s, key, 0)
	res, err := c.New(t.Context(), tagParams("Joy.", "joy"))
	if err != nil {
		t.Fatal(err)
	}
	m := res.Choices[0].Message
	if m.Content != "No." || m.Refusal != "I can't help with that." || len(m.ToolCalls) != 0 || res.Choices[0].FinishReason != "stop" {
		t.Errorf("message = %+v, finish %q", m, res.Choices[0].FinishReason)
	}
	s.SetResponder(nil)
	res, err = c.New(t.Context(), tagParams("Joy.", "joy"))
	if err != nil || len(res.Choices[0].Message.ToolCalls) != 1 {
		t.Errorf("the default model is not back: %+v, %v", res, err)
	}
}
