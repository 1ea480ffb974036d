package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver (also registered by engine/store)
)

// openSQLiteWorkerDB opens the working client's own pool on the engine's
// SQLite file. River's SQLite driver wants one connection (it runs internal
// operations in parallel that SQLite would otherwise answer with
// SQLITE_BUSY). The pragmas match engine/store: WAL so engine readers never
// block on River, a busy timeout so writers wait for each other, and
// BEGIN IMMEDIATE so a transaction never fails upgrading its lock.
func openSQLiteWorkerDB(ctx context.Context, file string) (*sql.DB, error) {
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(NORMAL)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+file+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("error opening sqlite %s for the job workers: %w", file, err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxIdleTime(0)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("error opening sqlite %s for the job workers: %w", file, err)
	}
	return db, nil
}
