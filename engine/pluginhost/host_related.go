package pluginhost

import (
	"context"

	"github.com/inklingcms/inkling/engine/related"
	"github.com/inklingcms/inkling/plugins/protocol"
	"github.com/inklingcms/inkling/plugins/protocol/pluginv1"
)

// RelatedService ranks related entries and renders them as the delivery
// API does (the wiring adapts engine/related and engine/delivery).
type RelatedService interface {
	Related(ctx context.Context, q related.Query) ([]related.Hit, error)
	Items(ctx context.Context, typ string, ids []string) (map[string][]byte, error)
}

// RelatedEntries ranks published entries by shared terms with a seed.
// Scope entries:read.
func (h *hostServer) RelatedEntries(ctx context.Context, req *pluginv1.RelatedRequest) (*pluginv1.RelatedResponse, error) {
	if err := h.require(protocol.ScopeEntriesRead, "RelatedEntries"); err != nil {
		return nil, err
	}
	svc := h.cfg().Related
	if svc == nil {
		return nil, notAvailable("RelatedEntries", "related ranker")
	}
	hits, err := svc.Related(ctx, related.Query{Type: req.GetType(), Field: req.GetField(), Seed: req.GetSeedId(),
		FilterField: req.GetFilterField(), FilterValues: req.GetFilterValues(), Limit: int(req.GetLimit())})
	if err != nil {
		return nil, h.statusError("RelatedEntries", err)
	}
	ids := make([]string, len(hits))
	for i, hit := range hits {
		ids[i] = hit.EntryID
	}
	items, err := svc.Items(ctx, req.GetType(), ids)
	if err != nil {
		return nil, h.statusError("RelatedEntries", err)
	}
	out := &pluginv1.RelatedResponse{}
	for _, hit := range hits {
		if b, ok := items[hit.EntryID]; ok { // unpublished meanwhile: skipped
			out.Hits = append(out.Hits, &pluginv1.RelatedHit{Id: hit.EntryID, Overlap: int32(hit.Overlap), ItemJson: b})
		}
	}
	return out, nil
}
