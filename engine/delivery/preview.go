package delivery

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/preview"
	"github.com/uptrace/bun"
)

// Preview returns a draft (or one revision) of an entry as the delivery API
// would return it once published, for the holder of a preview token. The
// entry addressed by idOrSlug must be the one the token names. Rich text
// is rendered at request time; references expand to published entries.
func (s *Service) Preview(ctx context.Context, gq GetQuery, c preview.Claims) (*Item, error) {
	t, err := s.types.Get(ctx, gq.Type)
	if err != nil {
		return nil, err
	}
	if err := checkShape(t, gq); err != nil {
		return nil, err
	}
	var e struct {
		ID               string  `bun:"id"`
		Slug             string  `bun:"slug"`
		URLPath          *string `bun:"url_path"`
		ParentID         *string `bun:"parent_id"`
		LatestRevisionID *string `bun:"latest_revision_id"`
	}
	err = s.db.NewSelect().Table("entries").Column("id", "slug", "url_path", "parent_id", "latest_revision_id").
		Where("id = ? AND type_key = ?", c.EntryID, t.Key).Scan(ctx, &e)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.New(apperr.NotFound, "the entry of this preview token no longer exists")
	}
	if err != nil {
		return nil, fmt.Errorf("error loading preview entry: %w", err)
	}
	revID := c.RevisionID
	if revID == "" && e.LatestRevisionID != nil {
		revID = *e.LatestRevisionID
	}
	var rev struct {
		Title  string `bun:"title"`
		Slug   string `bun:"slug"`
		Fields []byte `bun:"fields"`
	}
	var created bun.NullTime
	err = s.db.NewSelect().Table("revisions").Column("title", "slug", "fields").ColumnExpr("created_at").
		Where("id = ? AND entry_id = ?", revID, e.ID).Scan(ctx, &rev.Title, &rev.Slug, &rev.Fields, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.New(apperr.NotFound, "the revision of this preview token no longer exists")
	}
	if err != nil {
		return nil, fmt.Errorf("error loading preview revision: %w", err)
	}
	if gq.IDOrSlug != e.ID && gq.IDOrSlug != rev.Slug && gq.IDOrSlug != e.Slug {
		return nil, apperr.New(apperr.Forbidden, "this preview token is for another entry")
	}
	values, err := contenttypes.DecodeValues(rev.Fields)
	if err != nil {
		return nil, fmt.Errorf("error decoding revision %s: %w", revID, err)
	}
	rendered, err := marshalJSON(t.Render(t.Public(values), s.renderer))
	if err != nil {
		return nil, err
	}
	it := Item{ID: e.ID, Type: t.Key, Title: rev.Title, Slug: rev.Slug, URLPath: e.URLPath, ParentID: e.ParentID,
		FirstPublishedAt: created.Time.UTC(), PublishedAt: created.Time.UTC(), Fields: rendered}
	items := []Item{it}
	if err := s.shape(ctx, t, items, gq.Fields, gq.Expand); err != nil {
		return nil, err
	}
	return &items[0], nil
}
