package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/inklingcms/inkling/engine/jobs"
	"github.com/riverqueue/river"
)

type tickArgs struct{}

func (tickArgs) Kind() string { return "test_tick" }

// TestPeriodicJobRuns: a periodic job added before Start is enqueued by the
// leader and worked, repeatedly.
func TestPeriodicJobRuns(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			db, url := b.open(t)
			ticks := newTally()
			j := newJobs(t, db, url, nil)
			jobs.Register(j, river.WorkFunc(func(ctx context.Context, job *river.Job[tickArgs]) error {
				ticks.add("tick")
				return nil
			}))
			j.AddPeriodic(river.NewPeriodicJob(
				river.PeriodicInterval(500*time.Millisecond),
				func() (river.JobArgs, *river.InsertOpts) { return tickArgs{}, nil },
				&river.PeriodicJobOpts{ID: "test_tick", RunOnStart: true},
			))
			start(t, j)
			waitFor(t, "two periodic runs", 20*time.Second, func() bool { return ticks.get("tick") >= 2 })
		})
	}
}
