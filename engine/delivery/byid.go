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
	"github.com/jackc/pgx/v5"
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

// itemsChunk is the largest id list one SQLite Items statement takes;
// longer lists are read in chunks.
const itemsChunk = 64

// itemsStmts are the SQLite Items statements, one per id count (1 to
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
		b.WriteByte('?')
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

// Span locates one rendered entry in the buffer [Service.AppendItems]
// filled.
type Span struct {
	ID         string
	Start, End int
}

// Items returns published entries of a type by id, rendered as the
// delivery API returns them (ids not live are absent).
func (s *Service) Items(ctx context.Context, typ string, ids []string) (map[string][]byte, error) {
	b, spans, err := s.AppendItems(ctx, typ, ids, nil)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(spans))
	for _, sp := range spans {
		out[sp.ID] = b[sp.Start:sp.End:sp.End]
	}
	return out, nil
}

// AppendItems appends the published entries of a type among ids to b,
// rendered as the delivery API returns them, in no particular order, and
// says where each is (ids not live are absent). Callers that assemble a
// response from them can reuse b.
func (s *Service) AppendItems(ctx context.Context, typ string, ids []string, b []byte) ([]byte, []Span, error) {
	spans := make([]Span, 0, len(ids))
	var err error
	switch {
	case len(ids) == 0:
	case s.db.Backend == store.Postgres:
		b, spans, err = s.appendItemsPG(ctx, typ, ids, b, spans)
	default:
		for rest := ids; len(rest) > 0 && err == nil; {
			chunk := rest[:min(len(rest), itemsChunk)]
			rest = rest[len(chunk):]
			b, spans, err = s.appendItemsSQLite(ctx, typ, chunk, b, spans)
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("error loading %s entries: %w", typ, err)
	}
	return b, spans, nil
}

// appendItemsSQLite reads one chunk through a prepared statement.
func (s *Service) appendItemsSQLite(ctx context.Context, typ string, ids []string, b []byte, spans []Span) ([]byte, []Span, error) {
	stmt, err := s.prepareItems(ctx, len(ids))
	if err != nil {
		return b, spans, err
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		return b, spans, err
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
			return b, spans, err
		}
		if r.TypeKey != typ || !r.Live {
			continue
		}
		if r.FirstPublishedAt, err = asTime(first); err != nil {
			return b, spans, err
		}
		if r.LastPublishedAt, err = asTime(last); err != nil {
			return b, spans, err
		}
		r.Rendered = json.RawMessage(rendered) // valid until the next row
		b, spans = appendSpan(b, spans, &r)
	}
	return b, spans, rows.Err()
}

// itemsPGQuery is Items on PostgreSQL: one statement for any number of
// ids, which pgx prepares once per connection.
const itemsPGQuery = `SELECT id, type_key, title, slug, url_path, parent_id, first_published_at, last_published_at, rendered, live
	FROM entries WHERE id = ANY($1)`

// appendItemsPG reads through pgx directly: database/sql would copy every
// document into a string and then into the caller's buffer, a quarter of
// the garbage of an uncached related list.
func (s *Service) appendItemsPG(ctx context.Context, typ string, ids []string, b []byte, spans []Span) ([]byte, []Span, error) {
	err := s.db.WithPGX(ctx, func(c *pgx.Conn) error {
		rows, err := c.Query(ctx, itemsPGQuery, ids)
		if err != nil {
			return err
		}
		defer rows.Close()
		var (
			r           row
			first, last *time.Time // NULL for a draft
		)
		for rows.Next() {
			r.URLPath, r.ParentID = nil, nil
			if err := rows.Scan(&r.ID, &r.TypeKey, &r.Title, &r.Slug, &r.URLPath, &r.ParentID, &first, &last, nil, &r.Live); err != nil {
				return err
			}
			if r.TypeKey != typ || !r.Live {
				continue
			}
			if first == nil || last == nil {
				return fmt.Errorf("published entry %s has no publication time", r.ID)
			}
			r.FirstPublishedAt, r.LastPublishedAt = *first, *last
			r.Rendered = rows.RawValues()[8] // valid until the next row
			b, spans = appendSpan(b, spans, &r)
		}
		return rows.Err()
	})
	return b, spans, err
}

// appendSpan renders r onto b and records where.
func appendSpan(b []byte, spans []Span, r *row) ([]byte, []Span) {
	it := r.item()
	start := len(b)
	b = appendItem(b, &it)
	return b, append(spans, Span{ID: r.ID, Start: start, End: len(b)})
}
