package pluginhost

import (
	"context"
	"encoding/json"
	"slices"
	"sync"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/entries"
	"github.com/inklingcms/inkling/plugins/protocol"
	"github.com/inklingcms/inkling/plugins/protocol/pluginv1"
)

// HookInput is what save hooks see: the prepared values of the revision
// about to be written (entries.HookInput).
type HookInput = entries.HookInput

// The Manager is the entries service's save hooks (entries.Options.Hooks).
var _ entries.Hooks = (*Manager)(nil)

// boundTo reports whether a plugin's metadata binds hook for content type typ.
func boundTo(meta *pluginv1.GetMetadataResponse, hook, typ string) bool {
	for _, b := range meta.GetHooks() {
		if b.GetHook() != hook {
			continue
		}
		if len(b.GetTypes()) == 0 || slices.Contains(b.GetTypes(), typ) {
			return true
		}
	}
	return false
}

// inForce reports whether a plugin's declarations (hooks, events,
// endpoints, jobs, actions) are in force: it is enabled and has started
// successfully once (here or in an earlier run: the metadata is kept in the
// catalog). They stay in force while it is down (restarting, failed,
// checksum_mismatch, missing, or the host stopped): calls then fail with
// Unavailable, so content is never saved without the checks of the plugins
// bound to its type. Disabling a plugin lifts them. p.mu is held.
func (p *instance) inForce() bool {
	return p.meta != nil && p.rec.Enabled
}

// bound returns the plugins, by name, whose metadata binds hook for typ.
func (m *Manager) bound(hook, typ string) []*instance {
	var out []*instance
	for _, p := range m.list() {
		p.mu.RLock()
		ok := p.inForce() && boundTo(p.meta, hook, typ)
		p.mu.RUnlock()
		if ok {
			out = append(out, p)
		}
	}
	return out
}

// BeforeSave runs, for the content type of in, the before_save hooks of the
// plugins bound to it in plugin name order, each receiving the fields the
// previous one returned, and then their validate hooks (concurrently, on the
// final fields), and returns:
//
//   - fields: the transformed values, or nil when no hook changed them;
//   - diags: every diagnostic of every hook, converted, in plugin order (a
//     before_save hook reporting an error stops the chain before validate);
//   - err: Unavailable when a bound plugin is not running, Timeout when one
//     did not answer within Config.CallTimeout, Internal when one returned
//     malformed JSON. A save must fail on err: content is never saved
//     without the validation of the plugins bound to its type.
//
// Call it before the save's transaction opens.
func (m *Manager) BeforeSave(ctx context.Context, in HookInput) (json.RawMessage, contenttypes.Diagnostics, error) {
	fields := in.Fields
	changed := false
	var diags contenttypes.Diagnostics
	req := func(hook string) *pluginv1.HookRequest {
		return &pluginv1.HookRequest{Hook: hook, Actor: protoPrincipal(in.Actor), Type: in.Type, EntryId: in.EntryID,
			Title: in.Title, Slug: in.Slug, FieldsJson: fields}
	}
	for _, p := range m.bound(protocol.HookBeforeSave, in.Type) {
		var resp *pluginv1.HookResponse
		err := p.call(ctx, protocol.HookBeforeSave, m.cfg.CallTimeout, func(ctx context.Context, c pluginv1.PluginClient) (err error) {
			resp, err = c.BeforeSave(ctx, req(protocol.HookBeforeSave))
			return err
		})
		if err != nil {
			return nil, diags, err
		}
		d := convertDiagnostics(resp.GetDiagnostics())
		diags = append(diags, d...)
		if d.HasError() {
			return nil, diags, nil
		}
		if out := resp.GetFieldsJson(); len(out) > 0 {
			if !json.Valid(out) {
				return nil, diags, apperr.New(apperr.Internal, "plugin %s returned malformed JSON from before_save", p.name)
			}
			fields, changed = json.RawMessage(out), true
		}
	}
	validators := m.bound(protocol.HookValidate, in.Type)
	results := make([]contenttypes.Diagnostics, len(validators))
	errs := make([]error, len(validators))
	run := func(i int) {
		p := validators[i]
		errs[i] = p.call(ctx, protocol.HookValidate, m.cfg.CallTimeout, func(ctx context.Context, c pluginv1.PluginClient) error {
			resp, err := c.Validate(ctx, req(protocol.HookValidate))
			if err == nil {
				results[i] = convertDiagnostics(resp.GetDiagnostics())
			}
			return err
		})
	}
	if len(validators) == 1 {
		run(0)
	} else {
		var wg sync.WaitGroup
		for i := range validators {
			wg.Add(1)
			go func() {
				defer wg.Done()
				run(i)
			}()
		}
		wg.Wait()
	}
	for i := range validators {
		if errs[i] != nil {
			return nil, diags, errs[i]
		}
		diags = append(diags, results[i]...)
	}
	if !changed {
		fields = nil
	}
	return fields, diags, nil
}
