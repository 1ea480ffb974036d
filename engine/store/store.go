package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Dialect names the SQL dialect of an open database.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is an open database: bun on top of database/sql, plus the dialect.
type DB struct {
	*bun.DB
	Backend Dialect
	// Location is a human-readable description (file path or host/db) for
	// logs; it never contains a password.
	Location string
}

// Config says which database to open.
type Config struct {
	// URL is a postgres:// or postgresql:// URL. Empty selects SQLite.
	URL string
	// DataDir holds the SQLite file (inkling.db) when URL is empty.
	DataDir string
	// MaxOpenConns bounds the pool; 0 picks a default per dialect.
	MaxOpenConns int
}

// Open opens (and creates, for SQLite) the configured database and checks
// that it answers.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	if strings.HasPrefix(cfg.URL, "postgres://") || strings.HasPrefix(cfg.URL, "postgresql://") {
		return openPostgres(ctx, cfg)
	}
	if cfg.URL != "" {
		return nil, fmt.Errorf("unsupported database URL scheme (want postgres:// or empty for SQLite)")
	}
	return openSQLite(ctx, cfg)
}

func openSQLite(ctx context.Context, cfg Config) (*DB, error) {
	dir := cfg.DataDir
	if dir == "" {
		dir = "data"
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("error creating data directory %s: %w", dir, err)
	}
	file := filepath.Join(dir, "inkling.db")
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(NORMAL)"} {
		q.Add("_pragma", p)
	}
	// BEGIN IMMEDIATE takes the write lock up front, so two writers wait on
	// busy_timeout instead of failing with SQLITE_BUSY on lock upgrade.
	q.Set("_txlock", "immediate")
	sqldb, err := sql.Open("sqlite", "file:"+file+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("error opening sqlite %s: %w", file, err)
	}
	n := cfg.MaxOpenConns
	if n == 0 {
		n = max(4, 2*runtime.NumCPU())
	}
	sqldb.SetMaxOpenConns(n)
	sqldb.SetMaxIdleConns(n)
	sqldb.SetConnMaxIdleTime(0)
	db := &DB{DB: bun.NewDB(sqldb, sqlitedialect.New()), Backend: SQLite, Location: file}
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("error opening sqlite %s: %w", file, err)
	}
	return db, nil
}

func openPostgres(ctx context.Context, cfg Config) (*DB, error) {
	pcfg, err := pgx.ParseConfig(cfg.URL)
	if err != nil {
		// pgx's error may quote the URL; never echo a password.
		return nil, fmt.Errorf("invalid postgres URL")
	}
	sqldb := stdlib.OpenDB(*pcfg)
	n := cfg.MaxOpenConns
	if n == 0 {
		n = 4 * runtime.NumCPU()
	}
	sqldb.SetMaxOpenConns(n)
	sqldb.SetMaxIdleConns(n)
	sqldb.SetConnMaxLifetime(30 * time.Minute)
	loc := fmt.Sprintf("postgres %s:%d/%s", pcfg.Host, pcfg.Port, pcfg.Database)
	db := &DB{DB: bun.NewDB(sqldb, pgdialect.New()), Backend: Postgres, Location: loc}
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("error connecting to %s: %w", loc, err)
	}
	return db, nil
}

// Ping checks that the database answers a query (used by /readyz).
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.NewRaw("SELECT 1").Scan(ctx, &one); err != nil {
		return fmt.Errorf("database not ready: %w", err)
	}
	return nil
}

// WithPGX runs fn with the native pgx connection under one of the pool's
// connections (PostgreSQL only). It is for the few hot reads where
// database/sql's per-column conversions cost more than the query: pgx
// returns a row's raw bytes, which fn may read until the next row.
func (db *DB) WithPGX(ctx context.Context, fn func(*pgx.Conn) error) error {
	if db.Backend != Postgres {
		return fmt.Errorf("store: WithPGX on %s", db.Backend)
	}
	conn, err := db.DB.DB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("store: the postgres driver connection is a %T, not pgx's", dc)
		}
		return fn(c.Conn())
	})
}
