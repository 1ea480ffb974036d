package aitags

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"iter"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/plugins/sdk"
)

// maxConflicts bounds the re-reads when an editor saves the entry while
// the plugin saves its tag review.
const maxConflicts = 3

// jobArgs are the arguments of a draft_tags job.
type jobArgs struct {
	EntryID string `json:"entry_id"`
	// TextHash is the hash of the text the job was enqueued for; the job
	// skips when the entry's text has moved on (a newer job handles it).
	TextHash string `json:"text_hash,omitempty"`
	// Force drafts even when the tag review already has this text's hash
	// (the redraft_tags action).
	Force bool `json:"force,omitempty"`
}

// host is what the plugin uses of *sdk.Host.
type host interface {
	GetEntry(ctx context.Context, id string, published bool) (*sdk.Entry, error)
	SaveDraft(ctx context.Context, d sdk.Draft) (*sdk.Entry, contenttypes.Diagnostics, error)
	Entries(ctx context.Context, p sdk.ListParams) iter.Seq2[*sdk.Entry, error]
}

var _ host = (*sdk.Host)(nil)

// afterSave enqueues draft_tags when an entry of a drafted type was saved
// with a text whose hash differs from the one its tag review records. The
// plugin's own saves keep the text, so they enqueue nothing.
func (t *tagger) afterSave(ctx context.Context, h *sdk.Host, ev *sdk.Event) error {
	cfg := t.active()
	e := ev.Entry
	if cfg == nil || e == nil || e.Fields == nil || !cfg.handles(e.Type) {
		return nil
	}
	p := readPassage(e)
	if p.text == "" || p.hash == p.storedHash() {
		return nil
	}
	if _, err := h.EnqueueJob(ctx, JobDraftTags, jobArgs{EntryID: e.ID, TextHash: p.hash}, 0); err != nil {
		return fmt.Errorf("aitags: enqueueing %s for entry %s: %w", JobDraftTags, e.ID, err)
	}
	return nil
}

// redraft enqueues draft_tags for the entry even when its text did not
// change, and returns the job's id.
func (t *tagger) redraft(ctx context.Context, h *sdk.Host, a *sdk.ActionRun) (any, contenttypes.Diagnostics, error) {
	cfg := t.active()
	if cfg == nil {
		return nil, nil, sdk.Conflict("%s", t.idleReason())
	}
	e, err := h.GetEntry(ctx, a.EntryID, false)
	if errors.Is(err, sdk.ErrNotFound) {
		return nil, nil, sdk.NotFound("entry %q not found", a.EntryID)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("aitags: reading entry %s: %w", a.EntryID, err)
	}
	if !cfg.handles(e.Type) {
		return nil, nil, sdk.BadRequest(fmt.Sprintf("aitags drafts tags for %v, not for entries of type %q", cfg.types, e.Type))
	}
	p := readPassage(e)
	id, err := h.EnqueueJob(ctx, JobDraftTags, jobArgs{EntryID: e.ID, TextHash: p.hash, Force: true}, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("aitags: enqueueing %s for entry %s: %w", JobDraftTags, e.ID, err)
	}
	return map[string]any{"job_id": id, "entry_id": e.ID, "text_hash": p.hash}, nil, nil
}

// draftTags is the draft_tags job.
func (t *tagger) draftTags(ctx context.Context, h *sdk.Host, j *sdk.JobRun) error {
	var args jobArgs
	if err := j.Decode(&args); err != nil {
		return sdk.Permanent(fmt.Errorf("aitags: %s: invalid arguments: %w", JobDraftTags, err))
	}
	if args.EntryID == "" {
		return sdk.Permanent(fmt.Errorf("aitags: %s: invalid arguments: entry_id is required", JobDraftTags))
	}
	cfg := t.active()
	if cfg == nil {
		t.log.Info("aitags is idle: skipping a draft_tags job", "entry", args.EntryID)
		return nil
	}
	return t.draft(ctx, h, cfg, args, j)
}

// draft runs one attempt of draft_tags for args. A failure that retrying
// may fix (a rate limit, a server error, a timeout) fails the attempt and
// records nothing, so that the host runs the job again; on the last
// attempt, and at once for a failure that retrying cannot fix (a rejected
// key, an unusable answer, no vocabulary), the failure is recorded on the
// entry and returned too (as sdk.Permanent when retrying cannot fix it),
// so that the host lists the job among its failures.
func (t *tagger) draft(ctx context.Context, h host, cfg *config, args jobArgs, j *sdk.JobRun) error {
	e, err := h.GetEntry(ctx, args.EntryID, false)
	if errors.Is(err, sdk.ErrNotFound) {
		return nil // deleted since
	}
	if err != nil {
		return fmt.Errorf("aitags: reading entry %s: %w", args.EntryID, err)
	}
	if !cfg.handles(e.Type) {
		return nil
	}
	p := readPassage(e)
	switch {
	case args.TextHash != "" && p.hash != args.TextHash:
		return nil // the text moved on: the job enqueued for it drafts
	case !args.Force && p.hash == p.storedHash() && p.status() != StatusFailed:
		return nil // already drafted for this text
	}

	vocab, err := vocabulary(ctx, h, cfg)
	if err != nil {
		return err
	}
	o := outcome{hash: p.hash, model: cfg.model, at: t.now()}
	var res *draftResult
	if len(vocab) == 0 {
		err = &draftError{msg: "there is no vocabulary to choose tags from: set the vocabulary setting or give some passages motifs"}
	} else {
		res, err = cfg.drafter.Draft(ctx, draftRequest{Text: p.text, Vocabulary: vocab, MaxTags: cfg.maxTags})
	}
	if err != nil {
		var de *draftError
		if !errors.As(err, &de) {
			de = &draftError{msg: err.Error(), retryable: true, cause: err}
		}
		// The host says which attempt is its last; MaxAttempts when it
		// does not.
		limit := cmp.Or(j.MaxAttempts, MaxAttempts)
		err = fmt.Errorf("aitags: drafting tags for entry %s (attempt %d of %d): %w", e.ID, j.Attempt, limit, err)
		if de.retryable && j.Attempt < limit {
			return err
		}
		o.failure = de.msg
		t.log.Error("aitags: drafting tags failed; recorded on the entry", "entry", e.ID, "attempt", j.Attempt,
			"retryable", de.retryable, "error", de.msg)
		if rerr := t.record(ctx, h, e, o); rerr != nil {
			return rerr
		}
		if !de.retryable {
			return sdk.Permanent(err)
		}
		return err // the last attempt: the host keeps the job as failed
	}
	if res.Model != "" {
		o.model = res.Model
	}
	o.tags = selectTags(res.Tags, vocab, cfg.maxTags)
	return t.record(ctx, h, e, o)
}

// record saves the outcome into the entry's tag review, as a draft based
// on the revision read. When an editor saved in between (a conflict), it
// reads the entry again and applies the outcome to what the editor saved,
// unless the text changed (then the newer job records its own outcome).
func (t *tagger) record(ctx context.Context, h host, e *sdk.Entry, o outcome) error {
	msg := fmt.Sprintf("aitags: %d tag suggestions drafted by %s", len(o.tags), o.model)
	if o.failure != "" {
		msg = "aitags: tag drafting failed"
	}
	id := e.ID
	for conflicts := 0; ; conflicts++ {
		p := readPassage(e)
		if p.hash != o.hash {
			return nil
		}
		_, diags, err := h.SaveDraft(ctx, sdk.Draft{
			EntryID: e.ID, Fields: withReview(e.Fields, o.apply(p)), BaseRevisionID: e.RevisionID, Message: msg,
		})
		switch {
		case err == nil && diags.HasError():
			// The same review would be refused again.
			return sdk.Permanent(fmt.Errorf("aitags: the host refused the tag review of entry %s: %w", e.ID, diags))
		case err == nil:
			return nil
		case !errors.Is(err, sdk.ErrConflict) || conflicts >= maxConflicts:
			return fmt.Errorf("aitags: saving the tag review of entry %s: %w", e.ID, err)
		}
		if e, err = h.GetEntry(ctx, id, false); err != nil {
			if errors.Is(err, sdk.ErrNotFound) {
				return nil
			}
			return fmt.Errorf("aitags: reading entry %s again after a conflict: %w", id, err)
		}
	}
}
