package webhooks_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/auth"
	"github.com/inklingcms/inkling/engine/entries"
	"github.com/inklingcms/inkling/engine/events"
	"github.com/inklingcms/inkling/engine/jobs"
	"github.com/inklingcms/inkling/engine/registry"
	"github.com/inklingcms/inkling/engine/testdb"
	"github.com/inklingcms/inkling/engine/webhooks"
)

func TestMain(m *testing.M) { testdb.Main(m) }

func TestWebhookDelivery(t *testing.T) {
	ctx := context.Background()
	db := testdb.SQLite(t)
	if err := jobs.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	j, err := jobs.New(jobs.Config{DB: db, Work: true, PollInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	bus := events.New(j)
	a := auth.New(db, nil)
	hooks := webhooks.New(db, a, nil)
	bus.AddSink(hooks)
	if err := j.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = j.Stop(context.Background()) })

	var mu sync.Mutex
	var got []*http.Request
	var bodies [][]byte
	calls := 0
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			w.WriteHeader(http.StatusInternalServerError) // the first attempt fails
			return
		}
		got, bodies = append(got, r), append(bodies, b)
	}))
	defer recv.Close()

	admin := auth.Principal{Kind: auth.KindToken, ID: "tok", Role: auth.RoleAdmin}
	editor := auth.Principal{Kind: auth.KindToken, ID: "ed", Role: auth.RoleEditor}
	if _, err := hooks.Create(ctx, editor, webhooks.Input{URL: recv.URL, Events: []string{"after_publish"}}); apperr.CodeOf(err) != apperr.Forbidden {
		t.Fatalf("editor created a webhook: %v", err)
	}
	if _, err := hooks.Create(ctx, admin, webhooks.Input{URL: "ftp://x", Events: []string{"nope"}}); apperr.CodeOf(err) != apperr.Invalid {
		t.Fatalf("invalid webhook accepted: %v", err)
	}
	wh, err := hooks.Create(ctx, admin, webhooks.Input{URL: recv.URL, Events: []string{"after_publish"}})
	if err != nil || !strings.HasPrefix(wh.Secret, "whsec_") {
		t.Fatalf("create: %+v %v", wh, err)
	}
	types := registry.New(db)
	if _, err := types.Register(ctx, contenttypes.ContentType{Key: "note", Label: "Note"}, nil); err != nil {
		t.Fatal(err)
	}
	svc := entries.New(db, types, a, &entries.Options{Events: bus})
	d, err := svc.Create(ctx, admin, entries.CreateInput{Type: "note", Title: "Hello"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Publish(ctx, admin, d.ID, entries.PublishInput{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("webhook not delivered after a failed first attempt (calls %d)", calls)
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	r, body := got[0], bodies[0]
	mu.Unlock()
	var p webhooks.Payload
	if err := json.Unmarshal(body, &p); err != nil || p.Event != "after_publish" || p.EntryID != d.ID || p.Attempt != 2 {
		t.Fatalf("payload %s: %v", body, err)
	}
	// The receiver can verify the signature with the secret.
	sig := r.Header.Get("Inkling-Signature")
	var ts int64
	for _, part := range strings.Split(sig, ",") {
		if v, ok := strings.CutPrefix(part, "t="); ok {
			ts, _ = json.Number(v).Int64()
		}
	}
	if want := webhooks.Sign(wh.Secret, time.Unix(ts, 0), body); sig != want || r.Header.Get("Inkling-Delivery") != p.ID {
		t.Fatalf("signature %q, want %q", sig, want)
	}
	if webhooks.Sign("whsec_wrong", time.Unix(ts, 0), body) == sig {
		t.Fatal("a wrong secret gives the same signature")
	}
	// The delivery row is updated once the receiver's answer is back,
	// a moment after the receiver saw the request.
	var ds []webhooks.Delivery
	for {
		ds, err = hooks.Deliveries(ctx, admin, wh.ID, 10)
		if err != nil || len(ds) != 1 || ds[0].Status != "retrying" || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil || len(ds) != 1 || ds[0].Status != "delivered" || ds[0].Attempts != 2 || *ds[0].ResponseCode != 200 {
		t.Fatalf("deliveries: %+v %v", ds, err)
	}
}
