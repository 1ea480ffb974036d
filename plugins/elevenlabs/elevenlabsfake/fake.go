// Package elevenlabsfake is a local stand-in for the ElevenLabs
// text-to-speech API, for tests: an HTTP server on a free loopback port
// that speaks the documented wire format of
//
//	POST /v1/text-to-speech/{voice_id}[/stream]?output_format=mp3_44100_128
//	xi-api-key: <key>
//	{"text": "...", "model_id": "...", "voice_settings": {...},
//	 "previous_text": "...", "next_text": "...", "previous_request_ids": [...]}
//
// It answers 200 with audio/mpeg bytes and a request-id header; 401 with
// {"detail":{"status":"invalid_api_key","message":...}} for a missing or
// wrong key; 422 with a validation error list for a body without text; 400
// max_character_limit_exceeded for text over the model's documented
// limit; and scripted 429 or 5xx failures. The audio is deterministic
// (see [Audio]) and carries the text, so that a test can check with
// [Texts] which texts a stored file was made of, in order. Every request
// is recorded ([Server.Requests]).
//
// Only MP3 output formats are implemented.
package elevenlabsfake

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// DefaultOutputFormat is the API's default output_format.
const DefaultOutputFormat = "mp3_44100_128"

// ModelCharLimits are the documented per-request character limits of the
// text-to-speech models; the fake refuses longer text with 400
// max_character_limit_exceeded. Other models get DefaultCharLimit.
var ModelCharLimits = map[string]int{
	"eleven_v3":              5000,
	"eleven_multilingual_v2": 10000,
	"eleven_flash_v2_5":      40000,
	"eleven_turbo_v2_5":      40000,
	"eleven_flash_v2":        30000,
	"eleven_turbo_v2":        30000,
}

// DefaultCharLimit applies to models not in ModelCharLimits.
const DefaultCharLimit = 5000

// VoiceSettings is the request's voice_settings object.
type VoiceSettings struct {
	Stability       *float64 `json:"stability,omitempty"`
	SimilarityBoost *float64 `json:"similarity_boost,omitempty"`
	Style           *float64 `json:"style,omitempty"`
	UseSpeakerBoost *bool    `json:"use_speaker_boost,omitempty"`
	Speed           *float64 `json:"speed,omitempty"`
}

// Body is the JSON body of a text-to-speech request, as the fake decoded
// it (Text is nil when the body had none).
type Body struct {
	Text               *string        `json:"text"`
	ModelID            string         `json:"model_id,omitempty"`
	VoiceSettings      *VoiceSettings `json:"voice_settings,omitempty"`
	PreviousText       string         `json:"previous_text,omitempty"`
	NextText           string         `json:"next_text,omitempty"`
	PreviousRequestIDs []string       `json:"previous_request_ids,omitempty"`
	NextRequestIDs     []string       `json:"next_request_ids,omitempty"`
	Seed               *int64         `json:"seed,omitempty"`
	LanguageCode       string         `json:"language_code,omitempty"`
}

// Request is a request the fake received.
type Request struct {
	Method string
	Path   string
	// VoiceID is the {voice_id} path segment; Stream is true for the
	// /stream variant.
	VoiceID string
	Stream  bool
	// OutputFormat is the output_format query parameter ("" when absent).
	OutputFormat string
	// KeyValid reports whether xi-api-key matched the fake's key (the key
	// itself is not recorded).
	KeyValid bool
	Body     Body
	// Status is the status the fake answered; RequestID the request-id
	// header it sent (on success).
	Status    int
	RequestID string
}

// Text returns the request's text ("" when it had none).
func (r Request) Text() string {
	if r.Body.Text == nil {
		return ""
	}
	return *r.Body.Text
}

// Server is the fake API.
type Server struct {
	// URL is the base URL (http://127.0.0.1:PORT), the value of the
	// plugin's base_url secret.
	URL string
	// APIKey is the key the fake accepts in xi-api-key.
	APIKey string

	srv *http.Server
	ln  net.Listener

	mu         sync.Mutex
	requests   []Request
	script     []int // statuses of the next requests
	always     int   // status of every request when non-zero
	retryAfter time.Duration
	seq        int
}

// New starts a fake on a free loopback port that accepts apiKey. Close it
// when done.
func New(apiKey string) (*Server, error) {
	if apiKey == "" {
		return nil, errors.New("elevenlabsfake: the API key must not be empty")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("elevenlabsfake: listening on a loopback port: %w", err)
	}
	s := &Server{URL: "http://" + ln.Addr().String(), APIKey: apiKey, ln: ln}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/text-to-speech/{voice_id}", s.tts)
	mux.HandleFunc("POST /v1/text-to-speech/{voice_id}/stream", s.tts)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Start starts a fake for a test and closes it when the test ends.
func Start(t testing.TB, apiKey string) *Server {
	t.Helper()
	s, err := New(apiKey)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// Close stops the server.
func (s *Server) Close() { _ = s.srv.Close() }

// FailNext makes the next n text-to-speech requests fail with status
// (429, 500, 503, ...), after the failures already scheduled. A 429
// carries the rate-limit error body and, when set, Retry-After.
func (s *Server) FailNext(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.script = append(s.script, status)
	}
}

// FailAlways makes every request fail with status until Reset (0 stops
// failing).
func (s *Server) FailAlways(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.always = status
}

// SetRetryAfter makes 429 and 503 answers carry Retry-After (whole
// seconds, rounded up); 0 sends none.
func (s *Server) SetRetryAfter(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.retryAfter = d
}

// Reset drops scheduled failures, Retry-After and recorded requests.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script, s.always, s.retryAfter, s.requests = nil, 0, 0, nil
}

// Requests returns the recorded requests, in order of arrival.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.requests)
	for i := range out {
		out[i].Body.PreviousRequestIDs = slices.Clone(out[i].Body.PreviousRequestIDs)
		out[i].Body.NextRequestIDs = slices.Clone(out[i].Body.NextRequestIDs)
	}
	return out
}

// Successful returns the recorded requests the fake answered with audio.
func (s *Server) Successful() []Request {
	var out []Request
	for _, r := range s.Requests() {
		if r.Status == http.StatusOK {
			out = append(out, r)
		}
	}
	return out
}

// maxBody bounds request bodies (the longest model limit, in bytes of
// UTF-8, with room for the context fields).
const maxBody = 1 << 20

func (s *Server) tts(w http.ResponseWriter, r *http.Request) {
	rec := Request{
		Method: r.Method, Path: r.URL.Path, VoiceID: r.PathValue("voice_id"),
		Stream: strings.HasSuffix(r.URL.Path, "/stream"), OutputFormat: r.URL.Query().Get("output_format"),
		KeyValid: r.Header.Get("xi-api-key") == s.APIKey,
	}
	raw, readErr := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	jsonErr := json.Unmarshal(raw, &rec.Body)

	s.mu.Lock()
	s.seq++
	reqID := fmt.Sprintf("fake-req-%04d", s.seq)
	scripted := s.always
	if scripted == 0 && len(s.script) > 0 {
		scripted, s.script = s.script[0], s.script[1:]
	}
	retryAfter := s.retryAfter
	s.mu.Unlock()

	status := s.answer(w, rec, raw, readErr, jsonErr, scripted, retryAfter, reqID)
	rec.Status = status
	if status == http.StatusOK {
		rec.RequestID = reqID
	}
	s.mu.Lock()
	s.requests = append(s.requests, rec)
	s.mu.Unlock()
}

// answer writes the response to one request and returns its status.
func (s *Server) answer(w http.ResponseWriter, rec Request, raw []byte, readErr, jsonErr error, scripted int,
	retryAfter time.Duration, reqID string) int {
	if !rec.KeyValid {
		return writeDetail(w, http.StatusUnauthorized, "invalid_api_key", "Invalid API key", reqID)
	}
	if scripted != 0 {
		return s.scriptedFailure(w, scripted, retryAfter, reqID)
	}
	if readErr != nil || len(raw) > maxBody {
		return writeDetail(w, http.StatusRequestEntityTooLarge, "request_too_large", "the request body is too large", reqID)
	}
	if jsonErr != nil {
		return writeValidation(w, validationError{Type: "json_invalid", Loc: []any{"body", 0}, Msg: "JSON decode error: " + jsonErr.Error()})
	}
	if rec.Body.Text == nil {
		return writeValidation(w, validationError{Type: "missing", Loc: []any{"body", "text"}, Msg: "Field required"})
	}
	if strings.TrimSpace(*rec.Body.Text) == "" {
		return writeDetail(w, http.StatusBadRequest, "empty_text", "Text must not be empty.", reqID)
	}
	limit := DefaultCharLimit
	if l, ok := ModelCharLimits[rec.Body.ModelID]; ok {
		limit = l
	}
	if n := utf8.RuneCountInString(*rec.Body.Text); n > limit {
		return writeDetail(w, http.StatusBadRequest, "max_character_limit_exceeded",
			fmt.Sprintf("Text is too long (%d characters). Maximum text length for %s is %d characters.", n, rec.Body.ModelID, limit), reqID)
	}
	if len(rec.Body.PreviousRequestIDs) > 3 || len(rec.Body.NextRequestIDs) > 3 {
		return writeValidation(w, validationError{Type: "too_long", Loc: []any{"body", "previous_request_ids"},
			Msg: "A maximum of 3 request_ids can be sent."})
	}
	audio, err := Audio(*rec.Body.Text, rec.OutputFormat)
	if err != nil {
		return writeValidation(w, validationError{Type: "enum", Loc: []any{"query", "output_format"}, Msg: err.Error()})
	}
	w.Header().Set("Content-Type", "audio/mpeg")
	w.Header().Set("request-id", reqID)
	w.Header().Set("Content-Length", strconv.Itoa(len(audio)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(audio)
	return http.StatusOK
}

func (s *Server) scriptedFailure(w http.ResponseWriter, status int, retryAfter time.Duration, reqID string) int {
	if retryAfter > 0 && (status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable) {
		w.Header().Set("Retry-After", strconv.Itoa(int((retryAfter+time.Second-1)/time.Second)))
	}
	switch {
	case status == http.StatusTooManyRequests:
		return writeDetail(w, status, "rate_limit_exceeded", "Too many requests: the rate limit of this API key was exceeded.", reqID)
	case status >= 500:
		return writeDetail(w, status, "internal_server_error", "An internal error occurred; please try again.", reqID)
	case status == http.StatusUnauthorized:
		return writeDetail(w, status, "invalid_api_key", "Invalid API key", reqID)
	case status == http.StatusUnprocessableEntity:
		return writeValidation(w, validationError{Type: "value_error", Loc: []any{"body"}, Msg: "scripted validation error"})
	}
	return writeDetail(w, status, "scripted_error", http.StatusText(status), reqID)
}

// writeDetail writes ElevenLabs' error body: {"detail": {...}} with the
// legacy status and its successor code (the same value), message and
// request_id.
func writeDetail(w http.ResponseWriter, status int, code, message, reqID string) int {
	body := map[string]any{"detail": map[string]string{
		"status": code, "code": code, "message": message, "request_id": reqID,
	}}
	writeJSON(w, status, body)
	return status
}

// validationError is one entry of a 422 validation error list.
type validationError struct {
	Type string `json:"type"`
	Loc  []any  `json:"loc"`
	Msg  string `json:"msg"`
}

func writeValidation(w http.ResponseWriter, errs ...validationError) int {
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"detail": errs})
	return http.StatusUnprocessableEntity
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	raw, _ := json.Marshal(body)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(raw)
}
