package elevenlabsfake

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestAudioFramesAndTexts(t *testing.T) {
	cases := []struct {
		format    string
		frameSize int
	}{
		{"mp3_44100_128", 417},
		{"mp3_48000_192", 576},
		{"mp3_22050_32", 104},
		{"mp3_24000_48", 144},
		{"", 417},
	}
	texts := []string{"", "Short.", strings.Repeat("A longer text that needs several frames. ", 40), "Ünïcödé ✓"}
	for _, tc := range cases {
		t.Run(tc.format, func(t *testing.T) {
			var all []byte
			for _, text := range texts {
				a, err := Audio(text, tc.format)
				if err != nil {
					t.Fatal(err)
				}
				if len(a)%tc.frameSize != 0 || len(a) < 2*tc.frameSize {
					t.Fatalf("%d bytes of audio is not whole frames of %d (text %d bytes)", len(a), tc.frameSize, len(text))
				}
				for off := 0; off < len(a); off += tc.frameSize {
					if a[off] != 0xFF || a[off+1]&0xE0 != 0xE0 {
						t.Fatalf("no frame sync at %d", off)
					}
				}
				again, _ := Audio(text, tc.format)
				if !bytes.Equal(a, again) {
					t.Fatal("audio is not deterministic")
				}
				all = append(all, a...)
			}
			got, err := Texts(all)
			if err != nil || !slices.Equal(got, texts) {
				t.Fatalf("Texts = %q, %v", got, err)
			}
		})
	}
}

func TestAudioRefusesOtherFormats(t *testing.T) {
	for _, f := range []string{"pcm_16000", "mp3_44100_100", "mp3_11025_32", "mp3_x_128", "opus_48000_64"} {
		if _, err := Audio("x", f); err == nil {
			t.Errorf("%s accepted", f)
		}
	}
}

func TestTextsRejectsBrokenAudio(t *testing.T) {
	a, _ := Audio("hello", "")
	cases := map[string][]byte{
		"truncated":  a[:len(a)-1],
		"no sync":    append([]byte{0}, a...),
		"not a fake": append([]byte{0xFF, 0xFB, 0x90, 0x40}, make([]byte, 413)...), // a valid silent-ish frame
	}
	for name, data := range cases {
		if _, err := Texts(data); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

type call struct {
	key, path, body string
}

func (c call) do(t *testing.T, s *Server) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL+c.path, strings.NewReader(c.body))
	if c.key != "" {
		req.Header.Set("xi-api-key", c.key)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

func TestServer(t *testing.T) {
	s := Start(t, "k")
	const path = "/v1/text-to-speech/v1?output_format=mp3_44100_128"
	cases := []struct {
		name   string
		call   call
		status int
		// detail is detail.status of an error body, or "list" for a
		// validation error list.
		detail string
	}{
		{name: "ok", call: call{"k", path, `{"text":"Hi.","model_id":"eleven_multilingual_v2"}`}, status: 200},
		{name: "stream variant", call: call{"k", "/v1/text-to-speech/v1/stream", `{"text":"Hi."}`}, status: 200},
		{name: "no key", call: call{"", path, `{"text":"Hi."}`}, status: 401, detail: "invalid_api_key"},
		{name: "wrong key", call: call{"x", path, `{"text":"Hi."}`}, status: 401, detail: "invalid_api_key"},
		{name: "no text", call: call{"k", path, `{"model_id":"m"}`}, status: 422, detail: "list"},
		{name: "bad json", call: call{"k", path, `{"text":`}, status: 422, detail: "list"},
		{name: "too long", call: call{"k", path, `{"text":"` + strings.Repeat("a", 5001) + `","model_id":"eleven_v3"}`}, status: 400,
			detail: "max_character_limit_exceeded"},
		{name: "too many request ids", call: call{"k", path, `{"text":"a","previous_request_ids":["1","2","3","4"]}`}, status: 422, detail: "list"},
		{name: "pcm not implemented", call: call{"k", "/v1/text-to-speech/v1?output_format=pcm_16000", `{"text":"a"}`}, status: 422, detail: "list"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := tc.call.do(t, s)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			if tc.status == 200 {
				if resp.Header.Get("Content-Type") != "audio/mpeg" || resp.Header.Get("request-id") == "" {
					t.Fatalf("headers %v", resp.Header)
				}
				if texts, err := Texts(body); err != nil || len(texts) != 1 || texts[0] != "Hi." {
					t.Fatalf("audio texts %q, %v", texts, err)
				}
				return
			}
			var e struct {
				Detail json.RawMessage `json:"detail"`
			}
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatalf("error body %s: %v", body, err)
			}
			if tc.detail == "list" {
				var list []map[string]any
				if err := json.Unmarshal(e.Detail, &list); err != nil || len(list) == 0 || list[0]["msg"] == "" {
					t.Fatalf("detail %s", e.Detail)
				}
				return
			}
			var d struct{ Status, Message string }
			if err := json.Unmarshal(e.Detail, &d); err != nil || d.Status != tc.detail || d.Message == "" {
				t.Fatalf("detail %s", e.Detail)
			}
		})
	}
	reqs := s.Requests()
	if len(reqs) != len(cases) || !reqs[0].KeyValid || reqs[0].Text() != "Hi." || reqs[0].Body.ModelID != "eleven_multilingual_v2" ||
		reqs[0].VoiceID != "v1" || !reqs[1].Stream || reqs[2].KeyValid || reqs[0].RequestID == "" || reqs[2].RequestID != "" {
		t.Fatalf("recorded %+v", reqs)
	}
}

func TestScriptedFailures(t *testing.T) {
	s := Start(t, "k")
	ok := call{"k", "/v1/text-to-speech/v", `{"text":"a"}`}
	s.SetRetryAfter(1500 * time.Millisecond) // 1.5 s: rounded up to 2
	s.FailNext(1, 429)
	s.FailNext(2, 503)
	var got []int
	for range 4 {
		resp, _ := ok.do(t, s)
		got = append(got, resp.StatusCode)
		if resp.StatusCode != 200 && resp.Header.Get("Retry-After") != "2" {
			t.Fatalf("Retry-After %q", resp.Header.Get("Retry-After"))
		}
	}
	if !slices.Equal(got, []int{429, 503, 503, 200}) {
		t.Fatalf("statuses %v", got)
	}
	s.FailAlways(500)
	for range 2 {
		if resp, _ := ok.do(t, s); resp.StatusCode != 500 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	s.Reset()
	if resp, _ := ok.do(t, s); resp.StatusCode != 200 || len(s.Requests()) != 1 {
		t.Fatalf("after Reset: %d, %d requests", resp.StatusCode, len(s.Requests()))
	}
	if n := len(s.Successful()); n != 1 {
		t.Fatalf("%d successful", n)
	}
}
