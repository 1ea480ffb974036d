package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"

	"github.com/inklingcms/inkling/engine/store"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/uptrace/bun"
)

// migrateLockKey is the PostgreSQL advisory lock that serialises River
// migrations between processes ("inkling.jobs.migrate").
const migrateLockKey int64 = 0x696e6b6a6f62 // "inkjob"

// Migrate applies River's pending migrations for the database's dialect. It
// is idempotent, and safe when several processes start at once: on
// PostgreSQL they take turns on an advisory lock (each migration runs in its
// own transaction, as River recommends); on SQLite all pending migrations run
// in one BEGIN IMMEDIATE transaction, which holds the file's write lock.
// Call it after the engine's own migrations.
func Migrate(ctx context.Context, db *store.DB) error {
	quiet := slog.New(slog.DiscardHandler) // rivermigrate logs every version at info
	switch db.Backend {
	case store.Postgres:
		m, err := rivermigrate.New(riverdatabasesql.New(db.DB.DB), &rivermigrate.Config{Logger: quiet})
		if err != nil {
			return fmt.Errorf("error preparing job migrations: %w", err)
		}
		err = withAdvisoryLock(ctx, db.DB.DB, migrateLockKey, func() error {
			_, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
			return err
		})
		if err != nil {
			return fmt.Errorf("error applying job migrations: %w", err)
		}
	case store.SQLite:
		m, err := rivermigrate.New(riversqlite.New(db.DB.DB), &rivermigrate.Config{Logger: quiet})
		if err != nil {
			return fmt.Errorf("error preparing job migrations: %w", err)
		}
		// The engine's SQLite pool begins transactions IMMEDIATE. MigrateTx is
		// deprecated because some PostgreSQL migrations cannot share a
		// transaction; SQLite's can, and one transaction is what makes two
		// processes migrating at once safe here.
		err = db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			_, err := m.MigrateTx(ctx, tx.Tx, rivermigrate.DirectionUp, nil) //nolint:staticcheck // see above
			return err
		})
		if err != nil {
			return fmt.Errorf("error applying job migrations: %w", err)
		}
	default:
		return fmt.Errorf("jobs: unsupported database backend %q", db.Backend)
	}
	return nil
}

// withAdvisoryLock runs fn while holding a transaction-scoped advisory lock
// on a dedicated connection of db (released when that transaction ends, even
// if this process dies); fn's own statements use other connections. With a
// pool of one connection it cannot do both, so it runs fn alone.
func withAdvisoryLock(ctx context.Context, db *sql.DB, key int64, fn func() error) error {
	if db.Stats().MaxOpenConnections == 1 {
		return fn()
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // only held the lock
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", key); err != nil {
		return fmt.Errorf("error taking the job migration lock: %w", err)
	}
	return fn()
}
