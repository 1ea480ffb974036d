// Package anthropicfake is a local stand-in for Anthropic's Messages API
// (POST /v1/messages), written from Anthropic's public API documentation,
// for tests that drive the real anthropic-sdk-go client without reaching
// the internet.
//
// It speaks the documented wire format: it checks the credential (the
// x-api-key header, or the "Authorization: Bearer" header that
// anthropic-sdk-go v2's option.WithAPIKey sends) and the anthropic-version
// header, validates the request body (model, max_tokens, messages, tools,
// tool_choice), and answers a message object or an error object
// {"type":"error","error":{"type","message"},"request_id"} with the
// documented statuses (400, 401, 403, 404, 413, 429 with retry-after,
// 500, 529).
//
// By default it plays a deterministic model that calls the tool the
// request forces: for a tool whose input schema has a "tags" array of
// {tag, confidence}, it proposes the vocabulary terms that occur in the
// passage with a high confidence, plus one low-confidence guess. The
// vocabulary is the enum of tags[].tag in the tool's input schema, or else
// the lines of a <vocabulary> element of the user's text; the passage is
// the <passage> element of the user's text, or else all of it.
//
//	srv, err := anthropicfake.Start("test-key")
//	...
//	defer srv.Close()
//	srv.FailNext(1, anthropicfake.RateLimited(0))
//	client := anthropic.NewClient(option.WithAPIKey("test-key"), option.WithBaseURL(srv.URL))
package anthropicfake

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Server is a running fake of the Messages API on a loopback port. It is
// safe for concurrent use.
type Server struct {
	// URL is the base URL to hand to option.WithBaseURL, e.g.
	// "http://127.0.0.1:41234".
	URL string

	apiKey string
	srv    *http.Server
	ln     net.Listener

	mu        sync.Mutex
	seq       int
	requests  []Request
	failNext  []Failure
	failAll   *Failure
	responder func(*Request) Reply
}

// Start serves the fake on a free port of 127.0.0.1. Requests must carry
// apiKey (which must not be empty). Stop it with Close.
func Start(apiKey string) (*Server, error) {
	if apiKey == "" {
		return nil, fmt.Errorf("anthropicfake: an API key is required")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("anthropicfake: listening on a loopback port: %w", err)
	}
	s := &Server{URL: "http://" + ln.Addr().String(), apiKey: apiKey, ln: ln}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Close stops the server and closes its connections.
func (s *Server) Close() { _ = s.srv.Close() }

// Failure is an error answer of the API.
type Failure struct {
	// Status is the HTTP status (400, 401, 403, 404, 413, 429, 500, 529...).
	Status int
	// Type is error.type; empty takes the documented type of Status
	// (rate_limit_error for 429, api_error for 500, overloaded_error for
	// 529, ...).
	Type string
	// Message is error.message; empty takes a generic message.
	Message string
	// RetryAfter, when set, is sent as the retry-after header (whole
	// seconds, as the API does; "0" asks for an immediate retry).
	RetryAfter string
}

// RateLimited is a 429 rate_limit_error with retry-after (rounded up to
// whole seconds; 0 sends "retry-after: 0").
func RateLimited(retryAfter time.Duration) Failure {
	secs := int64((retryAfter + time.Second - 1) / time.Second)
	return Failure{Status: http.StatusTooManyRequests, RetryAfter: strconv.FormatInt(secs, 10)}
}

// ServerError is a 500 api_error.
func ServerError() Failure { return Failure{Status: http.StatusInternalServerError} }

// Overloaded is a 529 overloaded_error.
func Overloaded() Failure { return Failure{Status: 529} }

// FailNext makes the next n requests fail with f (after the ones already
// scripted), whatever they ask.
func (s *Server) FailNext(n int, f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failNext = append(s.failNext, f)
	}
}

// FailAlways makes every request fail with f until Recover.
func (s *Server) FailAlways(f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failAll = &f
}

// Recover drops every scripted failure.
func (s *Server) Recover() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext, s.failAll = nil, nil
}

// Reply is what the fake model answers to a valid request.
type Reply struct {
	// Content are the content blocks ({"type":"text","text":...} or
	// {"type":"tool_use","id","name","input"}); see Text and ToolUse.
	Content []map[string]any
	// StopReason defaults to "tool_use" when Content has a tool_use block
	// and "end_turn" otherwise.
	StopReason string
}

// Text is a text content block.
func Text(text string) map[string]any { return map[string]any{"type": "text", "text": text} }

// ToolUse is a tool_use content block calling tool name with input (its
// id is filled in).
func ToolUse(name string, input any) map[string]any {
	return map[string]any{"type": "tool_use", "name": name, "input": input}
}

// SetResponder replaces the default model: f decides the reply to each
// valid request. Nil restores the default.
func (s *Server) SetResponder(f func(r *Request) Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.responder = f
}

// Request is a request the fake received, decoded.
type Request struct {
	Method, Path string
	Header       http.Header
	// APIKey is the credential sent (x-api-key, or the bearer token).
	APIKey string
	// Body is the raw JSON body.
	Body json.RawMessage
	// Model, MaxTokens, System, Messages, Tools and ToolChoice are decoded
	// from the body (System and message content joined into text).
	Model      string
	MaxTokens  int
	System     string
	Messages   []Message
	Tools      []Tool
	ToolChoice ToolChoice
	// Status is the HTTP status the fake answered.
	Status int
}

// Message is a message of the request, with its text blocks joined.
type Message struct {
	Role string
	Text string
}

// Tool is a client tool definition of the request.
type Tool struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	InputSchema json.RawMessage `json:"input_schema"`
}

// ToolChoice is the request's tool_choice.
type ToolChoice struct {
	Type                   string `json:"type"`
	Name                   string `json:"name"`
	DisableParallelToolUse bool   `json:"disable_parallel_tool_use"`
}

// UserText returns the text of the user messages, joined.
func (r *Request) UserText() string {
	var parts []string
	for _, m := range r.Messages {
		if m.Role == "user" {
			parts = append(parts, m.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// Tool returns the tool named name, if the request defines it.
func (r *Request) Tool(name string) (Tool, bool) {
	for _, t := range r.Tools {
		if t.Name == name {
			return t, true
		}
	}
	return Tool{}, false
}

// Requests returns the requests received so far, failed ones included, in
// order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Reset forgets the recorded requests.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

// errorTypes are the documented error types per status.
var errorTypes = map[int]string{
	400: "invalid_request_error",
	401: "authentication_error",
	402: "billing_error",
	403: "permission_error",
	404: "not_found_error",
	413: "request_too_large",
	429: "rate_limit_error",
	500: "api_error",
	504: "timeout_error",
	529: "overloaded_error",
}

// serve handles one request: record it, then answer.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	req := Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), APIKey: credential(r.Header)}
	body, err := readBody(r)
	req.Body = body

	s.mu.Lock()
	s.seq++
	reqID := fmt.Sprintf("req_fake%06d", s.seq)
	status, reply := s.answer(&req, err)
	req.Status = status
	s.requests = append(s.requests, req)
	s.mu.Unlock()

	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("request-id", reqID)
	if f, ok := reply.(Failure); ok {
		if f.RetryAfter != "" {
			w.Header().Set("retry-after", f.RetryAfter)
		}
		w.WriteHeader(f.Status)
		_ = json.NewEncoder(w).Encode(map[string]any{
			"type":       "error",
			"error":      map[string]any{"type": f.Type, "message": f.Message},
			"request_id": reqID,
		})
		return
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(reply)
}

// answer decides the status and the body (a Failure or a message) of req;
// s.mu is held.
func (s *Server) answer(req *Request, readErr error) (int, any) {
	fail := func(status int, format string, args ...any) (int, any) {
		return status, Failure{Status: status, Type: errorTypes[status], Message: fmt.Sprintf(format, args...)}
	}
	switch {
	case req.Path != "/v1/messages":
		return fail(http.StatusNotFound, "Not found: %s", req.Path)
	case req.Method != http.MethodPost:
		return fail(http.StatusMethodNotAllowed, "%s is not allowed on /v1/messages", req.Method)
	case req.APIKey == "":
		return fail(http.StatusUnauthorized, "x-api-key header is required")
	case req.APIKey != s.apiKey:
		return fail(http.StatusUnauthorized, "invalid x-api-key")
	case req.Header.Get("anthropic-version") == "":
		return fail(http.StatusBadRequest, "anthropic-version: header is required")
	case readErr != nil:
		return fail(http.StatusBadRequest, "%v", readErr)
	}
	if f, ok := s.scriptedFailure(); ok {
		return f.Status, f
	}
	if err := decodeRequest(req); err != nil {
		return fail(http.StatusBadRequest, "%v", err)
	}
	responder := s.responder
	if responder == nil {
		responder = defaultReply
	}
	reply := responder(req)
	return http.StatusOK, s.message(req, reply)
}

// scriptedFailure pops the next scripted failure; s.mu is held.
func (s *Server) scriptedFailure() (Failure, bool) {
	var f Failure
	switch {
	case len(s.failNext) > 0:
		f, s.failNext = s.failNext[0], s.failNext[1:]
	case s.failAll != nil:
		f = *s.failAll
	default:
		return Failure{}, false
	}
	if f.Type == "" {
		f.Type = errorTypes[f.Status]
		if f.Type == "" {
			f.Type = "api_error"
		}
	}
	if f.Message == "" {
		f.Message = fmt.Sprintf("scripted failure (%s)", f.Type)
	}
	return f, true
}

// message builds the message object answering req; s.mu is held.
func (s *Server) message(req *Request, reply Reply) map[string]any {
	content := make([]map[string]any, 0, len(reply.Content))
	stop := reply.StopReason
	for i, b := range reply.Content {
		c := make(map[string]any, len(b)+1)
		for k, v := range b {
			c[k] = v
		}
		if c["type"] == "tool_use" {
			if c["id"] == nil {
				c["id"] = fmt.Sprintf("toolu_fake%06d_%d", s.seq, i)
			}
			if stop == "" {
				stop = "tool_use"
			}
		}
		content = append(content, c)
	}
	if stop == "" {
		stop = "end_turn"
	}
	out, _ := json.Marshal(content)
	return map[string]any{
		"id":            fmt.Sprintf("msg_fake%06d", s.seq),
		"type":          "message",
		"role":          "assistant",
		"model":         req.Model,
		"content":       content,
		"stop_reason":   stop,
		"stop_sequence": nil,
		"usage": map[string]any{
			"input_tokens":  (len(req.Body) + 3) / 4,
			"output_tokens": (len(out) + 3) / 4,
		},
	}
}

// credential returns the API key of a request: x-api-key as Anthropic
// documents it, or a bearer token.
func credential(h http.Header) string {
	if k := h.Get("x-api-key"); k != "" {
		return k
	}
	if a, ok := strings.CutPrefix(h.Get("Authorization"), "Bearer "); ok {
		return strings.TrimSpace(a)
	}
	return ""
}

func readBody(r *http.Request) (json.RawMessage, error) {
	defer func() { _ = r.Body.Close() }()
	var raw json.RawMessage
	if err := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 32<<20)).Decode(&raw); err != nil {
		return nil, fmt.Errorf("the request body is not valid JSON: %v", err)
	}
	return raw, nil
}

// toolName is the documented pattern of a client tool's name.
var toolName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,128}$`)

// wireRequest is the body of POST /v1/messages, as far as the fake checks
// it.
type wireRequest struct {
	Model     string          `json:"model"`
	MaxTokens *int            `json:"max_tokens"`
	System    json.RawMessage `json:"system"`
	Messages  []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	Tools      []Tool          `json:"tools"`
	ToolChoice json.RawMessage `json:"tool_choice"`
}

// decodeRequest decodes and validates req.Body into req, as the API
// would; the error is the invalid_request_error message.
func decodeRequest(req *Request) error {
	var w wireRequest
	if err := json.Unmarshal(req.Body, &w); err != nil {
		return fmt.Errorf("the request body does not match the Messages API: %v", err)
	}
	switch {
	case w.Model == "":
		return fmt.Errorf("model: Field required")
	case w.MaxTokens == nil:
		return fmt.Errorf("max_tokens: Field required")
	case *w.MaxTokens < 1:
		return fmt.Errorf("max_tokens: Input should be greater than or equal to 1")
	case len(w.Messages) == 0:
		return fmt.Errorf("messages: at least one message is required")
	case w.Messages[0].Role != "user":
		return fmt.Errorf("messages: first message must use the \"user\" role")
	}
	req.Model, req.MaxTokens = w.Model, *w.MaxTokens
	system, err := textOf(w.System)
	if err != nil {
		return fmt.Errorf("system: %v", err)
	}
	req.System = system
	for i, m := range w.Messages {
		if m.Role != "user" && m.Role != "assistant" {
			return fmt.Errorf("messages.%d.role: Input should be 'user' or 'assistant'", i)
		}
		text, err := textOf(m.Content)
		if err != nil {
			return fmt.Errorf("messages.%d.content: %v", i, err)
		}
		req.Messages = append(req.Messages, Message{Role: m.Role, Text: text})
	}
	for i, t := range w.Tools {
		if !toolName.MatchString(t.Name) {
			return fmt.Errorf("tools.%d.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'", i)
		}
		var schema struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(t.InputSchema, &schema); err != nil || schema.Type != "object" {
			return fmt.Errorf("tools.%d.input_schema: an object schema ({\"type\":\"object\"}) is required", i)
		}
	}
	req.Tools = w.Tools
	if len(w.ToolChoice) > 0 && string(w.ToolChoice) != "null" {
		if err := json.Unmarshal(w.ToolChoice, &req.ToolChoice); err != nil {
			return fmt.Errorf("tool_choice: %v", err)
		}
		switch req.ToolChoice.Type {
		case "auto", "any", "none":
		case "tool":
			if _, ok := req.Tool(req.ToolChoice.Name); !ok {
				return fmt.Errorf("tool_choice: tool %q is not among the tools of the request", req.ToolChoice.Name)
			}
		default:
			return fmt.Errorf("tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'")
		}
	}
	return nil
}

// textOf returns the text of a system prompt or message content: a string
// or an array of content blocks (text blocks are joined; other blocks are
// accepted and skipped).
func textOf(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var blocks []struct {
		Type string  `json:"type"`
		Text *string `json:"text"`
	}
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return "", fmt.Errorf("expected a string or a list of content blocks")
	}
	parts := make([]string, 0, len(blocks))
	for i, b := range blocks {
		if b.Type == "" {
			return "", fmt.Errorf("%d.type: Field required", i)
		}
		if b.Type == "text" {
			if b.Text == nil {
				return "", fmt.Errorf("%d.text: Field required", i)
			}
			parts = append(parts, *b.Text)
		}
	}
	return strings.Join(parts, "\n"), nil
}
