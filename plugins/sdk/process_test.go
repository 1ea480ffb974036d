package sdk_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/inklingcms/inkling/plugins/protocol"
	"github.com/inklingcms/inkling/plugins/protocol/pluginv1"
	"github.com/inklingcms/inkling/plugins/sdk"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// processPlugin is served by the re-executed test binary.
func processPlugin() *sdk.Plugin {
	p := basePlugin()
	p.Scopes = []string{sdk.ScopeEntriesRead}
	p.Endpoints = []sdk.Endpoint{{Path: "/probe", Handle: func(ctx context.Context, h *sdk.Host, _ *sdk.Request) (*sdk.Response, error) {
		settings, secrets, err := h.Settings(ctx)
		if err != nil {
			return nil, err
		}
		_, err = h.GetEntry(ctx, "x", true)
		return sdk.OK(map[string]any{
			"settings": settings, "secrets": secrets, "scopes": h.Scopes(),
			"permission": errors.Is(err, sdk.ErrPermission), "message": err.Error(),
		}), nil
	}}}
	p.Jobs[0].Run = func(context.Context, *sdk.Host, *sdk.JobRun) error { panic("boom") }
	return p
}

// fakeHost answers GetSettings and refuses GetEntry, like a host that did
// not grant entries:read.
type fakeHost struct {
	pluginv1.UnimplementedHostServer
}

func (fakeHost) GetSettings(context.Context, *pluginv1.GetSettingsRequest) (*pluginv1.GetSettingsResponse, error) {
	return &pluginv1.GetSettingsResponse{Settings: map[string]string{"greeting": "hi"}, Secrets: map[string]string{"API_KEY": "k"}}, nil
}

func (fakeHost) GetEntry(context.Context, *pluginv1.GetEntryRequest) (*pluginv1.GetEntryResponse, error) {
	return nil, status.Error(codes.PermissionDenied, "plugin notes was not granted entries:read")
}

// TestProcess runs the plugin as a separate process the way the host does:
// go-plugin client, handshake, AutoMTLS, the Host service served on the
// broker and dialled back by Configure.
func TestProcess(t *testing.T) {
	if os.Getenv("SDK_TEST_SERVE") == "process" {
		sdk.Serve(processPlugin())
		return
	}
	if testing.Short() {
		t.Skip("starts a process")
	}
	set, err := sdk.PluginSet(basePlugin()) // the host side needs only GRPCClient
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestProcess$")
	cmd.Env = append(os.Environ(), "SDK_TEST_SERVE=process")
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  protocol.Handshake,
		Plugins:          set,
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		Logger:           hclog.New(&hclog.LoggerOptions{Output: hclogWriter{t}, Level: hclog.Warn}),
	})
	t.Cleanup(client.Kill)
	rpc, err := client.Client()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := rpc.Dispense(protocol.PluginKey)
	if err != nil {
		t.Fatal(err)
	}
	pc := raw.(*protocol.Client)
	ctx := t.Context()

	md, err := pc.GetMetadata(ctx, &pluginv1.GetMetadataRequest{})
	if err != nil || md.GetName() != "notes" || md.GetSdkVersion() != sdk.Version {
		t.Fatalf("GetMetadata: %v %v", md, err)
	}
	id := pc.Broker.NextId()
	go pc.Broker.AcceptAndServe(id, func(opts []grpc.ServerOption) *grpc.Server {
		s := grpc.NewServer(opts...)
		pluginv1.RegisterHostServer(s, fakeHost{})
		return s
	})
	cr, err := pc.Configure(ctx, &pluginv1.ConfigureRequest{HostBrokerId: id, GrantedScopes: []string{"cache:invalidate"}, Settings: map[string]string{"greeting": "hi"}})
	if err != nil || len(cr.GetDiagnostics()) > 0 {
		t.Fatalf("Configure: %v %v", cr, err)
	}
	resp, err := pc.HandleEndpoint(ctx, &pluginv1.EndpointRequest{Method: "GET", Path: "/probe"})
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	if err := json.Unmarshal(resp.GetBody(), &body); err != nil {
		t.Fatal(err)
	}
	want := `{"message":"inkling host: GetEntry: plugin notes was not granted entries:read","permission":true,"scopes":["cache:invalidate"],"secrets":{"API_KEY":"k"},"settings":{"greeting":"hi"}}`
	if got, _ := json.Marshal(body); string(got) != want {
		t.Errorf("got %s\nwant %s", got, want)
	}

	// A panic fails the call, not the process.
	_, err = pc.RunJob(ctx, &pluginv1.JobRequest{Kind: "reindex"})
	wantCode(t, err, codes.Internal, "boom")
	if _, err := pc.Validate(ctx, &pluginv1.HookRequest{Type: "note", FieldsJson: []byte(`{}`)}); err != nil {
		t.Fatalf("after a panic: %v", err)
	}
	if client.Exited() {
		t.Fatal("the plugin process exited")
	}
}

type hclogWriter struct{ t *testing.T }

func (w hclogWriter) Write(b []byte) (int, error) {
	w.t.Log(string(b))
	return len(b), nil
}
