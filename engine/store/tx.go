package store

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"
)

// txAttempts bounds how often InTx runs a transaction that the database
// aborted for contention.
const txAttempts = 4

// InTx runs fn in a transaction and commits it. When the database aborts the
// transaction for contention (PostgreSQL serialization failure or deadlock,
// SQLite busy after its timeout), fn runs again, up to a few times with a
// short random back-off; fn must therefore only touch the database. If
// contention persists the error is Unavailable (503), never a 500.
func (db *DB) InTx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	var err error
	for attempt := 1; attempt <= txAttempts; attempt++ {
		err = db.RunInTx(ctx, &sql.TxOptions{}, fn)
		if err == nil || !Retryable(err) {
			return err
		}
		if attempt == txAttempts {
			break
		}
		backoff := time.Duration(attempt*attempt)*10*time.Millisecond + time.Duration(rand.IntN(10))*time.Millisecond
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
	}
	return apperr.Wrap(err, apperr.Unavailable, "the database is busy; try again")
}

// Retryable reports whether err is a transient contention error.
func Retryable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "40001" || pgErr.Code == "40P01"
	}
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "SQLITE_BUSY") || strings.Contains(msg, "database is locked")
}
