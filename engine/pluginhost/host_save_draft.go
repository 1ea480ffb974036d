package pluginhost

import (
	"context"

	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/entries"
	"github.com/inklingcms/inkling/plugins/protocol"
	"github.com/inklingcms/inkling/plugins/protocol/pluginv1"
)

// SaveDraft creates an entry (no entry_id) or saves a new draft revision of
// one, as the plugin's principal, and publishes that revision when asked
// (scope entries:publish: the plugin publishes with admin rights, so a
// workflow's publish gate does not stop it; the audit log names the
// plugin). Validation problems
// come back as diagnostics in the response (status OK, no entry); other
// failures as gRPC status errors (NotFound, AlreadyExists for a slug in
// use, Aborted for a stale base revision or a lock). Scope entries:write.
func (h *hostServer) SaveDraft(ctx context.Context, req *pluginv1.SaveDraftRequest) (*pluginv1.SaveDraftResponse, error) {
	if err := h.require(protocol.ScopeEntriesWrite, "SaveDraft"); err != nil {
		return nil, err
	}
	if req.GetPublish() {
		if err := h.require(protocol.ScopeEntriesPublish, "SaveDraft with publish"); err != nil {
			return nil, err
		}
	}
	if h.cfg().Entries == nil {
		return nil, notAvailable("SaveDraft", "entry service")
	}
	var d *entries.Draft
	var err error
	if req.GetEntryId() == "" {
		d, err = h.cfg().Entries.Create(ctx, h.principal, entries.CreateInput{Type: req.GetType(), Title: req.GetTitle(),
			Slug: req.GetSlug(), Fields: req.GetFieldsJson(), Message: req.GetMessage()})
	} else {
		in := entries.SaveInput{BaseRevisionID: req.GetBaseRevisionId(), Message: req.GetMessage()}
		if t := req.GetTitle(); t != "" {
			in.Title = &t
		}
		if s := req.GetSlug(); s != "" {
			in.Slug = &s
		}
		if f := req.GetFieldsJson(); len(f) > 0 {
			in.Fields = f
		}
		d, err = h.cfg().Entries.Save(ctx, h.principal, req.GetEntryId(), in)
	}
	if err != nil {
		if e, ok := apperr.As(err); ok && (e.Code == apperr.Invalid || e.Code == apperr.Malformed) && len(e.Diagnostics) > 0 {
			return &pluginv1.SaveDraftResponse{Diagnostics: protoDiagnostics(e.Diagnostics)}, nil
		}
		return nil, h.statusError("SaveDraft", err)
	}
	h.p.m.log.Info("plugin saved a draft", "plugin", h.p.name, "entry", d.ID, "type", d.TypeKey)
	if req.GetPublish() {
		in := entries.PublishInput{Message: req.GetMessage()}
		if d.LatestRevisionID != nil {
			in.RevisionID = *d.LatestRevisionID // exactly what was saved, even if another save follows
		}
		if d, err = h.cfg().Entries.Publish(ctx, h.principal, d.ID, in); err != nil {
			return nil, h.statusError("SaveDraft (publish)", err)
		}
		h.p.m.log.Info("plugin published", "plugin", h.p.name, "entry", d.ID, "type", d.TypeKey)
	}
	return &pluginv1.SaveDraftResponse{Entry: protoEntry(d, false)}, nil
}
