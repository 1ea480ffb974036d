package pluginhost

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/auth"
	"github.com/inklingcms/inkling/plugins/protocol/pluginv1"
)

// ActionSpec is an admin action a plugin declares. Types lists the entry
// types it applies to; empty: a global action.
type ActionSpec struct {
	Plugin string   `json:"plugin"`
	Name   string   `json:"name"`
	Label  string   `json:"label"`
	Types  []string `json:"types,omitempty"`
}

// ActionInput runs an action.
type ActionInput struct {
	Action  string
	Actor   auth.Principal
	EntryID string          // for actions on entries
	Params  json.RawMessage // opaque JSON for the plugin
}

// ActionResult is what an action returns.
type ActionResult struct {
	Result      json.RawMessage          `json:"result"`
	Diagnostics contenttypes.Diagnostics `json:"diagnostics,omitempty"`
}

// Actions returns the actions of the active plugins, by plugin name and
// declaration order.
func (m *Manager) Actions() []ActionSpec {
	var out []ActionSpec
	for _, p := range m.list() {
		p.mu.RLock()
		if p.inForce() {
			for _, a := range p.meta.GetActions() {
				out = append(out, ActionSpec{Plugin: p.name, Name: a.GetName(), Label: a.GetLabel(), Types: append([]string{}, a.GetTypes()...)})
			}
		}
		p.mu.RUnlock()
	}
	return out
}

// RunAction runs a plugin's admin action (Config.ActionTimeout). The
// caller checks that the actor may act on the entry.
func (m *Manager) RunAction(ctx context.Context, plugin string, in ActionInput) (*ActionResult, error) {
	p, err := m.get(plugin)
	if err != nil {
		return nil, err
	}
	p.mu.RLock()
	declared := p.inForce() && slices.ContainsFunc(p.meta.GetActions(), func(a *pluginv1.ActionSpec) bool { return a.GetName() == in.Action })
	p.mu.RUnlock()
	if !declared {
		return nil, apperr.New(apperr.NotFound, "plugin %s has no action %q", plugin, in.Action)
	}
	var resp *pluginv1.ActionResponse
	err = p.call(ctx, "action "+in.Action, m.cfg.ActionTimeout, func(ctx context.Context, c pluginv1.PluginClient) (err error) {
		resp, err = c.RunAction(ctx, &pluginv1.ActionRequest{Action: in.Action, Actor: protoPrincipal(in.Actor),
			EntryId: in.EntryID, ParamsJson: in.Params})
		return err
	})
	if err != nil {
		return nil, err
	}
	if r := resp.GetResultJson(); len(r) > 0 && !json.Valid(r) {
		return nil, apperr.New(apperr.Internal, "plugin %s returned malformed JSON from action %s", plugin, in.Action)
	}
	return &ActionResult{Result: resp.GetResultJson(), Diagnostics: convertDiagnostics(resp.GetDiagnostics())}, nil
}
