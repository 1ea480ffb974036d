package jobs_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/inklingcms/inkling/engine/jobs"
	"github.com/inklingcms/inkling/engine/store"
	"github.com/riverqueue/river"
	"github.com/uptrace/bun"
)

type ReindexArgs struct {
	EntryID string `json:"entry_id"`
}

func (ReindexArgs) Kind() string { return "reindex" }

// Insert a job in the transaction of a content change, and work it.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "inkling-jobs-example-")
	defer os.RemoveAll(dir)
	db, err := store.Open(ctx, store.Config{DataDir: dir})
	if err != nil {
		panic(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil { // the engine's tables first
		panic(err)
	}
	if err := jobs.Migrate(ctx, db); err != nil { // then River's
		panic(err)
	}

	j, err := jobs.New(jobs.Config{DB: db, Work: true, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		panic(err)
	}
	done := make(chan struct{})
	jobs.Register(j, river.WorkFunc(func(ctx context.Context, job *river.Job[ReindexArgs]) error {
		fmt.Println("reindexing", job.Args.EntryID)
		close(done)
		return nil
	}))
	if err := j.Start(ctx); err != nil {
		panic(err)
	}

	err = db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		// ... the content change, through tx ...
		_, err := j.InsertTx(ctx, tx, ReindexArgs{EntryID: "e1"}, nil)
		return err
	})
	if err != nil {
		panic(err)
	}
	<-done

	stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := j.Stop(stopCtx); err != nil {
		panic(err)
	}
	fmt.Println("stopped")
	// Output:
	// reindexing e1
	// stopped
}
