package sdk

import (
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/hashicorp/go-plugin"
	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/plugins/protocol"
	"github.com/inklingcms/inkling/plugins/protocol/pluginv1"
)

// Serve checks the declaration and serves the plugin to the host; it is
// the whole of a plugin's main:
//
//	func main() { sdk.Serve(&sdk.Plugin{Name: "hello", Version: "1.0.0", ...}) }
//
// A declaration with an error (see [Plugin.Check]) prints every problem to
// stderr and exits with status 1 before serving, so a broken plugin fails
// at start, loudly. Serve returns only when the host is done with the
// plugin. Started by hand rather than by the host, the binary explains
// that it is a plugin and exits.
func Serve(p *Plugin) {
	set, err := PluginSet(p)
	if err != nil {
		name := "?"
		if p != nil {
			name = p.Name
		}
		fmt.Fprintf(os.Stderr, "inkling plugin %q: the declaration is invalid:\n", name)
		for _, d := range checkErrors(err) {
			fmt.Fprintf(os.Stderr, "  %s\n", d)
		}
		os.Exit(1)
	}
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: protocol.Handshake,
		Plugins:         set,
		GRPCServer:      plugin.DefaultGRPCServer,
	})
}

// PluginSet checks p and returns the go-plugin plugin set that serves it
// under protocol.PluginKey: what [Serve] serves, and what sdktest connects
// to an in-memory host. Plugin authors call Serve instead. The error, when
// there is one, is the contenttypes.Diagnostics of [Plugin.Check].

func PluginSet(p *Plugin) (plugin.PluginSet, error) {
	c, diags := compile(p)
	if diags.HasError() {
		return nil, diags.Errors()
	}
	logger := p.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	logger = logger.With("plugin", p.Name)
	jobKinds := make(map[string]bool, len(c.jobs))
	for k := range c.jobs {
		jobKinds[k] = true
	}
	gp := &protocol.GRPCPlugin{
		Impl: func(broker *plugin.GRPCBroker) pluginv1.PluginServer {
			return &server{c: c, p: p, broker: broker, log: logger, host: &Host{jobKinds: jobKinds}}
		},
	}
	return plugin.PluginSet{protocol.PluginKey: gp}, nil
}

func checkErrors(err error) []string {
	var ds contenttypes.Diagnostics
	if errors.As(err, &ds) {
		out := make([]string, len(ds))
		for i, d := range ds {
			out[i] = d.String()
		}
		return out
	}
	return []string{err.Error()}
}
