package delivery

import (
	"context"
	"database/sql"
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
		q := `SELECT id, type_key, title, slug, url_path, parent_id, first_published_at, last_published_at, rendered
			FROM entries WHERE id = ? AND type_key = ? AND live = TRUE`
		if s.db.Backend == store.Postgres {
			q = strings.NewReplacer("id = ?", "id = $1", "type_key = ?", "type_key = $2").Replace(q)
		}
		s.byID.stmt, s.byID.err = s.db.DB.DB.PrepareContext(context.WithoutCancel(ctx), q)
	})
	return s.byID.stmt, s.byID.err
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
