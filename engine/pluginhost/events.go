package pluginhost

import (
	"context"
	"strings"

	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/auth"
	"github.com/inklingcms/inkling/engine/entries"
	"github.com/inklingcms/inkling/plugins/protocol"
	"github.com/inklingcms/inkling/plugins/protocol/pluginv1"
)

// Event is a lifecycle event delivered to plugins after commit, by the job
// queue (which retries it while DispatchEvent returns an error). It has the
// fields of entries.Event plus the delivery attempt.
type Event struct {
	ID         string // stable across retries: plugins use it to stay idempotent
	Name       string // after_save, after_publish, after_unpublish, workflow.<state>
	EntryID    string
	Type       string
	RevisionID string
	Actor      auth.Principal
	Attempt    int // 1 on the first delivery
}

// EventFrom is the event the entries service recorded, at a delivery
// attempt (1 for the first).
func EventFrom(ev entries.Event, attempt int) Event {
	return Event{ID: ev.ID, Name: ev.Name, EntryID: ev.EntryID, Type: ev.Type, RevisionID: ev.RevisionID, Actor: ev.Actor, Attempt: attempt}
}

// eventHook returns the hook an event name binds: itself, or "workflow"
// for workflow.<state>.
func eventHook(name string) (string, error) {
	switch name {
	case protocol.HookAfterSave, protocol.HookAfterPublish, protocol.HookAfterUnpublish:
		return name, nil
	}
	if strings.HasPrefix(name, protocol.HookWorkflow+".") && len(name) > len(protocol.HookWorkflow)+1 {
		return protocol.HookWorkflow, nil
	}
	return "", apperr.New(apperr.Invalid, "unknown plugin event %q (want after_save, after_publish, after_unpublish or workflow.<state>)", name)
}

// Subscribers returns the names of the plugins bound to an event for a
// content type, in delivery order. A job queue that wants independent
// retries per plugin enqueues one job per subscriber and delivers with
// DispatchEventTo.
func (m *Manager) Subscribers(event, typ string) []string {
	hook, err := eventHook(event)
	if err != nil {
		return nil
	}
	var out []string
	for _, p := range m.bound(hook, typ) {
		out = append(out, p.name)
	}
	return out
}

// DispatchEvent delivers ev to every plugin bound to it, with the entry
// loaded through Config.Entries (its live version for after_publish, its
// latest draft otherwise; only id and type once it is deleted). Every
// subscriber gets the event even when an earlier one fails; the first error
// is returned so that the job queue retries (handlers are idempotent by
// event id).
func (m *Manager) DispatchEvent(ctx context.Context, ev Event) error {
	hook, err := eventHook(ev.Name)
	if err != nil {
		return err
	}
	subs := m.bound(hook, ev.Type)
	if len(subs) == 0 {
		return nil
	}
	req, err := m.eventRequest(ctx, ev)
	if err != nil {
		return err
	}
	var first error
	for _, p := range subs {
		if err := m.deliver(ctx, p, req); err != nil {
			m.log.Warn("plugin event failed", "plugin", p.name, "event", ev.Name, "event_id", ev.ID, "attempt", ev.Attempt, "error", err.Error())
			if first == nil {
				first = err
			}
		}
	}
	return first
}

// DispatchEventTo delivers ev to one plugin (see Subscribers). A plugin
// that is no longer bound to the event gets nothing and nil is returned.
func (m *Manager) DispatchEventTo(ctx context.Context, plugin string, ev Event) error {
	hook, err := eventHook(ev.Name)
	if err != nil {
		return err
	}
	p, err := m.get(plugin)
	if err != nil {
		return err
	}
	p.mu.RLock()
	ok := p.inForce() && boundTo(p.meta, hook, ev.Type)
	p.mu.RUnlock()
	if !ok {
		return nil
	}
	req, err := m.eventRequest(ctx, ev)
	if err != nil {
		return err
	}
	return m.deliver(ctx, p, req)
}

func (m *Manager) deliver(ctx context.Context, p *instance, req *pluginv1.EventRequest) error {
	return p.call(ctx, req.GetEvent(), m.cfg.EventTimeout, func(ctx context.Context, c pluginv1.PluginClient) error {
		_, err := c.HandleEvent(ctx, req)
		return err
	})
}

func (m *Manager) eventRequest(ctx context.Context, ev Event) (*pluginv1.EventRequest, error) {
	attempt := ev.Attempt
	if attempt < 1 {
		attempt = 1
	}
	req := &pluginv1.EventRequest{Event: ev.Name, EventId: ev.ID, Actor: protoPrincipal(ev.Actor), Attempt: int32(attempt),
		Entry: &pluginv1.Entry{Id: ev.EntryID, Type: ev.Type, RevisionId: ev.RevisionID}}
	if m.cfg.Entries == nil || ev.EntryID == "" {
		return req, nil
	}
	d, err := m.cfg.Entries.Get(ctx, auth.System, ev.EntryID)
	switch {
	case apperr.Is(err, apperr.NotFound):
		return req, nil // deleted since: the event still tells what happened
	case err != nil:
		return nil, err
	}
	req.Entry = protoEntry(d, ev.Name == protocol.HookAfterPublish && d.Live)
	return req, nil
}
