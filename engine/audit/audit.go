// Package audit records every lifecycle action (create, save, publish,
// unpublish, move, delete, ...) in audit_log, inside the transaction of the
// action it records, and reads the log back for the management API.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/inklingcms/inkling/engine/auth"
	"github.com/uptrace/bun"
)

// Entry is one audit log row.
type Entry struct {
	bun.BaseModel `bun:"table:audit_log"`
	ID            string          `bun:"id,pk" json:"id"`
	EntryID       *string         `bun:"entry_id" json:"entry_id,omitempty"`
	TypeKey       *string         `bun:"type_key" json:"type,omitempty"`
	Action        string          `bun:"action" json:"action"`
	ActorID       *string         `bun:"actor_id" json:"actor_id,omitempty"`
	ActorKind     string          `bun:"actor_kind" json:"actor_kind"`
	RevisionID    *string         `bun:"revision_id" json:"revision_id,omitempty"`
	Data          json.RawMessage `bun:"data" json:"data,omitempty"`
	CreatedAt     time.Time       `bun:"created_at" json:"created_at"`
}

// Record describes an action to log.
type Record struct {
	Actor      auth.Principal
	Action     string
	EntryID    string
	TypeKey    string
	RevisionID string
	Data       any // marshalled to JSON; nil for none
	At         time.Time
}

func ptr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Write inserts a record using db, which is normally the transaction of the
// action being recorded.
func Write(ctx context.Context, db bun.IDB, r Record) error {
	e := &Entry{ID: uuid.Must(uuid.NewV7()).String(), EntryID: ptr(r.EntryID), TypeKey: ptr(r.TypeKey),
		Action: r.Action, ActorID: ptr(r.Actor.ID), ActorKind: string(r.Actor.Kind), RevisionID: ptr(r.RevisionID),
		CreatedAt: r.At.UTC()}
	if e.ActorKind == "" {
		e.ActorKind = string(auth.KindSystem)
	}
	if r.Data != nil {
		b, err := json.Marshal(r.Data)
		if err != nil {
			return fmt.Errorf("error encoding audit data: %w", err)
		}
		e.Data = b
	}
	if _, err := db.NewInsert().Model(e).Exec(ctx); err != nil {
		return fmt.Errorf("error writing audit record %s: %w", r.Action, err)
	}
	return nil
}

// Query filters the log.
type Query struct {
	EntryID string
	Action  string
	Before  string // audit id cursor: rows older than this id
	Limit   int    // default 50, max 500
}

// List returns log rows, newest first.
func List(ctx context.Context, db bun.IDB, q Query) ([]Entry, error) {
	if q.Limit <= 0 {
		q.Limit = 50
	}
	q.Limit = min(q.Limit, 500)
	var out []Entry
	// Ids are UUIDv7 (time-ordered), so id order is time order and pages
	// on id never skip rows.
	sel := db.NewSelect().Model(&out).OrderExpr("id DESC").Limit(int64(q.Limit))
	if q.EntryID != "" {
		sel = sel.Where("entry_id = ?", q.EntryID)
	}
	if q.Action != "" {
		sel = sel.Where("action = ?", q.Action)
	}
	if q.Before != "" {
		sel = sel.Where("id < ?", q.Before)
	}
	if err := sel.Scan(ctx); err != nil {
		return nil, fmt.Errorf("error reading audit log: %w", err)
	}
	return out, nil
}
