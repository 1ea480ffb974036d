package workflow

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/audit"
	"github.com/inklingcms/inkling/engine/auth"
	"github.com/inklingcms/inkling/engine/entries"
	"github.com/uptrace/bun"
)

func (s *Service) record(ctx context.Context, tx bun.Tx, actor auth.Principal, e *entries.Entry, st *State, action, comment string) error {
	if err := audit.Write(ctx, tx, audit.Record{Actor: actor, Action: action, EntryID: e.ID, TypeKey: e.TypeKey,
		RevisionID: st.RevisionID, At: st.UpdatedAt,
		Data: map[string]any{"workflow_state": st.ID, "status": st.Status, "task": deref(st.CurrentTaskID), "comment": comment}}); err != nil {
		return err
	}
	if s.events == nil {
		return nil
	}
	return s.events.EnqueueTx(ctx, tx, entries.Event{ID: newID(), Name: "workflow." + st.Status, EntryID: e.ID,
		Type: e.TypeKey, RevisionID: st.RevisionID, Actor: actor})
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func (s *Service) tasks(ctx context.Context, db bun.IDB, workflowID string) ([]Task, error) {
	var ts []Task
	if err := db.NewSelect().Model(&ts).Where("workflow_id = ?", workflowID).OrderExpr("sort_order").Scan(ctx); err != nil {
		return nil, fmt.Errorf("error loading tasks: %w", err)
	}
	return ts, nil
}

func (s *Service) startTask(ctx context.Context, tx bun.Tx, st *State, task Task) error {
	ts := &TaskState{ID: newID(), WorkflowStateID: st.ID, TaskID: task.ID, RevisionID: st.RevisionID,
		Status: TaskInProgress, StartedAt: st.UpdatedAt}
	st.CurrentTaskID = &task.ID
	if _, err := tx.NewInsert().Model(ts).Exec(ctx); err != nil {
		return fmt.Errorf("error starting task: %w", err)
	}
	if !isGroupKind(task.Kind) && s.taskQueue != nil {
		// The plugin decides, through the job queue (retried, after commit).
		return s.taskQueue.EnqueueTaskTx(ctx, tx, st.ID, task.ID)
	}
	return nil
}

// Submit puts the entry's latest revision through its workflow. An entry
// whose workflow asked for changes resumes at the task that asked.
func (s *Service) Submit(ctx context.Context, actor auth.Principal, entryID, comment string) (*State, error) {
	var out *State
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		e, err := s.loadEntry(ctx, tx, entryID)
		if err != nil {
			return err
		}
		if err := s.authz.Require(ctx, actor, auth.ActEntriesUpdate, e.TypeKey); err != nil {
			return err
		}
		a, err := s.assignmentFor(ctx, tx, e)
		if err != nil {
			return err
		}
		if a == nil {
			return apperr.New(apperr.Invalid, "no workflow applies to entry %s (type %s)", e.ID, e.TypeKey)
		}
		now := s.clock()
		st, err := openState(ctx, tx, e.ID)
		if err != nil {
			return err
		}
		switch {
		case st != nil && st.Status == StatusInProgress:
			return apperr.New(apperr.Conflict, "entry %s is already in review", e.ID)
		case st != nil: // needs changes: resume at the task that asked
			st.Status, st.RevisionID, st.UpdatedAt = StatusInProgress, deref(e.LatestRevisionID), now
			ts, err := s.tasks(ctx, tx, st.WorkflowID)
			if err != nil {
				return err
			}
			i := slices.IndexFunc(ts, func(t Task) bool { return t.ID == deref(st.CurrentTaskID) })
			if i < 0 {
				i = 0
			}
			if err := s.startTask(ctx, tx, st, ts[i]); err != nil {
				return err
			}
			if _, err := tx.NewUpdate().Model(st).Column("status", "revision_id", "current_task_id", "updated_at").WherePK().Exec(ctx); err != nil {
				return fmt.Errorf("error resubmitting: %w", err)
			}
		default:
			ts, err := s.tasks(ctx, tx, a.WorkflowID)
			if err != nil {
				return err
			}
			requester := actor.ID
			if actor.UserID != "" {
				requester = actor.UserID
			}
			st = &State{ID: newID(), EntryID: e.ID, WorkflowID: a.WorkflowID, Status: StatusInProgress,
				RevisionID: deref(e.LatestRevisionID), RequestedBy: &requester, CurrentTaskID: &ts[0].ID, CreatedAt: now, UpdatedAt: now}
			if _, err := tx.NewInsert().Model(st).Exec(ctx); err != nil {
				return fmt.Errorf("error submitting: %w", err)
			}
			if err := s.startTask(ctx, tx, st, ts[0]); err != nil {
				return err
			}
		}
		out = st
		return s.record(ctx, tx, actor, e, st, "workflow_submit", comment)
	})
	if err != nil {
		return nil, err
	}
	return out, s.loadTasks(ctx, s.db, out)
}

// decide approves or rejects the current task.
func (s *Service) decide(ctx context.Context, actor auth.Principal, entryID, comment string, approve bool) (*State, error) {
	return s.decideTask(ctx, actor, entryID, "", comment, approve)
}

// decideTask decides the current task; with taskID set, only if that task
// is still the current one.
func (s *Service) decideTask(ctx context.Context, actor auth.Principal, entryID, taskID, comment string, approve bool) (*State, error) {
	var out *State
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		e, err := s.loadEntry(ctx, tx, entryID)
		if err != nil {
			return err
		}
		st, err := openState(ctx, tx, e.ID)
		if err != nil {
			return err
		}
		if st == nil || st.Status != StatusInProgress {
			return apperr.New(apperr.Conflict, "entry %s is not in review", e.ID)
		}
		ts, err := s.tasks(ctx, tx, st.WorkflowID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(ts, func(t Task) bool { return t.ID == deref(st.CurrentTaskID) })
		if i < 0 {
			return fmt.Errorf("workflow state %s points at unknown task %s", st.ID, deref(st.CurrentTaskID))
		}
		if taskID != "" && ts[i].ID != taskID {
			return apperr.New(apperr.Conflict, "the task was already decided")
		}
		var cfg GroupConfig
		_ = json.Unmarshal(ts[i].Config, &cfg)
		if actor.Role != auth.RoleAdmin && !slices.Contains(cfg.Roles, string(actor.Role)) {
			return apperr.New(apperr.Forbidden, "task %q is decided by %v; role %s may not", ts[i].Name, cfg.Roles, actor.Role)
		}
		if actor.Role != auth.RoleAdmin {
			if err := s.authz.Require(ctx, actor, auth.ActEntriesReview, e.TypeKey); err != nil {
				return err
			}
		}
		now := s.clock()
		by := actor.ID
		status, action := TaskRejected, "workflow_request_changes"
		if approve {
			status, action = TaskApproved, "workflow_approve"
		}
		if _, err := tx.NewUpdate().Model((*TaskState)(nil)).Set("status = ?", status).Set("comment = ?", comment).
			Set("finished_at = ?", now).Set("finished_by = ?", by).
			Where("workflow_state_id = ? AND task_id = ? AND status = ?", st.ID, ts[i].ID, TaskInProgress).Exec(ctx); err != nil {
			return fmt.Errorf("error finishing task: %w", err)
		}
		st.UpdatedAt = now
		switch {
		case !approve:
			st.Status = StatusNeedsChanges
		case i+1 < len(ts):
			if err := s.startTask(ctx, tx, st, ts[i+1]); err != nil {
				return err
			}
		default:
			st.Status, st.CurrentTaskID = StatusApproved, nil
		}
		if _, err := tx.NewUpdate().Model(st).Column("status", "current_task_id", "updated_at").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("error updating workflow state: %w", err)
		}
		out = st
		return s.record(ctx, tx, actor, e, st, action, comment)
	})
	if err != nil {
		return nil, err
	}
	return out, s.loadTasks(ctx, s.db, out)
}

// Approve approves the current task; after the last task the workflow is
// approved.
func (s *Service) Approve(ctx context.Context, actor auth.Principal, entryID, comment string) (*State, error) {
	return s.decide(ctx, actor, entryID, comment, true)
}

// RequestChanges rejects the current task: the workflow needs changes and
// resumes there when the entry is submitted again.
func (s *Service) RequestChanges(ctx context.Context, actor auth.Principal, entryID, comment string) (*State, error) {
	return s.decide(ctx, actor, entryID, comment, false)
}

// Cancel withdraws the open workflow (its requester or an admin).
func (s *Service) Cancel(ctx context.Context, actor auth.Principal, entryID string) (*State, error) {
	var out *State
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		e, err := s.loadEntry(ctx, tx, entryID)
		if err != nil {
			return err
		}
		st, err := openState(ctx, tx, e.ID)
		if err != nil {
			return err
		}
		if st == nil {
			return apperr.New(apperr.Conflict, "entry %s has no open workflow", e.ID)
		}
		who := actor.ID
		if actor.UserID != "" {
			who = actor.UserID
		}
		if actor.Role != auth.RoleAdmin && deref(st.RequestedBy) != who {
			return apperr.New(apperr.Forbidden, "only the requester or an admin may cancel this workflow")
		}
		now := s.clock()
		if _, err := tx.NewUpdate().Model((*TaskState)(nil)).Set("status = ?", TaskCancelled).Set("finished_at = ?", now).
			Set("finished_by = ?", actor.ID).Where("workflow_state_id = ? AND status = ?", st.ID, TaskInProgress).Exec(ctx); err != nil {
			return fmt.Errorf("error cancelling tasks: %w", err)
		}
		st.Status, st.UpdatedAt = StatusCancelled, now
		if _, err := tx.NewUpdate().Model(st).Column("status", "updated_at").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("error cancelling workflow: %w", err)
		}
		out = st
		return s.record(ctx, tx, actor, e, st, "workflow_cancel", "")
	})
	if err != nil {
		return nil, err
	}
	return out, s.loadTasks(ctx, s.db, out)
}

// CheckPublish is the publish gate (entries.PublishGate): when the entry's
// workflow requires approval, only an approved revision may be published.
// Admins may bypass; the caller audits the bypass.
func (s *Service) CheckPublish(ctx context.Context, tx bun.Tx, actor auth.Principal, e *entries.Entry, revisionID string) (bool, error) {
	a, err := s.assignmentFor(ctx, tx, e)
	if err != nil || a == nil || !a.RequireApproval {
		return false, err
	}
	st, err := latestState(ctx, tx, e.ID)
	if err != nil {
		return false, err
	}
	if st != nil && st.Status == StatusApproved && st.RevisionID == revisionID {
		return false, nil
	}
	if actor.Role == auth.RoleAdmin {
		return true, nil
	}
	status := "never submitted"
	if st != nil {
		status = st.Status
		if st.Status == StatusApproved {
			status = "approved a different revision"
		}
	}
	return false, apperr.New(apperr.Forbidden, "entries of type %s need an approved review before publishing (this one: %s)", e.TypeKey, status)
}
