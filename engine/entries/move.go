package entries

import (
	"context"
	"fmt"
	"strings"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/audit"
	"github.com/inklingcms/inkling/engine/auth"
	"github.com/inklingcms/inkling/engine/projection"
	"github.com/inklingcms/inkling/engine/store"
	"github.com/uptrace/bun"
)

// MoveInput places a page under a new parent (nil or "": root) at a
// position among its new siblings (nil: last; 0: first).
type MoveInput struct {
	ParentID *string `json:"parent_id"`
	Position *int    `json:"position,omitempty"`
}

// Move moves a page and its subtree. Paths, depths and URL paths of the
// whole subtree are rewritten in the same transaction.
func (s *Service) Move(ctx context.Context, actor auth.Principal, id string, in MoveInput) (*Draft, error) {
	var tags []string
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		// Lock the page and its new parent in id order, so two moves that
		// swap a parent and a child cannot deadlock.
		if s.db.Backend == store.Postgres {
			ids := []string{id}
			if in.ParentID != nil && *in.ParentID != "" {
				ids = append(ids, *in.ParentID)
			}
			if _, err := tx.NewSelect().Table("entries").Column("id").Where("id IN (?)", bun.List(ids)).
				OrderExpr("id").For("UPDATE").Exec(ctx); err != nil {
				return fmt.Errorf("error locking pages: %w", err)
			}
		}
		e, err := s.loadEntry(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := s.authz.Require(ctx, actor, auth.ActEntriesMove, e.TypeKey); err != nil {
			return err
		}
		if e.Path == "" {
			return apperr.New(apperr.Invalid, "entry %s is a %s, which is not a page; only pages move in the tree", e.ID, e.TypeKey)
		}
		var parent *Entry
		if in.ParentID != nil && *in.ParentID != "" {
			if parent, err = s.pageParent(ctx, tx, *in.ParentID); err != nil {
				return err
			}
			if strings.HasPrefix(parent.Path, e.Path) {
				return apperr.Validation("cannot move a page under itself", contenttypes.Diagnostics{{Severity: contenttypes.SeverityError,
					Path: "parent_id", Code: "cycle", Summary: "the new parent is the page itself or one of its descendants"}})
			}
		}
		oldPath, oldParent := e.Path, deref(e.ParentID)
		if parent != nil {
			e.ParentID = &parent.ID
		} else {
			e.ParentID = nil
		}
		setTreeColumns(e, parent)
		if err := s.checkSlugFree(ctx, tx, e.SlugScope, e.Slug, e.ID); err != nil {
			return err
		}
		// Order the new siblings, then insert e at the requested position.
		var sibs []Entry
		q := tx.NewSelect().Model(&sibs).Column("id").Where("id <> ?", e.ID).OrderExpr("sort_order ASC, id ASC")
		if parent == nil {
			q = q.Where("parent_id IS NULL AND slug_scope = ?", rootScope)
		} else {
			q = q.Where("parent_id = ?", parent.ID)
		}
		if err := q.Scan(ctx); err != nil {
			return fmt.Errorf("error loading siblings: %w", err)
		}
		pos := len(sibs)
		if in.Position != nil {
			if *in.Position < 0 {
				return apperr.Validation("invalid position", contenttypes.Diagnostics{{Severity: contenttypes.SeverityError,
					Path: "position", Code: contenttypes.CodeOutOfRange, Summary: "position must be 0 or more"}})
			}
			pos = min(*in.Position, len(sibs))
		}
		for i, sib := range sibs {
			order := i
			if i >= pos {
				order = i + 1
			}
			if _, err := tx.NewUpdate().Model((*Entry)(nil)).Set("sort_order = ?", order).Where("id = ?", sib.ID).Exec(ctx); err != nil {
				return fmt.Errorf("error reordering siblings: %w", err)
			}
		}
		e.SortOrder, e.UpdatedAt = pos, s.now().UTC()
		if _, err := tx.NewUpdate().Model(e).Column("parent_id", "path", "depth", "url_path", "slug_scope", "sort_order", "updated_at").
			WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("error moving %s: %w", e.ID, err)
		}
		if err := s.rewriteSubtree(ctx, tx, e, oldPath); err != nil {
			return err
		}
		if err := audit.Write(ctx, tx, audit.Record{Actor: actor, Action: "move", EntryID: e.ID, TypeKey: e.TypeKey, At: e.UpdatedAt,
			Data: map[string]any{"from_parent": oldParent, "to_parent": deref(e.ParentID), "position": pos}}); err != nil {
			return err
		}
		// Every page of the subtree has a new url_path.
		var sub []Entry
		if err := tx.NewSelect().Model(&sub).Column("id", "type_key").Where("path LIKE ? ESCAPE '\\'", escapeLike(e.Path)+"%").Scan(ctx); err != nil {
			return fmt.Errorf("error listing moved pages: %w", err)
		}
		for i := range sub {
			tags = append(tags, entryTags(&sub[i])...)
		}
		return invalidateTx(ctx, tx, tags)
	})
	if err != nil {
		return nil, err
	}
	s.invalidateLocal(ctx, tags)
	return s.Get(ctx, auth.System, id)
}

// Delete removes an entry with its revisions. A page with children is
// refused: move or delete the children first.
func (s *Service) Delete(ctx context.Context, actor auth.Principal, id string) error {
	var tags []string
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		e, err := s.loadEntry(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := s.authz.Require(ctx, actor, auth.ActEntriesDelete, e.TypeKey); err != nil {
			return err
		}
		n, err := tx.NewSelect().Table("entries").Where("parent_id = ?", e.ID).Count(ctx)
		if err != nil {
			return fmt.Errorf("error counting children: %w", err)
		}
		if n > 0 {
			return apperr.New(apperr.Conflict, "page %s has %d child pages; move or delete them first", e.ID, n)
		}
		if e.Live {
			if err := recordChange(ctx, tx, e, ChangeDeleted, s.now()); err != nil {
				return err
			}
		}
		// SQLite's FTS5 table has no foreign key to cascade.
		if err := projection.WriteSearch(ctx, tx, s.db.Backend == store.Postgres, e.TypeKey, e.ID, "", ""); err != nil {
			return err
		}
		// Revisions and index rows go by ON DELETE CASCADE.
		if _, err := tx.NewDelete().Model((*Entry)(nil)).Where("id = ?", e.ID).Exec(ctx); err != nil {
			return fmt.Errorf("error deleting %s: %w", e.ID, err)
		}
		if err := audit.Write(ctx, tx, audit.Record{Actor: actor, Action: "delete", EntryID: e.ID, TypeKey: e.TypeKey, At: s.now(),
			Data: map[string]any{"title": e.DraftTitle, "was_live": e.Live}}); err != nil {
			return err
		}
		tags = entryTags(e)
		return invalidateTx(ctx, tx, tags)
	})
	if err == nil {
		s.invalidateLocal(ctx, tags)
	}
	return err
}
