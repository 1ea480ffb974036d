package pluginjobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/inklingcms/inkling/engine/jobs"
	"github.com/inklingcms/inkling/engine/pluginhost"
	"github.com/inklingcms/inkling/engine/workflow"
	"github.com/riverqueue/river"
	"github.com/uptrace/bun"
)

// TaskDecider is what workflow tasks need of the plugin host.
type TaskDecider interface {
	HasTaskKind(kind string) bool
	RunTask(ctx context.Context, in pluginhost.TaskInput) (*pluginhost.TaskResult, error)
}

// WorkflowTasks adapts the plugin host to workflow.PluginTasks and runs
// plugin-decided workflow tasks on the job queue.
type WorkflowTasks struct {
	jobs     *jobs.Jobs
	host     TaskDecider
	workflow *workflow.Service
}

// TaskArgs is the job that asks a plugin to decide a workflow task.
type TaskArgs struct {
	StateID string `json:"workflow_state_id"`
	TaskID  string `json:"task_id"`
}

// Kind implements river.JobArgs.
func (TaskArgs) Kind() string { return "inkling.workflow_task" }

// PendingRetry is how soon a plugin that answered "pending" is asked again.
const PendingRetry = 30 * time.Second

// NewWorkflowTasks registers the worker (before the queue starts) and
// enables plugin task kinds on the workflow service.
func NewWorkflowTasks(j *jobs.Jobs, h TaskDecider, wf *workflow.Service) *WorkflowTasks {
	t := &WorkflowTasks{jobs: j, host: h, workflow: wf}
	jobs.Register(j, &taskWorker{t: t})
	wf.SetPluginTasks(t, t)
	return t
}

// HasTaskKind implements workflow.PluginTasks.
func (t *WorkflowTasks) HasTaskKind(kind string) bool { return t.host.HasTaskKind(kind) }

// Decide implements workflow.PluginTasks.
func (t *WorkflowTasks) Decide(ctx context.Context, in workflow.PluginTaskInput) (string, string, error) {
	res, err := t.host.RunTask(ctx, pluginhost.TaskInput{Kind: in.Kind, TaskName: in.TaskName, WorkflowStateID: in.WorkflowStateID,
		EntryID: in.EntryID, RevisionID: in.RevisionID, Config: in.Config, Attempt: in.Attempt})
	if err != nil {
		return "", "", err
	}
	return res.Decision, res.Comment, nil
}

// EnqueueTaskTx implements workflow.TaskQueue.
func (t *WorkflowTasks) EnqueueTaskTx(ctx context.Context, tx bun.Tx, stateID, taskID string) error {
	if _, err := t.jobs.InsertTx(ctx, tx, TaskArgs{StateID: stateID, TaskID: taskID}, nil); err != nil {
		return fmt.Errorf("error enqueueing workflow task: %w", err)
	}
	return nil
}

type taskWorker struct {
	river.WorkerDefaults[TaskArgs]
	t *WorkflowTasks
}

func (w *taskWorker) Work(ctx context.Context, job *river.Job[TaskArgs]) error {
	err := w.t.workflow.RunPluginTask(ctx, job.Args.StateID, job.Args.TaskID, job.Attempt)
	if errors.Is(err, workflow.ErrPending) {
		return river.JobSnooze(PendingRetry)
	}
	return err
}
