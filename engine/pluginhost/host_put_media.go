package pluginhost

import (
	"context"

	"github.com/inklingcms/inkling/plugins/protocol"
	"github.com/inklingcms/inkling/plugins/protocol/pluginv1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// PutMedia stores a media asset through Config.Media, attached to an entry
// when the request names one. Scope media:write.
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
	if (req.GetEntryId() == "") != (req.GetRole() == "") {
		return nil, status.Error(codes.InvalidArgument, "an attachment needs both an entry id and a role")
	}
	obj, err := h.cfg().Media.PutMedia(ctx, MediaUpload{Actor: h.principal, Filename: req.GetFilename(),
		ContentType: req.GetContentType(), Data: req.GetData(), EntryID: req.GetEntryId(), Role: req.GetRole(), SourceHash: req.GetSourceHash()})
	if err != nil {
		return nil, h.statusError("PutMedia", err)
	}
	if obj.EntryID != "" {
		h.p.m.log.Info("plugin attached media", "plugin", h.p.name, "entry", obj.EntryID, "role", obj.Role, "key", obj.Key)
	}
	return &pluginv1.PutMediaResponse{Key: obj.Key, Url: obj.URL, Asset: protoMedia(obj)}, nil
}

// GetEntryMedia lists the media attached to an entry. Scope entries:read.
func (h *hostServer) GetEntryMedia(ctx context.Context, req *pluginv1.GetEntryMediaRequest) (*pluginv1.GetEntryMediaResponse, error) {
	if err := h.require(protocol.ScopeEntriesRead, "GetEntryMedia"); err != nil {
		return nil, err
	}
	if h.cfg().Media == nil {
		return nil, notAvailable("GetEntryMedia", "media store")
	}
	if req.GetEntryId() == "" {
		return nil, status.Error(codes.InvalidArgument, "GetEntryMedia needs an entry id")
	}
	list, err := h.cfg().Media.EntryMedia(ctx, req.GetEntryId(), req.GetRole())
	if err != nil {
		return nil, h.statusError("GetEntryMedia", err)
	}
	out := &pluginv1.GetEntryMediaResponse{}
	for _, m := range list {
		out.Media = append(out.Media, protoMedia(m))
	}
	return out, nil
}

func protoMedia(m MediaObject) *pluginv1.MediaAsset {
	return &pluginv1.MediaAsset{Key: m.Key, Url: m.URL, ContentType: m.ContentType, Size: m.Size, Sha256: m.SHA256,
		Width: int32(m.Width), Height: int32(m.Height), EntryId: m.EntryID, Role: m.Role, SourceHash: m.SourceHash}
}
