package entries

import (
	"context"
	"fmt"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/auth"
)

// Revert creates a new revision (a draft) with the content of an older one.
// History is never rewritten; publishing the result is a separate step.
func (s *Service) Revert(ctx context.Context, actor auth.Principal, id, revID string) (*Draft, error) {
	old, err := s.Revision(ctx, actor, id, revID)
	if err != nil {
		return nil, err
	}
	title, slug := old.Title, old.Slug
	return s.Save(ctx, actor, id, SaveInput{Title: &title, Slug: &slug, Fields: old.Fields,
		Message:     fmt.Sprintf("Revert to revision %d", old.Number),
		auditAction: "revert", auditData: map[string]any{"from_revision": old.ID, "from_number": old.Number}})
}

// Diff is the difference between two revisions of an entry.
type Diff struct {
	From    *Revision                  `json:"from"`
	To      *Revision                  `json:"to"`
	Title   *contenttypes.ValueChange  `json:"title,omitempty"`
	Slug    *contenttypes.ValueChange  `json:"slug,omitempty"`
	Changes []contenttypes.ValueChange `json:"changes"`
}

// Special revision names for Compare.
const (
	RevLive   = "live"
	RevLatest = "latest"
)

// Compare diffs two revisions of an entry (ids, or "live" and "latest";
// defaults: live → latest, i.e. what publishing would change). Blocks are
// matched by id: moved, added, removed and edited blocks are told apart.
func (s *Service) Compare(ctx context.Context, actor auth.Principal, id, from, to string) (*Diff, error) {
	e, err := s.loadEntry(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	if err := s.authz.Require(ctx, actor, auth.ActEntriesRead, e.TypeKey); err != nil {
		return nil, err
	}
	resolve := func(name, def string) (*Revision, error) {
		if name == "" {
			name = def
		}
		switch name {
		case RevLive:
			if e.LiveRevisionID == nil {
				return nil, apperr.New(apperr.Invalid, "entry %s has never been published: nothing live to compare", id)
			}
			name = *e.LiveRevisionID
		case RevLatest:
			name = deref(e.LatestRevisionID)
		}
		return s.loadRevision(ctx, s.db, id, name)
	}
	a, err := resolve(from, RevLive)
	if err != nil {
		return nil, err
	}
	b, err := resolve(to, RevLatest)
	if err != nil {
		return nil, err
	}
	t, err := s.types.Get(ctx, e.TypeKey)
	if err != nil {
		return nil, err
	}
	va, err := contenttypes.DecodeValues(a.Fields)
	if err != nil {
		return nil, fmt.Errorf("error decoding revision %s: %w", a.ID, err)
	}
	vb, err := contenttypes.DecodeValues(b.Fields)
	if err != nil {
		return nil, fmt.Errorf("error decoding revision %s: %w", b.ID, err)
	}
	d := &Diff{From: a, To: b, Changes: t.DiffValues(va, vb)}
	if d.Changes == nil {
		d.Changes = []contenttypes.ValueChange{}
	}
	if a.Title != b.Title {
		d.Title = &contenttypes.ValueChange{Path: "title", Op: contenttypes.ChangeChanged, Old: a.Title, New: b.Title}
	}
	if a.Slug != b.Slug {
		d.Slug = &contenttypes.ValueChange{Path: "slug", Op: contenttypes.ChangeChanged, Old: a.Slug, New: b.Slug}
	}
	return d, nil
}
