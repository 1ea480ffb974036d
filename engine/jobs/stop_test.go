package jobs_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/inklingcms/inkling/engine/jobs"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// slowArgs runs for Millis, or until its context ends when Millis is 0.
type slowArgs struct {
	Millis int `json:"millis"`
}

func (slowArgs) Kind() string { return "test_slow" }

// TestStop: Stop lets a running job finish within StopTimeout; past it, the
// job's context is cancelled, the job is made available again without using
// up an attempt (River records no error for a shutdown), and Stop returns.
// Inserting keeps working after Stop.
func TestStop(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		for _, tc := range []struct {
			name        string
			millis      int
			stopTimeout time.Duration
			wantState   rivertype.JobState
			wantCancel  bool
		}{
			{"finishes running job", 400, 5 * time.Second, rivertype.JobStateCompleted, false},
			{"cancels job after timeout", 0, 300 * time.Millisecond, rivertype.JobStateAvailable, true},
		} {
			t.Run(b.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				db, url := b.open(t)
				running := make(chan struct{})
				cancelled := make(chan error, 1)
				j := newJobs(t, db, url, func(c *jobs.Config) { c.StopTimeout = tc.stopTimeout })
				jobs.Register(j, river.WorkFunc(func(ctx context.Context, job *river.Job[slowArgs]) error {
					close(running)
					if job.Args.Millis > 0 {
						time.Sleep(time.Duration(job.Args.Millis) * time.Millisecond)
						return nil
					}
					<-ctx.Done()
					cancelled <- ctx.Err()
					return ctx.Err()
				}))
				if err := j.Stop(ctx); err != nil {
					t.Fatalf("Stop before Start: %v", err)
				}
				if err := j.Start(ctx); err != nil {
					t.Fatal(err)
				}
				res, err := j.Insert(ctx, slowArgs{Millis: tc.millis}, nil)
				if err != nil {
					t.Fatal(err)
				}
				select {
				case <-running:
				case <-time.After(10 * time.Second):
					t.Fatal("job did not start")
				}

				began := time.Now()
				stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
				defer cancel()
				if err := j.Stop(stopCtx); err != nil {
					t.Fatalf("Stop: %v", err)
				}
				t.Logf("Stop took %s", time.Since(began))
				if err := j.Stop(stopCtx); err != nil {
					t.Fatalf("second Stop: %v", err)
				}

				select {
				case err := <-cancelled:
					if !tc.wantCancel || !errors.Is(err, context.Canceled) {
						t.Errorf("job context ended with %v (want cancel: %v)", err, tc.wantCancel)
					}
				default:
					if tc.wantCancel {
						t.Error("job context was not cancelled")
					}
				}
				row, err := j.Job(ctx, res.Job.ID)
				if err != nil {
					t.Fatal(err)
				}
				if row.State != tc.wantState {
					t.Errorf("job state after Stop = %s, want %s (errors %+v)", row.State, tc.wantState, row.Errors)
				}
				if tc.wantCancel && (len(row.Errors) != 0 || row.Attempt != 0) {
					t.Errorf("interrupted job: attempt %d, errors %+v; want it given back unspent", row.Attempt, row.Errors)
				}
				if _, err := j.Insert(ctx, slowArgs{Millis: 1}, nil); err != nil {
					t.Errorf("Insert after Stop: %v", err)
				}
			})
		}
	}
}
