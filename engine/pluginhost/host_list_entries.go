package pluginhost

import (
	"context"
	"sort"
	"strings"

	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/delivery"
	"github.com/inklingcms/inkling/engine/entries"
	"github.com/inklingcms/inkling/plugins/protocol"
	"github.com/inklingcms/inkling/plugins/protocol/pluginv1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Limits of ListEntries.
const (
	defaultListLimit = 20
	maxListLimit     = 100
)

// ListEntries lists entries of a type: published ones through the delivery
// service (filters on indexed fields: "field" for equality or
// "field[op]" with op one of eq, ne, lt, lte, gt, gte, in), or latest
// drafts through the entry service (no filters). Scope entries:read.
func (h *hostServer) ListEntries(ctx context.Context, req *pluginv1.ListEntriesRequest) (*pluginv1.ListEntriesResponse, error) {
	if err := h.require(protocol.ScopeEntriesRead, "ListEntries"); err != nil {
		return nil, err
	}
	if h.cfg().Entries == nil {
		return nil, notAvailable("ListEntries", "entry service")
	}
	if req.GetType() == "" {
		return nil, status.Error(codes.InvalidArgument, "ListEntries needs a type")
	}
	limit := int(req.GetLimit())
	if limit <= 0 {
		limit = defaultListLimit
	}
	limit = min(limit, maxListLimit)
	if req.GetPublished() {
		return h.listPublished(ctx, req, limit)
	}
	if len(req.GetFilters()) > 0 {
		return nil, status.Error(codes.InvalidArgument, "ListEntries filters apply to published entries only")
	}
	list, err := h.cfg().Entries.List(ctx, h.principal, entries.ListParams{Type: req.GetType(), After: req.GetCursor(), Limit: limit})
	if err != nil {
		return nil, h.statusError("ListEntries", err)
	}
	resp := &pluginv1.ListEntriesResponse{}
	for _, e := range list {
		d, err := h.cfg().Entries.Get(ctx, h.principal, e.ID)
		if apperr.Is(err, apperr.NotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, h.statusError("ListEntries", err)
		}
		resp.Entries = append(resp.Entries, protoEntry(d, false))
	}
	if len(list) == limit {
		resp.NextCursor = list[len(list)-1].ID
	}
	return resp, nil
}

func (h *hostServer) listPublished(ctx context.Context, req *pluginv1.ListEntriesRequest, limit int) (*pluginv1.ListEntriesResponse, error) {
	if h.cfg().Delivery == nil {
		return nil, notAvailable("ListEntries of published entries", "delivery service")
	}
	q := delivery.ListQuery{Type: req.GetType(), Limit: limit, Cursor: req.GetCursor()}
	keys := make([]string, 0, len(req.GetFilters()))
	for k := range req.GetFilters() {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		field, op := k, "eq"
		if i := strings.Index(k, "["); i > 0 && strings.HasSuffix(k, "]") {
			field, op = k[:i], k[i+1:len(k)-1]
		}
		q.Filters = append(q.Filters, delivery.Filter{Field: field, Op: op, Value: req.GetFilters()[k]})
	}
	page, err := h.cfg().Delivery.List(ctx, q)
	if err != nil {
		return nil, h.statusError("ListEntries", err)
	}
	resp := &pluginv1.ListEntriesResponse{}
	for _, it := range page.Items {
		// The delivery document is rendered; plugins get input-shaped
		// values, which the entry row holds for the live version.
		d, err := h.cfg().Entries.Get(ctx, h.principal, it.ID)
		if apperr.Is(err, apperr.NotFound) {
			continue
		}
		if err != nil {
			return nil, h.statusError("ListEntries", err)
		}
		if !d.Live {
			continue // unpublished meanwhile
		}
		resp.Entries = append(resp.Entries, protoEntry(d, true))
	}
	if page.NextCursor != nil {
		resp.NextCursor = *page.NextCursor
	}
	return resp, nil
}
