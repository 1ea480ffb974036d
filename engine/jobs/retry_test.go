package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/jobs"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// flakyArgs fails its first attempt; its second attempt waits for release.
type flakyArgs struct{}

func (flakyArgs) Kind() string { return "test_flaky" }

// doomedArgs always fails.
type doomedArgs struct{}

func (doomedArgs) Kind() string { return "test_doomed" }

func (doomedArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 1} }

func failureIDs(t *testing.T, j *jobs.Jobs, kinds ...string) []int64 {
	t.Helper()
	rows, err := j.Failures(context.Background(), 10, kinds...)
	if err != nil {
		t.Fatalf("Failures: %v", err)
	}
	ids := make([]int64, 0, len(rows))
	for _, r := range rows {
		ids = append(ids, r.ID)
	}
	return ids
}

// TestFailingJobIsRetried: a failed attempt is recorded with its error and
// retried after River's backoff (about 1 s after the first failure); the job
// shows among the failures until the retry succeeds. A job out of attempts
// is discarded and stays listed with its error.
func TestFailingJobIsRetried(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db, url := b.open(t)
			release := make(chan struct{})
			j := newJobs(t, db, url, nil)
			jobs.Register(j, river.WorkFunc(func(ctx context.Context, job *river.Job[flakyArgs]) error {
				if job.Attempt == 1 {
					return fmt.Errorf("boom on attempt %d", job.Attempt)
				}
				select {
				case <-release:
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			}))
			jobs.Register(j, river.WorkFunc(func(ctx context.Context, job *river.Job[doomedArgs]) error {
				return errors.New("doomed")
			}))
			start(t, j)

			flaky, err := j.Insert(ctx, flakyArgs{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			doomed, err := j.Insert(ctx, doomedArgs{}, nil)
			if err != nil {
				t.Fatal(err)
			}

			var failed *rivertype.JobRow
			waitFor(t, "the first failure", 10*time.Second, func() bool {
				failed, err = j.Job(ctx, flaky.Job.ID)
				return err == nil && len(failed.Errors) == 1
			})
			e := failed.Errors[0]
			if e.Attempt != 1 || !strings.Contains(e.Error, "boom on attempt 1") {
				t.Errorf("recorded error = %+v", e)
			}
			if backoff := failed.ScheduledAt.Sub(e.At); backoff < 800*time.Millisecond || backoff > 1500*time.Millisecond {
				t.Errorf("retry scheduled %s after the failure, want about 1s (attempt^4 s)", backoff)
			}
			if ids := failureIDs(t, j, flakyArgs{}.Kind()); !slices.Equal(ids, []int64{flaky.Job.ID}) {
				t.Errorf("Failures(flaky) = %v, want [%d]", ids, flaky.Job.ID)
			}

			waitFor(t, "the second attempt", 10*time.Second, func() bool {
				row, err := j.Job(ctx, flaky.Job.ID)
				return err == nil && row.State == rivertype.JobStateRunning && row.Attempt == 2
			})
			close(release)
			waitFor(t, "the retry to succeed", 10*time.Second, func() bool {
				return jobState(t, j, flaky.Job.ID) == rivertype.JobStateCompleted
			})
			done, err := j.Job(ctx, flaky.Job.ID)
			if err != nil {
				t.Fatal(err)
			}
			if done.Attempt != 2 || len(done.Errors) != 1 {
				t.Errorf("completed job: attempt %d, errors %+v; want attempt 2 with the one error kept", done.Attempt, done.Errors)
			}

			waitFor(t, "the doomed job to be discarded", 10*time.Second, func() bool {
				return jobState(t, j, doomed.Job.ID) == rivertype.JobStateDiscarded
			})
			if ids := failureIDs(t, j); !slices.Equal(ids, []int64{doomed.Job.ID}) {
				t.Errorf("Failures() = %v, want only the discarded job %d", ids, doomed.Job.ID)
			}
			rows, err := j.Failures(ctx, 0, doomedArgs{}.Kind())
			if err != nil || len(rows) != 1 || len(rows[0].Errors) != 1 || rows[0].Errors[0].Error != "doomed" {
				t.Errorf("Failures(doomed) = %+v, %v", rows, err)
			}

			// An admin retries the discarded job: it runs once more (and
			// fails again, with both errors kept); a completed job cannot
			// be retried.
			if _, err := j.Retry(ctx, doomed.Job.ID); err != nil {
				t.Fatalf("Retry: %v", err)
			}
			waitFor(t, "the retried job to fail again", 10*time.Second, func() bool {
				row, err := j.Job(ctx, doomed.Job.ID)
				return err == nil && row.State == rivertype.JobStateDiscarded && len(row.Errors) == 2
			})
			if _, err := j.Retry(ctx, flaky.Job.ID); apperr.CodeOf(err) != apperr.Conflict {
				t.Errorf("Retry of a completed job: %v", err)
			}
			if _, err := j.Retry(ctx, 1<<40); apperr.CodeOf(err) != apperr.NotFound {
				t.Errorf("Retry of a missing job: %v", err)
			}
		})
	}
}
