package events_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/auth"
	"github.com/inklingcms/inkling/engine/entries"
	"github.com/inklingcms/inkling/engine/events"
	"github.com/inklingcms/inkling/engine/jobs"
	"github.com/inklingcms/inkling/engine/registry"
	"github.com/inklingcms/inkling/engine/store"
	"github.com/inklingcms/inkling/engine/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// recorder is a sink that fails its first delivery of every event, to
// prove the queue retries, and records what it finally got.
type recorder struct {
	name  string
	want  string
	mu    sync.Mutex
	tries map[string]int
	got   []entries.Event
}

func (r *recorder) Name() string                { return r.name }
func (r *recorder) Wants(ev entries.Event) bool { return ev.Name == r.want }
func (r *recorder) delivered() []entries.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]entries.Event(nil), r.got...)
}
func (r *recorder) Deliver(_ context.Context, ev entries.Event, attempt int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tries[ev.ID]++
	if r.tries[ev.ID] == 1 {
		return errors.New("first attempt fails")
	}
	r.got = append(r.got, ev)
	return nil
}

func TestEventsThroughTheQueue(t *testing.T) {
	for _, b := range []struct {
		name string
		open func(testing.TB) *store.DB
		url  func(*store.DB) string
	}{
		{"sqlite", testdb.SQLite, func(*store.DB) string { return "" }},
		{"postgres", nil, nil},
	} {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			var db *store.DB
			url := ""
			if b.open != nil {
				db = b.open(t)
			} else {
				url = testdb.PostgresURL(t)
				var err error
				if db, err = store.Open(ctx, store.Config{URL: url}); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				if _, err := db.Migrate(ctx); err != nil {
					t.Fatal(err)
				}
			}
			if err := jobs.Migrate(ctx, db); err != nil {
				t.Fatal(err)
			}
			j, err := jobs.New(jobs.Config{DB: db, DatabaseURL: url, Work: true, PollInterval: 100 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			bus := events.New(j)
			pub := &recorder{name: "pub", want: entries.EventAfterPublish, tries: map[string]int{}}
			saves := &recorder{name: "saves", want: entries.EventAfterSave, tries: map[string]int{}}
			bus.AddSink(pub)
			bus.AddSink(saves)
			if err := j.Start(ctx); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = j.Stop(context.Background()) })
			types := registry.New(db)
			if _, err := types.Register(ctx, contenttypes.ContentType{Key: "note", Label: "Note", Fields: []contenttypes.Field{
				{Name: "n", Kind: contenttypes.KindInteger, Required: true}}}, nil); err != nil {
				t.Fatal(err)
			}
			svc := entries.New(db, types, auth.New(db, nil), &entries.Options{Events: bus})
			admin := auth.Principal{Kind: auth.KindToken, ID: "t", Role: auth.RoleAdmin}
			d, err := svc.Create(ctx, admin, entries.CreateInput{Type: "note", Title: "A", Fields: json.RawMessage(`{"n":1}`)})
			if err != nil {
				t.Fatal(err)
			}
			// A refused save records no event.
			if _, err := svc.Save(ctx, admin, d.ID, entries.SaveInput{Fields: json.RawMessage(`{"n":"x"}`)}); err == nil {
				t.Fatal("invalid save accepted")
			}
			if _, err := svc.Publish(ctx, admin, d.ID, entries.PublishInput{}); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(20 * time.Second)
			for len(pub.delivered()) < 1 || len(saves.delivered()) < 1 {
				if time.Now().After(deadline) {
					t.Fatalf("events not delivered: publish %d, save %d", len(pub.delivered()), len(saves.delivered()))
				}
				time.Sleep(50 * time.Millisecond)
			}
			time.Sleep(300 * time.Millisecond) // nothing else may arrive
			if p := pub.delivered(); len(p) != 1 || p[0].EntryID != d.ID || p[0].RevisionID != d.Revision.ID {
				t.Fatalf("publish events: %+v", p)
			}
			if s := saves.delivered(); len(s) != 1 || s[0].Name != entries.EventAfterSave {
				t.Fatalf("save events: %+v", s)
			}
		})
	}
}
