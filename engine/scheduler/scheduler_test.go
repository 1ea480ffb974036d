package scheduler_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/auth"
	"github.com/inklingcms/inkling/engine/entries"
	"github.com/inklingcms/inkling/engine/jobs"
	"github.com/inklingcms/inkling/engine/registry"
	"github.com/inklingcms/inkling/engine/scheduler"
	"github.com/inklingcms/inkling/engine/store"
	"github.com/inklingcms/inkling/engine/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

var admin = auth.Principal{Kind: auth.KindToken, ID: "t", Role: auth.RoleAdmin}

// server is one "serve" process: its own registry, services and workers
// over the shared database.
type server struct {
	entries *entries.Service
	jobs    *jobs.Jobs
}

func startServer(t *testing.T, url string, sweep time.Duration) *server {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	types := registry.New(db)
	if err := types.Load(ctx); err != nil {
		t.Fatal(err)
	}
	j, err := jobs.New(jobs.Config{DB: db, DatabaseURL: url, Work: true, PollInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	sch := scheduler.New(j, nil, sweep)
	svc := entries.New(db, types, auth.New(db, nil), &entries.Options{Scheduler: sch})
	sch.SetRunner(svc)
	if err := j.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = j.Stop(context.Background()) })
	return &server{entries: svc, jobs: j}
}

func setup(t *testing.T) (string, *store.DB) {
	t.Helper()
	ctx := context.Background()
	url := testdb.PostgresURL(t)
	db, err := store.Open(ctx, store.Config{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := jobs.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	if _, err := registry.New(db).Register(ctx, contenttypes.ContentType{Key: "drop", Label: "Drop", Fields: []contenttypes.Field{
		{Name: "n", Kind: contenttypes.KindInteger}}}, nil); err != nil {
		t.Fatal(err)
	}
	return url, db
}

func publishCounts(t *testing.T, db *store.DB) map[string]int {
	t.Helper()
	var rows []struct {
		EntryID string `bun:"entry_id"`
		N       int    `bun:"n"`
	}
	if err := db.NewSelect().Table("audit_log").Column("entry_id").ColumnExpr("count(*) AS n").
		Where("action = 'publish'").Group("entry_id").Scan(context.Background(), &rows); err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.EntryID] = r.N
	}
	return out
}

// TestExactlyOnceAcrossServers: 50 entries scheduled for the same second,
// two servers working the queue: each is published exactly once.
func TestExactlyOnceAcrossServers(t *testing.T) {
	url, db := setup(t)
	a := startServer(t, url, time.Hour)
	b := startServer(t, url, time.Hour)
	ctx := context.Background()
	at := time.Now().Add(2 * time.Second).Truncate(time.Second)
	var ids []string
	for i := 0; i < 50; i++ {
		svc := a.entries
		if i%2 == 1 {
			svc = b.entries
		}
		d, err := svc.Create(ctx, admin, entries.CreateInput{Type: "drop", Title: fmt.Sprint("Drop ", i), Fields: json.RawMessage(`{"n":1}`)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Schedule(ctx, admin, d.ID, entries.ScheduleInput{Action: "publish", At: at}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, d.ID)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		counts := publishCounts(t, db)
		if len(counts) == len(ids) || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // let any duplicate show up
	counts := publishCounts(t, db)
	for _, id := range ids {
		if counts[id] != 1 {
			t.Errorf("entry %s published %d times", id, counts[id])
		}
	}
	pending, err := a.entries.Schedules(ctx, admin, "", true)
	if err != nil || len(pending) != 0 {
		t.Fatalf("pending schedules left: %d %v", len(pending), err)
	}
	var early int
	if err := db.NewSelect().Table("audit_log").ColumnExpr("count(*)").Where("action = 'publish' AND created_at < ?", at).Scan(ctx, &early); err != nil || early != 0 {
		t.Fatalf("%d publishes before their time (%v)", early, err)
	}
}

// TestSweeperCatchesMissedSchedules: a schedule whose job is gone (here: a
// schedule made without a job queue) is run by the sweeper once due.
func TestSweeperCatchesMissedSchedules(t *testing.T) {
	url, db := setup(t)
	ctx := context.Background()
	types := registry.New(db)
	_ = types.Load(ctx)
	noJobs := entries.New(db, types, auth.New(db, nil), nil)
	d, err := noJobs.Create(ctx, admin, entries.CreateInput{Type: "drop", Title: "Missed"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := noJobs.Publish(ctx, admin, d.ID, entries.PublishInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := noJobs.Schedule(ctx, admin, d.ID, entries.ScheduleInput{Action: "unpublish", At: time.Now().Add(-time.Second)}); err != nil {
		t.Fatal(err)
	}
	startServer(t, url, 200*time.Millisecond)
	deadline := time.Now().Add(20 * time.Second)
	for {
		got, err := noJobs.Get(ctx, admin, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Live {
			if !got.Expired || got.ExpireAt != nil {
				t.Fatalf("expired entry: %+v", got.Entry)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the sweeper did not run the missed schedule")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
