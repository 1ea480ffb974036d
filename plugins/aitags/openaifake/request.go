package openaifake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
)

// Request is a request the fake received, decoded.
type Request struct {
	Method, Path string
	Header       http.Header
	// APIKey is the bearer token sent.
	APIKey string
	// Body is the raw JSON body.
	Body json.RawMessage
	// Model, Messages, Tools, ToolChoice, MaxTokens,
	// MaxCompletionTokens and ReasoningEffort are decoded from the body
	// (message content joined into text).
	Model               string
	Messages            []Message
	Tools               []Tool
	ToolChoice          ToolChoice
	MaxTokens           int // 0: not sent
	MaxCompletionTokens int // 0: not sent
	ReasoningEffort     string
	// Status is the HTTP status the fake answered.
	Status int
}

// Message is a message of the request, with its text parts joined.
type Message struct {
	Role string
	Text string
}

// Tool is a tool of the request: {"type":"function","function":{...}}.
type Tool struct {
	Type     string   `json:"type"`
	Function Function `json:"function"`
}

// Function is a function tool's definition.
type Function struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Parameters  json.RawMessage `json:"parameters"`
	Strict      bool            `json:"strict"`
}

// ToolChoice is the request's tool_choice: Mode is "none", "auto" or
// "required" for the string forms, "function" for
// {"type":"function","function":{"name":Name}}, and "" when not sent.
type ToolChoice struct {
	Mode string
	Name string
}

// System returns the text of the system and developer messages, joined.
func (r *Request) System() string { return r.text("system", "developer") }

// UserText returns the text of the user messages, joined.
func (r *Request) UserText() string { return r.text("user") }

func (r *Request) text(roles ...string) string {
	var parts []string
	for _, m := range r.Messages {
		if slices.Contains(roles, m.Role) {
			parts = append(parts, m.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// Tool returns the function tool named name, if the request defines it.
func (r *Request) Tool(name string) (Tool, bool) {
	for _, t := range r.Tools {
		if t.Type == "function" && t.Function.Name == name {
			return t, true
		}
	}
	return Tool{}, false
}

// bearer returns the token of an "Authorization: Bearer" header.
func bearer(h http.Header) string {
	if a, ok := strings.CutPrefix(h.Get("Authorization"), "Bearer "); ok {
		return strings.TrimSpace(a)
	}
	return ""
}

func readBody(r *http.Request) (json.RawMessage, error) {
	defer func() { _ = r.Body.Close() }()
	var raw json.RawMessage
	if err := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 32<<20)).Decode(&raw); err != nil {
		return nil, fmt.Errorf("We could not parse the JSON body of your request. (%v)", err)
	}
	return raw, nil
}

// functionName is the documented pattern of a function's name.
var functionName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

// roles are the documented message roles.
var roles = []string{"system", "developer", "user", "assistant", "tool", "function"}

// reasoningEfforts are the documented values of reasoning_effort.
var reasoningEfforts = []string{"none", "minimal", "low", "medium", "high", "xhigh", "max"}

// wireRequest is the body of POST /v1/chat/completions, as far as the fake
// checks it.
type wireRequest struct {
	Model    string `json:"model"`
	Messages *[]struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	Tools               []Tool          `json:"tools"`
	ToolChoice          json.RawMessage `json:"tool_choice"`
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
	ReasoningEffort     *string         `json:"reasoning_effort"`
	Stream              bool            `json:"stream"`
}

// decodeRequest decodes and validates req.Body into req, as the API
// would; a non-nil Failure is the 400 to answer.
func decodeRequest(req *Request) *Failure {
	bad := func(param, format string, args ...any) *Failure {
		return &Failure{Status: http.StatusBadRequest, Type: "invalid_request_error", Param: param,
			Message: fmt.Sprintf(format, args...)}
	}
	var w wireRequest
	if err := json.Unmarshal(req.Body, &w); err != nil {
		return bad("", "The request body does not match the Chat Completions API: %v", err)
	}
	switch {
	case w.Model == "":
		return bad("model", "you must provide a model parameter")
	case w.Messages == nil:
		return bad("messages", "Missing required parameter: 'messages'.")
	case len(*w.Messages) == 0:
		return bad("messages", "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.")
	case w.Stream:
		return bad("stream", "the fake does not stream; send stream false")
	case w.MaxTokens != nil && w.MaxCompletionTokens != nil:
		return bad("max_tokens", "max_tokens and max_completion_tokens cannot both be set; use max_completion_tokens")
	case w.MaxTokens != nil && *w.MaxTokens < 1:
		return bad("max_tokens", "Invalid 'max_tokens': integer below minimum value. Expected a value >= 1, but got %d instead.", *w.MaxTokens)
	case w.MaxCompletionTokens != nil && *w.MaxCompletionTokens < 1:
		return bad("max_completion_tokens", "Invalid 'max_completion_tokens': integer below minimum value. Expected a value >= 1, but got %d instead.", *w.MaxCompletionTokens)
	case w.ReasoningEffort != nil && !slices.Contains(reasoningEfforts, *w.ReasoningEffort):
		return bad("reasoning_effort", "Invalid value: '%s'. Supported values are: %s.", *w.ReasoningEffort, strings.Join(reasoningEfforts, ", "))
	}
	req.Model = w.Model
	if w.MaxTokens != nil {
		req.MaxTokens = *w.MaxTokens
	}
	if w.MaxCompletionTokens != nil {
		req.MaxCompletionTokens = *w.MaxCompletionTokens
	}
	if w.ReasoningEffort != nil {
		req.ReasoningEffort = *w.ReasoningEffort
	}
	for i, m := range *w.Messages {
		param := fmt.Sprintf("messages.[%d]", i)
		if !slices.Contains(roles, m.Role) {
			return bad(param+".role", "Invalid value: '%s'. Supported values are: %s.", m.Role, strings.Join(roles, ", "))
		}
		text, err := textOf(m.Content)
		if err != nil {
			return bad(param+".content", "%v", err)
		}
		if text == "" && m.Role != "assistant" {
			return bad(param+".content", "Invalid '%s.content': a %s message needs content.", param, m.Role)
		}
		req.Messages = append(req.Messages, Message{Role: m.Role, Text: text})
	}
	for i, t := range w.Tools {
		param := fmt.Sprintf("tools[%d]", i)
		if t.Type != "function" {
			return bad(param+".type", "Invalid value: '%s'. Supported values are: 'function' and 'custom'.", t.Type)
		}
		if !functionName.MatchString(t.Function.Name) {
			return bad(param+".function.name", "Invalid '%s.function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$' (at most 64 characters).", param)
		}
		if len(t.Function.Parameters) > 0 {
			var schema struct {
				Type string `json:"type"`
			}
			if err := json.Unmarshal(t.Function.Parameters, &schema); err != nil || schema.Type != "object" {
				return bad(param+".function.parameters", "Invalid schema for function '%s': schema must be a JSON Schema of 'type: \"object\"'.", t.Function.Name)
			}
		}
	}
	req.Tools = w.Tools
	return decodeToolChoice(req, w.ToolChoice, bad)
}

// decodeToolChoice decodes and checks tool_choice into req.ToolChoice.
func decodeToolChoice(req *Request, raw json.RawMessage, bad func(param, format string, args ...any) *Failure) *Failure {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if len(req.Tools) == 0 {
		return bad("tool_choice", "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.")
	}
	var mode string
	if json.Unmarshal(raw, &mode) == nil {
		if mode != "none" && mode != "auto" && mode != "required" {
			return bad("tool_choice", "Invalid value: '%s'. Supported values are: 'none', 'auto', and 'required'.", mode)
		}
		req.ToolChoice = ToolChoice{Mode: mode}
		return nil
	}
	var named struct {
		Type     string `json:"type"`
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if err := json.Unmarshal(raw, &named); err != nil || named.Type != "function" || named.Function.Name == "" {
		return bad("tool_choice", "Invalid 'tool_choice': expected 'none', 'auto', 'required' or {\"type\": \"function\", \"function\": {\"name\": ...}}.")
	}
	if _, ok := req.Tool(named.Function.Name); !ok {
		return bad("tool_choice", "Invalid 'tool_choice': function '%s' is not among the 'tools' of the request.", named.Function.Name)
	}
	req.ToolChoice = ToolChoice{Mode: "function", Name: named.Function.Name}
	return nil
}

// textOf returns the text of message content: a string, or an array of
// content parts (text parts are joined; other parts are accepted and
// skipped).
func textOf(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var parts []struct {
		Type string  `json:"type"`
		Text *string `json:"text"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", fmt.Errorf("expected a string or an array of content parts")
	}
	texts := make([]string, 0, len(parts))
	for i, p := range parts {
		switch {
		case p.Type == "":
			return "", fmt.Errorf("Missing required parameter: 'content[%d].type'.", i)
		case p.Type == "text" && p.Text == nil:
			return "", fmt.Errorf("Missing required parameter: 'content[%d].text'.", i)
		case p.Type == "text":
			texts = append(texts, *p.Text)
		}
	}
	return strings.Join(texts, "\n"), nil
}
