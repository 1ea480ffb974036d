package pluginhost

import (
	"context"
	"errors"

	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/auth"
	"github.com/inklingcms/inkling/plugins/protocol/pluginv1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// hostServer is the Host service of ONE plugin process: every call knows
// which plugin makes it, and is checked against the scopes granted to that
// process (as plugin.proto documents each RPC). One RPC per file:
// host_<rpc>.go.
type hostServer struct {
	pluginv1.UnimplementedHostServer
	p         *instance
	pr        *process
	scopes    map[string]bool
	principal auth.Principal
}

var _ pluginv1.HostServer = (*hostServer)(nil)

func newHostServer(p *instance, pr *process, granted []string) *hostServer {
	h := &hostServer{p: p, pr: pr, scopes: map[string]bool{}, principal: PluginPrincipal(p.name)}
	for _, s := range granted {
		h.scopes[s] = true
	}
	return h
}

// newServer builds the gRPC server go-plugin's broker serves.
func (h *hostServer) newServer(opts []grpc.ServerOption) *grpc.Server {
	s := grpc.NewServer(opts...)
	pluginv1.RegisterHostServer(s, h)
	return s
}

func (h *hostServer) cfg() *Config { return &h.p.m.cfg }

// require refuses a call outside the plugin's scopes.
func (h *hostServer) require(scope, rpc string) error {
	if h.scopes[scope] {
		return nil
	}
	h.p.m.log.Warn("plugin call refused: scope not granted", "plugin", h.p.name, "rpc", rpc, "scope", scope)
	return status.Errorf(codes.PermissionDenied, "plugin %s may not call %s: it was not granted scope %q", h.p.name, rpc, scope)
}

// notAvailable answers an RPC whose subsystem this server does not have.
func notAvailable(rpc, what string) error {
	return status.Errorf(codes.Unimplemented, "%s is not available in this server yet (no %s is configured)", rpc, what)
}

// statusError maps an application error to a gRPC status.
func (h *hostServer) statusError(rpc string, err error) error {
	if errors.Is(err, context.Canceled) {
		return status.Error(codes.Canceled, err.Error())
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return status.Error(codes.DeadlineExceeded, err.Error())
	}
	e, ok := apperr.As(err)
	if !ok || e.Code == apperr.Internal {
		h.p.m.log.Error("plugin call failed", "plugin", h.p.name, "rpc", rpc, "error", err.Error())
		return status.Errorf(codes.Internal, "%s failed with an internal error (logged by the host)", rpc)
	}
	msg := e.Message
	if len(e.Diagnostics) > 0 {
		msg += ": " + e.Diagnostics.Error()
	}
	code := codes.Unknown
	switch e.Code {
	case apperr.Invalid, apperr.Malformed:
		code = codes.InvalidArgument
	case apperr.NotFound:
		code = codes.NotFound
	case apperr.Conflict:
		// A duplicate (a slug in use) comes with diagnostics; a stale base
		// revision or a lock without.
		code = codes.Aborted
		if len(e.Diagnostics) > 0 {
			code = codes.AlreadyExists
		}
	case apperr.Forbidden:
		code = codes.PermissionDenied
	case apperr.Unauthorized:
		code = codes.Unauthenticated
	case apperr.RateLimited, apperr.TooLarge:
		code = codes.ResourceExhausted
	case apperr.Unavailable:
		code = codes.Unavailable
	case apperr.Timeout:
		code = codes.DeadlineExceeded
	}
	return status.Error(code, msg)
}
