// Package projection writes the delivery index (entry_index): one row per
// value of every indexed field of a live entry. entries writes it on publish
// and clears it on unpublish; registry rebuilds a type's rows when the set of
// indexed fields changes.
package projection

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/uptrace/bun"
)

// Row is one projected value.
type Row struct {
	bun.BaseModel `bun:"table:entry_index"`
	EntryID       string   `bun:"entry_id"`
	TypeKey       string   `bun:"type_key"`
	Field         string   `bun:"field"`
	VText         *string  `bun:"v_text"`
	VNum          *float64 `bun:"v_num"`
}

// Write replaces the rows of one entry (idx empty: removes them). On
// PostgreSQL it also keeps entry_terms, the arrays of the entry's tags
// fields that the related-content ranker reads through a GIN index.
func Write(ctx context.Context, db bun.IDB, typeKey, entryID string, idx []contenttypes.IndexEntry) error {
	if _, err := db.NewDelete().Model((*Row)(nil)).Where("entry_id = ?", entryID).Exec(ctx); err != nil {
		return fmt.Errorf("error clearing index of %s: %w", entryID, err)
	}
	if err := writeTerms(ctx, db, typeKey, entryID, idx); err != nil {
		return err
	}
	if len(idx) == 0 {
		return nil
	}
	rows := make([]Row, len(idx))
	for i, ie := range idx {
		rows[i] = Row{EntryID: entryID, TypeKey: typeKey, Field: ie.Field, VText: ie.Text, VNum: ie.Num}
	}
	if _, err := db.NewInsert().Model(&rows).Exec(ctx); err != nil {
		return fmt.Errorf("error indexing %s: %w", entryID, err)
	}
	return nil
}

// IndexedChanged reports whether two definitions index different fields (or
// the same fields with different kinds).
func IndexedChanged(old, new *contenttypes.ContentType) bool {
	key := func(ct *contenttypes.ContentType) []string {
		var out []string
		for _, f := range ct.IndexedFields() {
			out = append(out, f.Name+":"+string(f.Kind))
		}
		slices.Sort(out)
		return out
	}
	return !slices.Equal(key(old), key(new))
}

// Rebuild re-projects every live entry of ct, in batches, inside db (the
// transaction that changes the type).
func Rebuild(ctx context.Context, db bun.IDB, ct *contenttypes.ContentType) (int, error) {
	if _, err := db.NewDelete().Model((*Row)(nil)).Where("type_key = ?", ct.Key).Exec(ctx); err != nil {
		return 0, fmt.Errorf("error clearing index of type %s: %w", ct.Key, err)
	}
	const batch = 500
	after, n := "", 0
	for {
		var live []struct {
			ID     string `bun:"id"`
			Fields []byte `bun:"fields"`
		}
		q := db.NewSelect().Table("entries").Column("id", "fields").
			Where("type_key = ? AND live = ?", ct.Key, true).OrderExpr("id ASC").Limit(batch)
		if after != "" {
			q = q.Where("id > ?", after)
		}
		if err := q.Scan(ctx, &live); err != nil {
			return n, fmt.Errorf("error reading live %s entries: %w", ct.Key, err)
		}
		var rows []Row
		for _, e := range live {
			v, err := contenttypes.DecodeValues(e.Fields)
			if err != nil {
				return n, fmt.Errorf("error decoding entry %s: %w", e.ID, err)
			}
			idx := ct.IndexEntries(v)
			for _, ie := range idx {
				rows = append(rows, Row{EntryID: e.ID, TypeKey: ct.Key, Field: ie.Field, VText: ie.Text, VNum: ie.Num})
			}
			if err := writeTerms(ctx, db, ct.Key, e.ID, idx); err != nil {
				return n, err
			}
			after = e.ID
		}
		if len(rows) > 0 {
			if _, err := db.NewInsert().Model(&rows).Exec(ctx); err != nil {
				return n, fmt.Errorf("error re-indexing %s: %w", ct.Key, err)
			}
		}
		n += len(live)
		if len(live) < batch {
			return n, nil
		}
	}
}

// writeTerms keeps entry_terms on PostgreSQL: one array per tags field.
func writeTerms(ctx context.Context, db bun.IDB, typeKey, entryID string, idx []contenttypes.IndexEntry) error {
	if db.Dialect().Name() != dialect.PG {
		return nil
	}
	if _, err := db.NewDelete().TableExpr("entry_terms").Where("entry_id = ?", entryID).Exec(ctx); err != nil {
		return fmt.Errorf("error clearing terms of %s: %w", entryID, err)
	}
	terms := map[string][]string{}
	var order []string
	for _, ie := range idx {
		if ie.Text == nil || !ie.Taxonomy {
			continue
		}
		if _, ok := terms[ie.Field]; !ok {
			order = append(order, ie.Field)
		}
		terms[ie.Field] = append(terms[ie.Field], *ie.Text)
	}
	for _, f := range order {
		if _, err := db.NewRaw("INSERT INTO entry_terms (entry_id, type_key, field, terms) VALUES (?, ?, ?, ?)",
			entryID, typeKey, f, pgdialect.Array(terms[f])).Exec(ctx); err != nil {
			return fmt.Errorf("error writing terms of %s: %w", entryID, err)
		}
	}
	return nil
}

// PrivateChanged reports whether two definitions keep different fields out
// of delivery.
func PrivateChanged(old, new *contenttypes.ContentType) bool {
	a, b := old.PrivateFields(), new.PrivateFields()
	slices.Sort(a)
	slices.Sort(b)
	return !slices.Equal(a, b)
}

// RenderDocs renders the delivery documents (entries.rendered) of every
// live entry of ct again, in batches, inside db (the transaction that
// changes the type): needed when the set of private fields changes.
func RenderDocs(ctx context.Context, db bun.IDB, ct *contenttypes.ContentType, r *contenttypes.Renderer) ([]string, error) {
	const batch = 500
	after := ""
	var ids []string
	for {
		var live []struct {
			ID     string `bun:"id"`
			Fields []byte `bun:"fields"`
		}
		q := db.NewSelect().Table("entries").Column("id", "fields").
			Where("type_key = ? AND live = ?", ct.Key, true).OrderExpr("id ASC").Limit(batch)
		if after != "" {
			q = q.Where("id > ?", after)
		}
		if err := q.Scan(ctx, &live); err != nil {
			return ids, fmt.Errorf("error reading live %s entries: %w", ct.Key, err)
		}
		for _, e := range live {
			v, err := contenttypes.DecodeValues(e.Fields)
			if err != nil {
				return ids, fmt.Errorf("error decoding entry %s: %w", e.ID, err)
			}
			var b bytes.Buffer
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false) // as entries stores them
			if err := enc.Encode(ct.Render(ct.Public(v), r)); err != nil {
				return ids, err
			}
			if _, err := db.NewUpdate().Table("entries").Set("rendered = ?", strings.TrimSpace(b.String())).Where("id = ?", e.ID).Exec(ctx); err != nil {
				return ids, fmt.Errorf("error rendering %s: %w", e.ID, err)
			}
			after = e.ID
			ids = append(ids, e.ID)
		}
		if len(live) < batch {
			return ids, nil
		}
	}
}
