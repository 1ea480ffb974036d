package entries

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/audit"
	"github.com/inklingcms/inkling/engine/auth"
	"github.com/inklingcms/inkling/engine/failpoint"
	"github.com/inklingcms/inkling/engine/projection"
	"github.com/inklingcms/inkling/engine/store"
	"github.com/uptrace/bun"
)

// PublishInput selects the revision to publish (default: the latest).
type PublishInput struct {
	RevisionID string `json:"revision_id,omitempty"`
	Message    string `json:"message,omitempty"`

	scheduled bool // a due schedule: the gate was checked when it was made
}

// Publish makes a revision live: the revision's values become the entry's
// live fields and rendered delivery document, its indexed fields are
// projected, and the audit row is written, all in one transaction. The
// revision is validated again against the current content type, so a type
// change since the draft was saved cannot publish invalid content.
func (s *Service) Publish(ctx context.Context, actor auth.Principal, id string, in PublishInput) (*Draft, error) {
	var d *Draft
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		d, err = s.publishTx(ctx, tx, actor, id, in)
		failpoint.Inject("publish.before_commit")
		return err
	})
	if err != nil {
		return nil, err
	}
	failpoint.Inject("publish.after_commit")
	s.invalidateLocal(ctx, entryTags(d.Entry))
	if deref(d.LatestRevisionID) != d.Revision.ID {
		// The published revision is not the latest: show the latest draft.
		return s.Get(ctx, auth.System, id)
	}
	return d, nil
}

// publishTx is Publish inside tx.
func (s *Service) publishTx(ctx context.Context, tx bun.Tx, actor auth.Principal, id string, in PublishInput) (*Draft, error) {
	var d *Draft
	err := func() error {
		e, err := s.loadEntry(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := s.authz.Require(ctx, actor, auth.ActEntriesPublish, e.TypeKey); err != nil {
			return err
		}
		t, err := s.types.Get(ctx, e.TypeKey)
		if err != nil {
			return err
		}
		revID := in.RevisionID
		if revID == "" {
			revID = deref(e.LatestRevisionID)
		}
		rev, err := s.loadRevision(ctx, tx, e.ID, revID)
		if err != nil {
			return err
		}
		bypassed := false
		if s.gate != nil && !in.scheduled {
			if bypassed, err = s.gate.CheckPublish(ctx, tx, actor, e, rev.ID); err != nil {
				return err
			}
		}
		c, err := s.prepare(ctx, tx, t, rev.Title, rev.Slug, rev.Fields, false)
		if err != nil {
			return err
		}
		rendered, err := marshalJSON(t.Render(t.Public(c.values), s.renderer))
		if err != nil {
			return fmt.Errorf("error rendering entry %s: %w", e.ID, err)
		}
		now := s.now().UTC()
		oldPath, slugChanged := e.Path, e.Slug != c.slug
		if slugChanged {
			if err := s.checkSlugFree(ctx, tx, e.SlugScope, c.slug, e.ID); err != nil {
				return err
			}
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
		op := ChangeUpdated
		if !e.Live {
			op = ChangeCreated
		}
		e.Title, e.Fields, e.Rendered, e.Live, e.Expired = c.title, c.raw, rendered, true, false
		e.LiveRevisionID = &rev.ID
		e.HasUnpublishedChanges = deref(e.LatestRevisionID) != rev.ID
		if e.FirstPublishedAt == nil {
			e.FirstPublishedAt = &now
		}
		e.LastPublishedAt, e.UpdatedAt = &now, now
		if _, err := tx.NewUpdate().Model(e).Column("title", "slug", "url_path", "fields", "rendered", "live", "expired",
			"live_revision_id", "has_unpublished_changes", "first_published_at", "last_published_at", "updated_at").
			WherePK().Exec(ctx); err != nil {
			if store.IsUniqueViolation(err) {
				return slugTaken(c.slug)
			}
			return fmt.Errorf("error publishing entry %s: %w", e.ID, err)
		}
		if slugChanged && e.Path != "" {
			if err := s.rewriteSubtree(ctx, tx, e, oldPath); err != nil {
				return err
			}
		}
		failpoint.Inject("publish.after_entry_update")
		if err := s.project(ctx, tx, t.Key, e.ID, t.IndexEntries(c.values)); err != nil {
			return err
		}
		if err := projection.WriteSearch(ctx, tx, s.db.Backend == store.Postgres, t.Key, e.ID, c.title,
			projection.SearchText(&t.ContentType, t.Public(c.values))); err != nil {
			return err
		}
		if err := recordChange(ctx, tx, e, op, now); err != nil {
			return err
		}
		if bypassed {
			if err := audit.Write(ctx, tx, audit.Record{Actor: actor, Action: "publish_bypass_workflow", EntryID: e.ID,
				TypeKey: e.TypeKey, RevisionID: rev.ID, At: now}); err != nil {
				return err
			}
		}
		if err := audit.Write(ctx, tx, audit.Record{Actor: actor, Action: "publish", EntryID: e.ID, TypeKey: e.TypeKey,
			RevisionID: rev.ID, Data: messageData(in.Message), At: now}); err != nil {
			return err
		}
		failpoint.Inject("publish.after_audit")
		if err := s.emit(ctx, tx, EventAfterPublish, actor, e, rev.ID); err != nil {
			return err
		}
		failpoint.Inject("publish.after_jobs")
		d = &Draft{Entry: e, Revision: rev}
		return invalidateTx(ctx, tx, entryTags(e))
	}()
	return d, err
}

// marshalJSON encodes without HTML escaping: rendered documents are full of
// markup, and \u003c in every tag would only cost bytes on the wire.
func marshalJSON(v any) (json.RawMessage, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

func messageData(msg string) any {
	if msg == "" {
		return nil
	}
	return map[string]string{"message": msg}
}

// project replaces the index rows of a live entry.
func (s *Service) project(ctx context.Context, tx bun.IDB, typeKey, entryID string, idx []contenttypes.IndexEntry) error {
	return projection.Write(ctx, tx, typeKey, entryID, idx)
}

// Unpublish takes an entry offline. Its content and revisions stay; its
// index rows go, so delivery no longer finds it.
func (s *Service) Unpublish(ctx context.Context, actor auth.Principal, id string) (*Draft, error) {
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return s.unpublishTx(ctx, tx, actor, id, false)
	})
	if err != nil {
		return nil, err
	}
	d, err := s.Get(ctx, auth.System, id)
	if err == nil {
		s.invalidateLocal(ctx, entryTags(d.Entry))
	}
	return d, err
}

// unpublishTx is Unpublish inside tx; expired marks an expiry (expire_at).
func (s *Service) unpublishTx(ctx context.Context, tx bun.Tx, actor auth.Principal, id string, expired bool) error {
	{
		e, err := s.loadEntry(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := s.authz.Require(ctx, actor, auth.ActEntriesPublish, e.TypeKey); err != nil {
			return err
		}
		if !e.Live {
			return apperr.New(apperr.Conflict, "entry %s is not live", e.ID)
		}
		now := s.now().UTC()
		e.Live, e.HasUnpublishedChanges, e.UpdatedAt, e.Expired = false, true, now, expired
		if _, err := tx.NewUpdate().Model(e).Column("live", "has_unpublished_changes", "updated_at", "expired").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("error unpublishing %s: %w", e.ID, err)
		}
		if err := s.project(ctx, tx, e.TypeKey, e.ID, nil); err != nil {
			return err
		}
		if err := projection.WriteSearch(ctx, tx, s.db.Backend == store.Postgres, e.TypeKey, e.ID, "", ""); err != nil {
			return err
		}
		if err := recordChange(ctx, tx, e, ChangeDeleted, now); err != nil {
			return err
		}
		if err := audit.Write(ctx, tx, audit.Record{Actor: actor, Action: "unpublish", EntryID: e.ID, TypeKey: e.TypeKey,
			RevisionID: deref(e.LiveRevisionID), At: now}); err != nil {
			return err
		}
		if err := s.emit(ctx, tx, EventAfterUnpublish, actor, e, deref(e.LiveRevisionID)); err != nil {
			return err
		}
		return invalidateTx(ctx, tx, entryTags(e))
	}
}
