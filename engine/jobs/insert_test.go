package jobs_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/jobs"
	"github.com/inklingcms/inkling/engine/store"
	"github.com/inklingcms/inkling/engine/testdb"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/uptrace/bun"
)

// noteArgs stands for a follow-up job of a content change.
type noteArgs struct {
	Note string `json:"note"`
}

func (noteArgs) Kind() string { return "test_note" }

// registerNotes registers a worker counting how often each note is worked.
func registerNotes(j *jobs.Jobs, worked *tally) {
	jobs.Register(j, river.WorkFunc(func(ctx context.Context, job *river.Job[noteArgs]) error {
		worked.add(job.Args.Note)
		return nil
	}))
}

func createNotesTable(t *testing.T, db *store.DB) {
	t.Helper()
	if _, err := db.ExecContext(context.Background(), "CREATE TABLE test_notes (body TEXT NOT NULL)"); err != nil {
		t.Fatal(err)
	}
}

func countNotes(t *testing.T, db *store.DB, body string) int {
	t.Helper()
	n, err := db.NewSelect().Table("test_notes").Where("body = ?", body).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

func jobState(t *testing.T, j *jobs.Jobs, id int64) rivertype.JobState {
	t.Helper()
	row, err := j.Job(context.Background(), id)
	if err != nil {
		t.Fatalf("Job(%d): %v", id, err)
	}
	return row.State
}

var errRollback = errors.New("roll back on purpose")

// TestInsertTx: a job inserted with a content change exists, and is worked
// once, exactly when the transaction commits. It is invisible to workers
// until the commit, and a rollback leaves neither the change nor the job.
func TestInsertTx(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		for _, tc := range []struct {
			name   string
			commit bool
		}{
			{"commit", true},
			{"rollback", false},
		} {
			t.Run(b.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				db, url := b.open(t)
				createNotesTable(t, db)
				worked := newTally()
				j := newJobs(t, db, url, nil)
				registerNotes(j, worked)
				start(t, j)

				var res *rivertype.JobInsertResult
				err := db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
					if _, err := tx.NewRaw("INSERT INTO test_notes (body) VALUES (?)", "n1").Exec(ctx); err != nil {
						return err
					}
					var err error
					if res, err = j.InsertTx(ctx, tx, noteArgs{Note: "n1"}, nil); err != nil {
						return err
					}
					// Longer than a poll: no worker may see the uncommitted job.
					time.Sleep(3 * pollInterval)
					if n := worked.get("n1"); n != 0 {
						t.Errorf("job worked %d times before commit", n)
					}
					if !tc.commit {
						return errRollback
					}
					return nil
				})
				if tc.commit && err != nil {
					t.Fatal(err)
				}
				if !tc.commit && !errors.Is(err, errRollback) {
					t.Fatalf("InTx = %v, want the rollback error", err)
				}

				if tc.commit {
					waitFor(t, "the job to complete", 10*time.Second, func() bool {
						return jobState(t, j, res.Job.ID) == rivertype.JobStateCompleted
					})
				} else {
					// Checked before any later insert: on SQLite the id of a
					// rolled-back job is given to the next job.
					_, err = j.Job(ctx, res.Job.ID)
					if !apperr.Is(err, apperr.NotFound) || !errors.Is(err, rivertype.ErrNotFound) {
						t.Fatalf("Job(rolled back) = %v, want not found", err)
					}
					// A committed job inserted afterwards is worked: the
					// workers run, and the rolled-back one was never there.
					var later *rivertype.JobInsertResult
					err := db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
						var err error
						later, err = j.InsertTx(ctx, tx, noteArgs{Note: "n2"}, nil)
						return err
					})
					if err != nil {
						t.Fatal(err)
					}
					waitFor(t, "the later job to complete", 10*time.Second, func() bool {
						return jobState(t, j, later.Job.ID) == rivertype.JobStateCompleted
					})
				}
				time.Sleep(3 * pollInterval) // a second run would show up by now

				want := map[string]int{}
				wantRows := 0
				if tc.commit {
					want["n1"], wantRows = 1, 1
				} else {
					want["n2"] = 1
				}
				got := worked.snapshot()
				for _, note := range []string{"n1", "n2"} {
					if got[note] != want[note] {
						t.Errorf("%s worked %d times, want %d", note, got[note], want[note])
					}
				}
				if n := countNotes(t, db, "n1"); n != wantRows {
					t.Errorf("content rows = %d, want %d", n, wantRows)
				}
			})
		}
	}
}

// TestWebRoleInsertsWorkerWorks: a process that does not work jobs (role
// web) inserts in its transaction; another process (role worker, its own
// database handle) works the job.
func TestWebRoleInsertsWorkerWorks(t *testing.T) {
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db, url := b.open(t)
			worked := newTally()

			web := newJobs(t, db, "", func(c *jobs.Config) { c.Work = false })
			registerNotes(web, newTally()) // registered for the kind check; never runs here
			start(t, web)

			workerDB := db
			if url != "" {
				workerDB = openURL(t, url)
			} else {
				var err error
				workerDB, err = store.Open(ctx, store.Config{DataDir: filepath.Dir(db.Location)})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = workerDB.Close() })
			}
			worker := newJobs(t, workerDB, url, nil)
			registerNotes(worker, worked)
			start(t, worker)

			var res *rivertype.JobInsertResult
			if err := db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				var err error
				res, err = web.InsertTx(ctx, tx, noteArgs{Note: "from-web"}, nil)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the job to complete", 10*time.Second, func() bool {
				return jobState(t, web, res.Job.ID) == rivertype.JobStateCompleted
			})
			if n := worked.get("from-web"); n != 1 {
				t.Fatalf("worked %d times, want 1", n)
			}
		})
	}
}

func TestInsertChecks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testdb.SQLite(t)
	migrateJobs(t, db)
	j := newJobs(t, db, "", func(c *jobs.Config) { c.Work = false })
	registerNotes(j, newTally())

	if _, err := j.Insert(ctx, noteArgs{}, nil); err == nil {
		t.Error("Insert before Start succeeded")
	}
	start(t, j)

	var unknown *rivertype.UnknownJobKindError
	if _, err := j.Insert(ctx, unregisteredArgs{}, nil); !errors.As(err, &unknown) {
		t.Errorf("Insert of an unregistered kind = %v, want UnknownJobKindError", err)
	}
	res, err := j.Insert(ctx, noteArgs{Note: "x"}, &river.InsertOpts{Queue: "other", Priority: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.Job.Queue != "other" || res.Job.Priority != 2 || res.Job.State != rivertype.JobStateAvailable {
		t.Errorf("inserted %+v", res.Job)
	}
}

type unregisteredArgs struct{}

func (unregisteredArgs) Kind() string { return "test_unregistered" }
