package entries

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/audit"
	"github.com/inklingcms/inkling/engine/auth"
	"github.com/inklingcms/inkling/engine/store"
	"github.com/uptrace/bun"
)

// Schedule states.
const (
	SchedulePending   = "pending"
	ScheduleDone      = "done"
	ScheduleCancelled = "cancelled"
	ScheduleFailed    = "failed"
)

// Schedule is a publish or unpublish at a time. The row is the truth: the
// job that runs it at run_at and the sweeper that catches missed ones both
// go through RunSchedule, which acts only on a pending row it has locked,
// so each schedule runs exactly once however many workers there are.
type Schedule struct {
	bun.BaseModel `bun:"table:schedules"`
	ID            string     `bun:"id,pk" json:"id"`
	EntryID       string     `bun:"entry_id" json:"entry_id"`
	TypeKey       string     `bun:"type_key" json:"type"`
	Action        string     `bun:"action" json:"action"`
	RevisionID    *string    `bun:"revision_id" json:"revision_id,omitempty"`
	RunAt         time.Time  `bun:"run_at" json:"run_at"`
	Status        string     `bun:"status" json:"status"`
	CreatedBy     *string    `bun:"created_by" json:"created_by,omitempty"`
	CreatedAt     time.Time  `bun:"created_at" json:"created_at"`
	DoneAt        *time.Time `bun:"done_at" json:"done_at,omitempty"`
	Error         *string    `bun:"error" json:"error,omitempty"`
	Title         string     `bun:"title,scanonly" json:"title,omitempty"`
}

// ScheduleInput asks for a publish (of a revision, default the latest at
// scheduling time) or an unpublish at a time.
type ScheduleInput struct {
	Action     string    `json:"action"` // publish or unpublish
	At         time.Time `json:"at"`
	RevisionID string    `json:"revision_id,omitempty"`
}

// Scheduler enqueues the job that runs a schedule at its time, inside the
// transaction that creates the schedule.
type Scheduler interface {
	EnqueueScheduleTx(ctx context.Context, tx bun.Tx, scheduleID string, at time.Time) error
}

// MaxScheduleAhead bounds how far ahead a schedule may be.
const MaxScheduleAhead = 5 * 365 * 24 * time.Hour

// Schedule creates a schedule (replacing a pending one of the same action).
// Permissions and the workflow gate are checked now, as the scheduler:
// an editor cannot schedule what they could not publish.
func (s *Service) Schedule(ctx context.Context, actor auth.Principal, id string, in ScheduleInput) (*Schedule, error) {
	var diags contenttypes.Diagnostics
	if in.Action != "publish" && in.Action != "unpublish" {
		diags.AppendErrorf("action", contenttypes.CodeInvalidChoice, "expected publish or unpublish, got %q", in.Action)
	}
	now := s.now()
	if in.At.IsZero() {
		diags.AppendError("at", contenttypes.CodeRequired, "when: an RFC 3339 time")
	} else if in.At.After(now.Add(MaxScheduleAhead)) {
		diags.AppendError("at", contenttypes.CodeOutOfRange, "at most 5 years ahead")
	}
	if diags.HasError() {
		return nil, apperr.Validation("invalid schedule", diags)
	}
	var out *Schedule
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		e, err := s.loadEntry(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := s.authz.Require(ctx, actor, auth.ActEntriesPublish, e.TypeKey); err != nil {
			return err
		}
		sc := &Schedule{ID: s.newID(), EntryID: e.ID, TypeKey: e.TypeKey, Action: in.Action, RunAt: in.At.UTC().Truncate(time.Microsecond),
			Status: SchedulePending, CreatedAt: now}
		if actor.ID != "" {
			sc.CreatedBy = strptr(actor.ID)
		}
		if in.Action == "publish" {
			revID := in.RevisionID
			if revID == "" {
				revID = deref(e.LatestRevisionID)
			}
			if _, err := s.loadRevision(ctx, tx, e.ID, revID); err != nil {
				return err
			}
			if s.gate != nil {
				bypassed, err := s.gate.CheckPublish(ctx, tx, actor, e, revID)
				if err != nil {
					return err
				}
				if bypassed {
					if err := audit.Write(ctx, tx, audit.Record{Actor: actor, Action: "schedule_bypass_workflow", EntryID: e.ID,
						TypeKey: e.TypeKey, RevisionID: revID, At: now}); err != nil {
						return err
					}
				}
			}
			sc.RevisionID = &revID
		}
		if _, err := tx.NewUpdate().Model((*Schedule)(nil)).Set("status = ?", ScheduleCancelled).Set("done_at = ?", now).
			Where("entry_id = ? AND action = ? AND status = ?", e.ID, in.Action, SchedulePending).Exec(ctx); err != nil {
			return fmt.Errorf("error replacing schedule: %w", err)
		}
		if _, err := tx.NewInsert().Model(sc).Exec(ctx); err != nil {
			return fmt.Errorf("error creating schedule: %w", err)
		}
		col := "go_live_at"
		if in.Action == "unpublish" {
			col = "expire_at"
		}
		if _, err := tx.NewUpdate().Model((*Entry)(nil)).Set(col+" = ?", sc.RunAt).Where("id = ?", e.ID).Exec(ctx); err != nil {
			return fmt.Errorf("error updating entry: %w", err)
		}
		if s.scheduler != nil {
			if err := s.scheduler.EnqueueScheduleTx(ctx, tx, sc.ID, sc.RunAt); err != nil {
				return err
			}
		}
		out = sc
		return audit.Write(ctx, tx, audit.Record{Actor: actor, Action: "schedule_" + in.Action, EntryID: e.ID, TypeKey: e.TypeKey,
			RevisionID: deref(sc.RevisionID), At: now, Data: map[string]any{"schedule": sc.ID, "run_at": sc.RunAt}})
	})
	return out, err
}

// CancelSchedule cancels a pending schedule.
func (s *Service) CancelSchedule(ctx context.Context, actor auth.Principal, scheduleID string) error {
	return s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		sc, err := s.lockSchedule(ctx, tx, scheduleID)
		if err != nil {
			return err
		}
		if err := s.authz.Require(ctx, actor, auth.ActEntriesPublish, sc.TypeKey); err != nil {
			return err
		}
		if sc.Status != SchedulePending {
			return apperr.New(apperr.Conflict, "schedule %s is %s", sc.ID, sc.Status)
		}
		now := s.now()
		if _, err := tx.NewUpdate().Model(sc).Set("status = ?", ScheduleCancelled).Set("done_at = ?", now).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("error cancelling schedule: %w", err)
		}
		col := "go_live_at"
		if sc.Action == "unpublish" {
			col = "expire_at"
		}
		if _, err := tx.NewUpdate().Model((*Entry)(nil)).Set(col+" = NULL").Where("id = ?", sc.EntryID).Exec(ctx); err != nil {
			return fmt.Errorf("error updating entry: %w", err)
		}
		return audit.Write(ctx, tx, audit.Record{Actor: actor, Action: "schedule_cancel", EntryID: sc.EntryID, TypeKey: sc.TypeKey,
			At: now, Data: map[string]any{"schedule": sc.ID}})
	})
}

func (s *Service) lockSchedule(ctx context.Context, tx bun.Tx, id string) (*Schedule, error) {
	sc := new(Schedule)
	q := tx.NewSelect().Model(sc).Where("id = ?", id)
	if s.db.Backend == store.Postgres {
		q = q.For("UPDATE")
	}
	err := q.Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.New(apperr.NotFound, "no schedule %s", id)
	}
	if err != nil {
		return nil, fmt.Errorf("error loading schedule %s: %w", id, err)
	}
	return sc, nil
}

// RunSchedule performs a due schedule exactly once: it locks the row, and
// does nothing unless it is still pending and due. It returns whether it
// acted. A schedule whose action fails for a reason retrying cannot fix (the
// revision became invalid, the entry is not live) is marked failed with the
// reason, visible in the schedules list.
func (s *Service) RunSchedule(ctx context.Context, scheduleID string) (bool, error) {
	acted := false
	var failure error
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		sc, err := s.lockSchedule(ctx, tx, scheduleID)
		if err != nil {
			return err
		}
		now := s.now()
		if sc.Status != SchedulePending || sc.RunAt.After(now) {
			return nil
		}
		actor := auth.System
		switch sc.Action {
		case "publish":
			_, err = s.publishTx(ctx, tx, actor, sc.EntryID, PublishInput{RevisionID: deref(sc.RevisionID), scheduled: true,
				Message: "scheduled"})
			if err == nil {
				_, err = tx.NewUpdate().Model((*Entry)(nil)).Set("go_live_at = NULL").Where("id = ?", sc.EntryID).Exec(ctx)
			}
		default:
			err = s.unpublishTx(ctx, tx, actor, sc.EntryID, true)
			if err == nil {
				_, err = tx.NewUpdate().Model((*Entry)(nil)).Set("expire_at = NULL").Where("id = ?", sc.EntryID).Exec(ctx)
			}
		}
		if err != nil {
			code := apperr.CodeOf(err)
			if code == apperr.Internal || code == apperr.Unavailable {
				return err // transient: roll back, the job retries
			}
			failure = err
			return errScheduleFailed // roll back whatever the action wrote
		}
		acted = true
		_, err = tx.NewUpdate().Model(sc).Set("status = ?", ScheduleDone).Set("done_at = ?", now).WherePK().Exec(ctx)
		return err
	})
	if !errors.Is(err, errScheduleFailed) {
		return acted, err
	}
	// The action was rolled back; record the permanent failure on its own.
	msg := failure.Error()
	_, err = s.db.NewUpdate().Model((*Schedule)(nil)).Set("status = ?", ScheduleFailed).Set("error = ?", msg).
		Set("done_at = ?", s.now()).Where("id = ? AND status = ?", scheduleID, SchedulePending).Exec(ctx)
	return false, err
}

var errScheduleFailed = errors.New("schedule failed permanently")

// DueSchedules lists pending schedules whose time has come (for the
// sweeper), oldest first.
func (s *Service) DueSchedules(ctx context.Context, limit int) ([]string, error) {
	var ids []string
	err := s.db.NewSelect().Model((*Schedule)(nil)).Column("id").Where("status = ? AND run_at <= ?", SchedulePending, s.now()).
		OrderExpr("run_at, id").Limit(int64(limit)).Scan(ctx, &ids)
	return ids, err
}

// Schedules lists schedules, upcoming first: pending ones by time, then
// recent finished ones. entryID filters by entry.
func (s *Service) Schedules(ctx context.Context, actor auth.Principal, entryID string, pendingOnly bool) ([]Schedule, error) {
	if err := s.authz.Require(ctx, actor, auth.ActEntriesRead, ""); err != nil && entryID == "" {
		return nil, err
	}
	var out []Schedule
	q := s.db.NewSelect().Model(&out).ColumnExpr("schedule.*").ColumnExpr("e.draft_title AS title").
		Join("JOIN entries AS e ON e.id = schedule.entry_id").
		OrderExpr("CASE WHEN schedule.status = 'pending' THEN 0 ELSE 1 END, schedule.run_at").Limit(500)
	if entryID != "" {
		q = q.Where("schedule.entry_id = ?", entryID)
	}
	if pendingOnly {
		q = q.Where("schedule.status = ?", SchedulePending)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("error listing schedules: %w", err)
	}
	return out, nil
}
