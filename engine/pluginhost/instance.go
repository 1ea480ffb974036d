package pluginhost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-plugin"
	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/registry"
	"github.com/inklingcms/inkling/plugins/protocol"
	"github.com/inklingcms/inkling/plugins/protocol/pluginv1"
)

// knownScopes are the scopes this host can grant.
var knownScopes = []string{protocol.ScopeEntriesRead, protocol.ScopeEntriesWrite, protocol.ScopeEntriesPublish, protocol.ScopeJobsEnqueue,
	protocol.ScopeCacheInvalidate, protocol.ScopeMediaWrite}

// knownHooks are the hooks a plugin may bind.
var knownHooks = []string{protocol.HookValidate, protocol.HookBeforeSave, protocol.HookAfterSave,
	protocol.HookAfterPublish, protocol.HookAfterUnpublish, protocol.HookWorkflow}

// instance is one plugin of the catalog and, when it runs, its process.
type instance struct {
	m       *Manager
	name    string
	factory func() *exec.Cmd // built-ins

	// op serialises lifecycle operations on this plugin (start, stop,
	// reload, enable, disable, settings). The supervisor never takes it.
	op  sync.Mutex
	sup *supervisor // guarded by op

	mu       sync.RWMutex
	rec      record // catalog state
	present  bool   // the executable or built-in exists
	status   string
	lastErr  string
	proc     *process                      // nil unless running
	meta     *pluginv1.GetMetadataResponse // last good metadata; binds hooks while running or restarting
	restarts int
}

// process is one running plugin process.
type process struct {
	client   *plugin.Client
	rpc      pluginv1.PluginClient
	meta     *pluginv1.GetMetadataResponse
	granted  []string
	pid      int
	started  time.Time
	hostDone sync.WaitGroup // the Host service goroutine
	upgrades []*upgradePlan // migrations to save once the plugin runs
}

// kill ends the process (gracefully, then by force) and waits for its Host
// service to stop.
func (pr *process) kill() {
	pr.client.Kill()
	pr.hostDone.Wait()
}

// refusal is a start failure that retrying cannot fix: the plugin is marked
// with status and not restarted.
type refusal struct {
	status string
	msg    string
}

func (r *refusal) Error() string { return r.msg }

func refuse(status, format string, args ...any) *refusal {
	return &refusal{status: status, msg: fmt.Sprintf(format, args...)}
}

// snapshot returns the catalog state.
func (p *instance) snapshot() record {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.rec
}

// baseEnv is the environment of a plugin process whose command has none.
func baseEnv() []string {
	var env []string
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "TZ", "LANG", "LC_ALL", "SYSTEMROOT"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	if env == nil {
		env = []string{}
	}
	return env
}

// command returns the command that serves the plugin and, for external
// plugins, the checksum go-plugin verifies at exec time.
func (p *instance) command(rec record) (*exec.Cmd, *plugin.SecureConfig, error) {
	switch rec.Kind {
	case KindBuiltin:
		if p.factory == nil {
			return nil, nil, refuse(StatusMissing, "built-in plugin %s is not part of this binary", p.name)
		}
		cmd := p.factory()
		if cmd == nil {
			return nil, nil, refuse(StatusFailed, "built-in plugin %s: its factory returned no command", p.name)
		}
		return cmd, nil, nil
	case KindExternal:
		if rec.SHA256 == "" {
			return nil, nil, refuse(StatusDisabled, "plugin %s is not enabled: an admin must enable it, which pins the sha256 of %s", p.name, filepath.Base(rec.Path))
		}
		sum, err := fileSHA256(rec.Path)
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil, refuse(StatusMissing, "executable %s not found", rec.Path)
		}
		if err != nil {
			return nil, nil, refuse(StatusFailed, "cannot read executable %s: %v", rec.Path, err)
		}
		if sum != rec.SHA256 {
			return nil, nil, refuse(StatusChecksumMismatch, "checksum mismatch: pinned %s… file %s…; re-enable to trust the new binary", short(rec.SHA256), short(sum))
		}
		pin, err := hex.DecodeString(rec.SHA256)
		if err != nil {
			return nil, nil, refuse(StatusFailed, "invalid pinned sha256 %q", rec.SHA256)
		}
		return exec.Command(rec.Path), &plugin.SecureConfig{Checksum: pin, Hash: sha256.New()}, nil
	}
	return nil, nil, refuse(StatusFailed, "unknown plugin kind %q", rec.Kind)
}

// launch starts a process and runs the start sequence: handshake,
// GetMetadata (name and protocol checks), GetSchema and type registration
// (when full), Host service, Configure. On error nothing is left running.
func (p *instance) launch(ctx context.Context, full bool) (_ *process, err error) {
	m := p.m
	rec := p.snapshot()
	cmd, secure, err := p.command(rec)
	if err != nil {
		return nil, err
	}
	if cmd.Env == nil {
		cmd.Env = baseEnv()
	}
	dieWithHost(cmd)
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  protocol.Handshake,
		Plugins:          plugin.PluginSet{protocol.PluginKey: &protocol.GRPCPlugin{}},
		Cmd:              cmd,
		SecureConfig:     secure,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		StartTimeout:     m.cfg.StartTimeout,
		Logger:           newHCLogger(m.log.With("plugin", p.name), "pluginhost"),
		Managed:          false,
		SkipHostEnv:      true,
	})
	pr := &process{client: client, started: time.Now()}
	defer func() {
		if err != nil {
			pr.kill()
		}
	}()
	cp, err := client.Client()
	if err != nil {
		if errors.Is(err, plugin.ErrChecksumsDoNotMatch) {
			return nil, refuse(StatusChecksumMismatch, "checksum mismatch at exec time: %s changed after it was checked; re-enable to trust the new binary", rec.Path)
		}
		return nil, fmt.Errorf("error starting plugin %s: %w", p.name, err)
	}
	raw, err := cp.Dispense(protocol.PluginKey)
	if err != nil {
		return nil, fmt.Errorf("error connecting to plugin %s: %w", p.name, err)
	}
	pc, ok := raw.(*protocol.Client)
	if !ok {
		return nil, fmt.Errorf("plugin %s: unexpected client type %T", p.name, raw)
	}
	pr.rpc = pc.PluginClient
	pr.pid, _ = strconv.Atoi(client.ID())

	var meta *pluginv1.GetMetadataResponse
	if err := p.rawCall(ctx, pr, "GetMetadata", m.cfg.CallTimeout, func(ctx context.Context) (err error) {
		meta, err = pc.GetMetadata(ctx, &pluginv1.GetMetadataRequest{})
		return err
	}); err != nil {
		return nil, err
	}
	if err := p.checkMetadata(rec, meta); err != nil {
		return nil, err
	}
	if full {
		if err := p.registerTypes(ctx, pr, pc, meta); err != nil {
			return nil, err
		}
	}
	// Set before the Host service starts: the plugin may call it from
	// Configure.
	pr.meta, pr.granted = meta, grantedScopes(rec, requestedScopes(meta))

	host := newHostServer(p, pr, pr.granted)
	id := pc.Broker.NextId()
	pr.hostDone.Add(1)
	go func() {
		defer pr.hostDone.Done()
		pc.Broker.AcceptAndServe(id, host.newServer)
	}()
	var resp *pluginv1.ConfigureResponse
	if err := p.rawCall(ctx, pr, "Configure", m.cfg.CallTimeout, func(ctx context.Context) (err error) {
		resp, err = pc.Configure(ctx, &pluginv1.ConfigureRequest{HostBrokerId: id, Settings: rec.Settings,
			GrantedScopes: pr.granted, HostVersion: m.cfg.HostVersion, MediaBaseUrl: m.mediaBaseURL()})
		return err
	}); err != nil {
		return nil, err
	}
	if diags := convertDiagnostics(resp.GetDiagnostics()); diags.HasError() {
		return nil, refuse(StatusFailed, "plugin %s refused its configuration: %s", p.name, diags.Errors().Error())
	}
	return pr, nil
}

// rawCall calls a plugin during its start sequence (before it is installed).
func (p *instance) rawCall(ctx context.Context, pr *process, what string, timeout time.Duration, fn func(context.Context) error) error {
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := fn(cctx); err != nil {
		return p.callError(ctx, cctx, pr, what, timeout, err, false)
	}
	return nil
}

// checkMetadata refuses a plugin whose name or protocol does not match.
func (p *instance) checkMetadata(rec record, meta *pluginv1.GetMetadataResponse) error {
	if meta.GetName() != p.name {
		if rec.Kind == KindExternal {
			return refuse(StatusFailed, "refused: executable %s reports the plugin name %q; an external plugin's file must be named %s<name> (here %s%s)",
				filepath.Base(rec.Path), meta.GetName(), ExternalPrefix, ExternalPrefix, meta.GetName())
		}
		return refuse(StatusFailed, "refused: built-in plugin %s reports the plugin name %q", p.name, meta.GetName())
	}
	if meta.GetProtocolVersion() != protocol.Version {
		return refuse(StatusFailed, "refused: plugin %s speaks plugin protocol %d; this server speaks %d (rebuild the plugin against a matching SDK)",
			p.name, meta.GetProtocolVersion(), protocol.Version)
	}
	for _, s := range meta.GetScopes() {
		if !slices.Contains(knownScopes, s) {
			p.m.log.Warn("plugin requests an unknown scope; ignored", "plugin", p.name, "scope", s)
		}
	}
	for _, h := range meta.GetHooks() {
		if !slices.Contains(knownHooks, h.GetHook()) {
			p.m.log.Warn("plugin binds an unknown hook; ignored", "plugin", p.name, "hook", h.GetHook())
		}
	}
	return nil
}

// registerTypes reads the plugin's schema and registers every type with the
// plugin as source. A destructive change (or any other registry refusal)
// refuses the plugin with the registry's message.
func (p *instance) registerTypes(ctx context.Context, pr *process, pc *protocol.Client, meta *pluginv1.GetMetadataResponse) error {
	var resp *pluginv1.GetSchemaResponse
	if err := p.rawCall(ctx, pr, "GetSchema", p.m.cfg.CallTimeout, func(ctx context.Context) (err error) {
		resp, err = pc.GetSchema(ctx, &pluginv1.GetSchemaRequest{})
		return err
	}); err != nil {
		return err
	}
	if diags := convertDiagnostics(resp.GetDiagnostics()); diags.HasError() {
		return refuse(StatusFailed, "plugin %s reported schema errors: %s", p.name, diags.Errors().Error())
	}
	declared := map[string]bool{}
	for _, k := range meta.GetContentTypes() {
		declared[k] = true
	}
	types := make([]contenttypes.ContentType, 0, len(resp.GetContentTypesJson()))
	seen := map[string]bool{}
	for i, raw := range resp.GetContentTypesJson() {
		var ct contenttypes.ContentType
		if err := json.Unmarshal(raw, &ct); err != nil {
			return refuse(StatusFailed, "plugin %s: content type #%d of its schema is not valid JSON: %v", p.name, i+1, err)
		}
		if !declared[ct.Key] {
			return refuse(StatusFailed, "plugin %s: its schema defines content type %q, which its metadata does not declare", p.name, ct.Key)
		}
		if seen[ct.Key] {
			return refuse(StatusFailed, "plugin %s: its schema defines content type %q twice", p.name, ct.Key)
		}
		seen[ct.Key] = true
		types = append(types, ct)
	}
	var missing []string
	for k := range declared {
		if !seen[k] {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return refuse(StatusFailed, "plugin %s declares content types its schema does not define: %s", p.name, strings.Join(missing, ", "))
	}
	for _, ct := range types {
		opts := &registry.RegisterOptions{Source: p.name}
		old, destructive, err := p.storedIfDestructive(ctx, &ct)
		if err != nil {
			return fmt.Errorf("error reading content type %s: %w", ct.Key, err)
		}
		if old != nil && old.Source == p.name {
			if !upgradeDeclared(meta, ct.Key) {
				return refuse(StatusFailed, "schema refused: content type %q: refusing destructive changes: %s; declare an sdk.Upgrade for %q to migrate the data (see docs/plugins.md)",
					ct.Key, strings.Join(destructive, "; "), ct.Key)
			}
			plan, err := p.planUpgrade(ctx, pr, pc, old, &ct)
			if err != nil {
				return err
			}
			opts.AllowDestructive = true
			pr.upgrades = append(pr.upgrades, plan)
			p.m.log.Info("plugin upgrades a content type", "plugin", p.name, "type", ct.Key, "changes", strings.Join(destructive, "; "),
				"entries", len(plan.entries))
		}
		res, err := p.m.cfg.Types.Register(ctx, ct, opts)
		if err != nil {
			switch apperr.CodeOf(err) {
			case apperr.Conflict, apperr.Invalid:
				return refuse(StatusFailed, "schema refused: %s", err.Error())
			}
			return fmt.Errorf("error registering content type %s of plugin %s: %w", ct.Key, p.name, err)
		}
		if res.Changed {
			p.m.log.Info("content type registered", "plugin", p.name, "type", ct.Key, "version", res.Type.Version, "created", res.Created)
		}
	}
	return nil
}

// requestedScopes returns the known scopes the plugin asks for, sorted.
func requestedScopes(meta *pluginv1.GetMetadataResponse) []string {
	out := []string{}
	for _, s := range meta.GetScopes() {
		if slices.Contains(knownScopes, s) && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// grantedScopes computes the scopes a process gets: what it requests, within
// what was granted at enable time (external plugins), minus what an admin
// revoked.
func grantedScopes(rec record, requested []string) []string {
	out := []string{}
	for _, s := range requested {
		if rec.Kind == KindExternal && rec.Granted && !slices.Contains(rec.GrantedScopes, s) {
			continue
		}
		if slices.Contains(rec.RevokedScopes, s) {
			continue
		}
		out = append(out, s)
	}
	return out
}
