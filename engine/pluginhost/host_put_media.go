package pluginhost

import (
	"context"

	"github.com/inklingcms/inkling/plugins/protocol"
	"github.com/inklingcms/inkling/plugins/protocol/pluginv1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// PutMedia stores a media asset through Config.Media. Scope media:write.
func (h *hostServer) PutMedia(ctx context.Context, req *pluginv1.PutMediaRequest) (*pluginv1.PutMediaResponse, error) {
	if err := h.require(protocol.ScopeMediaWrite, "PutMedia"); err != nil {
		return nil, err
	}
	if h.cfg().Media == nil {
		return nil, notAvailable("PutMedia", "media store")
	}
	if req.GetFilename() == "" {
		return nil, status.Error(codes.InvalidArgument, "PutMedia needs a filename")
	}
	obj, err := h.cfg().Media.PutMedia(ctx, MediaUpload{Actor: h.principal, Filename: req.GetFilename(),
		ContentType: req.GetContentType(), Data: req.GetData()})
	if err != nil {
		return nil, h.statusError("PutMedia", err)
	}
	return &pluginv1.PutMediaResponse{Key: obj.Key, Url: obj.URL}, nil
}
