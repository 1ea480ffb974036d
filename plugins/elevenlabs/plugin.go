// Package elevenlabs is the ElevenLabs plugin: when a passage (the cslewis
// content type) is published and its work's rights allow audio, it has
// the passage read aloud by ElevenLabs' text-to-speech API and attaches
// the MP3 to the passage (media role "audio"), which the cslewis plugin
// serves as audio_url. Generation runs as a background job with retries;
// when it fails for good (at once for errors retrying cannot fix, such as
// a rejected API key) the passage simply stays text-only, and the failure
// is visible in the host's failed jobs and in the log.
//
// The API is called with net/http as ElevenLabs documents it (there is no
// official Go client); package elevenlabsfake is a local stand-in for
// tests.
package elevenlabs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/plugins/sdk"
)

// Version of the plugin.
const Version = "0.1.0"

// Names the plugin declares.
const (
	// Name is the plugin's name.
	Name = "elevenlabs"
	// JobGenerateAudio generates a passage's audio: args {"entry_id",
	// "hash", "force"}.
	JobGenerateAudio = "generate_audio"
	// ActionRegenerateAudio re-enqueues the generation of a passage's
	// audio, even when its text did not change.
	ActionRegenerateAudio = "regenerate_audio"
	// RoleAudio is the media role of a passage's narration.
	RoleAudio = "audio"
	// PassageType is the content type narrated.
	PassageType = "passage"
	// GenerateTimeout bounds one run of generate_audio: room for a long
	// passage of several chunks, each a request of up to a minute or two,
	// with their retries (which give up rather than wait past it).
	GenerateTimeout = 10 * time.Minute
)

// Plugin declares the ElevenLabs plugin.
func Plugin() *sdk.Plugin {
	return newPlugin(slog.New(slog.NewTextHandler(os.Stderr, nil)), sleepCtx).declaration()
}

// plugin is the state of one plugin process.
type plugin struct {
	log   *slog.Logger
	http  *http.Client
	sleep func(ctx context.Context, d time.Duration) error

	// idleOnce logs once per process that the plugin is idle.
	idleOnce sync.Once
}

func newPlugin(log *slog.Logger, sleep func(context.Context, time.Duration) error) *plugin {
	return &plugin{log: log.With("plugin", Name), http: &http.Client{}, sleep: sleep}
}

func (p *plugin) declaration() *sdk.Plugin {
	return &sdk.Plugin{
		Name:    Name,
		Version: Version,
		Scopes:  []string{sdk.ScopeEntriesRead, sdk.ScopeMediaWrite, sdk.ScopeJobsEnqueue},
		Events:  []sdk.EventHook{{Event: sdk.AfterPublish, Types: []string{PassageType}, Func: p.afterPublish}},
		Jobs: []sdk.Job{{Kind: JobGenerateAudio, MaxAttempts: DefaultMaxAttempts, Timeout: GenerateTimeout, Run: p.generate,
			Description: "Generate a passage's narration with ElevenLabs and attach it (media role audio)."}},
		Actions: []sdk.Action{{Name: ActionRegenerateAudio, Label: "Regenerate audio", Types: []string{PassageType},
			Run: p.regenerate}},
		Configure: p.configure,
		Logger:    p.log,
	}
}

// configure checks the settings (invalid ones fail the start, naming the
// setting) and logs once when the plugin will stay idle.
func (p *plugin) configure(ctx context.Context, h *sdk.Host) error {
	settings, secrets, err := h.Settings(ctx)
	if err != nil {
		return fmt.Errorf("reading settings: %w", err)
	}
	cfg, diags := loadConfig(settings, secrets)
	if diags.HasError() {
		return diags
	}
	if !cfg.active() {
		p.logIdle(cfg)
		return nil
	}
	p.log.Info("narrating published passages", "config", cfg.String())
	return nil
}

// errInvalidSettings marks the error of settings loadConfig refuses.
var errInvalidSettings = errors.New("invalid settings")

// config reads the current settings and secrets. Settings it refuses give
// an error matching errInvalidSettings.
func (p *plugin) config(ctx context.Context, h *sdk.Host) (config, error) {
	settings, secrets, err := h.Settings(ctx)
	if err != nil {
		return config{}, fmt.Errorf("reading settings: %w", err)
	}
	cfg, diags := loadConfig(settings, secrets)
	if diags.HasError() {
		return config{}, fmt.Errorf("%w: %w", errInvalidSettings, diags.Err())
	}
	return cfg, nil
}

func (p *plugin) logIdle(cfg config) {
	p.idleOnce.Do(func() {
		p.log.Warn("idle: passages are published without audio", "reason", cfg.idleReason())
	})
}

// narration is what a passage would be read as, and whether it may be.
type narration struct {
	text string
	hash string
	// skip says why no audio is made ("" when it may be).
	skip string
}

// plan reads the passage's work and builds its narration: no audio when
// the passage has no work, the work is not published or its rights do not
// allow audio, or there is nothing to read.
func (p *plugin) plan(ctx context.Context, h *sdk.Host, cfg config, passage *sdk.Entry) (narration, error) {
	var f passageFields
	if err := passage.Decode(&f); err != nil {
		return narration{}, fmt.Errorf("passage %s: %w", passage.ID, err)
	}
	if f.Work == "" {
		return narration{skip: "the passage has no work"}, nil
	}
	work, err := h.GetEntry(ctx, f.Work, true)
	if errors.Is(err, sdk.ErrNotFound) {
		return narration{skip: fmt.Sprintf("its work %s is not published", f.Work)}, nil
	}
	if err != nil {
		return narration{}, fmt.Errorf("reading work %s of passage %s: %w", f.Work, passage.ID, err)
	}
	var w workFields
	if err := work.Decode(&w); err != nil {
		return narration{}, fmt.Errorf("work %s: %w", work.ID, err)
	}
	if !w.Rights.AudioAllowed {
		return narration{skip: fmt.Sprintf("the rights of its work %s do not allow audio", work.ID)}, nil
	}
	text, err := narrationText(passage.Title, f.Body)
	if err != nil {
		return narration{}, fmt.Errorf("passage %s: %w", passage.ID, err)
	}
	if text == "" {
		return narration{skip: "it has no text"}, nil
	}
	return narration{text: text, hash: cfg.sourceHash(text)}, nil
}

// currentHash returns the SourceHash of the passage's audio attachment
// ("" when it has none).
func currentHash(ctx context.Context, h *sdk.Host, entryID string) (string, error) {
	media, err := h.EntryMedia(ctx, entryID, RoleAudio)
	if err != nil {
		return "", fmt.Errorf("reading the audio of passage %s: %w", entryID, err)
	}
	for _, m := range media {
		if m.Role == RoleAudio {
			return m.SourceHash, nil
		}
	}
	return "", nil
}

// jobArgs are the arguments of generate_audio.
type jobArgs struct {
	EntryID string `json:"entry_id"`
	// Hash is the source hash the passage had when the job was enqueued:
	// a run that finds another one skips (a newer publish enqueued its
	// own job).
	Hash string `json:"hash,omitempty"`
	// Force generates even when the attached audio has the same hash.
	Force bool `json:"force,omitempty"`
}

// afterPublish enqueues the narration of a published passage, unless the
// plugin is idle, the work's rights do not allow audio, or the attached
// audio already has the passage's hash. Delivered at least once: a
// repeated delivery enqueues a job that finds the audio current and skips.
func (p *plugin) afterPublish(ctx context.Context, h *sdk.Host, e *sdk.Event) error {
	cfg, err := p.config(ctx, h)
	if err != nil {
		return err
	}
	if !cfg.active() {
		p.logIdle(cfg)
		return nil
	}
	if e.Entry == nil || e.Entry.Fields == nil {
		return nil // deleted before delivery
	}
	n, err := p.plan(ctx, h, cfg, e.Entry)
	if err != nil {
		return err
	}
	if n.skip != "" {
		p.log.Debug("no audio for passage", "entry", e.Entry.ID, "reason", n.skip)
		return nil
	}
	current, err := currentHash(ctx, h, e.Entry.ID)
	if err != nil {
		return err
	}
	if current == n.hash {
		p.log.Debug("audio is current", "entry", e.Entry.ID, "hash", n.hash)
		return nil
	}
	id, err := h.EnqueueJob(ctx, JobGenerateAudio, jobArgs{EntryID: e.Entry.ID, Hash: n.hash}, 0)
	if err != nil {
		return fmt.Errorf("enqueueing the audio of passage %s: %w", e.Entry.ID, err)
	}
	p.log.Info("audio generation enqueued", "entry", e.Entry.ID, "hash", n.hash, "job", id)
	return nil
}

// generate is the generate_audio job: it re-reads the live passage, skips
// when it was unpublished, lost its rights or moved on to another text
// (or, unless forced, already has this audio), and otherwise generates
// and attaches the narration. The passage stays published without audio
// while generation fails, and after it failed for good.
//
// A failed run fails the job, and the host runs it again with backoff, up
// to the DefaultMaxAttempts runs the job declares; after the last one the
// host keeps the job as failed. Failures that retrying cannot fix (invalid
// arguments or settings, an ElevenLabs 4xx other than 408 and 429, an
// attachment the host refuses) are returned as [sdk.Permanent] so that the
// host records the job as failed at once. A run past the last attempt (an
// admin retrying a failed job) does the work like any other.
func (p *plugin) generate(ctx context.Context, h *sdk.Host, j *sdk.JobRun) error {
	var args jobArgs
	if err := j.Decode(&args); err != nil {
		return sdk.Permanent(fmt.Errorf("generate_audio: invalid arguments: %w", err))
	}
	if args.EntryID == "" {
		return sdk.Permanent(errors.New("generate_audio: invalid arguments: entry_id is required"))
	}
	log := p.log.With("entry", args.EntryID, "job_attempt", j.Attempt)
	cfg, err := p.config(ctx, h)
	if errors.Is(err, errInvalidSettings) {
		log.Error("audio generation failed: the settings are invalid", "error", err)
		return sdk.Permanent(err)
	}
	if err != nil {
		return err
	}
	if !cfg.active() {
		log.Warn("skipping audio generation: the plugin is idle", "reason", cfg.idleReason())
		return nil
	}
	passage, err := h.GetEntry(ctx, args.EntryID, true)
	if errors.Is(err, sdk.ErrNotFound) {
		log.Info("skipping audio generation: the passage is not published")
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading passage %s: %w", args.EntryID, err)
	}
	n, err := p.plan(ctx, h, cfg, passage)
	if err != nil {
		return err
	}
	if n.skip != "" {
		log.Info("skipping audio generation", "reason", n.skip)
		return nil
	}
	if !args.Force {
		if args.Hash != "" && args.Hash != n.hash {
			log.Info("skipping audio generation: the passage changed since the job was enqueued", "job_hash", args.Hash, "hash", n.hash)
			return nil
		}
		current, err := currentHash(ctx, h, args.EntryID)
		if err != nil {
			return err
		}
		if current == n.hash {
			log.Info("skipping audio generation: the audio is current", "hash", n.hash)
			return nil
		}
	}
	chunks := chunkText(n.text, cfg.maxChars)
	nr := &narrator{client: &client{baseURL: cfg.baseURL, apiKey: cfg.apiKey, http: p.http}, cfg: cfg, log: log, sleep: p.sleep}
	audio, err := nr.narrate(ctx, chunks)
	if err != nil {
		// The host says which attempt is its last; the declared bound
		// when it does not. The last attempt's failure is a plain error
		// too: the host gives up on it by itself.
		limit := cmp.Or(j.MaxAttempts, DefaultMaxAttempts)
		var api *APIError
		permanent := errors.As(err, &api) && api.Permanent()
		if permanent {
			log.Error("audio generation failed; the passage stays text-only (retrying will not help until the cause is fixed)",
				"error", err, "status", api.StatusCode, "code", api.Code, "final", true)
		} else {
			log.Error("audio generation failed; the passage stays text-only", "error", err, "final", j.Attempt >= limit,
				"max_attempts", limit)
		}
		err = fmt.Errorf("passage %s: generating audio (attempt %d of %d): %w", args.EntryID, j.Attempt, limit, err)
		if permanent {
			return sdk.Permanent(err)
		}
		return err
	}
	m, err := h.AttachMedia(ctx, sdk.Attachment{
		EntryID: args.EntryID, Role: RoleAudio, SourceHash: n.hash,
		Filename: fmt.Sprintf("%s-%s.mp3", args.EntryID, n.hash[:8]), ContentType: "audio/mpeg", Data: audio,
	})
	if err != nil {
		err = fmt.Errorf("passage %s: attaching the audio: %w", args.EntryID, err)
		if errors.Is(err, sdk.ErrPermission) || errors.Is(err, sdk.ErrInvalid) {
			// Generating the audio again (and paying for it) would not
			// change the host's answer.
			log.Error("audio generation failed: the host refused the audio; the passage stays text-only", "error", err)
			return sdk.Permanent(err)
		}
		return err
	}
	log.Info("audio attached", "key", m.Key, "bytes", len(audio), "chunks", len(chunks), "hash", n.hash)
	return nil
}

// regenerateResult is the regenerate_audio action's answer.
type regenerateResult struct {
	JobID string `json:"job_id"`
	Hash  string `json:"hash"`
}

// regenerate is the regenerate_audio action: it enqueues a forced
// generation of the passage's audio and returns the job id.
func (p *plugin) regenerate(ctx context.Context, h *sdk.Host, a *sdk.ActionRun) (any, contenttypes.Diagnostics, error) {
	cfg, err := p.config(ctx, h)
	if err != nil {
		return nil, nil, err
	}
	if !cfg.active() {
		return nil, nil, sdk.Conflict("ElevenLabs is not configured: %s", cfg.idleReason())
	}
	passage, err := h.GetEntry(ctx, a.EntryID, true)
	if errors.Is(err, sdk.ErrNotFound) {
		return nil, nil, sdk.Conflict("passage %s is not published: audio is generated for published passages only", a.EntryID)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reading passage %s: %w", a.EntryID, err)
	}
	if passage.Type != PassageType {
		return nil, nil, sdk.Conflict("entry %s is a %s, not a passage", a.EntryID, passage.Type)
	}
	n, err := p.plan(ctx, h, cfg, passage)
	if err != nil {
		return nil, nil, err
	}
	if n.skip != "" {
		return nil, nil, sdk.Conflict("no audio for passage %s: %s", a.EntryID, n.skip)
	}
	id, err := h.EnqueueJob(ctx, JobGenerateAudio, jobArgs{EntryID: a.EntryID, Hash: n.hash, Force: true}, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("enqueueing the audio of passage %s: %w", a.EntryID, err)
	}
	p.log.Info("audio regeneration enqueued", "entry", a.EntryID, "job", id, "by", a.Actor.ID)
	return regenerateResult{JobID: id, Hash: n.hash}, nil, nil
}
