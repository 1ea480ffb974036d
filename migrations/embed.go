// Package migrations holds the SQL schema migrations of Inkling, one folder per
// dialect, embedded into the binary. They are applied by `inkling migrate` and
// at `inkling serve` start (engine/store.Migrate).
//
// File names follow bun/migrate: <14-digit version>_<name>.up.sql and
// .down.sql; statements inside one file are separated by `--bun:split`.
package migrations

import "embed"

// SQLite holds the migrations for the embedded SQLite database.
//
//go:embed sqlite/*.sql
var SQLite embed.FS

// Postgres holds the migrations for PostgreSQL.
//
//go:embed postgres/*.sql
var Postgres embed.FS
