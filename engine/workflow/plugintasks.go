package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/inklingcms/inkling/engine/auth"
	"github.com/uptrace/bun"
)

// PluginTasks decides workflow tasks of kinds plugins declare
// ("<plugin>.<name>"); the wiring adapts the plugin host.
type PluginTasks interface {
	HasTaskKind(kind string) bool
	Decide(ctx context.Context, in PluginTaskInput) (decision, comment string, err error)
}

// PluginTaskInput is a task for a plugin to decide.
type PluginTaskInput struct {
	Kind, TaskName, WorkflowStateID, EntryID, RevisionID string
	Config                                               json.RawMessage
	Attempt                                              int
}

// TaskQueue enqueues the job that asks a plugin to decide a task, inside
// the transaction that starts the task.
type TaskQueue interface {
	EnqueueTaskTx(ctx context.Context, tx bun.Tx, stateID, taskID string) error
}

// Plugin decisions.
const (
	DecisionApprove        = "approve"
	DecisionRequestChanges = "request_changes"
	DecisionPending        = "pending"
)

// ErrPending says a plugin has not decided yet: ask again later.
var ErrPending = errors.New("the plugin has not decided yet")

// SetPluginTasks enables plugin task kinds (call before serving).
func (s *Service) SetPluginTasks(p PluginTasks, q TaskQueue) { s.plugins, s.taskQueue = p, q }

func isGroupKind(kind string) bool { return kind == "" || kind == KindGroupApproval }

// RunPluginTask asks the plugin to decide a task that is still current and
// applies its decision as the plugin (an approval or a request for changes,
// audited like a reviewer's). A stale job — the workflow moved on, was
// cancelled or resubmitted — does nothing.
func (s *Service) RunPluginTask(ctx context.Context, stateID, taskID string, attempt int) error {
	if s.plugins == nil {
		return fmt.Errorf("plugin task kinds are not enabled")
	}
	st := new(State)
	if err := s.db.NewSelect().Model(st).Where("id = ?", stateID).Scan(ctx); err != nil {
		return nil // the state is gone (entry deleted): nothing to decide
	}
	if st.Status != StatusInProgress || deref(st.CurrentTaskID) != taskID {
		return nil
	}
	task := new(Task)
	if err := s.db.NewSelect().Model(task).Where("id = ?", taskID).Scan(ctx); err != nil {
		return fmt.Errorf("error loading task %s: %w", taskID, err)
	}
	decision, comment, err := s.plugins.Decide(ctx, PluginTaskInput{Kind: task.Kind, TaskName: task.Name, WorkflowStateID: st.ID,
		EntryID: st.EntryID, RevisionID: st.RevisionID, Config: task.Config, Attempt: attempt})
	if err != nil {
		return err
	}
	actor := auth.Principal{Kind: auth.KindPlugin, ID: "plugin:" + task.Kind, Name: task.Kind, Role: auth.RoleAdmin}
	switch decision {
	case DecisionApprove:
		_, err = s.decideTask(ctx, actor, st.EntryID, taskID, comment, true)
	case DecisionRequestChanges:
		_, err = s.decideTask(ctx, actor, st.EntryID, taskID, comment, false)
	case DecisionPending:
		return ErrPending
	default:
		return fmt.Errorf("task %s: unknown decision %q", task.Kind, decision)
	}
	return err
}
