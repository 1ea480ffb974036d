package delivery

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/registry"
	"github.com/inklingcms/inkling/engine/store"
	"github.com/uptrace/bun"
)

// Limits of list requests.
const (
	DefaultLimit = 20
	MaxLimit     = 100
)

// Filter operators.
var ops = map[string]bool{"eq": true, "ne": true, "lt": true, "lte": true, "gt": true, "gte": true, "in": true}

// Filter is one condition on a field.
type Filter struct {
	Field string
	Op    string // eq, ne, lt, lte, gt, gte, in
	Value string // for "in": comma-separated values
}

// ListQuery selects published entries of one type.
type ListQuery struct {
	Type    string
	Filters []Filter
	Sort    string // field or -field; default -first_published_at
	Limit   int
	Cursor  string
	Fields  []string // subset of fields to return; nil: all
	Expand  []string // reference fields to replace by the referenced entry
	// Q is a full-text query over the title and text fields; results are
	// ranked by relevance unless Sort is given.
	Q string
}

// ParseListQuery reads a ListQuery from URL query parameters:
// filter[field]=v, filter[field][op]=v, sort, limit, cursor, fields, expand.
// Unknown parameters are errors (a typo must not silently return
// everything).
func ParseListQuery(typ string, q url.Values) (ListQuery, error) {
	lq := ListQuery{Type: typ}
	var diags contenttypes.Diagnostics
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if len(q[k]) > 1 {
			diags.AppendErrorf(k, "repeated_parameter", "%q is given %d times; give it once (use commas for several values)", k, len(q[k]))
			continue
		}
		v := q.Get(k)
		switch {
		case k == "sort":
			lq.Sort = v
		case k == "limit":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > MaxLimit {
				diags.AppendErrorf("limit", contenttypes.CodeOutOfRange, "expected an integer from 1 to %d, got %q", MaxLimit, v)
			}
			lq.Limit = n
		case k == "cursor":
			lq.Cursor = v
		case k == "q":
			lq.Q = v
		case k == "fields":
			lq.Fields = splitList(v)
		case k == "expand":
			lq.Expand = splitList(v)
		case strings.HasPrefix(k, "filter[") && strings.HasSuffix(k, "]"):
			inner := strings.TrimSuffix(strings.TrimPrefix(k, "filter["), "]")
			field, op := inner, "eq"
			if i := strings.Index(inner, "]["); i >= 0 {
				field, op = inner[:i], inner[i+2:]
			}
			if !ops[op] {
				diags.AppendErrorf(k, "unknown_operator", "unknown filter operator %q (want eq, ne, lt, lte, gt, gte or in)", op)
				continue
			}
			lq.Filters = append(lq.Filters, Filter{Field: field, Op: op, Value: v})
		default:
			diags.AppendErrorf(k, "unknown_parameter", "unknown query parameter %q (filters are written filter[field]=value)", k)
		}
	}
	if diags.HasError() {
		return lq, apperr.Validation("invalid query", diags)
	}
	return lq, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Service reads published content.
type Service struct {
	db       *store.DB
	types    *registry.Registry
	renderer *contenttypes.Renderer // for previews (published entries are rendered at publish)
	byID     byIDStmt
	items    itemsStmts
}

// New returns a delivery Service.
func New(db *store.DB, types *registry.Registry) *Service {
	return &Service{db: db, types: types, renderer: contenttypes.NewRenderer()}
}

// builtin columns usable in filters and sorts.
var builtinColumns = map[string]string{
	"id": "e.id", "slug": "e.slug", "title": "e.title", "parent": "e.parent_id",
	"first_published_at": "e.first_published_at", "published_at": "e.last_published_at",
}

var timeColumns = map[string]bool{"first_published_at": true, "published_at": true}

type cursor struct {
	V  any    `json:"v"`
	ID string `json:"id"`
}

func encodeCursor(c cursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		d := json.NewDecoder(strings.NewReader(string(b)))
		d.UseNumber()
		err = d.Decode(&c)
	}
	if err != nil || c.ID == "" {
		return c, apperr.Validation("invalid cursor", contenttypes.Diagnostics{{Severity: contenttypes.SeverityError,
			Path: "cursor", Code: contenttypes.CodeInvalidFormat, Summary: "the cursor is not one this API returned; start again without it"}})
	}
	return c, nil
}

// List returns one page of published entries.
func (s *Service) List(ctx context.Context, lq ListQuery) (*Page, error) {
	t, err := s.types.Get(ctx, lq.Type)
	if err != nil {
		return nil, err
	}
	limit := lq.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	var diags contenttypes.Diagnostics
	var rows []row
	q := s.db.NewSelect().TableExpr("entries AS e").Column(rowColumns...).
		Where("e.type_key = ?", t.Key).Where("e.live = ?", true)
	for _, f := range lq.Filters {
		s.applyFilter(q, t, f, &diags)
	}
	if err := checkFieldList(t, lq.Fields, "fields", &diags); err != nil {
		return nil, err
	}
	if err := checkExpand(t, lq.Expand, &diags); err != nil {
		return nil, err
	}
	sortField, desc := strings.TrimPrefix(lq.Sort, "-"), strings.HasPrefix(lq.Sort, "-")
	if lq.Sort == "" {
		sortField, desc = "first_published_at", true
	}
	terms := searchTerms(lq.Q)
	if strings.TrimSpace(lq.Q) != "" && len(terms) == 0 {
		diags.AppendError("q", contenttypes.CodeInvalidFormat, "the search has no words")
	}
	if len(terms) > 0 {
		s.applySearch(q, t.Key, terms)
		if lq.Sort == "" {
			sortField = "relevance"
		}
	}
	var cur *cursor
	if lq.Cursor != "" {
		c, err := decodeCursor(lq.Cursor)
		if err != nil {
			return nil, err
		}
		cur = &c
	}
	dir, cmp := "ASC", ">"
	if desc {
		dir, cmp = "DESC", "<"
	}
	sortKind := "" // "", "text", "num" or "rank": which column sorts
	if sortField == "relevance" && len(terms) > 0 {
		sortKind = "rank"
		// SQLite's bm25 is lower-is-better; Postgres' ts_rank_cd higher.
		rdir, rcmp := "ASC", ">"
		if s.db.Backend == store.Postgres {
			rdir, rcmp = "DESC", "<"
		}
		q = q.OrderExpr("fts.rank " + rdir).OrderExpr("e.id " + rdir)
		if cur != nil {
			v, err := indexCursorValue("num", cur.V)
			if err != nil {
				return nil, err
			}
			q = q.Where("(fts.rank "+rcmp+" ?) OR (fts.rank = ? AND e.id "+rcmp+" ?)", v, v, cur.ID)
		}
	} else if col, ok := builtinColumns[sortField]; ok && sortField != "parent" {
		q = q.OrderExpr(col + " " + dir).OrderExpr("e.id " + dir)
		if cur != nil {
			v, err := cursorValue(sortField, cur.V)
			if err != nil {
				return nil, err
			}
			q = q.Where("("+col+" "+cmp+" ?) OR ("+col+" = ? AND e.id "+cmp+" ?)", v, v, cur.ID)
		}
	} else if f, ok := t.Field(sortField); ok && f.Indexed && f.Kind != contenttypes.KindTags {
		sortKind = "text"
		if isNumeric(f.Kind) {
			sortKind = "num"
		}
		col := "s.v_" + sortKind
		q = q.ColumnExpr("s.v_text AS sort_text, s.v_num AS sort_num").
			Join("LEFT JOIN entry_index AS s ON s.entry_id = e.id AND s.field = ?", f.Name).
			OrderExpr("(" + col + " IS NULL) ASC").OrderExpr(col + " " + dir).OrderExpr("e.id " + dir)
		if cur != nil {
			if cur.V == nil {
				q = q.Where(col+" IS NULL AND e.id "+cmp+" ?", cur.ID)
			} else {
				v, err := indexCursorValue(sortKind, cur.V)
				if err != nil {
					return nil, err
				}
				q = q.Where("("+col+" IS NULL) OR ("+col+" "+cmp+" ?) OR ("+col+" = ? AND e.id "+cmp+" ?)", v, v, cur.ID)
			}
		}
	} else {
		diags.AppendErrorf("sort", "unknown_sort_field", "cannot sort by %q; sortable: %s", sortField, strings.Join(sortable(t), ", "))
	}
	if diags.HasError() {
		return nil, apperr.Validation("invalid query", diags)
	}
	if err := q.Limit(int64(limit+1)).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("error listing %s: %w", t.Key, err)
	}
	page := &Page{Limit: limit, Items: make([]Item, 0, min(len(rows), limit))}
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[len(rows)-1]
		c := cursor{ID: last.ID}
		switch sortKind {
		case "text":
			if last.SortText != nil {
				c.V = *last.SortText
			}
		case "num":
			if last.SortNum != nil {
				c.V = *last.SortNum
			}
		case "rank":
			c.V = last.Rank
		default:
			c.V = builtinCursorValue(sortField, &last)
		}
		next := encodeCursor(c)
		page.NextCursor = &next
	}
	for i := range rows {
		page.Items = append(page.Items, rows[i].item())
	}
	if err := s.shape(ctx, t, page.Items, lq.Fields, lq.Expand); err != nil {
		return nil, err
	}
	return page, nil
}

func isNumeric(k contenttypes.Kind) bool {
	return k == contenttypes.KindInteger || k == contenttypes.KindDecimal || k == contenttypes.KindBoolean
}

func sortable(t *registry.Type) []string {
	out := []string{"id", "slug", "title", "first_published_at", "published_at"}
	for _, f := range t.IndexedFields() {
		if f.Kind != contenttypes.KindTags {
			out = append(out, f.Name)
		}
	}
	return out
}

func builtinCursorValue(field string, r *row) any {
	switch field {
	case "id":
		return r.ID
	case "slug":
		return r.Slug
	case "title":
		return r.Title
	case "first_published_at":
		return r.FirstPublishedAt.UTC().Format(time.RFC3339Nano)
	default: // published_at
		return r.LastPublishedAt.UTC().Format(time.RFC3339Nano)
	}
}

func badCursor() error {
	return apperr.Validation("invalid cursor", contenttypes.Diagnostics{{Severity: contenttypes.SeverityError,
		Path: "cursor", Code: contenttypes.CodeInvalidFormat, Summary: "the cursor does not match this sort; start again without it"}})
}

func cursorValue(field string, v any) (any, error) {
	s, ok := v.(string)
	if !ok {
		return nil, badCursor()
	}
	if timeColumns[field] {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, badCursor()
		}
		return t.UTC(), nil
	}
	return s, nil
}

func indexCursorValue(kind string, v any) (any, error) {
	switch kind {
	case "num":
		n, ok := v.(json.Number)
		if !ok {
			return nil, badCursor()
		}
		f, err := n.Float64()
		if err != nil {
			return nil, badCursor()
		}
		return f, nil
	default:
		s, ok := v.(string)
		if !ok {
			return nil, badCursor()
		}
		return s, nil
	}
}

// applyFilter adds one filter's condition, or a diagnostic.
func (s *Service) applyFilter(q *bun.SelectQuery, t *registry.Type, f Filter, diags *contenttypes.Diagnostics) {
	path := "filter[" + f.Field + "]"
	if f.Op != "eq" {
		path += "[" + f.Op + "]"
	}
	sqlOp := map[string]string{"eq": "=", "ne": "<>", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}[f.Op]
	if col, ok := builtinColumns[f.Field]; ok {
		if timeColumns[f.Field] {
			tm, err := time.Parse(time.RFC3339Nano, f.Value)
			if err != nil {
				diags.AppendErrorf(path, contenttypes.CodeInvalidFormat, "expected an RFC 3339 date-time, got %q", f.Value)
				return
			}
			if f.Op == "in" {
				diags.AppendErrorf(path, "unknown_operator", "operator in is not supported on %s", f.Field)
				return
			}
			q.Where(col+" "+sqlOp+" ?", tm.UTC())
			return
		}
		if f.Op == "in" {
			q.Where(col+" IN (?)", bun.List(splitList(f.Value)))
			return
		}
		q.Where(col+" "+sqlOp+" ?", f.Value)
		return
	}
	fd, ok := t.Field(f.Field)
	if !ok || !fd.Indexed {
		diags.AppendErrorf(path, "unknown_filter_field", "cannot filter on %q; filterable: %s, parent", f.Field, strings.Join(filterable(t), ", "))
		return
	}
	values := []string{f.Value}
	if f.Op == "in" {
		values = splitList(f.Value)
	}
	col := "x.v_text"
	if isNumeric(fd.Kind) {
		col = "x.v_num"
	}
	args := make([]any, 0, len(values))
	for _, v := range values {
		ie, err := fd.IndexValue(v)
		if err != nil {
			diags.AppendError(path, contenttypes.CodeInvalidFormat, err.Error())
			return
		}
		if ie.Num != nil {
			args = append(args, *ie.Num)
		} else if ie.Text != nil {
			args = append(args, *ie.Text)
		}
	}
	sub := "SELECT 1 FROM entry_index AS x WHERE x.entry_id = e.id AND x.type_key = ? AND x.field = ? AND "
	switch f.Op {
	case "in":
		q.Where("EXISTS ("+sub+col+" IN (?))", t.Key, fd.Name, bun.List(args))
	case "ne":
		q.Where("NOT EXISTS ("+sub+col+" = ?)", t.Key, fd.Name, args[0])
	default:
		q.Where("EXISTS ("+sub+col+" "+sqlOp+" ?)", t.Key, fd.Name, args[0])
	}
}

func filterable(t *registry.Type) []string {
	out := []string{"id", "slug", "title", "first_published_at", "published_at"}
	for _, f := range t.IndexedFields() {
		out = append(out, f.Name)
	}
	return out
}

// searchTerms splits a user query into words (letters and digits). Each
// is quoted for FTS5, so no query syntax reaches the database: a user
// cannot cause a syntax error (or a 500) with quotes or operators.
func searchTerms(q string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(q, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if len(out) == 16 {
			break
		}
		out = append(out, w)
	}
	return out
}

// applySearch restricts q to entries matching every term and exposes the
// relevance as fts.rank.
func (s *Service) applySearch(q *bun.SelectQuery, typeKey string, terms []string) {
	if s.db.Backend == store.Postgres {
		q.Join(`JOIN (SELECT entry_id, ts_rank_cd(doc, plainto_tsquery('english', ?)) AS rank FROM entry_search
			WHERE type_key = ? AND doc @@ plainto_tsquery('english', ?)) AS fts ON fts.entry_id = e.id`,
			strings.Join(terms, " "), typeKey, strings.Join(terms, " ")).ColumnExpr("fts.rank AS rank")
		return
	}
	quoted := make([]string, len(terms))
	for i, t := range terms {
		quoted[i] = `"` + t + `"`
	}
	q.Join(`JOIN (SELECT entry_id, bm25(entry_search, 0, 0, 10, 1) AS rank FROM entry_search
		WHERE entry_search MATCH ? AND type_key = ?) AS fts ON fts.entry_id = e.id`,
		strings.Join(quoted, " "), typeKey).ColumnExpr("fts.rank AS rank")
}
