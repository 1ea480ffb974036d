package entries

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/audit"
	"github.com/inklingcms/inkling/engine/auth"
	"github.com/uptrace/bun"
)

// SaveInput is a new draft of an entry. Absent (or null) title, slug or
// fields keep the latest revision's value; Fields, when present, replaces
// all values.
type SaveInput struct {
	Title  *string         `json:"title,omitempty"`
	Slug   *string         `json:"slug,omitempty"`
	Fields json.RawMessage `json:"fields,omitempty"`
	// BaseRevisionID, when set, must be the entry's latest revision: a save
	// based on an older one is refused with a conflict instead of silently
	// overwriting someone else's edit.
	BaseRevisionID string `json:"base_revision_id,omitempty"`
	Message        string `json:"message,omitempty"`
	// Autosave coalesces: while the latest revision is an autosave by the
	// same author, further autosaves overwrite it, and the next explicit
	// save overwrites and finalises it, so history holds one revision per
	// editing session instead of one per keystroke pause.
	Autosave bool `json:"autosave,omitempty"`

	auditAction string // "save" unless set (revert)
	auditData   any
}

// Save writes a new revision. It never changes what is live: a live entry
// gets has_unpublished_changes; a never-published entry also takes the new
// title and slug on its row.
func (s *Service) Save(ctx context.Context, actor auth.Principal, id string, in SaveInput) (*Draft, error) {
	// Hooks run before the transaction, on values merged with the latest
	// revision as read then. If another save lands in between, the merge
	// base is stale: start again (hooks see the new base).
	for attempt := 1; ; attempt++ {
		d, err := s.save(ctx, actor, id, in)
		if errors.Is(err, errStaleBase) && attempt < 10 {
			select { // jitter, so racing savers do not collide again
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(time.Duration(rand.IntN(5*attempt)+1) * time.Millisecond):
			}
			continue
		}
		if errors.Is(err, errStaleBase) {
			return nil, apperr.New(apperr.Conflict, "entry %s is being saved concurrently; retry", id)
		}
		return d, err
	}
}

var errStaleBase = errors.New("latest revision changed during save")

func (s *Service) save(ctx context.Context, actor auth.Principal, id string, in SaveInput) (*Draft, error) {
	e, err := s.loadEntry(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	if err := s.authz.Require(ctx, actor, auth.ActEntriesUpdate, e.TypeKey); err != nil {
		return nil, err
	}
	if err := lockedByOther(e, actor, s.now()); err != nil {
		return nil, err
	}
	t, err := s.types.Get(ctx, e.TypeKey)
	if err != nil {
		return nil, err
	}
	latest, err := s.loadRevision(ctx, s.db, e.ID, deref(e.LatestRevisionID))
	if err != nil {
		return nil, err
	}
	if in.BaseRevisionID != "" && in.BaseRevisionID != latest.ID {
		return nil, staleBase(e.ID, in.BaseRevisionID, latest.ID)
	}
	title, slug, fields := latest.Title, latest.Slug, latest.Fields
	if in.Title != nil {
		title = *in.Title
	}
	if in.Slug != nil {
		slug = *in.Slug
	}
	if len(in.Fields) > 0 && string(bytes.TrimSpace(in.Fields)) != "null" {
		fields = in.Fields // null, like an absent member, keeps the values
	}
	c, err := s.prepare(ctx, s.db, t, title, slug, fields, false)
	if err != nil {
		return nil, err
	}
	if c, err = s.runHooks(ctx, s.db, actor, t, e.ID, c); err != nil {
		return nil, err
	}
	var d *Draft
	err = s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		e, err := s.loadEntry(ctx, tx, id)
		if err != nil {
			return err
		}
		if deref(e.LatestRevisionID) != latest.ID {
			if in.BaseRevisionID != "" {
				return staleBase(e.ID, in.BaseRevisionID, deref(e.LatestRevisionID))
			}
			return errStaleBase
		}
		if err := lockedByOther(e, actor, s.now()); err != nil {
			return err
		}
		// A slug another entry here already uses would only fail at publish;
		// say so now.
		if c.slug != latest.Slug {
			if err := s.checkSlugFree(ctx, tx, e.SlugScope, c.slug, e.ID); err != nil {
				return err
			}
		}
		now := s.now().UTC()
		var rev *Revision
		if latest.Autosave && deref(latest.AuthorID) == actor.ID && actor.ID != "" && deref(e.LiveRevisionID) != latest.ID {
			// Coalesce into the open autosave revision.
			rev = latest
			rev.Title, rev.Slug, rev.Fields, rev.SchemaHash, rev.Autosave, rev.UpdatedAt = c.title, c.slug, c.raw, t.Hash, in.Autosave, &now
			if in.Message != "" {
				rev.Message = in.Message
			}
			if _, err := tx.NewUpdate().Model(rev).Column("title", "slug", "fields", "schema_hash", "autosave", "updated_at", "message").
				WherePK().Exec(ctx); err != nil {
				return fmt.Errorf("error updating autosave revision: %w", err)
			}
		} else {
			rev = &Revision{ID: s.newID(), EntryID: e.ID, TypeKey: e.TypeKey, Number: latest.Number + 1, Title: c.title,
				Slug: c.slug, Fields: c.raw, SchemaHash: t.Hash, AuthorKind: string(actor.Kind), Message: in.Message,
				CreatedAt: now, Autosave: in.Autosave}
			if actor.ID != "" {
				rev.AuthorID = strptr(actor.ID)
			}
			if _, err := tx.NewInsert().Model(rev).Exec(ctx); err != nil {
				return fmt.Errorf("error inserting revision: %w", err)
			}
		}
		e.LatestRevisionID, e.DraftTitle, e.HasUnpublishedChanges, e.UpdatedAt = &rev.ID, c.title, true, now
		cols := []string{"latest_revision_id", "draft_title", "has_unpublished_changes", "updated_at"}
		if !e.Live {
			oldPath, slugChanged := e.Path, e.Slug != c.slug
			e.Title = c.title
			if slugChanged {
				e.Slug = c.slug
				if e.Path != "" {
					var parent *Entry
					if e.ParentID != nil {
						if parent, err = s.loadEntry(ctx, tx, *e.ParentID); err != nil {
							return err
						}
					}
					setTreeColumns(e, parent)
				}
			}
			cols = append(cols, "title", "slug", "url_path")
			if _, err := tx.NewUpdate().Model(e).Column(cols...).WherePK().Exec(ctx); err != nil {
				return fmt.Errorf("error updating entry: %w", err)
			}
			if slugChanged && e.Path != "" {
				if err := s.rewriteSubtree(ctx, tx, e, oldPath); err != nil {
					return err
				}
			}
		} else if _, err := tx.NewUpdate().Model(e).Column(cols...).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("error updating entry: %w", err)
		}
		action := "save"
		if in.auditAction != "" {
			action = in.auditAction
		} else if in.Autosave {
			action = "autosave"
		}
		if err := audit.Write(ctx, tx, audit.Record{Actor: actor, Action: action, EntryID: e.ID, TypeKey: e.TypeKey, RevisionID: rev.ID, At: now,
			Data: in.auditData}); err != nil {
			return err
		}
		if err := s.emit(ctx, tx, EventAfterSave, actor, e, rev.ID); err != nil {
			return err
		}
		d = &Draft{Entry: e, Revision: rev}
		return nil
	})
	return d, err
}

func staleBase(id, base, latest string) error {
	return apperr.New(apperr.Conflict, "entry %s changed since revision %s (latest is %s); reload and retry", id, base, latest)
}

func lockedByOther(e *Entry, actor auth.Principal, now time.Time) error {
	if lockHeld(e, now) && deref(e.LockedBy) != lockOwner(actor) {
		return apperr.New(apperr.Conflict, "entry %s is locked by %s until %s", e.ID, deref(e.LockedBy),
			e.LockExpiresAt.UTC().Format(time.RFC3339))
	}
	return nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
