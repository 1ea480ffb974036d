package entries

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/audit"
	"github.com/inklingcms/inkling/engine/auth"
	"github.com/inklingcms/inkling/engine/store"
	"github.com/uptrace/bun"
)

// CreateInput is a new entry.
type CreateInput struct {
	Type     string          `json:"type"`
	Title    string          `json:"title"`
	Slug     string          `json:"slug,omitempty"`   // default: from the title
	ParentID *string         `json:"parent_id"`        // pages only; nil: a root page
	Fields   json.RawMessage `json:"fields,omitempty"` // field values
	Message  string          `json:"message,omitempty"`
}

// Create creates an entry and its first revision (a draft; nothing is live).
func (s *Service) Create(ctx context.Context, actor auth.Principal, in CreateInput) (*Draft, error) {
	t, err := s.types.Get(ctx, in.Type)
	if err != nil {
		if apperr.Is(err, apperr.NotFound) {
			return nil, apperr.Validation("unknown content type", contenttypes.Diagnostics{{
				Severity: contenttypes.SeverityError, Path: "type", Code: "unknown_type",
				Summary: fmt.Sprintf("no content type %q", in.Type)}})
		}
		return nil, err
	}
	if err := s.authz.Require(ctx, actor, auth.ActEntriesCreate, t.Key); err != nil {
		return nil, err
	}
	c, err := s.prepare(ctx, s.db, t, in.Title, in.Slug, in.Fields, true)
	if err != nil {
		return nil, err
	}
	if c, err = s.runHooks(ctx, s.db, actor, t, "", c); err != nil {
		return nil, err
	}
	var d *Draft
	err = s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.now().UTC()
		e := &Entry{ID: s.newID(), TypeKey: t.Key, Title: c.title, DraftTitle: c.title, Slug: c.slug,
			HasUnpublishedChanges: true, CreatedAt: now, UpdatedAt: now}
		if actor.Kind == auth.KindUser || actor.UserID != "" {
			owner := actor.ID
			if actor.UserID != "" {
				owner = actor.UserID
			}
			e.OwnerID = &owner
		}
		if err := s.placeInTree(ctx, tx, t.IsPage, e, in.ParentID); err != nil {
			return err
		}
		if err := s.checkSlugFree(ctx, tx, e.SlugScope, e.Slug, ""); err != nil {
			return err
		}
		rev := &Revision{ID: s.newID(), EntryID: e.ID, TypeKey: t.Key, Number: 1, Title: c.title, Slug: c.slug,
			Fields: c.raw, SchemaHash: t.Hash, AuthorKind: string(actor.Kind), Message: in.Message, CreatedAt: now}
		if actor.ID != "" {
			rev.AuthorID = strptr(actor.ID)
		}
		e.LatestRevisionID = &rev.ID
		if _, err := tx.NewInsert().Model(e).Exec(ctx); err != nil {
			if store.IsUniqueViolation(err) {
				return slugTaken(e.Slug)
			}
			return fmt.Errorf("error inserting entry: %w", err)
		}
		if _, err := tx.NewInsert().Model(rev).Exec(ctx); err != nil {
			return fmt.Errorf("error inserting revision: %w", err)
		}
		if err := audit.Write(ctx, tx, audit.Record{Actor: actor, Action: "create", EntryID: e.ID, TypeKey: t.Key, RevisionID: rev.ID, At: now}); err != nil {
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

func slugTaken(slug string) error {
	return apperr.Validation("slug already in use", contenttypes.Diagnostics{{
		Severity: contenttypes.SeverityError, Path: "slug", Code: "slug_taken",
		Summary: fmt.Sprintf("slug %q is already used by another entry here", slug)}}).WithCode(apperr.Conflict)
}
