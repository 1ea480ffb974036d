package pluginhost

import (
	"context"

	"github.com/inklingcms/inkling/plugins/protocol"
	"github.com/inklingcms/inkling/plugins/protocol/pluginv1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// GetEntry returns an entry: its latest draft, or with published its live
// version (NotFound when it is not live). Scope entries:read.
func (h *hostServer) GetEntry(ctx context.Context, req *pluginv1.GetEntryRequest) (*pluginv1.GetEntryResponse, error) {
	if err := h.require(protocol.ScopeEntriesRead, "GetEntry"); err != nil {
		return nil, err
	}
	if h.cfg().Entries == nil {
		return nil, notAvailable("GetEntry", "entry service")
	}
	if req.GetId() == "" {
		return nil, status.Error(codes.InvalidArgument, "GetEntry needs an id")
	}
	d, err := h.cfg().Entries.Get(ctx, h.principal, req.GetId())
	if err != nil {
		return nil, h.statusError("GetEntry", err)
	}
	if req.GetPublished() && !d.Live {
		return nil, status.Errorf(codes.NotFound, "entry %s is not published", req.GetId())
	}
	return &pluginv1.GetEntryResponse{Entry: protoEntry(d, req.GetPublished())}, nil
}
