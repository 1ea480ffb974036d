package jobs_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/inklingcms/inkling/engine/jobs"
	"github.com/inklingcms/inkling/engine/store"
	"github.com/riverqueue/river"
	"github.com/uptrace/bun"
)

// TestTwoServersWorkEachJobOnce: two processes ("servers", each with its
// own database handle and River clients) on one PostgreSQL database share
// 50 jobs; each job is worked exactly once, and both servers take part.
func TestTwoServersWorkEachJobOnce(t *testing.T) {
	t.Parallel()
	const total = 50
	ctx := context.Background()
	pg := backends[1]
	if pg.name != "postgres" {
		t.Fatal("backends[1] must be postgres")
	}
	_, url := pg.open(t)

	worked := newTally()   // note → times worked, across servers
	byServer := newTally() // server → jobs it worked
	type server struct {
		db   *store.DB
		jobs *jobs.Jobs
	}
	servers := map[string]server{}
	for _, name := range []string{"a", "b"} {
		sdb := openURL(t, url)
		j := newJobs(t, sdb, url, func(c *jobs.Config) { c.Queues = map[string]int{"default": 3} })
		jobs.Register(j, river.WorkFunc(func(ctx context.Context, job *river.Job[noteArgs]) error {
			time.Sleep(20 * time.Millisecond) // long enough that one server cannot take them all
			worked.add(job.Args.Note)
			byServer.add(name)
			return nil
		}))
		start(t, j)
		servers[name] = server{sdb, j}
	}

	// Half inserted by each server, in batches of transactions.
	for i := 0; i < total; i += 5 {
		s := servers[map[bool]string{true: "a", false: "b"}[i%10 == 0]]
		err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			for k := i; k < i+5; k++ {
				if _, err := s.jobs.InsertTx(ctx, tx, noteArgs{Note: fmt.Sprintf("job-%02d", k)}, nil); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	waitFor(t, "all jobs to be worked", 30*time.Second, func() bool { return len(worked.snapshot()) == total })
	time.Sleep(3 * pollInterval) // a duplicate run would show up by now

	counts := worked.snapshot()
	for i := 0; i < total; i++ {
		note := fmt.Sprintf("job-%02d", i)
		if counts[note] != 1 {
			t.Errorf("%s worked %d times, want 1", note, counts[note])
		}
	}
	per := byServer.snapshot()
	t.Logf("jobs per server: %v", per)
	if per["a"]+per["b"] != total || per["a"] == 0 || per["b"] == 0 {
		t.Errorf("jobs per server = %v, want both servers working, %d in all", per, total)
	}
}
