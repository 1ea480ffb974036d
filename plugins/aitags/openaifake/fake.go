// Package openaifake is a local stand-in for OpenAI's Chat Completions API
// (POST /v1/chat/completions), written from OpenAI's public API reference,
// for tests that drive the real openai-go client (or any client of an
// OpenAI-compatible server) without reaching the internet.
//
// It speaks the documented wire format: it checks the bearer credential
// (Authorization: Bearer <key>), validates the request body (model,
// messages, tools, tool_choice, max_tokens / max_completion_tokens,
// reasoning_effort), and answers a chat.completion object or an error
// object {"error":{"message","type","param","code"}} with the documented
// statuses (400, 401, 404 for an unknown model, 429 with retry-after, 500,
// 503), and an x-request-id header.
//
// By default it plays the same deterministic model as anthropicfake: for a
// function whose parameters have a "tags" array of {tag, confidence}, it
// calls the function with the vocabulary terms that occur in the passage
// (high confidences) plus one low-confidence guess. The vocabulary is the
// enum of tags[].tag in the function's parameters, or else the lines of a
// <vocabulary> element of the user's text; the passage is the <passage>
// element of the user's text, or else all of it.
//
//	srv, err := openaifake.Start("test-key")
//	...
//	defer srv.Close()
//	srv.FailNext(1, openaifake.RateLimited(0))
//	completions := openai.NewChatCompletionService(option.WithAPIKey("test-key"), option.WithBaseURL(srv.URL))
package openaifake

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Server is a running fake of the Chat Completions API on a loopback port.
// It is safe for concurrent use.
type Server struct {
	// URL is the base URL to hand to option.WithBaseURL, with the API's
	// version path as OpenAI's own base URL has it, e.g.
	// "http://127.0.0.1:41234/v1".
	URL string

	apiKey string
	srv    *http.Server
	now    func() time.Time

	mu        sync.Mutex
	seq       int
	requests  []Request
	failNext  []Failure
	failAll   *Failure
	responder func(*Request) Reply
	models    []string
}

// Start serves the fake on a free port of 127.0.0.1. Requests must carry
// apiKey as a bearer token (it must not be empty). Stop it with Close.
func Start(apiKey string) (*Server, error) {
	if apiKey == "" {
		return nil, fmt.Errorf("openaifake: an API key is required")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("openaifake: listening on a loopback port: %w", err)
	}
	s := &Server{URL: "http://" + ln.Addr().String() + "/v1", apiKey: apiKey, now: time.Now}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Close stops the server and closes its connections.
func (s *Server) Close() { _ = s.srv.Close() }

// Failure is an error answer of the API.
type Failure struct {
	// Status is the HTTP status (400, 401, 403, 404, 429, 500, 503...).
	Status int
	// Type is error.type; empty takes the documented type of Status
	// (invalid_request_error for 4xx, requests for 429, server_error for
	// 5xx).
	Type string
	// Code is error.code (null when empty), e.g. "rate_limit_exceeded",
	// "invalid_api_key", "model_not_found".
	Code string
	// Param is error.param (null when empty).
	Param string
	// Message is error.message; empty takes a generic message.
	Message string
	// RetryAfter, when set, is sent as the retry-after header (seconds;
	// "0" asks for an immediate retry).
	RetryAfter string
}

// RateLimited is a 429 rate_limit_exceeded with retry-after (rounded up to
// whole seconds; 0 sends "retry-after: 0").
func RateLimited(retryAfter time.Duration) Failure {
	secs := int64((retryAfter + time.Second - 1) / time.Second)
	return Failure{Status: http.StatusTooManyRequests, Type: "requests", Code: "rate_limit_exceeded",
		Message: "Rate limit reached for requests. Please try again later.", RetryAfter: strconv.FormatInt(secs, 10)}
}

// ServerError is a 500 server_error, as OpenAI words it.
func ServerError() Failure {
	return Failure{Status: http.StatusInternalServerError, Type: "server_error",
		Message: "The server had an error while processing your request. Sorry about that!"}
}

// Overloaded is a 503 server_error: the engine is overloaded.
func Overloaded() Failure {
	return Failure{Status: http.StatusServiceUnavailable, Type: "server_error",
		Message: "The engine is currently overloaded, please try again later."}
}

// FailNext makes the next n authenticated requests fail with f (after the
// ones already scripted), whatever they ask.
func (s *Server) FailNext(n int, f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failNext = append(s.failNext, f)
	}
}

// FailAlways makes every authenticated request fail with f until Recover.
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

// SetModels limits the models the fake serves: a request for another
// model gets 404 model_not_found. No models (the default) serves any.
func (s *Server) SetModels(models ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.models = slices.Clone(models)
}

// Reply is what the fake model answers to a valid request.
type Reply struct {
	// Content is message.content (null when empty).
	Content string
	// Refusal is message.refusal (null when empty).
	Refusal string
	// ToolCalls are message.tool_calls; their ids are filled in.
	ToolCalls []ToolCall
	// FinishReason defaults to "tool_calls" when there are ToolCalls and
	// "stop" otherwise.
	FinishReason string
}

// ToolCall is a function call of the reply.
type ToolCall struct {
	Name string
	// Arguments is the JSON text of the arguments, as the API sends it
	// (a string, which need not be valid JSON).
	Arguments string
}

// Text is a reply with text only.
func Text(text string) Reply { return Reply{Content: text} }

// Call is a reply calling function name with args marshalled to JSON.
func Call(name string, args any) Reply {
	raw, err := json.Marshal(args)
	if err != nil {
		panic(fmt.Sprintf("openaifake: arguments of %s: %v", name, err))
	}
	return Reply{ToolCalls: []ToolCall{{Name: name, Arguments: string(raw)}}}
}

// SetResponder replaces the default model: f decides the reply to each
// valid request. Nil restores the default.
func (s *Server) SetResponder(f func(r *Request) Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.responder = f
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

// serve handles one request: record it, then answer.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	req := Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), APIKey: bearer(r.Header)}
	body, err := readBody(r)
	req.Body = body

	s.mu.Lock()
	s.seq++
	seq := s.seq
	status, reply := s.answer(&req, err)
	req.Status = status
	s.requests = append(s.requests, req)
	s.mu.Unlock()

	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("x-request-id", fmt.Sprintf("req_fake%06d", seq))
	if f, ok := reply.(Failure); ok {
		if f.RetryAfter != "" {
			w.Header().Set("retry-after", f.RetryAfter)
		}
		w.WriteHeader(f.Status)
		_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
			"message": f.Message, "type": f.Type, "param": nullable(f.Param), "code": nullable(f.Code),
		}})
		return
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(reply)
}

// answer decides the status and the body (a Failure or a completion) of
// req; s.mu is held.
func (s *Server) answer(req *Request, readErr error) (int, any) {
	switch {
	case req.Path != "/v1/chat/completions":
		return invalid(http.StatusNotFound, "", "", "Invalid URL (%s %s)", req.Method, req.Path)
	case req.Method != http.MethodPost:
		return invalid(http.StatusMethodNotAllowed, "", "", "Invalid method for URL (%s %s)", req.Method, req.Path)
	case req.APIKey == "":
		return invalid(http.StatusUnauthorized, "", "", "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).")
	case req.APIKey != s.apiKey:
		// OpenAI's message shows a masked key; the fake shows none.
		return invalid(http.StatusUnauthorized, "", "invalid_api_key", "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.")
	case readErr != nil:
		return invalid(http.StatusBadRequest, "", "", "%v", readErr)
	}
	if f, ok := s.scriptedFailure(); ok {
		return f.Status, f
	}
	if f := decodeRequest(req); f != nil {
		return f.Status, *f
	}
	if len(s.models) > 0 && !slices.Contains(s.models, req.Model) {
		return invalid(http.StatusNotFound, "", "model_not_found", "The model `%s` does not exist or you do not have access to it.", req.Model)
	}
	responder := s.responder
	if responder == nil {
		responder = defaultReply
	}
	return http.StatusOK, s.completion(req, responder(req))
}

// invalid is an invalid_request_error failure.
func invalid(status int, param, code, format string, args ...any) (int, any) {
	return status, Failure{Status: status, Type: "invalid_request_error", Param: param, Code: code,
		Message: fmt.Sprintf(format, args...)}
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
		switch {
		case f.Status == http.StatusTooManyRequests:
			f.Type = "requests"
		case f.Status >= 500:
			f.Type = "server_error"
		default:
			f.Type = "invalid_request_error"
		}
	}
	if f.Message == "" {
		f.Message = fmt.Sprintf("scripted failure (%d %s)", f.Status, f.Type)
	}
	return f, true
}

// completion builds the chat.completion object answering req with reply;
// s.mu is held.
func (s *Server) completion(req *Request, reply Reply) map[string]any {
	msg := map[string]any{"role": "assistant", "content": nullable(reply.Content), "refusal": nullable(reply.Refusal),
		"annotations": []any{}}
	finish := reply.FinishReason
	if len(reply.ToolCalls) > 0 {
		calls := make([]map[string]any, 0, len(reply.ToolCalls))
		for i, c := range reply.ToolCalls {
			calls = append(calls, map[string]any{
				"id":       fmt.Sprintf("call_fake%06d_%d", s.seq, i),
				"type":     "function",
				"function": map[string]any{"name": c.Name, "arguments": c.Arguments},
			})
		}
		msg["tool_calls"] = calls
		if finish == "" {
			finish = "tool_calls"
		}
	}
	if finish == "" {
		finish = "stop"
	}
	out, _ := json.Marshal(msg)
	prompt, completion := (len(req.Body)+3)/4, (len(out)+3)/4
	return map[string]any{
		"id":                 fmt.Sprintf("chatcmpl-fake%06d", s.seq),
		"object":             "chat.completion",
		"created":            s.now().Unix(),
		"model":              req.Model,
		"choices":            []any{map[string]any{"index": 0, "message": msg, "logprobs": nil, "finish_reason": finish}},
		"usage":              map[string]any{"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
		"service_tier":       "default",
		"system_fingerprint": "fp_fake",
	}
}

// nullable is s, or JSON null when s is empty.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
