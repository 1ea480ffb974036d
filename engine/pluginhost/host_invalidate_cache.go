package pluginhost

import (
	"context"

	"github.com/inklingcms/inkling/plugins/protocol"
	"github.com/inklingcms/inkling/plugins/protocol/pluginv1"
)

// InvalidateCache purges cached delivery responses by tag through
// Config.Cache. Scope cache:invalidate.
func (h *hostServer) InvalidateCache(ctx context.Context, req *pluginv1.InvalidateCacheRequest) (*pluginv1.InvalidateCacheResponse, error) {
	if err := h.require(protocol.ScopeCacheInvalidate, "InvalidateCache"); err != nil {
		return nil, err
	}
	if h.cfg().Cache == nil {
		return nil, notAvailable("InvalidateCache", "delivery cache")
	}
	if len(req.GetTags()) == 0 {
		return &pluginv1.InvalidateCacheResponse{}, nil
	}
	if err := h.cfg().Cache.InvalidateTags(ctx, req.GetTags()); err != nil {
		return nil, h.statusError("InvalidateCache", err)
	}
	return &pluginv1.InvalidateCacheResponse{}, nil
}
