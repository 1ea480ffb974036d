// Package store opens Inkling's database through uptrace/bun and applies the
// schema migrations. Two dialects are supported: SQLite (modernc.org/sqlite,
// the embedded default) and PostgreSQL (jackc/pgx through database/sql).
//
// Services in other engine packages receive a *DB and own their transactions
// (RunInTx); repositories take a bun.IDB so they work inside or outside one.
package store
