package sdk

import (
	"context"
	"fmt"
	"slices"

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
	run := &JobRun{Kind: req.GetKind(), Args: req.GetArgsJson(), Attempt: int(req.GetAttempt())}
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

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
