package entries

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/auth"
	"github.com/inklingcms/inkling/engine/registry"
	"github.com/inklingcms/inkling/engine/store"
	"github.com/uptrace/bun"
)

// Authorizer decides whether a principal may act on a content type.
type Authorizer interface {
	Require(ctx context.Context, p auth.Principal, action auth.Action, typeKey string) error
}

// Types resolves content types.
type Types interface {
	Get(ctx context.Context, key string) (*registry.Type, error)
}

// Service performs lifecycle actions on entries.
type Service struct {
	db        *store.DB
	types     Types
	authz     Authorizer
	renderer  *contenttypes.Renderer
	now       func() time.Time
	newID     func() string
	hooks     Hooks
	events    Events
	gate      PublishGate
	scheduler Scheduler
	cache     LocalCache
}

// Options configure a Service; nil fields take defaults.
type Options struct {
	Now      func() time.Time
	Renderer *contenttypes.Renderer
	Hooks    Hooks  // plugin save hooks; nil: none
	Events   Events // lifecycle events; nil: none recorded
	// PublishGate may refuse publishing (workflow approval); nil: none.
	PublishGate PublishGate
	// Scheduler enqueues schedule jobs; nil: only the sweeper runs them.
	Scheduler Scheduler
	// Cache is this process's response cache; nil: none.
	Cache LocalCache
}

// New returns a Service.
func New(db *store.DB, types Types, authz Authorizer, opts *Options) *Service {
	s := &Service{db: db, types: types, authz: authz, now: time.Now,
		newID: func() string { return uuid.Must(uuid.NewV7()).String() }}
	if opts != nil && opts.Now != nil {
		s.now = opts.Now
	}
	// Databases keep microseconds; so do we, so a returned entry equals a
	// reloaded one.
	base := s.now
	s.now = func() time.Time { return base().UTC().Truncate(time.Microsecond) }
	if opts != nil {
		s.hooks, s.events, s.gate, s.scheduler, s.cache = opts.Hooks, opts.Events, opts.PublishGate, opts.Scheduler, opts.Cache
	}
	if opts != nil && opts.Renderer != nil {
		s.renderer = opts.Renderer
	} else {
		s.renderer = contenttypes.NewRenderer()
	}
	return s
}

func (s *Service) loadEntry(ctx context.Context, db bun.IDB, id string) (*Entry, error) {
	e := new(Entry)
	q := db.NewSelect().Model(e).Where("id = ?", id)
	if _, ok := db.(bun.Tx); ok && s.db.Backend == store.Postgres {
		q = q.For("UPDATE")
	}
	err := q.Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.New(apperr.NotFound, "no entry %s", id)
	}
	if err != nil {
		return nil, fmt.Errorf("error loading entry %s: %w", id, err)
	}
	return e, nil
}

func (s *Service) loadRevision(ctx context.Context, db bun.IDB, entryID, revID string) (*Revision, error) {
	r := new(Revision)
	err := db.NewSelect().Model(r).Where("id = ? AND entry_id = ?", revID, entryID).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.New(apperr.NotFound, "entry %s has no revision %s", entryID, revID)
	}
	if err != nil {
		return nil, fmt.Errorf("error loading revision %s: %w", revID, err)
	}
	return r, nil
}

// Get returns an entry with its latest revision.
func (s *Service) Get(ctx context.Context, actor auth.Principal, id string) (*Draft, error) {
	e, err := s.loadEntry(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	if err := s.authz.Require(ctx, actor, auth.ActEntriesRead, e.TypeKey); err != nil {
		return nil, err
	}
	d := &Draft{Entry: e}
	if e.LatestRevisionID != nil {
		if d.Revision, err = s.loadRevision(ctx, s.db, e.ID, *e.LatestRevisionID); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// ListParams filter the management listing.
type ListParams struct {
	Type   string // required
	Parent string // page children of this entry id
	After  string // cursor: entries with id greater than this
	Limit  int    // default 50, max 200
}

// List lists entries of a type (drafts and live), oldest first by id.
func (s *Service) List(ctx context.Context, actor auth.Principal, p ListParams) ([]Entry, error) {
	if _, err := s.types.Get(ctx, p.Type); err != nil {
		return nil, err
	}
	if err := s.authz.Require(ctx, actor, auth.ActEntriesRead, p.Type); err != nil {
		return nil, err
	}
	if p.Limit <= 0 {
		p.Limit = 50
	}
	p.Limit = min(p.Limit, 200)
	var out []Entry
	q := s.db.NewSelect().Model(&out).Where("type_key = ?", p.Type).OrderExpr("id ASC").Limit(int64(p.Limit))
	if p.Parent != "" {
		q = q.Where("parent_id = ?", p.Parent)
	}
	if p.After != "" {
		q = q.Where("id > ?", p.After)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("error listing entries: %w", err)
	}
	return out, nil
}

// Revisions lists an entry's revisions, newest first.
func (s *Service) Revisions(ctx context.Context, actor auth.Principal, entryID string) ([]Revision, error) {
	e, err := s.loadEntry(ctx, s.db, entryID)
	if err != nil {
		return nil, err
	}
	if err := s.authz.Require(ctx, actor, auth.ActEntriesRead, e.TypeKey); err != nil {
		return nil, err
	}
	var out []Revision
	if err := s.db.NewSelect().Model(&out).Where("entry_id = ?", entryID).OrderExpr("number DESC").Scan(ctx); err != nil {
		return nil, fmt.Errorf("error listing revisions of %s: %w", entryID, err)
	}
	return out, nil
}

// Revision returns one revision of an entry.
func (s *Service) Revision(ctx context.Context, actor auth.Principal, entryID, revID string) (*Revision, error) {
	e, err := s.loadEntry(ctx, s.db, entryID)
	if err != nil {
		return nil, err
	}
	if err := s.authz.Require(ctx, actor, auth.ActEntriesRead, e.TypeKey); err != nil {
		return nil, err
	}
	return s.loadRevision(ctx, s.db, entryID, revID)
}

func strptr(s string) *string { return &s }
