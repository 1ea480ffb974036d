package entries

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

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
}

// Save writes a new revision. It never changes what is live: a live entry
// gets has_unpublished_changes; a never-published entry also takes the new
// title and slug on its row.
func (s *Service) Save(ctx context.Context, actor auth.Principal, id string, in SaveInput) (*Draft, error) {
	var d *Draft
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		e, err := s.loadEntry(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := s.authz.Require(ctx, actor, auth.ActEntriesUpdate, e.TypeKey); err != nil {
			return err
		}
		if e.Locked && (e.LockedBy == nil || *e.LockedBy != actor.ID) {
			return apperr.New(apperr.Conflict, "entry %s is locked by %s", e.ID, deref(e.LockedBy))
		}
		t, err := s.types.Get(ctx, e.TypeKey)
		if err != nil {
			return err
		}
		latest, err := s.loadRevision(ctx, tx, e.ID, deref(e.LatestRevisionID))
		if err != nil {
			return err
		}
		if in.BaseRevisionID != "" && in.BaseRevisionID != latest.ID {
			return apperr.New(apperr.Conflict, "entry %s changed since revision %s (latest is %s); reload and retry", e.ID, in.BaseRevisionID, latest.ID)
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
		c, err := s.prepare(ctx, tx, t, title, slug, fields, false)
		if err != nil {
			return err
		}
		now := s.now().UTC()
		rev := &Revision{ID: s.newID(), EntryID: e.ID, TypeKey: e.TypeKey, Number: latest.Number + 1, Title: c.title,
			Slug: c.slug, Fields: c.raw, SchemaHash: t.Hash, AuthorKind: string(actor.Kind), Message: in.Message, CreatedAt: now}
		if actor.ID != "" {
			rev.AuthorID = strptr(actor.ID)
		}
		if _, err := tx.NewInsert().Model(rev).Exec(ctx); err != nil {
			return fmt.Errorf("error inserting revision: %w", err)
		}
		e.LatestRevisionID, e.DraftTitle, e.HasUnpublishedChanges, e.UpdatedAt = &rev.ID, c.title, true, now
		cols := []string{"latest_revision_id", "draft_title", "has_unpublished_changes", "updated_at"}
		// A slug another entry here already uses would only fail at publish;
		// say so now.
		if c.slug != latest.Slug {
			if err := s.checkSlugFree(ctx, tx, e.SlugScope, c.slug, e.ID); err != nil {
				return err
			}
		}
		if !e.Live {
			oldPath, slugChanged := e.Path, e.Slug != c.slug
			e.Title = c.title
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
		if err := audit.Write(ctx, tx, audit.Record{Actor: actor, Action: "save", EntryID: e.ID, TypeKey: e.TypeKey, RevisionID: rev.ID, At: now}); err != nil {
			return err
		}
		d = &Draft{Entry: e, Revision: rev}
		return nil
	})
	return d, err
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
