package jobs_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/inklingcms/inkling/engine/jobs"
	"github.com/inklingcms/inkling/engine/store"
	"github.com/riverqueue/river"
)

func TestNewChecksConfig(t *testing.T) {
	t.Parallel()
	pg := &store.DB{Backend: store.Postgres}
	lite := &store.DB{Backend: store.SQLite, Location: "x/inkling.db"}
	for _, tc := range []struct {
		name    string
		cfg     jobs.Config
		wantErr string // "" means valid
	}{
		{"no db", jobs.Config{}, "Config.DB is required"},
		{"postgres worker without url", jobs.Config{DB: pg, Work: true}, "DatabaseURL is required"},
		{"postgres web without url", jobs.Config{DB: pg}, ""},
		{"sqlite worker", jobs.Config{DB: lite, Work: true}, ""},
		{"sqlite worker without file", jobs.Config{DB: &store.DB{Backend: store.SQLite}, Work: true}, "Location"},
		{"poll below cooldown", jobs.Config{DB: lite, PollInterval: 50 * time.Millisecond}, "at least 100ms"},
		{"poll at cooldown", jobs.Config{DB: lite, PollInterval: 100 * time.Millisecond}, ""},
		{"zero workers", jobs.Config{DB: lite, Queues: map[string]int{"default": 0}}, `queue "default"`},
		{"negative stop timeout", jobs.Config{DB: lite, StopTimeout: -1}, "StopTimeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := jobs.New(tc.cfg)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("New = %v, want ok", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("New = %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestRegisterAfterStartPanics(t *testing.T) {
	t.Parallel()
	db, _ := backends[0].open(t)
	j := newJobs(t, db, "", func(c *jobs.Config) { c.Work = false })
	start(t, j)
	if err := j.Start(context.Background()); err == nil {
		t.Error("second Start succeeded")
	}
	defer func() {
		if recover() == nil {
			t.Error("Register after Start did not panic")
		}
	}()
	jobs.Register(j, river.WorkFunc(func(ctx context.Context, job *river.Job[noteArgs]) error { return nil }))
}
