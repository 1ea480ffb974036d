package jobs

import (
	"context"
	"errors"
	"fmt"

	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Job returns the job with id: its state, attempts and the error of every
// failed attempt (JobRow.Errors, oldest first). A missing job (never
// committed, or removed by River's cleaner after its retention period) is an
// apperr.NotFound error that also matches rivertype.ErrNotFound.
func (j *Jobs) Job(ctx context.Context, id int64) (*rivertype.JobRow, error) {
	c, err := j.client()
	if err != nil {
		return nil, err
	}
	row, err := c.JobGet(ctx, id)
	if errors.Is(err, rivertype.ErrNotFound) {
		return nil, apperr.Wrap(err, apperr.NotFound, "job %d not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("error reading job %d: %w", id, err)
	}
	return row, nil
}

// unfinishedStates are the states of a job that has not succeeded (yet):
// with errors recorded, such a job failed its last attempt and waits for a
// retry, or gave up (discarded, cancelled).
var unfinishedStates = []rivertype.JobState{
	rivertype.JobStateAvailable, // a retry due within seconds is made available with a future scheduled_at
	rivertype.JobStateCancelled,
	rivertype.JobStateDiscarded,
	rivertype.JobStatePending,
	rivertype.JobStateRetryable,
	rivertype.JobStateRunning,
	rivertype.JobStateScheduled,
}

// Failures lists, newest first, up to limit jobs (1 to 10000; 0 means 100)
// of the given kinds (none means every kind) whose last attempt failed and
// that have not succeeded since: jobs waiting for a retry, and jobs River
// gave up on (discarded after MaxAttempts, or cancelled with
// river.JobCancel). Each row carries its errors.
func (j *Jobs) Failures(ctx context.Context, limit int, kinds ...string) ([]*rivertype.JobRow, error) {
	c, err := j.client()
	if err != nil {
		return nil, err
	}
	if limit == 0 {
		limit = 100
	}
	if limit < 1 || limit > 10_000 {
		return nil, apperr.New(apperr.Invalid, "limit must be between 1 and 10000")
	}
	params := river.NewJobListParams().
		States(unfinishedStates...).
		Where("errors IS NOT NULL").
		OrderBy(river.JobListOrderByID, river.SortOrderDesc).
		First(limit)
	if len(kinds) > 0 {
		params = params.Kinds(kinds...)
	}
	res, err := c.JobList(ctx, params)
	if err != nil {
		return nil, fmt.Errorf("error listing failed jobs: %w", err)
	}
	return res.Jobs, nil
}

// Retry makes a job that failed (or was cancelled or discarded) run again
// now, with its attempts so far kept. A job that is running or already
// succeeded is a Conflict.
func (j *Jobs) Retry(ctx context.Context, id int64) (*rivertype.JobRow, error) {
	row, err := j.Job(ctx, id)
	if err != nil {
		return nil, err
	}
	switch row.State {
	case rivertype.JobStateRunning:
		return nil, apperr.New(apperr.Conflict, "job %d is running", id)
	case rivertype.JobStateCompleted:
		return nil, apperr.New(apperr.Conflict, "job %d has succeeded", id)
	}
	c, err := j.client()
	if err != nil {
		return nil, err
	}
	row, err = c.JobRetry(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("error retrying job %d: %w", id, err)
	}
	return row, nil
}
