package elevenlabs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ttsRequest is the JSON body of POST /v1/text-to-speech/{voice_id}.
type ttsRequest struct {
	Text          string         `json:"text"`
	ModelID       string         `json:"model_id,omitempty"`
	VoiceSettings *voiceSettings `json:"voice_settings,omitempty"`
	// Request stitching: the text around this one, or the request ids
	// (at most 3, oldest first) of the generations before it; with
	// previous_request_ids the API ignores previous_text.
	PreviousText       string   `json:"previous_text,omitempty"`
	NextText           string   `json:"next_text,omitempty"`
	PreviousRequestIDs []string `json:"previous_request_ids,omitempty"`
}

// voiceSettings override the voice's stored settings for one request.
type voiceSettings struct {
	Stability       *float64 `json:"stability,omitempty"`
	SimilarityBoost *float64 `json:"similarity_boost,omitempty"`
	Style           *float64 `json:"style,omitempty"`
	Speed           *float64 `json:"speed,omitempty"`
	UseSpeakerBoost *bool    `json:"use_speaker_boost,omitempty"`
}

// speech is a successful generation.
type speech struct {
	Audio []byte
	// RequestID is the response's request-id header: what a later
	// request sends in previous_request_ids.
	RequestID string
}

// APIError is an error answer of the ElevenLabs API.
type APIError struct {
	StatusCode int
	// Code is detail.code (or the legacy detail.status), e.g.
	// invalid_api_key, rate_limit_exceeded; "validation_error" for a
	// validation error list.
	Code      string
	Message   string
	RequestID string
	// RetryAfter is the Retry-After header's delay (0 when absent).
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ElevenLabs answered %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.Code != "" {
		fmt.Fprintf(&b, " (%s)", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " [request %s]", e.RequestID)
	}
	return b.String()
}

// Temporary reports whether trying again later may succeed: a request
// timeout (408), rate limits (429) and server errors (5xx).
func (e *APIError) Temporary() bool {
	return e.StatusCode == http.StatusRequestTimeout || e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500
}

// Permanent reports whether the request fails the same way however often
// it is sent: any other 4xx answer (400 an unknown voice or too long a
// text, 401 a bad key or an exhausted quota, 403, 404, 422 an invalid
// body). Only a change of configuration or account fixes it.
func (e *APIError) Permanent() bool {
	return e.StatusCode >= 400 && e.StatusCode < 500 && !e.Temporary()
}

// retryable reports whether err is worth retrying: a temporary API error
// or a transport failure, but never the caller's cancellation.
func retryable(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var api *APIError
	if errors.As(err, &api) {
		return api.Temporary()
	}
	var tr *transportError
	return errors.As(err, &tr)
}

// transportError is a request that got no HTTP answer (refused, reset,
// timed out) or whose answer could not be read.
type transportError struct{ err error }

func (e *transportError) Error() string { return "calling ElevenLabs: " + e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }

// client calls the ElevenLabs text-to-speech API with net/http (there is
// no official Go client).
type client struct {
	baseURL string
	apiKey  string
	http    *http.Client
}

// maxAudio bounds one response (about an hour of 128 kbps MP3).
const maxAudio = 64 << 20

// convert asks for speech: POST {base}/v1/text-to-speech/{voice_id}
// ?output_format=... with the xi-api-key header.
func (c *client) convert(ctx context.Context, voiceID, outputFormat string, req ttsRequest) (*speech, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encoding the text-to-speech request: %w", err)
	}
	u := strings.TrimRight(c.baseURL, "/") + "/v1/text-to-speech/" + url.PathEscape(voiceID)
	if outputFormat != "" {
		u += "?" + url.Values{"output_format": {outputFormat}}.Encode()
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("building the text-to-speech request: %w", err)
	}
	hreq.Header.Set("xi-api-key", c.apiKey)
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "audio/mpeg")
	resp, err := c.http.Do(hreq)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("calling ElevenLabs: %w", ctx.Err())
		}
		return nil, &transportError{err: err}
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, apiError(resp)
	}
	if ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); ct != "" && !strings.HasPrefix(ct, "audio/") {
		return nil, fmt.Errorf("ElevenLabs answered 200 with %s instead of audio", ct)
	}
	audio, err := io.ReadAll(io.LimitReader(resp.Body, maxAudio+1))
	if err != nil {
		return nil, &transportError{err: fmt.Errorf("reading the audio: %w", err)}
	}
	if len(audio) > maxAudio {
		return nil, fmt.Errorf("ElevenLabs answered more than %d MiB of audio for one request", maxAudio>>20)
	}
	if len(audio) == 0 {
		return nil, &transportError{err: errors.New("ElevenLabs answered 200 without audio")}
	}
	return &speech{Audio: audio, RequestID: resp.Header.Get("request-id")}, nil
}

// apiError decodes an error answer: {"detail": {"code"|"status",
// "message", "request_id"}}, or a validation error list {"detail":
// [{"loc", "msg", "type"}]}, or anything else (a proxy's page).
func apiError(resp *http.Response) *APIError {
	e := &APIError{StatusCode: resp.StatusCode, RequestID: resp.Header.Get("request-id"),
		RetryAfter: retryAfter(resp.Header.Get("Retry-After"), time.Now())}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var body struct {
		Detail json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(raw, &body) == nil && len(body.Detail) > 0 {
		var detail struct {
			Code      string `json:"code"`
			Status    string `json:"status"`
			Message   string `json:"message"`
			RequestID string `json:"request_id"`
		}
		var list []struct {
			Loc []any  `json:"loc"`
			Msg string `json:"msg"`
		}
		var text string
		switch {
		case json.Unmarshal(body.Detail, &detail) == nil:
			e.Code, e.Message = detail.Code, detail.Message
			if e.Code == "" {
				e.Code = detail.Status
			}
			if detail.RequestID != "" {
				e.RequestID = detail.RequestID
			}
			return e
		case json.Unmarshal(body.Detail, &list) == nil:
			e.Code = "validation_error"
			msgs := make([]string, 0, len(list))
			for _, v := range list {
				msgs = append(msgs, fmt.Sprintf("%v: %s", v.Loc, v.Msg))
			}
			e.Message = strings.Join(msgs, "; ")
			return e
		case json.Unmarshal(body.Detail, &text) == nil:
			e.Message = text
			return e
		}
	}
	e.Message = strings.TrimSpace(string(raw))
	if len(e.Message) > 200 {
		e.Message = e.Message[:200] + "…"
	}
	return e
}

// retryAfter parses a Retry-After header: delay seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		return time.Duration(max(secs, 0)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
