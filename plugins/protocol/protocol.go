// Package protocol is the plugin wire contract shared by the host
// (engine/pluginhost) and the SDK (plugins/sdk): the gRPC services generated
// from plugin.proto (package pluginv1), the go-plugin handshake and the
// go-plugin adapter. It imports nothing else of Inkling's.
package protocol

import (
	"context"
	"errors"

	"github.com/hashicorp/go-plugin"
	"github.com/inklingcms/inkling/plugins/protocol/pluginv1"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Version is the protocol version negotiated in the handshake. A change that
// breaks old plugins bumps it; additive changes (new optional messages,
// fields, RPCs) do not.
const Version = 1

// PluginKey names the one plugin kind in go-plugin's plugin map.
const PluginKey = "inkling"

// Handshake is the go-plugin handshake. The cookie is not a security
// measure: it stops a user from running a plugin binary by hand by mistake.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  Version,
	MagicCookieKey:   "INKLING_PLUGIN",
	MagicCookieValue: "d3b07384d113edec49eaa6238ad5ff00-inkling-plugin",
}

// GRPCPlugin adapts the Plugin service to go-plugin. On the plugin side
// Impl is set; on the host side it is nil and GRPCClient returns a *Client.
type GRPCPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	// Impl builds the Plugin service implementation (plugin side only). It
	// receives the broker so it can dial the Host service.
	Impl func(broker *plugin.GRPCBroker) pluginv1.PluginServer
}

var _ plugin.GRPCPlugin = (*GRPCPlugin)(nil)

// GRPCServer registers the plugin's implementation.
func (p *GRPCPlugin) GRPCServer(broker *plugin.GRPCBroker, s *grpc.Server) error {
	if p.Impl == nil {
		return errors.New("protocol: the host side does not serve the Plugin service")
	}
	pluginv1.RegisterPluginServer(s, p.Impl(broker))
	return nil
}

// Client is the host's handle on a plugin: the generated client plus the
// broker used to serve the Host service back to it.
type Client struct {
	pluginv1.PluginClient
	Broker *plugin.GRPCBroker
}

// GRPCClient returns the host-side client.
func (p *GRPCPlugin) GRPCClient(_ context.Context, broker *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return &Client{PluginClient: pluginv1.NewPluginClient(c), Broker: broker}, nil
}

// Scopes a plugin may be granted for Host calls.
const (
	ScopeEntriesRead     = "entries:read"
	ScopeEntriesWrite    = "entries:write"
	ScopeEntriesPublish  = "entries:publish"
	ScopeJobsEnqueue     = "jobs:enqueue"
	ScopeCacheInvalidate = "cache:invalidate"
	ScopeMediaWrite      = "media:write"
)

// Hooks a plugin may bind.
const (
	HookValidate       = "validate"
	HookBeforeSave     = "before_save"
	HookAfterSave      = "after_save"
	HookAfterPublish   = "after_publish"
	HookAfterUnpublish = "after_unpublish"
	HookWorkflow       = "workflow"
)

// ErrorDomain is the domain of the errdetails.ErrorInfo this protocol
// attaches to statuses.
const ErrorDomain = "inkling.plugin"

// ReasonPermanent marks the failure of a job that retrying cannot fix (a
// rejected API key, an invalid request): the host records it and does not
// retry the job.
const ReasonPermanent = "PERMANENT"

// PermanentStatus is a status error carrying ReasonPermanent.
func PermanentStatus(code codes.Code, msg string) error {
	st := status.New(code, msg)
	if d, err := st.WithDetails(&errdetails.ErrorInfo{Domain: ErrorDomain, Reason: ReasonPermanent}); err == nil {
		st = d
	}
	return st.Err()
}

// IsPermanent reports whether err (or an error it wraps) is a status
// error carrying ReasonPermanent.
func IsPermanent(err error) bool {
	var se interface{ GRPCStatus() *status.Status }
	if !errors.As(err, &se) {
		return false
	}
	for _, d := range se.GRPCStatus().Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok && info.GetDomain() == ErrorDomain && info.GetReason() == ReasonPermanent {
			return true
		}
	}
	return false
}
