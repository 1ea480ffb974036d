package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"sort"
	"sync"
	"time"

	"github.com/inklingcms/inkling/engine/apperr"
)

// Manager runs the plugins of one server. Create it with New, then Start;
// Stop kills every plugin process. It is safe for concurrent use.
type Manager struct {
	cfg Config
	log *slog.Logger
	cat *catalog

	// run serialises Start and Stop against the admin operations, which
	// hold it shared.
	run   sync.RWMutex
	state int // stateNew, stateRunning, stateStopped

	mu      sync.RWMutex
	plugins map[string]*instance // nil until the catalog is loaded

	wg sync.WaitGroup // supervisors
}

const (
	stateNew = iota
	stateRunning
	stateStopped
)

// New returns a Manager. It has no side effects: Start discovers and starts
// plugins.
func New(cfg Config) *Manager {
	cfg.setDefaults()
	m := &Manager{cfg: cfg, log: cfg.Logger.With("component", "pluginhost")}
	if cfg.DB != nil {
		m.cat = &catalog{db: cfg.DB, now: cfg.Now}
	}
	return m
}

// SetEntries sets Config.Entries. It breaks the construction cycle of the
// wiring: the entries service takes the Manager as its Hooks, and the
// Manager acts through the entries service. Call it before Start.
func (m *Manager) SetEntries(es EntryService) {
	m.run.Lock()
	defer m.run.Unlock()
	if m.state != stateNew {
		panic("pluginhost: SetEntries after Start")
	}
	m.cfg.Entries = es
}

// SetJobs sets Config.Jobs (the job queue adapter needs the Manager, so it
// is built after it). Call it before Start.
func (m *Manager) SetJobs(j JobEnqueuer) {
	m.run.Lock()
	defer m.run.Unlock()
	if m.state != stateNew {
		panic("pluginhost: SetJobs after Start")
	}
	m.cfg.Jobs = j
}

// SetMedia sets Config.Media. Call it before Start.
func (m *Manager) SetMedia(ms MediaStore) {
	m.run.Lock()
	defer m.run.Unlock()
	if m.state != stateNew {
		panic("pluginhost: SetMedia after Start")
	}
	m.cfg.Media = ms
}

// mediaBaseURL is the media URL prefix sent to plugins ("" without media).
func (m *Manager) mediaBaseURL() string {
	if m.cfg.Media == nil {
		return ""
	}
	return m.cfg.Media.BaseURL()
}

// SetCache sets Config.Cache. Call it before Start.
func (m *Manager) SetCache(c CacheInvalidator) {
	m.run.Lock()
	defer m.run.Unlock()
	if m.state != stateNew {
		panic("pluginhost: SetCache after Start")
	}
	m.cfg.Cache = c
}

// Status describes a plugin for the admin.
type Status struct {
	Name            string            `json:"name"`
	Kind            Kind              `json:"kind"`
	Path            string            `json:"path,omitempty"`   // external plugins
	SHA256          string            `json:"sha256,omitempty"` // the pin (external plugins)
	Enabled         bool              `json:"enabled"`
	Version         string            `json:"version"`
	ProtocolVersion int               `json:"protocol_version"`
	ContentTypes    []string          `json:"content_types"`
	Status          string            `json:"status"`
	LastError       string            `json:"last_error,omitempty"`
	PID             int               `json:"pid,omitempty"`
	Restarts        int               `json:"restarts"`
	Settings        map[string]string `json:"settings"`
	RequestedScopes []string          `json:"requested_scopes"`
	GrantedScopes   []string          `json:"granted_scopes"` // effective: granted and not revoked
	RevokedScopes   []string          `json:"revoked_scopes"`
	EnabledAt       *time.Time        `json:"enabled_at,omitempty"`
}

func (m *Manager) checkConfig() error {
	if m.cfg.DB == nil {
		return errors.New("pluginhost: Config.DB is required")
	}
	if m.cfg.Types == nil {
		return errors.New("pluginhost: Config.Types is required")
	}
	for name, f := range m.cfg.Builtins {
		if !ValidName(name) {
			return fmt.Errorf("pluginhost: invalid built-in plugin name %q", name)
		}
		if f == nil {
			return fmt.Errorf("pluginhost: built-in plugin %s has no factory", name)
		}
	}
	return nil
}

// Start loads the catalog, discovers built-in and external plugins and
// starts the enabled ones, in parallel. A plugin that fails to start does
// not fail Start: it is marked (failed, checksum_mismatch...) with its
// error. Start returns an error only when the catalog cannot be used.
func (m *Manager) Start(ctx context.Context) error {
	if err := m.checkConfig(); err != nil {
		return err
	}
	m.run.Lock()
	defer m.run.Unlock()
	if m.state != stateNew {
		return errors.New("pluginhost: Start called twice")
	}
	if err := m.loadCatalog(ctx); err != nil {
		return err
	}
	m.state = stateRunning
	var wg sync.WaitGroup
	for _, p := range m.list() {
		p.mu.RLock()
		start := p.rec.Enabled && p.present
		p.mu.RUnlock()
		if !start {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.op.Lock()
			defer p.op.Unlock()
			_ = p.startLocked(ctx) // recorded in the plugin's status
		}()
	}
	wg.Wait()
	return nil
}

// Stop kills every plugin process and waits for them and for the
// supervisors. Calls made afterwards fail with Unavailable.
func (m *Manager) Stop() {
	m.run.Lock()
	defer m.run.Unlock()
	if m.state == stateStopped {
		return
	}
	m.state = stateStopped
	var wg sync.WaitGroup
	for _, p := range m.list() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.op.Lock()
			defer p.op.Unlock()
			p.mu.RLock()
			st, lastErr := p.status, p.lastErr
			p.mu.RUnlock()
			switch st {
			case StatusDisabled, StatusMissing, StatusFailed, StatusChecksumMismatch:
				p.stopLocked(st)
				p.setState(st, lastErr)
			default:
				p.stopLocked(StatusStopped)
			}
		}()
	}
	wg.Wait()
	m.wg.Wait()
}

// loadCatalog reads the plugins table and reconciles it with what exists:
// built-ins of this binary and executables in Config.Dir. It runs once.
func (m *Manager) loadCatalog(ctx context.Context) error {
	m.mu.RLock()
	loaded := m.plugins != nil
	m.mu.RUnlock()
	if loaded {
		return nil
	}
	rows, err := m.cat.load(ctx)
	if err != nil {
		return err
	}
	external, skipped, err := discoverExternal(m.cfg.Dir)
	if err != nil {
		return err
	}
	for _, s := range skipped {
		m.log.Warn("plugin skipped", "reason", s)
	}
	plugins := map[string]*instance{}
	add := func(name string, kind Kind, path string, factory func() *exec.Cmd) error {
		r, ok := rows[name]
		switch {
		case !ok:
			r = &row{Name: name, Kind: kind, Path: path, Enabled: kind == KindBuiltin, Status: StatusDisabled}
			if kind == KindBuiltin {
				r.Status = StatusStopped
			}
			if err := m.cat.insert(ctx, r); err != nil {
				return err
			}
		case r.Kind != kind:
			// A built-in took the name of an external plugin, or the
			// reverse: the new kind wins, and an external plugin needs to
			// be enabled again.
			m.log.Warn("plugin changed kind", "plugin", name, "from", r.Kind, "to", kind)
			set := map[string]any{"kind": string(kind), "path": path, "sha256": "", "enabled": kind == KindBuiltin}
			if kind == KindExternal {
				set["granted_scopes"] = nil
			}
			if err := m.cat.update(ctx, name, set); err != nil {
				return err
			}
			r.Kind, r.Path, r.SHA256, r.Enabled = kind, path, "", kind == KindBuiltin
			if kind == KindExternal {
				r.GrantedScopes = nil
			}
		case r.Path != path:
			if err := m.cat.update(ctx, name, map[string]any{"path": path}); err != nil {
				return err
			}
			r.Path = path
		}
		rec, err := r.record()
		if err != nil {
			return err
		}
		p := &instance{m: m, name: name, factory: factory, rec: rec, present: true, meta: rec.Meta}
		p.status = StatusDisabled
		if rec.Enabled {
			p.status = StatusStopped
		}
		plugins[name] = p
		return nil
	}
	for name, f := range m.cfg.Builtins {
		if err := add(name, KindBuiltin, "", f); err != nil {
			return err
		}
	}
	for name, path := range external {
		if _, ok := m.cfg.Builtins[name]; ok {
			m.log.Warn("external plugin shadowed by the built-in of the same name; ignored", "plugin", name, "path", path)
			continue
		}
		if err := add(name, KindExternal, path, nil); err != nil {
			return err
		}
	}
	for name, r := range rows {
		if _, ok := plugins[name]; ok {
			continue
		}
		rec, err := r.record()
		if err != nil {
			return err
		}
		p := &instance{m: m, name: name, rec: rec, status: StatusMissing, meta: rec.Meta}
		if r.Kind == KindBuiltin {
			p.lastErr = "this binary has no built-in plugin " + name
		} else {
			p.lastErr = "executable not found in the plugins directory"
		}
		plugins[name] = p
	}
	m.mu.Lock()
	if m.plugins == nil {
		m.plugins = plugins
	}
	m.mu.Unlock()
	return nil
}

// list returns the plugins sorted by name.
func (m *Manager) list() []*instance {
	m.mu.RLock()
	out := make([]*instance, 0, len(m.plugins))
	for _, p := range m.plugins {
		out = append(out, p)
	}
	m.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// get returns the named plugin or NotFound.
func (m *Manager) get(name string) (*instance, error) {
	m.mu.RLock()
	p, ok := m.plugins[name]
	m.mu.RUnlock()
	if !ok {
		return nil, apperr.New(apperr.NotFound, "no plugin %q", name)
	}
	return p, nil
}

// names returns the names of every known plugin.
func (m *Manager) names() []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]string, 0, len(m.plugins))
	for n := range m.plugins {
		out = append(out, n)
	}
	return out
}

// List describes every plugin of the catalog, sorted by name.
func (m *Manager) List(ctx context.Context) ([]Status, error) {
	if err := m.ensureCatalog(ctx); err != nil {
		return nil, err
	}
	ps := m.list()
	out := make([]Status, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.describe())
	}
	return out, nil
}

// Get describes one plugin.
func (m *Manager) Get(ctx context.Context, name string) (*Status, error) {
	if err := m.ensureCatalog(ctx); err != nil {
		return nil, err
	}
	p, err := m.get(name)
	if err != nil {
		return nil, err
	}
	st := p.describe()
	return &st, nil
}

// ensureCatalog loads the catalog for admin calls made before Start.
func (m *Manager) ensureCatalog(ctx context.Context) error {
	if err := m.checkConfig(); err != nil {
		return err
	}
	return m.loadCatalog(ctx)
}

func (p *instance) describe() Status {
	p.mu.RLock()
	defer p.mu.RUnlock()
	r := p.rec
	st := Status{Name: p.name, Kind: r.Kind, Path: r.Path, SHA256: r.SHA256, Enabled: r.Enabled, Version: r.Version,
		ProtocolVersion: r.ProtocolVersion, ContentTypes: append([]string{}, r.ContentTypes...), Status: p.status, LastError: p.lastErr,
		Restarts: p.restarts, Settings: map[string]string{}, RequestedScopes: append([]string{}, r.RequestedScopes...),
		RevokedScopes: append([]string{}, r.RevokedScopes...), EnabledAt: r.EnabledAt}
	for k, v := range r.Settings {
		st.Settings[k] = v
	}
	if p.proc != nil {
		st.PID = p.proc.pid
		st.GrantedScopes = append([]string{}, p.proc.granted...)
	} else {
		st.GrantedScopes = grantedScopes(r, r.RequestedScopes)
	}
	if r.Kind == KindExternal && !r.Granted && p.proc == nil {
		st.GrantedScopes = []string{}
	}
	return st
}
