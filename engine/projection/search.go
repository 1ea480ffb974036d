package projection

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/uptrace/bun"
)

// SearchText collects the searchable text of an entry's values: every
// text, long text, rich text (markdown source), select and tag value, at
// any depth of its StreamFields.
func SearchText(ct *contenttypes.ContentType, v contenttypes.Values) string {
	var b strings.Builder
	ct.Walk(v, func(_ string, f *contenttypes.Field, value any) {
		switch f.Kind {
		case contenttypes.KindText, contenttypes.KindLongText, contenttypes.KindRichText, contenttypes.KindSelect:
			if s, ok := value.(string); ok {
				b.WriteString(s)
				b.WriteByte('\n')
			}
		case contenttypes.KindTags:
			switch tags := value.(type) {
			case []any:
				for _, t := range tags {
					if s, ok := t.(string); ok {
						b.WriteString(s)
						b.WriteByte(' ')
					}
				}
			case []string:
				b.WriteString(strings.Join(tags, " "))
			}
			b.WriteByte('\n')
		}
	})
	return b.String()
}

// WriteSearch replaces an entry's search document (postgres: true for
// PostgreSQL full-text search, false for SQLite FTS5). Empty title and body
// remove it.
func WriteSearch(ctx context.Context, db bun.IDB, postgres bool, typeKey, entryID, title, body string) error {
	if postgres {
		if _, err := db.NewDelete().TableExpr("entry_search").Where("entry_id = ?", entryID).Exec(ctx); err != nil {
			return fmt.Errorf("error clearing search document of %s: %w", entryID, err)
		}
		if title == "" && body == "" {
			return nil
		}
		if _, err := db.NewRaw(`INSERT INTO entry_search (entry_id, type_key, doc) VALUES (?, ?,
			setweight(to_tsvector('english', ?), 'A') || setweight(to_tsvector('english', ?), 'B'))`,
			entryID, typeKey, title, body).Exec(ctx); err != nil {
			return fmt.Errorf("error indexing %s for search: %w", entryID, err)
		}
		return nil
	}
	// SQLite FTS5: find the document by rowid through entry_search_docs.
	var docID int64
	err := db.NewSelect().Table("entry_search_docs").Column("id").Where("entry_id = ?", entryID).Scan(ctx, &docID)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("error finding search document of %s: %w", entryID, err)
	}
	if docID != 0 {
		if _, err := db.NewRaw("DELETE FROM entry_search WHERE rowid = ?", docID).Exec(ctx); err != nil {
			return fmt.Errorf("error clearing search document of %s: %w", entryID, err)
		}
	}
	if title == "" && body == "" {
		if docID != 0 {
			if _, err := db.NewRaw("DELETE FROM entry_search_docs WHERE id = ?", docID).Exec(ctx); err != nil {
				return fmt.Errorf("error clearing search document of %s: %w", entryID, err)
			}
		}
		return nil
	}
	if docID == 0 {
		if err := db.NewRaw("INSERT INTO entry_search_docs (entry_id) VALUES (?) RETURNING id", entryID).Scan(ctx, &docID); err != nil {
			return fmt.Errorf("error indexing %s for search: %w", entryID, err)
		}
	}
	if _, err := db.NewRaw(`INSERT INTO entry_search (rowid, entry_id, type_key, title, body) VALUES (?, ?, ?, ?, ?)`,
		docID, entryID, typeKey, title, body).Exec(ctx); err != nil {
		return fmt.Errorf("error indexing %s for search: %w", entryID, err)
	}
	return nil
}
