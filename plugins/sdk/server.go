package sdk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"

	"github.com/hashicorp/go-plugin"
	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/plugins/protocol/pluginv1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// server implements the Plugin service from a checked declaration. One
// file per group of RPCs: server.go (metadata, schema, configure),
// server_hooks.go, server_endpoint.go, server_jobs.go.
type server struct {
	pluginv1.UnimplementedPluginServer
	c      *compiled
	p      *Plugin
	broker *plugin.GRPCBroker
	host   *Host
	log    *slog.Logger
}

var _ pluginv1.PluginServer = (*server)(nil)

// GetMetadata answers from the declaration (no plugin code runs).
func (s *server) GetMetadata(context.Context, *pluginv1.GetMetadataRequest) (*pluginv1.GetMetadataResponse, error) {
	return s.c.metadata, nil
}

// GetSchema returns the declared content types as JSON.
func (s *server) GetSchema(context.Context, *pluginv1.GetSchemaRequest) (*pluginv1.GetSchemaResponse, error) {
	return &pluginv1.GetSchemaResponse{ContentTypesJson: slices.Clone(s.c.schema)}, nil
}

// Configure dials the Host service over the broker, keeps the settings and
// granted scopes, and runs Plugin.Configure. A host_broker_id of 0 means
// no Host service: the settings are kept and Host calls fail with
// ErrUnavailable.
func (s *server) Configure(ctx context.Context, req *pluginv1.ConfigureRequest) (*pluginv1.ConfigureResponse, error) {
	if id := req.GetHostBrokerId(); id != 0 {
		if s.broker == nil {
			return nil, status.Error(codes.FailedPrecondition, "configure: the plugin has no go-plugin broker to dial the Host service")
		}
		conn, err := s.broker.Dial(id)
		if err != nil {
			return nil, status.Errorf(codes.Unavailable, "configure: dialling the Host service (broker id %d): %v", id, err)
		}
		s.host.connect(conn, pluginv1.NewHostClient(conn), req)
	} else {
		s.host.connect(nil, nil, req)
	}
	if s.p.Configure == nil {
		return &pluginv1.ConfigureResponse{}, nil
	}
	err := s.safely("configure", func() error { return s.p.Configure(ctx, s.host) })
	if err == nil {
		return &pluginv1.ConfigureResponse{}, nil
	}
	var pe *panicError
	if errors.As(err, &pe) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return nil, s.fail("configure", err)
	}
	var diags contenttypes.Diagnostics
	if !errors.As(err, &diags) || len(diags) == 0 {
		diags = contenttypes.Diagnostics{{Severity: contenttypes.SeverityError, Code: "configure_failed",
			Summary: "the plugin could not be configured", Detail: err.Error()}}
	}
	return &pluginv1.ConfigureResponse{Diagnostics: diagsToProto(diags)}, nil
}

// panicError is a recovered panic.
type panicError struct {
	value any
}

func (e *panicError) Error() string { return fmt.Sprintf("panic: %v", e.value) }

// safely runs fn, turning a panic into a *panicError (logged with its
// stack) so that a bug in one call never kills the plugin.
func (s *server) safely(what string, fn func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("recovered a panic", "in", what, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			err = &panicError{value: v}
		}
	}()
	return fn()
}

// fail converts the error of plugin code into the gRPC error of the call.
func (s *server) fail(what string, err error) error {
	var pe *panicError
	if errors.As(err, &pe) {
		return status.Errorf(codes.Internal, "%s: %v", what, pe)
	}
	return rpcError(what, err)
}

// applies reports whether a hook bound to types applies to typ.
func applies(types []string, typ string) bool {
	return len(types) == 0 || slices.Contains(types, typ)
}
