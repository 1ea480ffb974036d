package delivery

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/store"
	"github.com/uptrace/bun"
)

// Change is one entry of the changes feed.
type Change struct {
	Op   string    `json:"op"` // created, updated, deleted
	ID   string    `json:"id"`
	Type string    `json:"type"`
	At   time.Time `json:"at"`
	// Entry is the entry as published now, for created and updated changes
	// of entries that are still live; null otherwise (a later change in the
	// feed says what happened).
	Entry *Item `json:"entry"`
}

// ChangesPage is one page of the feed.
type ChangesPage struct {
	Items      []Change `json:"items"`
	NextCursor string   `json:"next_cursor"` // pass as since= next time, even when items is empty
	HasMore    bool     `json:"has_more"`
}

// ChangesQuery selects changes after a cursor.
type ChangesQuery struct {
	Since string   // "" = from the beginning
	Types []string // nil = every type
	Limit int
}

type changeCursor struct {
	Tx  string `json:"t,omitempty"` // Postgres transaction id (xid8)
	Seq int64  `json:"s"`
}

// Changes lists published-content changes in commit order. On Postgres the
// feed is ordered by (transaction id, sequence) and only shows transactions
// older than every transaction still running, so a reader that saved the
// cursor can never skip a change that commits later. On SQLite writers are
// serialised and the sequence is already commit order.
func (s *Service) Changes(ctx context.Context, q ChangesQuery) (*ChangesPage, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	if limit > 1000 {
		return nil, apperr.Validation("invalid limit", contenttypes.Diagnostics{{Severity: contenttypes.SeverityError,
			Path: "limit", Code: contenttypes.CodeOutOfRange, Summary: "expected 1 to 1000"}})
	}
	var cur changeCursor
	if q.Since != "" {
		b, err := base64.RawURLEncoding.DecodeString(q.Since)
		if err != nil || json.Unmarshal(b, &cur) != nil {
			return nil, apperr.Validation("invalid cursor", contenttypes.Diagnostics{{Severity: contenttypes.SeverityError,
				Path: "since", Code: contenttypes.CodeInvalidFormat, Summary: "not a cursor this feed returned; omit since to start from the beginning"}})
		}
		if s.db.Backend == store.Postgres && cur.Tx != "" {
			if _, err := strconv.ParseUint(cur.Tx, 10, 64); err != nil {
				return nil, apperr.Validation("invalid cursor", contenttypes.Diagnostics{{Severity: contenttypes.SeverityError,
					Path: "since", Code: contenttypes.CodeInvalidFormat, Summary: "not a cursor this feed returned"}})
			}
		}
	}
	for _, t := range q.Types {
		if _, err := s.types.Get(ctx, t); err != nil {
			return nil, apperr.Validation("unknown type", contenttypes.Diagnostics{{Severity: contenttypes.SeverityError,
				Path: "types", Code: "unknown_type", Summary: fmt.Sprintf("no content type %q", t)}})
		}
	}
	var rows []struct {
		Seq       int64     `bun:"seq"`
		Tx        string    `bun:"tx"`
		EntryID   string    `bun:"entry_id"`
		TypeKey   string    `bun:"type_key"`
		Op        string    `bun:"op"`
		CreatedAt time.Time `bun:"created_at"`
	}
	sel := s.db.NewSelect().Table("entry_changes").Column("seq", "entry_id", "type_key", "op", "created_at").Limit(int64(limit + 1))
	if s.db.Backend == store.Postgres {
		sel = sel.ColumnExpr("txid::text AS tx").
			Where("txid < pg_snapshot_xmin(pg_current_snapshot())").OrderExpr("txid, seq")
		if cur.Tx != "" {
			sel = sel.Where("(txid, seq) > (?::xid8, ?)", cur.Tx, cur.Seq)
		}
	} else {
		sel = sel.ColumnExpr("'' AS tx").Where("seq > ?", cur.Seq).OrderExpr("seq")
	}
	if len(q.Types) > 0 {
		sel = sel.Where("type_key IN (?)", bun.List(q.Types))
	}
	if err := sel.Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("error reading changes: %w", err)
	}
	page := &ChangesPage{Items: []Change{}}
	if len(rows) > limit {
		rows, page.HasMore = rows[:limit], true
	}
	next := cur
	live := map[string]*Item{}
	var ids []string
	for _, r := range rows {
		if r.Op != "deleted" {
			ids = append(ids, r.EntryID)
		}
	}
	if len(ids) > 0 {
		var items []row
		if err := s.db.NewSelect().TableExpr("entries AS e").Column(rowColumns...).
			Where("e.id IN (?)", bun.List(ids)).Where("e.live = ?", true).Scan(ctx, &items); err != nil {
			return nil, fmt.Errorf("error reading changed entries: %w", err)
		}
		for i := range items {
			it := items[i].item()
			live[it.ID] = &it
		}
	}
	for _, r := range rows {
		c := Change{Op: r.Op, ID: r.EntryID, Type: r.TypeKey, At: r.CreatedAt.UTC()}
		if r.Op != "deleted" {
			c.Entry = live[r.EntryID]
		}
		page.Items = append(page.Items, c)
		next = changeCursor{Tx: r.Tx, Seq: r.Seq}
	}
	b, _ := json.Marshal(next)
	page.NextCursor = base64.RawURLEncoding.EncodeToString(b)
	return page, nil
}
