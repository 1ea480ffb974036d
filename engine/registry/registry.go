// Package registry stores content types. Types are data: plugins (and, before
// the plugin host, Go code) declare them with Register, the registry validates
// them, stores them in content_types with a schema hash and a version, and
// serves them to the rest of the engine from memory.
//
// Register is the API the plugin host feeds: one call per declared type, with
// the plugin's name as Source. A changed definition is applied when the change
// is additive and refused with the list of destructive changes otherwise.
package registry

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/cache"
	"github.com/inklingcms/inkling/engine/projection"
	"github.com/inklingcms/inkling/engine/store"
	"github.com/uptrace/bun"
)

// Type is a registered content type.
type Type struct {
	contenttypes.ContentType
	Hash      string    `json:"schema_hash"`
	Version   int       `json:"version"`
	Source    string    `json:"source"`
	UpdatedAt time.Time `json:"updated_at"`
}

type row struct {
	bun.BaseModel `bun:"table:content_types"`
	Key           string          `bun:"key,pk"`
	Label         string          `bun:"label"`
	Definition    json.RawMessage `bun:"definition"`
	SchemaHash    string          `bun:"schema_hash"`
	Version       int             `bun:"version"`
	Source        string          `bun:"source"`
	CreatedAt     time.Time       `bun:"created_at"`
	UpdatedAt     time.Time       `bun:"updated_at"`
}

func (r *row) toType() (*Type, error) {
	var ct contenttypes.ContentType
	if err := json.Unmarshal(r.Definition, &ct); err != nil {
		return nil, fmt.Errorf("error decoding content type %s: %w", r.Key, err)
	}
	return &Type{ContentType: ct, Hash: r.SchemaHash, Version: r.Version, Source: r.Source, UpdatedAt: r.UpdatedAt}, nil
}

// Registry is the content type registry. It is safe for concurrent use.
type Registry struct {
	db       *store.DB
	now      func() time.Time
	renderer *contenttypes.Renderer

	mu    sync.RWMutex
	types map[string]*Type
}

// New returns a registry backed by db. Call Load to read stored types.
func New(db *store.DB) *Registry {
	return &Registry{db: db, now: time.Now, types: map[string]*Type{}, renderer: contenttypes.NewRenderer()}
}

// Load reads every stored type into memory.
func (r *Registry) Load(ctx context.Context) error {
	var rows []row
	if err := r.db.NewSelect().Model(&rows).Scan(ctx); err != nil {
		return fmt.Errorf("error loading content types: %w", err)
	}
	types := make(map[string]*Type, len(rows))
	for i := range rows {
		t, err := rows[i].toType()
		if err != nil {
			return err
		}
		types[t.Key] = t
	}
	r.mu.Lock()
	r.types = types
	r.mu.Unlock()
	return nil
}

// RegisterOptions qualify a registration.
type RegisterOptions struct {
	// Source names who declares the type: "builtin" or a plugin name. A type
	// belongs to its first source; another source may not redefine it.
	Source string
	// AllowDestructive applies destructive changes (removed fields, changed
	// kinds...). Only an upgrade path that migrates the data sets it.
	AllowDestructive bool
}

// Result reports what Register did.
type Result struct {
	Type    *Type
	Created bool
	Changed bool
	Changes []contenttypes.Change
}

// Register validates ct and stores it (creating it, or updating it when the
// definition changed additively).
func (r *Registry) Register(ctx context.Context, ct contenttypes.ContentType, opts *RegisterOptions) (*Result, error) {
	src := "builtin"
	allowDestructive := false
	if opts != nil {
		if opts.Source != "" {
			src = opts.Source
		}
		allowDestructive = opts.AllowDestructive
	}
	if diags := ct.Validate(); diags.HasError() {
		return nil, apperr.Validation(fmt.Sprintf("content type %q is invalid", ct.Key), diags)
	}
	def, err := json.Marshal(ct)
	if err != nil {
		return nil, fmt.Errorf("error encoding content type %s: %w", ct.Key, err)
	}
	hash := ct.Hash()
	res := &Result{}
	err = r.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := r.now().UTC()
		old := new(row)
		q := tx.NewSelect().Model(old).Where("key = ?", ct.Key)
		if r.db.Backend == store.Postgres {
			q = q.For("UPDATE") // SQLite transactions are serialised (BEGIN IMMEDIATE)
		}
		err := q.Scan(ctx)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			nr := &row{Key: ct.Key, Label: ct.Label, Definition: def, SchemaHash: hash, Version: 1, Source: src, CreatedAt: now, UpdatedAt: now}
			if _, err := tx.NewInsert().Model(nr).Exec(ctx); err != nil {
				return fmt.Errorf("error storing content type %s: %w", ct.Key, err)
			}
			res.Created, res.Changed = true, true
			res.Type = &Type{ContentType: ct, Hash: hash, Version: 1, Source: src, UpdatedAt: now}
			return nil
		case err != nil:
			return fmt.Errorf("error loading content type %s: %w", ct.Key, err)
		}
		if old.Source != src {
			return apperr.New(apperr.Conflict, "content type %q belongs to %q; %q may not redefine it", ct.Key, old.Source, src)
		}
		oldType, err := old.toType()
		if err != nil {
			return err
		}
		if old.SchemaHash == hash {
			res.Type = oldType
			return nil
		}
		res.Changes = contenttypes.Diff(&oldType.ContentType, &ct)
		var destructive []string
		for _, c := range res.Changes {
			if c.Destructive {
				destructive = append(destructive, fmt.Sprintf("%s %s (%s)", c.Path, c.Op, c.Detail))
			}
		}
		if len(destructive) > 0 && !allowDestructive {
			sort.Strings(destructive)
			return apperr.New(apperr.Conflict, "content type %q: refusing destructive changes: %s; migrate the data with an upgrade hook (see docs/plugins.md)",
				ct.Key, strings.Join(destructive, "; "))
		}
		version := old.Version + 1
		if _, err := tx.NewUpdate().Model((*row)(nil)).
			Set("label = ?", ct.Label).Set("definition = ?", string(def)).Set("schema_hash = ?", hash).
			Set("version = ?", version).Set("updated_at = ?", now).
			Where("key = ?", ct.Key).Exec(ctx); err != nil {
			return fmt.Errorf("error updating content type %s: %w", ct.Key, err)
		}
		if projection.PrivateChanged(&oldType.ContentType, &ct) {
			// What delivery may show changed: render the live documents again
			// (and their cached responses go with the type's invalidation).
			ids, err := projection.RenderDocs(ctx, tx, &ct, r.renderer)
			if err != nil {
				return err
			}
			tags := []string{cache.TypeTag(ct.Key)}
			for _, id := range ids {
				tags = append(tags, cache.EntryTag(id))
			}
			if err := cache.RecordTx(ctx, tx, tags...); err != nil {
				return err
			}
		}
		if projection.IndexedChanged(&oldType.ContentType, &ct) {
			// Entries published before the change must be filterable by
			// the newly indexed fields (and not by the dropped ones).
			if _, err := projection.Rebuild(ctx, tx, &ct); err != nil {
				return err
			}
			if err := cache.RecordTx(ctx, tx, cache.IndexTag(ct.Key)); err != nil {
				return err
			}
		}
		res.Changed = true
		res.Type = &Type{ContentType: ct, Hash: hash, Version: version, Source: src, UpdatedAt: now}
		return nil
	})
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.types[ct.Key] = res.Type
	r.mu.Unlock()
	return res, nil
}

// Get returns the type with key. A type another instance registered after
// Load is read from the database.
func (r *Registry) Get(ctx context.Context, key string) (*Type, error) {
	r.mu.RLock()
	t, ok := r.types[key]
	r.mu.RUnlock()
	if ok {
		return t, nil
	}
	rw := new(row)
	err := r.db.NewSelect().Model(rw).Where("key = ?", key).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.New(apperr.NotFound, "unknown content type %q", key)
	}
	if err != nil {
		return nil, fmt.Errorf("error loading content type %s: %w", key, err)
	}
	t, err = rw.toType()
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.types[key] = t
	r.mu.Unlock()
	return t, nil
}

// Cached returns a type from memory only (no I/O), for hot read paths.
func (r *Registry) Cached(key string) (*Type, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	t, ok := r.types[key]
	return t, ok
}

// List returns every type in memory, sorted by key.
func (r *Registry) List() []*Type {
	r.mu.RLock()
	out := make([]*Type, 0, len(r.types))
	for _, t := range r.types {
		out = append(out, t)
	}
	r.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}
