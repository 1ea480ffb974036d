package entries

import (
	"context"
	"encoding/json"

	"github.com/google/uuid"
	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/auth"
	"github.com/inklingcms/inkling/engine/cache"
	"github.com/inklingcms/inkling/engine/registry"
	"github.com/uptrace/bun"
)

// HookInput is what save hooks see: the prepared (normalised, block ids
// assigned) values of the revision about to be written.
type HookInput struct {
	Actor   auth.Principal
	Type    string
	EntryID string // empty on create
	Title   string
	Slug    string
	Fields  json.RawMessage
}

// Hooks runs plugin save hooks. BeforeSave runs the before_save hooks (which
// may return transformed fields; nil means unchanged) and then the validate
// hooks. It is called before the save's transaction opens: plugins are
// never called while a transaction is open.
type Hooks interface {
	BeforeSave(ctx context.Context, in HookInput) (json.RawMessage, contenttypes.Diagnostics, error)
}

// Event names delivered after commit.
const (
	EventAfterSave      = "after_save"
	EventAfterPublish   = "after_publish"
	EventAfterUnpublish = "after_unpublish"
)

// Event is a lifecycle event recorded in the transaction of its action and
// delivered after commit (by the job queue, with retries).
type Event struct {
	ID         string         `json:"id"` // stable across retries
	Name       string         `json:"name"`
	EntryID    string         `json:"entry_id"`
	Type       string         `json:"type"`
	RevisionID string         `json:"revision_id,omitempty"`
	Actor      auth.Principal `json:"actor"`
}

// Events records events inside the action's transaction, so a crash loses
// neither the change nor its follow-up work.
type Events interface {
	EnqueueTx(ctx context.Context, tx bun.Tx, ev Event) error
}

func (s *Service) emit(ctx context.Context, tx bun.Tx, name string, actor auth.Principal, e *Entry, revID string) error {
	if s.events == nil {
		return nil
	}
	return s.events.EnqueueTx(ctx, tx, Event{ID: uuid.Must(uuid.NewV7()).String(), Name: name, EntryID: e.ID,
		Type: e.TypeKey, RevisionID: revID, Actor: actor})
}

// runHooks lets plugins transform and validate prepared content. When a
// hook changes the fields they are prepared again, so a plugin can never
// store what the content type does not allow.
func (s *Service) runHooks(ctx context.Context, db bun.IDB, actor auth.Principal, t *registry.Type, entryID string, c *content) (*content, error) {
	if s.hooks == nil {
		return c, nil
	}
	fields, diags, err := s.hooks.BeforeSave(ctx, HookInput{Actor: actor, Type: t.Key, EntryID: entryID, Title: c.title, Slug: c.slug, Fields: c.raw})
	if err != nil {
		return nil, err
	}
	if len(fields) > 0 {
		nc, err := s.prepare(ctx, db, t, c.title, c.slug, fields, false)
		if err != nil {
			return nil, err
		}
		c = nc
	}
	if diags.HasError() {
		return nil, apperr.Validation("the entry is invalid", diags.Errors())
	}
	return c, nil
}

// PublishGate may refuse a publish (a workflow that requires approval). It
// runs inside the publish transaction and must only touch the database.
// bypassed reports an admin override, which Publish audits.
type PublishGate interface {
	CheckPublish(ctx context.Context, tx bun.Tx, actor auth.Principal, e *Entry, revisionID string) (bypassed bool, err error)
}

// LocalCache is this process's response cache: after a commit, Publish and
// friends drop the affected tags at once, so this instance serves the new
// version immediately (others learn it through the invalidation relay).
type LocalCache interface {
	InvalidateTags(ctx context.Context, tags ...string) error
}

// invalidateTx records the cache tags of an action inside its transaction
// (the crash-safe record every instance's relay applies). It must be the
// last statement before commit.
func invalidateTx(ctx context.Context, tx bun.Tx, tags []string) error {
	return cache.RecordTx(ctx, tx, tags...)
}

// invalidateLocal drops tags from this process's cache after commit.
func (s *Service) invalidateLocal(ctx context.Context, tags []string) {
	if s.cache != nil && len(tags) > 0 {
		_ = s.cache.InvalidateTags(context.WithoutCancel(ctx), tags...)
	}
}

func entryTags(e *Entry) []string { return []string{cache.EntryTag(e.ID), cache.TypeTag(e.TypeKey)} }
