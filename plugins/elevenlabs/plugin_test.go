package elevenlabs

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/plugins/cslewis"
	"github.com/inklingcms/inkling/plugins/elevenlabs/elevenlabsfake"
	"github.com/inklingcms/inkling/plugins/protocol"
	"github.com/inklingcms/inkling/plugins/sdk"
	"github.com/inklingcms/inkling/plugins/sdk/sdktest"
)

const (
	testKey   = "test-key-not-secret"
	testVoice = "voice-lewis"
)

// env is a plugin served to an in-memory host that knows the cslewis
// types, with the fake ElevenLabs API behind it.
type env struct {
	t        *testing.T
	h        *sdktest.Harness
	fake     *elevenlabsfake.Server
	logs     *logBuffer
	settings map[string]string
	secrets  map[string]string

	mu     sync.Mutex
	sleeps []time.Duration
}

type envOptions struct {
	settings map[string]string // merged over the defaults
	// key is the api_key secret (default testKey, which the fake
	// accepts); noKey sets none.
	key   string
	noKey bool
	// scopes are the granted scopes (nil: those the plugin asks for).
	scopes []string
	// noConfigure leaves the plugin unconfigured (to run a job with
	// settings Configure would refuse).
	noConfigure bool
}

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	e := &env{t: t, fake: elevenlabsfake.Start(t, testKey), logs: &logBuffer{}}
	e.settings = map[string]string{SettingVoiceID: testVoice, SettingRetryBackoff: "10ms"}
	maps.Copy(e.settings, o.settings)
	e.secrets = map[string]string{SecretAPIKey: testKey, SecretBaseURL: e.fake.URL}
	if o.key != "" {
		e.secrets[SecretAPIKey] = o.key
	}
	if o.noKey {
		delete(e.secrets, SecretAPIKey)
	}
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	p := newPlugin(log, func(ctx context.Context, d time.Duration) error {
		e.mu.Lock()
		e.sleeps = append(e.sleeps, d)
		e.mu.Unlock()
		return ctx.Err()
	})
	e.h = sdktest.New(t, p.declaration(), &sdktest.Options{Types: cslewis.Plugin().ContentTypes, Settings: e.settings, Secrets: e.secrets,
		Scopes: o.scopes, NoConfigure: o.noConfigure})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("plugin log:\n%s", e.logs.String())
		}
	})
	return e
}

func (e *env) ctx() context.Context { return e.t.Context() }

// addWork seeds a published work.
func (e *env) addWork(audioAllowed, live bool) string {
	return e.h.Store.Add(sdk.Entry{Type: "work", Title: "Mere Christianity", Live: live, Fields: contenttypes.Values{
		"kind": "book", "rights": map[string]any{"audio_allowed": audioAllowed}}}).ID
}

// addPassage seeds a published passage of work.
func (e *env) addPassage(work, title string, body []any) string {
	return e.h.Store.Add(sdk.Entry{Type: PassageType, Title: title, Live: true, Fields: contenttypes.Values{
		"work": work, "register": "devotional", "body": body}}).ID
}

func paragraph(md string) map[string]any { return map[string]any{"type": "paragraph", "value": md} }

// publish delivers after_publish for the passage and runs the jobs it
// enqueued.
func (e *env) publish(id string) (int, error) {
	e.t.Helper()
	if err := e.h.Event(e.ctx(), sdktest.Event{Name: sdk.AfterPublish, EntryID: id}); err != nil {
		e.t.Fatalf("after_publish: %v", err)
	}
	return e.h.RunEnqueued(e.ctx())
}

func (e *env) config() config {
	e.t.Helper()
	cfg, diags := loadConfig(e.settings, e.secrets)
	if diags.HasError() {
		e.t.Fatal(diags)
	}
	return cfg
}

func (e *env) audio(id string) (sdktest.StoredMedia, bool) {
	return e.h.Store.Attachment(id, RoleAudio)
}

func (e *env) waits() []time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.sleeps)
}

// The sample passage and what it reads as.
var (
	sampleBody = []any{
		paragraph("We are *not* merely imperfect creatures who must be improved:\nwe are, as Mr Jones said, [rebels](https://example.org/r) who must lay down our arms &amp; surrender."),
		map[string]any{"type": "quote", "value": map[string]any{"text": "Aslan is on the move.", "attribution": "The Lion"}},
		map[string]any{"type": "scripture", "value": map[string]any{"reference": "John 1:5", "text": "The light shineth in darkness."}},
	}
	sampleText = "The Shocking Alternative.\n\n" +
		"We are not merely imperfect creatures who must be improved: we are, as Mr Jones said, rebels who must lay down our arms & surrender.\n\n" +
		"Aslan is on the move.\n\nThe Lion.\n\nJohn 1:5.\n\nThe light shineth in darkness."
)

func TestPublishAttachesNarration(t *testing.T) {
	e := newEnv(t, envOptions{})
	id := e.addPassage(e.addWork(true, true), "The Shocking Alternative", sampleBody)
	if n, err := e.publish(id); err != nil || n != 1 {
		t.Fatalf("ran %d jobs: %v", n, err)
	}
	reqs := e.fake.Requests()
	if len(reqs) != 1 {
		t.Fatalf("requests: %+v", reqs)
	}
	r := reqs[0]
	if r.Path != "/v1/text-to-speech/"+testVoice || r.OutputFormat != DefaultOutputFormat || !r.KeyValid ||
		r.Body.ModelID != DefaultModelID || r.Text() != sampleText {
		t.Fatalf("request: %+v, text %q", r, r.Text())
	}
	if r.Body.PreviousText != "" || r.Body.NextText != "" || len(r.Body.PreviousRequestIDs) != 0 || r.Body.VoiceSettings != nil {
		t.Fatalf("a single chunk needs no stitching or voice settings: %+v", r.Body)
	}
	m, ok := e.audio(id)
	if !ok {
		t.Fatal("no audio attached")
	}
	hash := e.config().sourceHash(sampleText)
	want, err := elevenlabsfake.Audio(sampleText, DefaultOutputFormat)
	if err != nil {
		t.Fatal(err)
	}
	if m.SourceHash != hash || m.ContentType != "audio/mpeg" || m.Filename != id+"-"+hash[:8]+".mp3" || !bytes.Equal(m.Data, want) {
		t.Fatalf("attachment: hash %s (want %s), %s, %s, %d bytes (want %d)", m.SourceHash, hash, m.ContentType, m.Filename, len(m.Data), len(want))
	}
	if got := len(e.h.Store.Media()); got != 1 {
		t.Fatalf("%d media stored, want 1", got)
	}

	// Publishing again with the same text: the hook sees the audio is
	// current and enqueues nothing; no API call.
	if n, err := e.publish(id); err != nil || n != 0 {
		t.Fatalf("unchanged re-publish ran %d jobs: %v", n, err)
	}
	// A duplicate job (a re-delivered event) skips as well.
	if err := e.h.RunJob(e.ctx(), JobGenerateAudio, jobArgs{EntryID: id, Hash: hash}); err != nil {
		t.Fatal(err)
	}
	if got := len(e.fake.Requests()); got != 1 {
		t.Fatalf("%d API calls after unchanged re-publishes, want 1", got)
	}
}

func TestChangedTextGetsNewAudio(t *testing.T) {
	e := newEnv(t, envOptions{})
	work := e.addWork(true, true)
	id := e.addPassage(work, "Joy", []any{paragraph("Surprised by joy.")})
	if _, err := e.publish(id); err != nil {
		t.Fatal(err)
	}
	before, _ := e.audio(id)
	// An editor changes the text and publishes.
	e.h.Store.Update(id, "", contenttypes.Values{"work": work, "register": "devotional", "body": []any{paragraph("Impatient as the wind.")}})
	e.h.Store.Publish(id)
	// The job enqueued for the old text and run after the edit skips: the
	// passage moved on.
	if err := e.h.RunJob(e.ctx(), JobGenerateAudio, jobArgs{EntryID: id, Hash: before.SourceHash + "0"}); err != nil {
		t.Fatal(err)
	}
	if got := len(e.fake.Requests()); got != 1 {
		t.Fatalf("a superseded job called the API (%d calls)", got)
	}
	if n, err := e.publish(id); err != nil || n != 1 {
		t.Fatalf("ran %d jobs: %v", n, err)
	}
	after, _ := e.audio(id)
	const newText = "Joy.\n\nImpatient as the wind."
	if after.SourceHash != e.config().sourceHash(newText) || after.SourceHash == before.SourceHash {
		t.Fatalf("hash %s, before %s", after.SourceHash, before.SourceHash)
	}
	if texts, err := elevenlabsfake.Texts(after.Data); err != nil || !slices.Equal(texts, []string{newText}) {
		t.Fatalf("audio of %q: %v", texts, err)
	}
}

func TestNoAudio(t *testing.T) {
	cases := []struct {
		name         string
		audioAllowed bool
		workLive     bool
		settings     map[string]string
		noKey        bool
		log          string
	}{
		{name: "rights do not allow audio", workLive: true, log: "do not allow audio"},
		{name: "work not published", audioAllowed: true, log: "is not published"},
		{name: "no API key", audioAllowed: true, workLive: true, noKey: true, log: "INKLING_PLUGIN_ELEVENLABS_API_KEY"},
		{name: "no voice", audioAllowed: true, workLive: true, settings: map[string]string{SettingVoiceID: ""}, log: "voice_id setting"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOptions{settings: tc.settings, noKey: tc.noKey})
			id := e.addPassage(e.addWork(tc.audioAllowed, tc.workLive), "Title", sampleBody)
			if n, err := e.publish(id); err != nil || n != 0 {
				t.Fatalf("ran %d jobs: %v", n, err)
			}
			// A job enqueued before (say, before the rights changed) does
			// nothing either.
			if err := e.h.RunJob(e.ctx(), JobGenerateAudio, jobArgs{EntryID: id}); err != nil {
				t.Fatal(err)
			}
			if reqs := e.fake.Requests(); len(reqs) != 0 {
				t.Fatalf("API called: %+v", reqs)
			}
			if _, ok := e.audio(id); ok {
				t.Fatal("audio attached")
			}
			if !strings.Contains(e.logs.String(), tc.log) {
				t.Fatalf("log does not say %q:\n%s", tc.log, e.logs.String())
			}
		})
	}
}

func TestIdleLogsOnce(t *testing.T) {
	e := newEnv(t, envOptions{noKey: true})
	id := e.addPassage(e.addWork(true, true), "Title", sampleBody)
	for range 3 {
		if _, err := e.publish(id); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(e.logs.String(), "idle:"); n != 1 {
		t.Fatalf("idle logged %d times:\n%s", n, e.logs.String())
	}
}

func TestLongTextIsChunkedAndStitched(t *testing.T) {
	e := newEnv(t, envOptions{settings: map[string]string{SettingMaxChars: "120"}})
	var body []any
	for i := range 6 {
		body = append(body, paragraph(strings.Repeat("Reason is the natural order of truth. ", 2+i%2)+"Imagination is the organ of meaning."))
	}
	id := e.addPassage(e.addWork(true, true), "On Stories", body)
	if _, err := e.publish(id); err != nil {
		t.Fatal(err)
	}
	reqs := e.fake.Requests()
	if len(reqs) < 5 {
		t.Fatalf("%d requests for a long text in chunks of 120 characters", len(reqs))
	}
	var texts []string
	for i, r := range reqs {
		texts = append(texts, r.Text())
		if n := len([]rune(r.Text())); n > 120 {
			t.Fatalf("request %d: %d characters", i, n)
		}
		var wantIDs []string
		for _, prev := range reqs[max(0, i-3):i] {
			wantIDs = append(wantIDs, prev.RequestID)
		}
		if !slices.Equal(r.Body.PreviousRequestIDs, wantIDs) {
			t.Fatalf("request %d: previous_request_ids %v, want %v", i, r.Body.PreviousRequestIDs, wantIDs)
		}
		wantNext := ""
		if i+1 < len(reqs) {
			wantNext = reqs[i+1].Text()
		}
		if r.Body.NextText != wantNext {
			t.Fatalf("request %d: next_text %q, want %q", i, r.Body.NextText, wantNext)
		}
	}
	m, _ := e.audio(id)
	got, err := elevenlabsfake.Texts(m.Data)
	if err != nil || !slices.Equal(got, texts) {
		t.Fatalf("audio made of %q (%v), want the chunks in order %q", got, err, texts)
	}
	want, _ := narrationText("On Stories", mustBlocks(t, body))
	if strings.Join(strings.Fields(strings.Join(texts, " ")), " ") != strings.Join(strings.Fields(want), " ") {
		t.Fatalf("chunks do not add up to the text:\n%q\n%q", texts, want)
	}
}

func TestNoStitchingForElevenV3(t *testing.T) {
	e := newEnv(t, envOptions{settings: map[string]string{SettingModelID: "eleven_v3", SettingMaxChars: "100"}})
	body := []any{paragraph(strings.Repeat("Courage is not simply one of the virtues. ", 6))}
	id := e.addPassage(e.addWork(true, true), "Screwtape", body)
	if _, err := e.publish(id); err != nil {
		t.Fatal(err)
	}
	reqs := e.fake.Requests()
	if len(reqs) < 2 {
		t.Fatalf("%d requests", len(reqs))
	}
	for i, r := range reqs {
		if r.Body.ModelID != "eleven_v3" || r.Body.NextText != "" || r.Body.PreviousText != "" || len(r.Body.PreviousRequestIDs) > 0 {
			t.Fatalf("request %d: %+v", i, r.Body)
		}
	}
}

func TestTransientFailuresAreRetried(t *testing.T) {
	e := newEnv(t, envOptions{})
	id := e.addPassage(e.addWork(true, true), "The Shocking Alternative", sampleBody)
	e.fake.SetRetryAfter(2 * time.Second)
	e.fake.FailNext(1, http.StatusTooManyRequests)
	e.fake.FailNext(1, http.StatusInternalServerError)
	if _, err := e.publish(id); err != nil {
		t.Fatal(err)
	}
	var statuses []int
	for _, r := range e.fake.Requests() {
		statuses = append(statuses, r.Status)
	}
	if !slices.Equal(statuses, []int{429, 500, 200}) {
		t.Fatalf("statuses %v", statuses)
	}
	if m, ok := e.audio(id); !ok || m.SourceHash != e.config().sourceHash(sampleText) {
		t.Fatalf("audio %v %+v", ok, m.SourceHash)
	}
	waits := e.waits()
	// The 429's Retry-After is honoured; the 500 backs off from
	// retry_backoff (10ms, doubled: 15–25ms with jitter).
	if len(waits) != 2 || waits[0] != 2*time.Second || waits[1] < 15*time.Millisecond || waits[1] > 25*time.Millisecond {
		t.Fatalf("waits %v", waits)
	}
}

func TestFailures(t *testing.T) {
	cases := []struct {
		name     string
		status   int // FailAlways; 0: a wrong key
		key      string
		requests int
		errHas   string
		// permanent: the host records the job as failed at once.
		permanent bool
	}{
		{name: "server error after the retries", status: 500, key: testKey, requests: 1 + DefaultRequestRetries, errHas: "500"},
		{name: "rate limited after the retries", status: 429, key: testKey, requests: 1 + DefaultRequestRetries, errHas: "rate_limit_exceeded"},
		{name: "wrong key, not retried", key: "wrong-key", requests: 1, errHas: "invalid_api_key", permanent: true},
		{name: "bad request, not retried", status: 400, key: testKey, requests: 1, errHas: "400 Bad Request", permanent: true},
		{name: "forbidden, not retried", status: 403, key: testKey, requests: 1, errHas: "403 Forbidden", permanent: true},
		{name: "validation error, not retried", status: 422, key: testKey, requests: 1, errHas: "validation_error", permanent: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOptions{key: tc.key})
			if tc.status != 0 {
				e.fake.FailAlways(tc.status)
			}
			id := e.addPassage(e.addWork(true, true), "The Shocking Alternative", sampleBody)
			_, err := e.publish(id)
			if err == nil || !strings.Contains(err.Error(), tc.errHas) || !strings.Contains(err.Error(), "attempt 1 of 5") {
				t.Fatalf("job error %v, want one naming %q and the attempt", err, tc.errHas)
			}
			if got := protocol.IsPermanent(err); got != tc.permanent {
				t.Fatalf("permanent = %v, want %v: %v", got, tc.permanent, err)
			}
			if strings.Contains(err.Error(), tc.key) || strings.Contains(e.logs.String(), tc.key) {
				t.Fatal("the API key leaked into an error or the log")
			}
			if got := len(e.fake.Requests()); got != tc.requests {
				t.Fatalf("%d requests, want %d", got, tc.requests)
			}
			if _, ok := e.audio(id); ok {
				t.Fatal("audio attached")
			}
			if _, ok := e.h.Store.LiveEntry(id); !ok {
				t.Fatal("the passage is no longer published")
			}
			if !strings.Contains(e.logs.String(), "audio generation failed; the passage stays text-only") {
				t.Fatalf("no failure log line:\n%s", e.logs.String())
			}

			// The host's last attempt is logged as final.
			hash := e.config().sourceHash(sampleText)
			err = e.h.RunJobAttempt(e.ctx(), JobGenerateAudio, jobArgs{EntryID: id, Hash: hash}, DefaultMaxAttempts)
			if err == nil || !strings.Contains(e.logs.String(), "final=true") {
				t.Fatalf("last attempt: %v\n%s", err, e.logs.String())
			}
		})
	}
}

// TestAttempts checks what a run answers at each attempt of the host's:
// before the last one and at it a transient failure is a plain error (the
// host retries, then gives up by itself), and a run past the declared
// MaxAttempts (an admin retrying a failed job) does the work normally.
func TestAttempts(t *testing.T) {
	cases := []struct {
		name     string
		settings map[string]string
		attempt  int
		fail     bool
		requests int
		errHas   string // "" for success
		final    bool   // the failure is logged as the last attempt
	}{
		{name: "failure before the last attempt: the host retries", attempt: 1, fail: true,
			requests: 1 + DefaultRequestRetries, errHas: "attempt 1 of 5"},
		{name: "failure at the last attempt: the host gives up", attempt: DefaultMaxAttempts, fail: true,
			requests: 1 + DefaultRequestRetries, errHas: "attempt 5 of 5", final: true},
		{name: "the last attempt may succeed", attempt: DefaultMaxAttempts, requests: 1},
		{name: "admin retry past MaxAttempts generates the audio", attempt: DefaultMaxAttempts + 1, requests: 1},
		{name: "admin retry with the removed max_attempts setting still set", attempt: DefaultMaxAttempts + 1,
			settings: map[string]string{"max_attempts": "2"}, requests: 1},
		{name: "failed admin retry: a plain error again", attempt: DefaultMaxAttempts + 1, fail: true,
			requests: 1 + DefaultRequestRetries, errHas: "attempt 6 of 5", final: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOptions{settings: tc.settings})
			id := e.addPassage(e.addWork(true, true), "The Shocking Alternative", sampleBody)
			if tc.fail {
				e.fake.FailAlways(http.StatusInternalServerError)
			}
			err := e.h.RunJobAttempt(e.ctx(), JobGenerateAudio, jobArgs{EntryID: id}, tc.attempt)
			if got := len(e.fake.Requests()); got != tc.requests {
				t.Fatalf("%d API calls, want %d", got, tc.requests)
			}
			m, attached := e.audio(id)
			if tc.errHas == "" {
				if err != nil || !attached || m.SourceHash != e.config().sourceHash(sampleText) {
					t.Fatalf("job: %v, audio attached: %v (hash %q)", err, attached, m.SourceHash)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.errHas) || attached {
				t.Fatalf("job error %v (audio attached: %v), want one naming %q", err, attached, tc.errHas)
			}
			if protocol.IsPermanent(err) {
				t.Fatalf("a transient failure is permanent: %v", err)
			}
			if want := "final=" + strconv.FormatBool(tc.final); !strings.Contains(e.logs.String(), want) {
				t.Fatalf("the failure is not logged with %s:\n%s", want, e.logs.String())
			}
		})
	}
}

// TestRetriesStopAtTheJobDeadline runs the job with a deadline (the host's
// job timeout reaches the plugin through gRPC): a Retry-After beyond it
// ends the run at once instead of waiting, and the host may retry later.
func TestRetriesStopAtTheJobDeadline(t *testing.T) {
	e := newEnv(t, envOptions{})
	id := e.addPassage(e.addWork(true, true), "Title", sampleBody)
	e.fake.SetRetryAfter(30 * time.Second)
	e.fake.FailAlways(http.StatusTooManyRequests)
	ctx, cancel := context.WithTimeout(e.ctx(), 5*time.Second)
	defer cancel()
	err := e.h.RunJob(ctx, JobGenerateAudio, jobArgs{EntryID: id})
	if err == nil || !strings.Contains(err.Error(), "would pass the job's deadline") || protocol.IsPermanent(err) {
		t.Fatalf("job error %v, want a retryable one about the deadline", err)
	}
	if got, waits := len(e.fake.Requests()), e.waits(); got != 1 || len(waits) != 0 {
		t.Fatalf("%d requests and waits %v, want 1 request and no wait", got, waits)
	}
}

func TestRefusalsThatRetryingCannotFix(t *testing.T) {
	t.Run("invalid settings at run time", func(t *testing.T) {
		// Settings Configure refuses (the plugin failed to start with
		// them) fail a job that runs anyway for good.
		e := newEnv(t, envOptions{noConfigure: true, settings: map[string]string{SettingSpeed: "3"}})
		if diags, err := e.h.Configure(e.ctx()); err != nil || len(diags.At("settings.speed")) == 0 {
			t.Fatalf("configure: %v %v", diags, err)
		}
		id := e.addPassage(e.addWork(true, true), "Title", sampleBody)
		err := e.h.RunJob(e.ctx(), JobGenerateAudio, jobArgs{EntryID: id})
		if err == nil || !protocol.IsPermanent(err) || !strings.Contains(err.Error(), "speed") {
			t.Fatalf("job error %v, want a permanent one naming the setting", err)
		}
		if got := len(e.fake.Requests()); got != 0 {
			t.Fatalf("%d API calls", got)
		}
	})
	t.Run("invalid arguments", func(t *testing.T) {
		e := newEnv(t, envOptions{})
		for _, args := range []any{map[string]any{}, map[string]any{"entry_id": 7}} {
			if err := e.h.RunJob(e.ctx(), JobGenerateAudio, args); err == nil || !protocol.IsPermanent(err) ||
				!strings.Contains(err.Error(), "invalid arguments") {
				t.Fatalf("job(%v) error %v, want a permanent one", args, err)
			}
		}
	})
	t.Run("the host refuses the attachment", func(t *testing.T) {
		e := newEnv(t, envOptions{scopes: []string{sdk.ScopeEntriesRead, sdk.ScopeJobsEnqueue}})
		id := e.addPassage(e.addWork(true, true), "Title", sampleBody)
		err := e.h.RunJob(e.ctx(), JobGenerateAudio, jobArgs{EntryID: id})
		if err == nil || !protocol.IsPermanent(err) || !strings.Contains(err.Error(), "attaching the audio") {
			t.Fatalf("job error %v, want a permanent one about the attachment", err)
		}
	})
}

func TestRegenerateAction(t *testing.T) {
	e := newEnv(t, envOptions{})
	work := e.addWork(true, true)
	id := e.addPassage(work, "The Shocking Alternative", sampleBody)
	if _, err := e.publish(id); err != nil {
		t.Fatal(err)
	}
	raw, diags, err := e.h.RunAction(e.ctx(), sdktest.Action{Name: ActionRegenerateAudio, EntryID: id})
	if err != nil || diags.HasError() {
		t.Fatalf("action: %v %v", err, diags)
	}
	var res regenerateResult
	if err := json.Unmarshal(raw, &res); err != nil || res.JobID == "" || res.Hash != e.config().sourceHash(sampleText) {
		t.Fatalf("result %s: %v", raw, err)
	}
	jobs := e.h.Store.Jobs()
	if len(jobs) != 1 || jobs[0].ID != res.JobID || jobs[0].Kind != JobGenerateAudio {
		t.Fatalf("jobs %+v, result %+v", jobs, res)
	}
	if n, err := e.h.RunEnqueued(e.ctx()); err != nil || n != 1 {
		t.Fatalf("ran %d: %v", n, err)
	}
	// Forced: the API is called again although the text is unchanged.
	if got := len(e.fake.Requests()); got != 2 {
		t.Fatalf("%d API calls, want 2", got)
	}
	if m, ok := e.audio(id); !ok || m.SourceHash != res.Hash {
		t.Fatalf("audio %v %s", ok, m.SourceHash)
	}

	// Refusals name the reason.
	unpublished := e.h.Store.Add(sdk.Entry{Type: PassageType, Title: "Draft", Fields: contenttypes.Values{
		"work": work, "register": "devotional", "body": sampleBody}}).ID
	noRights := e.addPassage(e.addWork(false, true), "Narnia", sampleBody)
	for _, tc := range []struct{ id, want string }{
		{unpublished, "is not published"},
		{noRights, "do not allow audio"},
	} {
		_, _, err := e.h.RunAction(e.ctx(), sdktest.Action{Name: ActionRegenerateAudio, EntryID: tc.id})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("action on %s: %v, want %q", tc.id, err, tc.want)
		}
	}
}

func TestConfigureRefusesInvalidSettings(t *testing.T) {
	p := newPlugin(slog.New(slog.DiscardHandler), sleepCtx).declaration()
	h := sdktest.New(t, p, &sdktest.Options{NoConfigure: true, Types: cslewis.Plugin().ContentTypes,
		Settings: map[string]string{SettingVoiceID: testVoice, SettingOutputFormat: "pcm_16000", SettingMaxChars: "20000"},
		Secrets:  map[string]string{SecretAPIKey: testKey}})
	diags, err := h.Configure(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"settings.output_format", "settings.max_chars"} {
		if len(diags.At(path)) == 0 {
			t.Fatalf("no diagnostic at %s: %v", path, diags)
		}
	}
}

func TestDeclaration(t *testing.T) {
	p := Plugin()
	if diags := p.Check(); diags.HasError() {
		t.Fatal(diags)
	}
	if !slices.Equal(p.Scopes, []string{sdk.ScopeEntriesRead, sdk.ScopeMediaWrite, sdk.ScopeJobsEnqueue}) {
		t.Fatalf("scopes %v", p.Scopes)
	}
	// What the host is told: the attempts and the per-run timeout.
	h := sdktest.New(t, p, &sdktest.Options{NoConfigure: true, Types: cslewis.Plugin().ContentTypes})
	jobs := h.Metadata.GetJobKinds()
	if len(jobs) != 1 || jobs[0].GetKind() != JobGenerateAudio || jobs[0].GetMaxAttempts() != DefaultMaxAttempts ||
		jobs[0].GetTimeoutSeconds() != int64(GenerateTimeout/time.Second) || GenerateTimeout < 10*time.Minute {
		t.Fatalf("job kinds %v", jobs)
	}
}

func mustBlocks(t *testing.T, body []any) []sdk.Block {
	t.Helper()
	raw, _ := json.Marshal(body)
	var blocks []sdk.Block
	if err := json.Unmarshal(raw, &blocks); err != nil {
		t.Fatal(err)
	}
	return blocks
}

// logBuffer is a log destination safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
