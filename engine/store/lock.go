package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun/migrate"
)

// lockWithRetry waits (up to a minute) for another process that holds the
// migration lock, e.g. a second `serve` starting at the same moment.
func lockWithRetry(ctx context.Context, m *migrate.Migrator) error {
	deadline := time.Now().Add(time.Minute)
	for {
		err := m.Lock(ctx)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("error taking the migration lock (another process may be migrating; remove the row in bun_migration_locks if it crashed): %w", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}
