// Package scheduler runs scheduled publishing and unpublishing. The
// schedules table is the truth (engine/entries); this package enqueues a job
// for each schedule at its time, inside the transaction that creates it, and
// runs a periodic sweeper (on the queue's leader) that catches any schedule
// whose job was lost or that came due while no worker ran. Both paths call
// entries' RunSchedule, which acts only on a pending, due row it has locked:
// each schedule runs exactly once however many workers there are.
package scheduler

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/inklingcms/inkling/engine/jobs"
	"github.com/riverqueue/river"
	"github.com/uptrace/bun"
)

// Runner performs schedules (implemented by *entries.Service).
type Runner interface {
	RunSchedule(ctx context.Context, scheduleID string) (bool, error)
	DueSchedules(ctx context.Context, limit int) ([]string, error)
}

// DefaultSweepEvery is how often the sweeper looks for missed schedules.
const DefaultSweepEvery = 30 * time.Second

// Scheduler enqueues and runs schedule jobs.
type Scheduler struct {
	jobs   *jobs.Jobs
	log    *slog.Logger
	runner atomic.Pointer[Runner]
}

// RunArgs is the job that runs one schedule at its time.
type RunArgs struct {
	ScheduleID string `json:"schedule_id"`
}

// Kind implements river.JobArgs.
func (RunArgs) Kind() string { return "inkling.schedule" }

// SweepArgs is the periodic sweep.
type SweepArgs struct{}

// Kind implements river.JobArgs.
func (SweepArgs) Kind() string { return "inkling.schedule_sweep" }

// New registers the schedule workers and the periodic sweeper on the job
// queue (call before it starts). sweepEvery 0 means DefaultSweepEvery.
func New(j *jobs.Jobs, log *slog.Logger, sweepEvery time.Duration) *Scheduler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if sweepEvery <= 0 {
		sweepEvery = DefaultSweepEvery
	}
	s := &Scheduler{jobs: j, log: log}
	jobs.Register(j, &runWorker{s: s})
	jobs.Register(j, &sweepWorker{s: s})
	j.AddPeriodic(river.NewPeriodicJob(river.PeriodicInterval(sweepEvery),
		func() (river.JobArgs, *river.InsertOpts) { return SweepArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true}))
	return s
}

// SetRunner sets the service that performs schedules (it is built after
// the scheduler, which it needs).
func (s *Scheduler) SetRunner(r Runner) { s.runner.Store(&r) }

func (s *Scheduler) run() (Runner, error) {
	r := s.runner.Load()
	if r == nil {
		return nil, fmt.Errorf("scheduler has no runner yet")
	}
	return *r, nil
}

// EnqueueScheduleTx implements entries.Scheduler.
func (s *Scheduler) EnqueueScheduleTx(ctx context.Context, tx bun.Tx, scheduleID string, at time.Time) error {
	_, err := s.jobs.InsertTx(ctx, tx, RunArgs{ScheduleID: scheduleID}, &river.InsertOpts{ScheduledAt: at})
	if err != nil {
		return fmt.Errorf("error enqueueing schedule %s: %w", scheduleID, err)
	}
	return nil
}

type runWorker struct {
	river.WorkerDefaults[RunArgs]
	s *Scheduler
}

func (w *runWorker) Work(ctx context.Context, job *river.Job[RunArgs]) error {
	r, err := w.s.run()
	if err != nil {
		return err
	}
	acted, err := r.RunSchedule(ctx, job.Args.ScheduleID)
	if err == nil && acted {
		w.s.log.Info("schedule ran", "schedule", job.Args.ScheduleID, "by", "job")
	}
	return err
}

type sweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	s *Scheduler
}

func (w *sweepWorker) Work(ctx context.Context, _ *river.Job[SweepArgs]) error {
	r, err := w.s.run()
	if err != nil {
		return err
	}
	for {
		ids, err := r.DueSchedules(ctx, 100)
		if err != nil {
			return err
		}
		ran := 0
		for _, id := range ids {
			acted, err := r.RunSchedule(ctx, id)
			if err != nil {
				w.s.log.Warn("missed schedule failed; will retry", "schedule", id, "err", err)
				continue
			}
			if acted {
				ran++
				w.s.log.Info("schedule ran", "schedule", id, "by", "sweeper")
			}
		}
		if len(ids) < 100 || ran == 0 {
			return nil
		}
	}
}
