package jobs

import (
	"context"
	"fmt"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/uptrace/bun"
)

// InsertTx inserts a job in the engine's transaction tx: the job exists if
// and only if tx commits, and no worker sees it before. Use it for every job
// caused by a content change. opts may be nil (defaults come from the args'
// InsertOpts method, then River's). It works whether or not this process runs
// workers, and also after Stop.
func (j *Jobs) InsertTx(ctx context.Context, tx bun.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	c, err := j.client()
	if err != nil {
		return nil, err
	}
	if tx.Tx == nil {
		return nil, fmt.Errorf("jobs: InsertTx of %s needs an open transaction", args.Kind())
	}
	res, err := c.InsertTx(ctx, tx.Tx, args, opts)
	if err != nil {
		return nil, fmt.Errorf("error inserting job %s: %w", args.Kind(), err)
	}
	return res, nil
}

// Insert inserts a job in its own transaction, for work not tied to a
// content change.
func (j *Jobs) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	c, err := j.client()
	if err != nil {
		return nil, err
	}
	res, err := c.Insert(ctx, args, opts)
	if err != nil {
		return nil, fmt.Errorf("error inserting job %s: %w", args.Kind(), err)
	}
	return res, nil
}
