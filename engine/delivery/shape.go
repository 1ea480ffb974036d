package delivery

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/registry"
	"github.com/uptrace/bun"
)

// MaxExpand bounds how many reference fields one request may expand.
const MaxExpand = 10

func checkFieldList(t *registry.Type, names []string, param string, diags *contenttypes.Diagnostics) error {
	for _, n := range names {
		if _, ok := t.Field(n); !ok {
			diags.AppendErrorf(param, "unknown_field", "type %s has no field %q", t.Key, n)
		}
	}
	return nil
}

func checkExpand(t *registry.Type, names []string, diags *contenttypes.Diagnostics) error {
	if len(names) > MaxExpand {
		diags.AppendErrorf("expand", contenttypes.CodeTooManyItems, "at most %d fields may be expanded", MaxExpand)
		return nil
	}
	for _, n := range names {
		f, ok := t.Field(n)
		if !ok || f.Kind != contenttypes.KindReference {
			diags.AppendErrorf("expand", "not_a_reference", "%q is not a reference field of type %s", n, t.Key)
		}
	}
	return nil
}

// shape applies field selection and reference expansion to items in place.
// Expansion reads every referenced entry of the page in one query per
// request (not per item); a reference to an entry that is not live becomes
// null.
func (s *Service) shape(ctx context.Context, t *registry.Type, items []Item, fields, expand []string) error {
	if len(fields) == 0 && len(expand) == 0 {
		return nil
	}
	docs := make([]map[string]json.RawMessage, len(items))
	ids := map[string]bool{}
	for i := range items {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(items[i].Fields, &m); err != nil {
			return fmt.Errorf("error decoding entry %s: %w", items[i].ID, err)
		}
		if len(fields) > 0 {
			keep := make(map[string]json.RawMessage, len(fields))
			for _, f := range fields {
				if v, ok := m[f]; ok {
					keep[f] = v
				}
			}
			for _, f := range expand { // an expanded field is always returned
				if v, ok := m[f]; ok {
					keep[f] = v
				}
			}
			m = keep
		}
		for _, f := range expand {
			var id string
			if json.Unmarshal(m[f], &id) == nil && id != "" {
				ids[id] = true
			}
		}
		docs[i] = m
	}
	var byID map[string]json.RawMessage
	if len(ids) > 0 {
		list := make([]string, 0, len(ids))
		for id := range ids {
			list = append(list, id)
		}
		var rows []row
		if err := s.db.NewSelect().TableExpr("entries AS e").Column(rowColumns...).
			Where("e.id IN (?)", bun.List(list)).Where("e.live = ?", true).Scan(ctx, &rows); err != nil {
			return fmt.Errorf("error expanding references: %w", err)
		}
		byID = make(map[string]json.RawMessage, len(rows))
		for i := range rows {
			b, err := json.Marshal(rows[i].item())
			if err != nil {
				return err
			}
			byID[rows[i].ID] = b
		}
	}
	for i, m := range docs {
		for _, f := range expand {
			raw, ok := m[f]
			if !ok {
				continue
			}
			var id string
			if json.Unmarshal(raw, &id) != nil {
				continue
			}
			if b, ok := byID[id]; ok {
				m[f] = b
			} else {
				m[f] = json.RawMessage("null")
			}
			// Tag the reference even when it is not live: publishing it
			// must invalidate this response.
			items[i].Refs = append(items[i].Refs, id)
		}
		b, err := json.Marshal(m)
		if err != nil {
			return err
		}
		items[i].Fields = b
	}
	return nil
}

// GetQuery selects one published entry.
type GetQuery struct {
	Type     string
	IDOrSlug string
	Fields   []string
	Expand   []string
}

// Get returns one published entry by id or slug. A slug shared by pages
// under different parents is ambiguous and reported as a conflict.
func (s *Service) Get(ctx context.Context, gq GetQuery) (*Item, error) {
	t, err := s.types.Get(ctx, gq.Type)
	if err != nil {
		return nil, err
	}
	if err := checkShape(t, gq); err != nil {
		return nil, err
	}
	// By id (the primary key) first, then by slug (entries_type_slug): two
	// indexed lookups instead of one OR that no index serves.
	var rows []row
	byID, err := s.getByID(ctx, t.Key, gq.IDOrSlug)
	if byID != nil {
		rows = append(rows, *byID)
	}
	if err == nil && len(rows) == 0 {
		err = s.db.NewSelect().TableExpr("entries AS e").Column(rowColumns...).
			Where("e.type_key = ?", t.Key).Where("e.slug = ?", gq.IDOrSlug).Where("e.live = ?", true).
			Limit(3).Scan(ctx, &rows)
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("error loading %s %s: %w", t.Key, gq.IDOrSlug, err)
	}
	var pick *row
	for i := range rows {
		if rows[i].ID == gq.IDOrSlug {
			pick = &rows[i]
		}
	}
	if pick == nil {
		switch len(rows) {
		case 0:
			return nil, apperr.New(apperr.NotFound, "no published %s %q", t.Key, gq.IDOrSlug)
		case 1:
			pick = &rows[0]
		default:
			return nil, apperr.New(apperr.Conflict, "slug %q matches several %s pages (under different parents); use the id", gq.IDOrSlug, t.Key)
		}
	}
	items := []Item{pick.item()}
	if err := s.shape(ctx, t, items, gq.Fields, gq.Expand); err != nil {
		return nil, err
	}
	return &items[0], nil
}

// ParseGetQuery reads fields= and expand= (anything else is an error).
func ParseGetQuery(typ, idOrSlug string, q map[string][]string) (GetQuery, error) {
	gq := GetQuery{Type: typ, IDOrSlug: idOrSlug}
	var diags contenttypes.Diagnostics
	for k, v := range q {
		if len(v) > 1 {
			diags.AppendErrorf(k, "repeated_parameter", "%q is given %d times; give it once (use commas for several values)", k, len(v))
			continue
		}
		val := strings.Join(v, ",")
		switch k {
		case "fields":
			gq.Fields = splitList(val)
		case "expand":
			gq.Expand = splitList(val)
		default:
			diags.AppendErrorf(k, "unknown_parameter", "unknown query parameter %q", k)
		}
	}
	if diags.HasError() {
		return gq, apperr.Validation("invalid query", diags)
	}
	return gq, nil
}

// checkShape validates fields= and expand= of a single-entry query.
func checkShape(t *registry.Type, gq GetQuery) error {
	var diags contenttypes.Diagnostics
	_ = checkFieldList(t, gq.Fields, "fields", &diags)
	_ = checkExpand(t, gq.Expand, &diags)
	if diags.HasError() {
		return apperr.Validation("invalid query", diags)
	}
	return nil
}
