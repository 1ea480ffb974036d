package pluginhost

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/apperr"
)

// admin runs fn on the named plugin with its lifecycle lock held, and
// reports whether the host is running.
func (m *Manager) admin(ctx context.Context, name string, fn func(p *instance, running bool) error) error {
	m.run.RLock()
	defer m.run.RUnlock()
	if err := m.ensureCatalog(ctx); err != nil {
		return err
	}
	p, err := m.get(name)
	if err != nil {
		return err
	}
	p.op.Lock()
	defer p.op.Unlock()
	return fn(p, m.state == stateRunning)
}

// Enable enables a plugin. An external plugin is pinned to the sha256 of
// its executable as it is now, and is granted the scopes it requests at the
// start that follows (scopes an admin revoked stay revoked). When the host
// is running the plugin is (re)started, and a start failure is returned
// (the plugin stays enabled, with the failure as its status).
func (m *Manager) Enable(ctx context.Context, name string) error {
	return m.admin(ctx, name, func(p *instance, running bool) error {
		rec := p.snapshot()
		p.mu.RLock()
		present, st, lastErr := p.present, p.status, p.lastErr
		p.mu.RUnlock()
		if !present {
			return apperr.New(apperr.Conflict, "plugin %s cannot be enabled: %s", name, lastErr)
		}
		now := m.cfg.Now().UTC()
		set := map[string]any{"enabled": true, "enabled_at": now}
		if rec.Kind == KindExternal {
			sum, err := fileSHA256(rec.Path)
			if err != nil {
				return apperr.Wrap(err, apperr.Conflict, "plugin %s cannot be enabled: cannot read %s", name, rec.Path)
			}
			set["sha256"], set["granted_scopes"] = sum, nil
			rec.SHA256, rec.GrantedScopes, rec.Granted = sum, nil, false
		} else if rec.Enabled && running && (st == StatusRunning || st == StatusRestarting) {
			return nil // a running built-in: nothing to do
		}
		if err := m.cat.update(ctx, name, set); err != nil {
			return err
		}
		rec.Enabled, rec.EnabledAt = true, &now
		p.mu.Lock()
		p.rec = rec
		p.mu.Unlock()
		m.log.Info("plugin enabled", "plugin", name, "kind", rec.Kind, "sha256", rec.SHA256)
		if !running {
			p.setState(StatusStopped, "")
			p.persistState(StatusStopped, "")
			return nil
		}
		return p.restartLocked(ctx)
	})
}

// Disable stops a plugin and keeps it from starting. Its content types stay
// registered and its content readable; its hooks, endpoints, jobs and
// actions are gone until it is enabled again.
func (m *Manager) Disable(ctx context.Context, name string) error {
	return m.admin(ctx, name, func(p *instance, running bool) error {
		if err := m.cat.update(ctx, name, map[string]any{"enabled": false, "status": StatusDisabled, "last_error": ""}); err != nil {
			return err
		}
		p.stopLocked(StatusDisabled)
		p.mu.Lock()
		p.rec.Enabled = false
		p.mu.Unlock()
		m.log.Info("plugin disabled", "plugin", name)
		return nil
	})
}

// SetSettings replaces a plugin's settings (plain configuration; secrets
// come from the environment, never from here). A running plugin is
// restarted so that Configure hands it the new settings.
func (m *Manager) SetSettings(ctx context.Context, name string, settings map[string]string) error {
	var diags contenttypes.Diagnostics
	for k := range settings {
		if strings.TrimSpace(k) == "" {
			diags.AppendErrorf("settings", contenttypes.CodeRequired, "a setting needs a non-empty key")
		}
	}
	if diags.HasError() {
		return apperr.Validation("invalid settings", diags)
	}
	cp := make(map[string]string, len(settings))
	for k, v := range settings {
		cp[k] = v
	}
	return m.admin(ctx, name, func(p *instance, running bool) error {
		if err := m.cat.update(ctx, name, map[string]any{"settings": mustJSON(cp)}); err != nil {
			return err
		}
		p.mu.Lock()
		p.rec.Settings = cp
		p.mu.Unlock()
		return p.restartIfEnabled(ctx, running)
	})
}

// SetRevokedScopes sets the scopes an admin withholds from a plugin (nil:
// none). A running plugin is restarted so that Configure hands it the new
// grant.
func (m *Manager) SetRevokedScopes(ctx context.Context, name string, revoked []string) error {
	var diags contenttypes.Diagnostics
	list := []string{}
	for _, s := range revoked {
		if !slices.Contains(knownScopes, s) {
			diags.AppendErrorf("revoked_scopes", contenttypes.CodeInvalidChoice, "unknown scope %q (want one of %s)", s, strings.Join(knownScopes, ", "))
			continue
		}
		if !slices.Contains(list, s) {
			list = append(list, s)
		}
	}
	if diags.HasError() {
		return apperr.Validation("invalid scopes", diags)
	}
	sort.Strings(list)
	return m.admin(ctx, name, func(p *instance, running bool) error {
		if err := m.cat.update(ctx, name, map[string]any{"revoked_scopes": jsonList(list)}); err != nil {
			return err
		}
		p.mu.Lock()
		p.rec.RevokedScopes = list
		p.mu.Unlock()
		m.log.Info("plugin scopes revoked", "plugin", name, "revoked", list)
		return p.restartIfEnabled(ctx, running)
	})
}

// Reload restarts an enabled plugin (the full start sequence, schema
// included).
func (m *Manager) Reload(ctx context.Context, name string) error {
	return m.admin(ctx, name, func(p *instance, running bool) error {
		if !p.snapshot().Enabled {
			return apperr.New(apperr.Conflict, "plugin %s is disabled", name)
		}
		if !running {
			return apperr.New(apperr.Unavailable, "the plugin host is not running")
		}
		return p.restartLocked(ctx)
	})
}

func (p *instance) restartIfEnabled(ctx context.Context, running bool) error {
	p.mu.RLock()
	ok := p.rec.Enabled && p.present
	p.mu.RUnlock()
	if !ok || !running {
		return nil
	}
	return p.restartLocked(ctx)
}

// restartLocked stops the plugin if it runs and starts it again; p.op is
// held. A start failure is returned as an application error.
func (p *instance) restartLocked(ctx context.Context) error {
	p.stopLocked(StatusStarting)
	err := p.startLocked(ctx)
	if err == nil {
		return nil
	}
	var ref *refusal
	if errors.As(err, &ref) {
		return apperr.New(apperr.Conflict, "plugin %s did not start (%s): %s", p.name, ref.status, ref.msg)
	}
	if apperr.CodeOf(err) == apperr.Timeout {
		return err
	}
	return apperr.New(apperr.Unavailable, "plugin %s did not start: %s", p.name, err.Error())
}
