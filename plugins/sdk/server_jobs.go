package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/plugins/protocol/pluginv1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// RunJob runs a declared job kind.
func (s *server) RunJob(ctx context.Context, req *pluginv1.JobRequest) (*pluginv1.JobResponse, error) {
	j, ok := s.c.jobs[req.GetKind()]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "no job kind %q is declared (declared: %v)", req.GetKind(), sortedKeys(s.c.jobs))
	}
	what := fmt.Sprintf("job %s", req.GetKind())
	run := &JobRun{Kind: req.GetKind(), Args: req.GetArgsJson(), Attempt: int(req.GetAttempt()), MaxAttempts: int(req.GetMaxAttempts())}
	if err := s.safely(what, func() error { return j.Run(ctx, s.host, run) }); err != nil {
		return nil, s.fail(what, err)
	}
	return &pluginv1.JobResponse{}, nil
}

// RunAction runs a declared admin action.
func (s *server) RunAction(ctx context.Context, req *pluginv1.ActionRequest) (*pluginv1.ActionResponse, error) {
	a, ok := s.c.actions[req.GetAction()]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "no action %q is declared (declared: %v)", req.GetAction(), sortedKeys(s.c.actions))
	}
	if len(a.Types) > 0 && req.GetEntryId() == "" {
		return nil, status.Errorf(codes.InvalidArgument, "action %s applies to entries (of %v): the request has no entry_id", a.Name, a.Types)
	}
	what := fmt.Sprintf("action %s", a.Name)
	run := &ActionRun{Action: a.Name, Actor: principalFromProto(req.GetActor()), EntryID: req.GetEntryId(), Params: req.GetParamsJson()}
	var resp *pluginv1.ActionResponse
	err := s.safely(what, func() error {
		result, diags, err := a.Run(ctx, s.host, run)
		if err != nil {
			return err
		}
		raw, err := encodeJSON(result)
		if err != nil {
			return fmt.Errorf("encoding the result: %w", err)
		}
		resp = &pluginv1.ActionResponse{ResultJson: raw, Diagnostics: diagsToProto(diags)}
		return nil
	})
	if err != nil {
		return nil, s.fail(what, err)
	}
	return resp, nil
}

// RunTask decides a workflow task of a declared kind.
func (s *server) RunTask(ctx context.Context, req *pluginv1.TaskRequest) (*pluginv1.TaskResponse, error) {
	k, ok := s.c.tasks[req.GetKind()]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "no task kind %q is declared (declared: %v)", req.GetKind(), sortedKeys(s.c.tasks))
	}
	if req.GetEntry() == nil {
		return nil, status.Errorf(codes.InvalidArgument, "task %s: the request has no entry", k.Name)
	}
	e, err := entryFromProto(req.GetEntry())
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "task %s: %v", k.Name, err)
	}
	what := fmt.Sprintf("task %s", k.Name)
	run := &TaskRun{Kind: k.Name, TaskName: req.GetTaskName(), WorkflowStateID: req.GetWorkflowStateId(), Entry: e,
		Config: req.GetConfigJson(), Attempt: int(req.GetAttempt())}
	var d TaskDecision
	if err := s.safely(what, func() error {
		var err error
		d, err = k.Run(ctx, s.host, run)
		return err
	}); err != nil {
		return nil, s.fail(what, err)
	}
	switch d.Outcome {
	case TaskApprove, TaskRequestChanges, TaskPending:
	default:
		return nil, status.Errorf(codes.Internal, "task %s returned outcome %q; want approve, request_changes or pending", k.Name, d.Outcome)
	}
	return &pluginv1.TaskResponse{Decision: d.Outcome, Comment: d.Comment}, nil
}

// Upgrade migrates one entry's values to the plugin's current definition
// of a content type.
func (s *server) Upgrade(ctx context.Context, req *pluginv1.UpgradeRequest) (*pluginv1.UpgradeResponse, error) {
	u, ok := s.c.upgrades[req.GetType()]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "no upgrade of content type %q is declared (declared: %v)", req.GetType(), sortedKeys(s.c.upgrades))
	}
	fields, err := contenttypes.DecodeValues(req.GetFieldsJson())
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "upgrade of %s: entry %s: %v", req.GetType(), req.GetEntryId(), err)
	}
	in := &UpgradeInput{EntryID: req.GetEntryId(), Fields: fields, FromVersion: int(req.GetFromVersion())}
	if err := json.Unmarshal(req.GetFromDefinitionJson(), &in.From); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "upgrade of %s: the stored definition: %v", req.GetType(), err)
	}
	what := fmt.Sprintf("upgrade of %s (entry %s)", req.GetType(), req.GetEntryId())
	var out contenttypes.Values
	if err := s.safely(what, func() error {
		var err error
		out, err = u.Func(ctx, in)
		return err
	}); err != nil {
		var diags contenttypes.Diagnostics
		if errors.As(err, &diags) {
			return &pluginv1.UpgradeResponse{Diagnostics: diagsToProto(diags)}, nil
		}
		return nil, s.fail(what, err)
	}
	raw, err := json.Marshal(out)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "%s: encoding the result: %v", what, err)
	}
	return &pluginv1.UpgradeResponse{FieldsJson: raw}, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
