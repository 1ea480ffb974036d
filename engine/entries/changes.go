package entries

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Change operations in the delivery changes feed.
const (
	ChangeCreated = "created" // first published
	ChangeUpdated = "updated" // published again
	ChangeDeleted = "deleted" // unpublished or deleted while live
)

type changeRow struct {
	bun.BaseModel `bun:"table:entry_changes"`
	EntryID       string    `bun:"entry_id"`
	TypeKey       string    `bun:"type_key"`
	Op            string    `bun:"op"`
	CreatedAt     time.Time `bun:"created_at"`
}

// recordChange appends to the changes feed inside the action's transaction.
func recordChange(ctx context.Context, tx bun.IDB, e *Entry, op string, at time.Time) error {
	if _, err := tx.NewInsert().Model(&changeRow{EntryID: e.ID, TypeKey: e.TypeKey, Op: op, CreatedAt: at}).Exec(ctx); err != nil {
		return fmt.Errorf("error recording change of %s: %w", e.ID, err)
	}
	return nil
}
