package delivery

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/inklingcms/inkling/engine/store"
)

// byIDStmt is the hot query of the delivery API — one published entry by
// id — prepared once per process: on SQLite, preparing is a large part of a
// point lookup's cost.
type byIDStmt struct {
	once sync.Once
	stmt *sql.Stmt
	err  error
}

func (s *Service) prepareByID(ctx context.Context) (*sql.Stmt, error) {
	s.byID.once.Do(func() {
		q := `SELECT id, type_key, title, slug, url_path, parent_id, ` + s.timeColumns() + `, rendered
			FROM entries WHERE id = ? AND type_key = ? AND live = TRUE`
		if s.db.Backend == store.Postgres {
			q = strings.NewReplacer("id = ?", "id = $1", "type_key = ?", "type_key = $2").Replace(q)
		}
		s.byID.stmt, s.byID.err = s.db.DB.DB.PrepareContext(context.WithoutCancel(ctx), q)
	})
	return s.byID.stmt, s.byID.err
}

// timeColumns selects the publication times for asTime. On SQLite they
// are read as text: for a TIMESTAMP column the driver tries several
// layouts, each failure allocating an error, which was a tenth of an
// uncached related list's CPU; asTime's first layout is the stored one.
func (s *Service) timeColumns() string {
	if s.db.Backend == store.Postgres {
		return "first_published_at, last_published_at"
	}
	return "CAST(first_published_at AS TEXT), CAST(last_published_at AS TEXT)"
}

// sqliteTimeLayouts are the text forms times are stored in on SQLite.
var sqliteTimeLayouts = []string{"2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999Z07:00",
	time.RFC3339Nano, "2006-01-02 15:04:05.999999999"}

func asTime(v any) (time.Time, error) {
	switch t := v.(type) {
	case time.Time:
		return t.UTC(), nil
	case string:
		for _, l := range sqliteTimeLayouts {
			if tm, err := time.Parse(l, t); err == nil {
				return tm.UTC(), nil
			}
		}
		return time.Time{}, fmt.Errorf("unreadable time %q", t)
	case []byte:
		return asTime(string(t))
	}
	return time.Time{}, fmt.Errorf("unexpected time value %T", v)
}

// getByID reads one published entry by id through the prepared statement;
// nil when there is none.
func (s *Service) getByID(ctx context.Context, typeKey, id string) (*row, error) {
	stmt, err := s.prepareByID(ctx)
	if err != nil {
		return nil, fmt.Errorf("error preparing the entry lookup: %w", err)
	}
	var r row
	var first, last any
	var rendered []byte
	err = stmt.QueryRowContext(ctx, id, typeKey).Scan(&r.ID, &r.TypeKey, &r.Title, &r.Slug, &r.URLPath, &r.ParentID, &first, &last, &rendered)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("error loading %s %s: %w", typeKey, id, err)
	}
	if r.FirstPublishedAt, err = asTime(first); err != nil {
		return nil, err
	}
	if r.LastPublishedAt, err = asTime(last); err != nil {
		return nil, err
	}
	r.Rendered = rendered
	return &r, nil
}

// itemsChunk is the largest id list one Items statement takes; longer
// lists are read in chunks.
const itemsChunk = 64

// itemsStmts are Items' prepared statements, one per id count (1 to
// itemsChunk): a related list reads its page of entries with one of them
// instead of building, parsing and planning a new IN query each time (a
// tenth of an uncached related request's CPU on SQLite).
type itemsStmts struct {
	mu    sync.Mutex
	stmts map[int]*sql.Stmt
}

func (s *Service) prepareItems(ctx context.Context, n int) (*sql.Stmt, error) {
	s.items.mu.Lock()
	defer s.items.mu.Unlock()
	if st := s.items.stmts[n]; st != nil {
		return st, nil
	}
	var b strings.Builder
	// By primary key only: with type_key and live in the WHERE clause,
	// SQLite prefers the (type_key, live, …) index and reads every entry
	// of the type. Type and liveness are checked by the caller.
	b.WriteString(`SELECT id, type_key, title, slug, url_path, parent_id, ` + s.timeColumns() + `, rendered, live
		FROM entries WHERE id IN (`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		if s.db.Backend == store.Postgres {
			fmt.Fprintf(&b, "$%d", i+1)
		} else {
			b.WriteByte('?')
		}
	}
	b.WriteByte(')')
	st, err := s.db.DB.DB.PrepareContext(context.WithoutCancel(ctx), b.String())
	if err != nil {
		return nil, err
	}
	if s.items.stmts == nil {
		s.items.stmts = map[int]*sql.Stmt{}
	}
	s.items.stmts[n] = st
	return st, nil
}

// Items returns published entries of a type by id, rendered as the
// delivery API returns them (ids not live are absent).
func (s *Service) Items(ctx context.Context, typ string, ids []string) (map[string][]byte, error) {
	out := make(map[string][]byte, len(ids))
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), itemsChunk)]
		ids = ids[len(chunk):]
		if err := s.items1(ctx, typ, chunk, out); err != nil {
			return nil, fmt.Errorf("error loading %s entries: %w", typ, err)
		}
	}
	return out, nil
}

// items1 reads one chunk of Items into out.
func (s *Service) items1(ctx context.Context, typ string, ids []string, out map[string][]byte) error {
	stmt, err := s.prepareItems(ctx, len(ids))
	if err != nil {
		return err
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var (
		r           row
		first, last any
		rendered    sql.RawBytes
	)
	for rows.Next() {
		r.URLPath, r.ParentID = nil, nil
		if err := rows.Scan(&r.ID, &r.TypeKey, &r.Title, &r.Slug, &r.URLPath, &r.ParentID, &first, &last, &rendered, &r.Live); err != nil {
			return err
		}
		if r.TypeKey != typ || !r.Live {
			continue
		}
		if r.FirstPublishedAt, err = asTime(first); err != nil {
			return err
		}
		if r.LastPublishedAt, err = asTime(last); err != nil {
			return err
		}
		// rendered is only valid until the next row: appendItem copies it.
		r.Rendered = json.RawMessage(rendered)
		it := r.item()
		out[r.ID] = appendItem(nil, &it)
	}
	return rows.Err()
}
