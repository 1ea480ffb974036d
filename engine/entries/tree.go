package entries

import (
	"context"
	"fmt"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/uptrace/bun"
)

// rootScope is the slug scope of root pages; non-page entries are scoped by
// type ("type:<key>") and child pages by their parent ("parent:<id>").
const rootScope = "root"

func typeScope(key string) string { return "type:" + key }

func parentScope(id string) string { return "parent:" + id }

// placeInTree sets the tree columns of a new entry e.
func (s *Service) placeInTree(ctx context.Context, tx bun.IDB, isPage bool, e *Entry, parentID *string) error {
	if !isPage {
		if parentID != nil && *parentID != "" {
			return apperr.Validation("not a page type", contenttypes.Diagnostics{{Severity: contenttypes.SeverityError,
				Path: "parent_id", Code: "not_a_page", Summary: fmt.Sprintf("entries of type %s are not pages and have no parent", e.TypeKey)}})
		}
		e.SlugScope = typeScope(e.TypeKey)
		return nil
	}
	e.SortOrder = 0
	var parent *Entry
	if parentID != nil && *parentID != "" {
		p, err := s.pageParent(ctx, tx, *parentID)
		if err != nil {
			return err
		}
		parent = p
		e.ParentID = &p.ID
	}
	setTreeColumns(e, parent)
	var maxOrder *int
	q := tx.NewSelect().Table("entries").ColumnExpr("max(sort_order)")
	if parent == nil {
		q = q.Where("parent_id IS NULL AND slug_scope = ?", rootScope)
	} else {
		q = q.Where("parent_id = ?", parent.ID)
	}
	if err := q.Scan(ctx, &maxOrder); err != nil {
		return fmt.Errorf("error reading sibling order: %w", err)
	}
	if maxOrder != nil {
		e.SortOrder = *maxOrder + 1
	}
	return nil
}

// setTreeColumns derives path, depth, url_path and slug scope of a page
// from its parent (nil: root).
func setTreeColumns(e *Entry, parent *Entry) {
	if parent == nil {
		e.Path = "/" + e.ID + "/"
		e.Depth = 1
		u := "/" + e.Slug + "/"
		e.URLPath = &u
		e.SlugScope = rootScope
		return
	}
	e.Path = parent.Path + e.ID + "/"
	e.Depth = parent.Depth + 1
	base := "/"
	if parent.URLPath != nil {
		base = *parent.URLPath
	}
	u := base + e.Slug + "/"
	e.URLPath = &u
	e.SlugScope = parentScope(parent.ID)
}

func (s *Service) pageParent(ctx context.Context, tx bun.IDB, id string) (*Entry, error) {
	p, err := s.loadEntry(ctx, tx, id)
	if apperr.Is(err, apperr.NotFound) {
		return nil, apperr.Validation("unknown parent", contenttypes.Diagnostics{{Severity: contenttypes.SeverityError,
			Path: "parent_id", Code: contenttypes.CodeInvalidReference, Summary: fmt.Sprintf("no entry %q", id)}})
	}
	if err != nil {
		return nil, err
	}
	if p.Path == "" {
		return nil, apperr.Validation("parent is not a page", contenttypes.Diagnostics{{Severity: contenttypes.SeverityError,
			Path: "parent_id", Code: "not_a_page", Summary: fmt.Sprintf("entry %s (%s) is not a page", p.ID, p.TypeKey)}})
	}
	return p, nil
}

func (s *Service) checkSlugFree(ctx context.Context, tx bun.IDB, scope, slug, exceptID string) error {
	q := tx.NewSelect().Table("entries").Where("slug_scope = ? AND slug = ?", scope, slug)
	if exceptID != "" {
		q = q.Where("id <> ?", exceptID)
	}
	taken, err := q.Exists(ctx)
	if err != nil {
		return fmt.Errorf("error checking slug: %w", err)
	}
	if taken {
		return slugTaken(slug)
	}
	return nil
}

// rewriteSubtree recomputes path, depth and url_path of every descendant of
// e after e's own columns changed (move, or a slug change). oldPath is e's
// path before the change.
func (s *Service) rewriteSubtree(ctx context.Context, tx bun.IDB, e *Entry, oldPath string) error {
	var desc []Entry
	if err := tx.NewSelect().Model(&desc).Column("id", "parent_id", "slug", "path", "depth", "url_path").
		Where("path LIKE ? ESCAPE '\\' AND id <> ?", escapeLike(oldPath)+"%", e.ID).OrderExpr("depth ASC").Scan(ctx); err != nil {
		return fmt.Errorf("error loading subtree of %s: %w", e.ID, err)
	}
	byID := map[string]*Entry{e.ID: e}
	for i := range desc {
		d := &desc[i]
		parent := byID[*d.ParentID]
		if parent == nil {
			return fmt.Errorf("subtree of %s is inconsistent at %s", e.ID, d.ID)
		}
		setTreeColumns(d, parent)
		byID[d.ID] = d
		if _, err := tx.NewUpdate().Model((*Entry)(nil)).Set("path = ?", d.Path).Set("depth = ?", d.Depth).
			Set("url_path = ?", d.URLPath).Where("id = ?", d.ID).Exec(ctx); err != nil {
			return fmt.Errorf("error updating %s: %w", d.ID, err)
		}
	}
	return nil
}

// escapeLike escapes LIKE wildcards. Paths hold uuids and slashes only, but
// the escape keeps the query correct whatever they hold.
func escapeLike(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' || s[i] == '_' || s[i] == '\\' {
			out = append(out, '\\')
		}
		out = append(out, s[i])
	}
	return string(out)
}
