package pluginhost

import (
	"context"
	"errors"

	"github.com/hashicorp/go-plugin"
	"github.com/inklingcms/inkling/plugins/protocol"
	"google.golang.org/grpc"
)

// hostPlugin puts protocol.GRPCPlugin into go-plugin's PluginSet.
//
// *protocol.GRPCPlugin itself does not implement plugin.Plugin: its Server
// field shadows the Server method promoted from NetRPCUnsupportedPlugin.
// Until the protocol renames that field, the host wraps it and delegates
// GRPCClient, which returns the *protocol.Client.
type hostPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	proto protocol.GRPCPlugin
}

var _ plugin.GRPCPlugin = (*hostPlugin)(nil)

func (*hostPlugin) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error {
	return errors.New("pluginhost: the host does not serve the Plugin service")
}

func (h *hostPlugin) GRPCClient(ctx context.Context, broker *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return h.proto.GRPCClient(ctx, broker, c)
}
