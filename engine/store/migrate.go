package store

import (
	"context"
	"fmt"
	"io/fs"

	"github.com/inklingcms/inkling/migrations"
	"github.com/uptrace/bun/migrate"
)

// MigrationResult reports what Migrate applied.
type MigrationResult struct {
	Applied []string // names of the migrations applied by this call
}

func (db *DB) migrations() (*migrate.Migrations, error) {
	var sub fs.FS
	var err error
	switch db.Backend {
	case Postgres:
		sub, err = fs.Sub(migrations.Postgres, "postgres")
	default:
		sub, err = fs.Sub(migrations.SQLite, "sqlite")
	}
	if err != nil {
		return nil, err
	}
	m := migrate.NewMigrations()
	if err := m.Discover(sub); err != nil {
		return nil, fmt.Errorf("error reading migrations: %w", err)
	}
	return m, nil
}

// Migrate applies every pending migration of the database's dialect. It takes
// the migration lock (a row in bun_migration_locks), so several processes
// starting at once apply each migration once.
func (db *DB) Migrate(ctx context.Context) (MigrationResult, error) {
	var res MigrationResult
	ms, err := db.migrations()
	if err != nil {
		return res, err
	}
	m := migrate.NewMigrator(db.DB, ms, migrate.WithMarkAppliedOnSuccess(true))
	if err := m.Init(ctx); err != nil {
		return res, fmt.Errorf("error initialising migration tables: %w", err)
	}
	if err := lockWithRetry(ctx, m); err != nil {
		return res, err
	}
	defer m.Unlock(context.WithoutCancel(ctx)) //nolint:errcheck
	group, err := m.Migrate(ctx)
	if err != nil {
		return res, fmt.Errorf("error applying migrations: %w", err)
	}
	for _, mg := range group.Migrations {
		res.Applied = append(res.Applied, mg.Name+"_"+mg.Comment)
	}
	return res, nil
}

// Pending lists migrations not applied yet.
func (db *DB) Pending(ctx context.Context) ([]string, error) {
	ms, err := db.migrations()
	if err != nil {
		return nil, err
	}
	m := migrate.NewMigrator(db.DB, ms)
	if err := m.Init(ctx); err != nil {
		return nil, fmt.Errorf("error initialising migration tables: %w", err)
	}
	st, err := m.MigrationsWithStatus(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, mg := range st.Unapplied() {
		out = append(out, mg.Name+"_"+mg.Comment)
	}
	return out, nil
}
