package elevenlabs

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/inklingcms/inkling/plugins/elevenlabs/elevenlabsfake"
)

func TestAPIErrorDecoding(t *testing.T) {
	cases := []struct {
		name      string
		status    int
		header    http.Header
		body      string
		code      string
		message   string
		requestID string
		temporary bool
		permanent bool
		after     time.Duration
	}{
		{name: "legacy status", status: 401, body: `{"detail":{"status":"invalid_api_key","message":"Invalid API key"}}`,
			code: "invalid_api_key", message: "Invalid API key", permanent: true},
		{name: "code and request id", status: 400,
			body: `{"detail":{"type":"validation_error","code":"invalid_parameters","status":"legacy","message":"bad model","request_id":"r1","param":"model_id"}}`,
			code: "invalid_parameters", message: "bad model", requestID: "r1", permanent: true},
		{name: "validation list", status: 422, body: `{"detail":[{"loc":["body","text"],"msg":"Field required","type":"missing"}]}`,
			code: "validation_error", message: "[body text]: Field required", permanent: true},
		{name: "detail string", status: 404, body: `{"detail":"Not Found"}`, message: "Not Found", permanent: true},
		{name: "forbidden", status: 403, body: `{"detail":{"code":"missing_permissions","message":"no text_to_speech permission"}}`,
			code: "missing_permissions", message: "no text_to_speech permission", permanent: true},
		{name: "request timeout", status: 408, body: `{}`, message: "{}", temporary: true},
		{name: "rate limit with Retry-After", status: 429, header: http.Header{"Retry-After": {"7"}},
			body: `{"detail":{"status":"rate_limit_exceeded","message":"slow down"}}`, code: "rate_limit_exceeded", message: "slow down",
			temporary: true, after: 7 * time.Second},
		{name: "proxy page", status: 502, body: "<html>Bad Gateway</html>", message: "<html>Bad Gateway</html>", temporary: true},
		{name: "request id header", status: 500, header: http.Header{"Request-Id": {"h1"}}, body: `{}`, message: "{}", requestID: "h1", temporary: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: tc.status, Header: tc.header, Body: io.NopCloser(strings.NewReader(tc.body))}
			if resp.Header == nil {
				resp.Header = http.Header{}
			}
			e := apiError(resp)
			if e.StatusCode != tc.status || e.Code != tc.code || e.Message != tc.message || e.RequestID != tc.requestID ||
				e.Temporary() != tc.temporary || e.Permanent() != tc.permanent || e.RetryAfter != tc.after {
				t.Fatalf("apiError = %+v (temporary %v, permanent %v)", e, e.Temporary(), e.Permanent())
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		v    string
		want time.Duration
	}{
		{"", 0}, {"3", 3 * time.Second}, {"-1", 0}, {"soon", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
	}
	for _, tc := range cases {
		if got := retryAfter(tc.v, now); got != tc.want {
			t.Errorf("retryAfter(%q) = %s, want %s", tc.v, got, tc.want)
		}
	}
}

func TestConvertAgainstFake(t *testing.T) {
	fake := elevenlabsfake.Start(t, testKey)
	c := &client{baseURL: fake.URL + "/", apiKey: testKey, http: &http.Client{}}
	stab := 0.4
	sp, err := c.convert(t.Context(), "voice/with slash", "mp3_22050_32", ttsRequest{Text: "Hello.", ModelID: "eleven_flash_v2_5",
		VoiceSettings: &voiceSettings{Stability: &stab}, NextText: "Then more.", PreviousRequestIDs: []string{"a", "b"}})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := elevenlabsfake.Audio("Hello.", "mp3_22050_32")
	if !bytes.Equal(sp.Audio, want) || sp.RequestID == "" {
		t.Fatalf("speech %d bytes, request id %q", len(sp.Audio), sp.RequestID)
	}
	r := fake.Requests()[0]
	if r.VoiceID != "voice/with slash" || r.OutputFormat != "mp3_22050_32" || r.Body.ModelID != "eleven_flash_v2_5" ||
		*r.Body.VoiceSettings.Stability != 0.4 || r.Body.NextText != "Then more." || len(r.Body.PreviousRequestIDs) != 2 {
		t.Fatalf("request %+v", r)
	}
}

func TestConvertRefusesNonAudio(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(srv.Close)
	c := &client{baseURL: srv.URL, apiKey: testKey, http: srv.Client()}
	if _, err := c.convert(t.Context(), "v", DefaultOutputFormat, ttsRequest{Text: "x"}); err == nil || !strings.Contains(err.Error(), "instead of audio") {
		t.Fatalf("err %v", err)
	}
}

func TestRetryGivesUpBeforeTheDeadline(t *testing.T) {
	n := &narrator{cfg: config{requestRetries: 3, retryBackoff: time.Second}, log: slog.New(slog.DiscardHandler),
		sleep: func(context.Context, time.Duration) error { t.Fatal("slept past the deadline"); return nil }}
	ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancel()
	calls := 0
	_, err := n.retry(ctx, "chunk", func() (*speech, error) {
		calls++
		return nil, &APIError{StatusCode: 503}
	})
	if err == nil || calls != 1 || !strings.Contains(err.Error(), "would pass the job's deadline") {
		t.Fatalf("calls %d, err %v", calls, err)
	}
	var api *APIError
	if !errors.As(err, &api) || api.StatusCode != 503 {
		t.Fatalf("the API error is not wrapped: %v", err)
	}
}

func TestRetryStopsWhenTheWaitIsCut(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	n := &narrator{cfg: config{requestRetries: 3, retryBackoff: time.Millisecond}, log: slog.New(slog.DiscardHandler),
		sleep: func(ctx context.Context, _ time.Duration) error { cancel(); return ctx.Err() }}
	calls := 0
	_, err := n.retry(ctx, "chunk", func() (*speech, error) {
		calls++
		return nil, &APIError{StatusCode: 429, Code: "rate_limit_exceeded"}
	})
	var api *APIError
	if calls != 1 || !errors.Is(err, context.Canceled) || !errors.As(err, &api) || api.Code != "rate_limit_exceeded" {
		t.Fatalf("calls %d, err %v: want the cancellation and the API error that led to the wait", calls, err)
	}
}

func TestStripID3v2(t *testing.T) {
	frame := []byte{0xFF, 0xFB, 0x90, 0x40}
	tag := append([]byte("ID3\x04\x00\x00\x00\x00\x01\x05"), bytes.Repeat([]byte{0}, 133)...) // size 1<<7 | 5 = 133
	cases := []struct {
		name string
		in   []byte
		want []byte
	}{
		{"no tag", frame, frame},
		{"tag", append(bytes.Clone(tag), frame...), frame},
		{"truncated tag kept", tag[:20], tag[:20]},
	}
	for _, tc := range cases {
		if got := stripID3v2(tc.in); !bytes.Equal(got, tc.want) {
			t.Errorf("%s: got % x", tc.name, got)
		}
	}
}

func TestBackoff(t *testing.T) {
	for attempt, base := range []time.Duration{100, 200, 400, 800} {
		d := backoff(100*time.Millisecond, attempt)
		want := base * time.Millisecond
		if d < want*3/4 || d > want*5/4 {
			t.Errorf("backoff(attempt %d) = %s, want %s ±25%%", attempt, d, want)
		}
	}
	if d := backoff(time.Second, 20); d > 80*time.Second {
		t.Errorf("backoff is not capped: %s", d)
	}
}
