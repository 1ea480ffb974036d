package pluginhost

import (
	"context"
	"encoding/json"
	"time"

	"github.com/inklingcms/inkling/plugins/protocol"
	"github.com/inklingcms/inkling/plugins/protocol/pluginv1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// EnqueueJob enqueues one of the plugin's own job kinds through
// Config.Jobs. Scope jobs:enqueue.
func (h *hostServer) EnqueueJob(ctx context.Context, req *pluginv1.EnqueueJobRequest) (*pluginv1.EnqueueJobResponse, error) {
	if err := h.require(protocol.ScopeJobsEnqueue, "EnqueueJob"); err != nil {
		return nil, err
	}
	if h.cfg().Jobs == nil {
		return nil, notAvailable("EnqueueJob", "job queue")
	}
	if declaredJob(h.pr.meta, req.GetKind()) == nil {
		return nil, status.Errorf(codes.InvalidArgument, "plugin %s declares no job kind %q", h.p.name, req.GetKind())
	}
	if req.GetDelaySeconds() < 0 {
		return nil, status.Error(codes.InvalidArgument, "delay_seconds must not be negative")
	}
	if a := req.GetArgsJson(); len(a) > 0 && !json.Valid(a) {
		return nil, status.Error(codes.InvalidArgument, "args_json is not valid JSON")
	}
	id, err := h.cfg().Jobs.EnqueuePluginJob(ctx, PluginJob{Plugin: h.p.name, Kind: req.GetKind(), Args: req.GetArgsJson(),
		Delay: time.Duration(req.GetDelaySeconds()) * time.Second})
	if err != nil {
		return nil, h.statusError("EnqueueJob", err)
	}
	return &pluginv1.EnqueueJobResponse{JobId: id}, nil
}
