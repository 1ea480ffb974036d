package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/cache"
	"github.com/inklingcms/inkling/engine/pluginhost"
	"github.com/inklingcms/inkling/engine/related"
)

// relatedList serves a plugin's declared related list (RelatedListSpec)
// without calling the plugin: it ranks with the engine's ranker and splices
// the entries as delivery renders them into the declared body. It returns
// the body and its cache tags: the plugin's, the seed's, every listed
// entry's and the type's (a newly published entry may rank higher).
func (s *Server) relatedList(ctx context.Context, ep *pluginhost.Endpoint, spec *pluginhost.RelatedList, params, query map[string]string) ([]byte, []string, error) {
	what := fmt.Sprintf("plugin %s's related list %s", ep.Plugin, ep.Spec.GetPath())
	if s.Ranker == nil || s.Delivery == nil || s.Types == nil {
		return nil, nil, fmt.Errorf("%s: this server has no related ranker", what)
	}
	q, err := s.relatedQuery(ctx, spec, params, query)
	if err != nil {
		return nil, nil, err
	}
	hits, err := s.Ranker.Related(ctx, q)
	var ae *apperr.Error
	switch {
	case errors.As(err, &ae) && ae.Code == apperr.NotFound:
		return nil, nil, err
	case err != nil:
		// Anything else, a validation error included, is the declaration's
		// fault (a field that is not an indexed tags field), not the
		// client's: a 500 that names it.
		return nil, nil, fmt.Errorf("%s: %s", what, err.Error())
	}
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.EntryID
	}
	// The entries are rendered into a pooled buffer and copied once, in
	// rank order, into the body: a related list is mostly its entries, and
	// rendering each into its own slice doubled the garbage.
	buf := s.itemBufs.Get().(*[]byte)
	defer s.itemBufs.Put(buf)
	rendered, spans, err := s.Delivery.AppendItems(ctx, q.Type, ids, (*buf)[:0])
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", what, err)
	}
	*buf = rendered
	items := make(map[string][]byte, len(spans))
	for _, sp := range spans {
		items[sp.ID] = rendered[sp.Start:sp.End]
	}
	tags := make([]string, 0, len(hits)+3)
	tags = append(tags, "plugin:"+ep.Plugin, cache.TypeTag(q.Type), cache.EntryTag(q.Seed))
	for _, h := range hits {
		tags = append(tags, cache.EntryTag(h.EntryID))
	}
	return appendRelatedBody(nil, spec, q.Seed, hits, items), tags, nil
}

// relatedQuery reads a related list's request. Client mistakes are 422
// problems naming the query parameter.
func (s *Server) relatedQuery(ctx context.Context, spec *pluginhost.RelatedList, params, query map[string]string) (related.Query, error) {
	q := related.Query{Type: spec.Type, Field: spec.Field, Seed: params[spec.SeedParam], Limit: spec.DefaultLimit}
	var diags contenttypes.Diagnostics
	lp := spec.LimitParam
	if v := strings.TrimSpace(query[lp]); v != "" {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil:
			diags.AppendErrorf(lp, contenttypes.CodeInvalidFormat, "expected an integer, got %q", query[lp])
		case n < 1 || n > spec.MaxLimit:
			diags.AppendErrorf(lp, contenttypes.CodeOutOfRange, "expected 1 to %d", spec.MaxLimit)
		default:
			q.Limit = n
		}
	}
	if fp := spec.FilterParam; fp != "" && spec.FilterField != "" {
		var choices []string
		t, err := s.Types.Get(ctx, q.Type)
		if err != nil {
			// The declaration names a type this server lacks: a 500,
			// not the client's 404.
			return q, fmt.Errorf("related list of %s: %s", q.Type, err.Error())
		}
		if f, ok := t.Field(spec.FilterField); ok {
			for _, c := range f.Choices {
				choices = append(choices, c.Value)
			}
		}
		for _, v := range strings.Split(query[fp], ",") {
			if v = strings.TrimSpace(v); v == "" {
				continue
			}
			if len(choices) > 0 && !slices.Contains(choices, v) {
				diags.AppendErrorf(fp, contenttypes.CodeInvalidChoice, "unknown %s %q; known: %s", spec.FilterField, v, strings.Join(choices, ", "))
			}
			q.FilterValues = append(q.FilterValues, v)
		}
		if len(q.FilterValues) > 0 {
			q.FilterField = spec.FilterField
		}
	}
	if diags.HasError() {
		return q, apperr.Validation("the request is invalid", diags)
	}
	return q, nil
}

// appendRelatedBody appends
// {"items":[{"overlap":n,"<item_key>":{…}},…],"<seed_key>":"<seed>"}.
// Hits whose entry is missing from items (unpublished since it was
// ranked) are left out. The items are delivery's own rendering, valid JSON
// by construction, so nothing is re-encoded or re-checked.
func appendRelatedBody(b []byte, spec *pluginhost.RelatedList, seed string, hits []related.Hit, items map[string][]byte) []byte {
	itemKey, _ := json.Marshal(spec.ItemKey)
	seedKey, _ := json.Marshal(spec.SeedKey)
	if b == nil {
		size := 64 + len(seed)
		for _, it := range items {
			size += 32 + len(itemKey) + len(it)
		}
		b = make([]byte, 0, size)
	}
	b = append(b, `{"items":[`...)
	first := true
	for _, h := range hits {
		it, ok := items[h.EntryID]
		if !ok {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, `{"overlap":`...)
		b = strconv.AppendInt(b, int64(h.Overlap), 10)
		b = append(b, ',')
		b = append(b, itemKey...)
		b = append(b, ':')
		b = append(b, it...)
		b = append(b, '}')
	}
	b = append(b, "],"...)
	b = append(b, seedKey...)
	b = append(b, ':')
	quoted, _ := json.Marshal(seed)
	b = append(b, quoted...)
	return append(b, '}')
}
