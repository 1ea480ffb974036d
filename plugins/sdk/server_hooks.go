package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/plugins/protocol"
	"github.com/inklingcms/inkling/plugins/protocol/pluginv1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// checkHookRequest checks the hook name and the values of a HookRequest.
func checkHookRequest(req *pluginv1.HookRequest, hook string) error {
	if h := req.GetHook(); h != "" && h != hook {
		return status.Errorf(codes.InvalidArgument, "%s: the request names hook %q", hook, h)
	}
	if req.GetType() == "" {
		return status.Errorf(codes.InvalidArgument, "%s: the request has no content type", hook)
	}
	if _, err := contenttypes.DecodeValues(req.GetFieldsJson()); err != nil {
		return status.Errorf(codes.InvalidArgument, "%s: fields_json: %v", hook, err)
	}
	return nil
}

// saveEvent builds the event a hook sees, with its own copy of the values
// (decoded from raw), so that hooks cannot change each other's input.
func (s *server) saveEvent(req *pluginv1.HookRequest, hook string, raw []byte) *SaveEvent {
	fields, _ := contenttypes.DecodeValues(raw) // checked by checkHookRequest or encoded by us
	return &SaveEvent{
		Hook: hook, Actor: principalFromProto(req.GetActor()), Type: req.GetType(),
		ContentType: s.c.types[req.GetType()], EntryID: req.GetEntryId(),
		Title: req.GetTitle(), Slug: req.GetSlug(), Fields: fields,
	}
}

// Validate runs every validate hook bound to the type and merges their
// diagnostics. No hook for the type means no diagnostics.
func (s *server) Validate(ctx context.Context, req *pluginv1.HookRequest) (*pluginv1.HookResponse, error) {
	if err := checkHookRequest(req, protocol.HookValidate); err != nil {
		return nil, err
	}
	var diags contenttypes.Diagnostics
	for i, h := range s.p.Validate {
		if !applies(h.Types, req.GetType()) {
			continue
		}
		what := fmt.Sprintf("validate hook %d for %q", i, req.GetType())
		e := s.saveEvent(req, protocol.HookValidate, req.GetFieldsJson())
		err := s.safely(what, func() error {
			diags.Append(h.Func(ctx, s.host, e)...)
			return nil
		})
		if err != nil {
			return nil, s.fail(what, err)
		}
	}
	return &pluginv1.HookResponse{Diagnostics: diagsToProto(diags)}, nil
}

// BeforeSave runs the before_save hooks bound to the type as a chain: each
// sees the values the previous one returned. An error diagnostic stops the
// chain. fields_json is empty in the response when no hook changed the
// values.
func (s *server) BeforeSave(ctx context.Context, req *pluginv1.HookRequest) (*pluginv1.HookResponse, error) {
	if err := checkHookRequest(req, protocol.HookBeforeSave); err != nil {
		return nil, err
	}
	cur := req.GetFieldsJson()
	changed := false
	var diags contenttypes.Diagnostics
	for i, h := range s.p.BeforeSave {
		if !applies(h.Types, req.GetType()) {
			continue
		}
		what := fmt.Sprintf("before_save hook %d for %q", i, req.GetType())
		e := s.saveEvent(req, protocol.HookBeforeSave, cur)
		var out contenttypes.Values
		err := s.safely(what, func() error {
			var d contenttypes.Diagnostics
			out, d = h.Func(ctx, s.host, e)
			diags.Append(d...)
			return nil
		})
		if err != nil {
			return nil, s.fail(what, err)
		}
		if diags.HasError() {
			return &pluginv1.HookResponse{Diagnostics: diagsToProto(diags)}, nil
		}
		if out != nil {
			raw, err := json.Marshal(out)
			if err != nil {
				return nil, status.Errorf(codes.Internal, "%s: encoding the values it returned: %v", what, err)
			}
			cur, changed = raw, true
		}
	}
	resp := &pluginv1.HookResponse{Diagnostics: diagsToProto(diags)}
	if changed {
		resp.FieldsJson = cur
	}
	return resp, nil
}

// HandleEvent runs every event hook bound to the event and the entry's
// type. All of them run; their errors are joined into one, which makes the
// host retry the event.
func (s *server) HandleEvent(ctx context.Context, req *pluginv1.EventRequest) (*pluginv1.EventResponse, error) {
	name := EventName(req.GetEvent())
	if _, ok := eventHook(name); !ok || name == Workflow {
		return nil, status.Errorf(codes.InvalidArgument, "unknown event %q; expected %s, %s, %s or %s",
			name, AfterSave, AfterPublish, AfterUnpublish, WorkflowState("<state>"))
	}
	if req.GetEntry() == nil {
		return nil, status.Errorf(codes.InvalidArgument, "event %s: the request has no entry", name)
	}
	entry, err := entryFromProto(req.GetEntry())
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "event %s: %v", name, err)
	}
	state, _ := strings.CutPrefix(string(name), string(Workflow)+".")
	if state == string(name) {
		state = ""
	}
	var errs []error
	for i, h := range s.p.Events {
		if !(h.Event == name || (h.Event == Workflow && state != "")) || !applies(h.Types, entry.Type) {
			continue
		}
		what := fmt.Sprintf("event hook %d (%s) for entry %s", i, name, entry.ID)
		e := &Event{
			Name: name, ID: req.GetEventId(), Actor: principalFromProto(req.GetActor()),
			Entry: entry, Attempt: int(req.GetAttempt()), WorkflowState: state,
		}
		if err := s.safely(what, func() error { return h.Func(ctx, s.host, e) }); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", what, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		// Internal (retry) whatever the handlers returned, unless the
		// host's deadline ran out or it gave up on the call.
		code := codes.Internal
		if ctx.Err() != nil {
			code = status.FromContextError(ctx.Err()).Code()
		}
		return nil, status.Error(code, err.Error())
	}
	return &pluginv1.EventResponse{}, nil
}
