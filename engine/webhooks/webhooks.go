// Package webhooks sends lifecycle events (after_publish, after_unpublish,
// after_save, workflow.*) to subscribers' HTTPS endpoints. Each delivery is
// a job (engine/events) retried with backoff; every attempt's outcome is
// kept in webhook_deliveries and readable through the management API.
//
// Requests are signed like Stripe's: header
// `Inkling-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
// with the webhook's secret, shown once at creation. Receivers verify the
// signature and reject old timestamps to stop replays; `Inkling-Delivery`
// (the event id, stable across retries) lets them drop duplicates.
package webhooks

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/apperr"
	"github.com/inklingcms/inkling/engine/audit"
	"github.com/inklingcms/inkling/engine/auth"
	"github.com/inklingcms/inkling/engine/entries"
	"github.com/inklingcms/inkling/engine/store"
	"github.com/uptrace/bun"
)

// Webhook is a subscription.
type Webhook struct {
	bun.BaseModel `bun:"table:webhooks"`
	ID            string    `bun:"id,pk" json:"id"`
	URL           string    `bun:"url" json:"url"`
	Secret        string    `bun:"secret" json:"-"`
	Events        string    `bun:"events" json:"-"` // comma-separated
	EventList     []string  `bun:"-" json:"events"`
	Description   string    `bun:"description" json:"description"`
	Active        bool      `bun:"active" json:"active"`
	CreatedAt     time.Time `bun:"created_at" json:"created_at"`
}

// Delivery is the record of one event sent (or being retried) to one
// webhook.
type Delivery struct {
	bun.BaseModel `bun:"table:webhook_deliveries"`
	ID            string    `bun:"id,pk" json:"id"`
	WebhookID     string    `bun:"webhook_id" json:"webhook_id"`
	EventID       string    `bun:"event_id" json:"event_id"`
	Event         string    `bun:"event" json:"event"`
	EntryID       *string   `bun:"entry_id" json:"entry_id,omitempty"`
	Status        string    `bun:"status" json:"status"` // delivered, retrying
	Attempts      int       `bun:"attempts" json:"attempts"`
	ResponseCode  *int      `bun:"response_code" json:"response_code,omitempty"`
	Error         *string   `bun:"error" json:"error,omitempty"`
	CreatedAt     time.Time `bun:"created_at" json:"created_at"`
	UpdatedAt     time.Time `bun:"updated_at" json:"updated_at"`
}

// Events a webhook may subscribe to.
var Events = []string{entries.EventAfterSave, entries.EventAfterPublish, entries.EventAfterUnpublish,
	"workflow.in_progress", "workflow.approved", "workflow.needs_changes", "workflow.cancelled"}

// Authorizer checks permissions.
type Authorizer interface {
	Require(ctx context.Context, p auth.Principal, action auth.Action, typeKey string) error
}

// Service manages webhooks and is the events sink that delivers them.
type Service struct {
	db     *store.DB
	authz  Authorizer
	client *http.Client
	log    *slog.Logger
	now    func() time.Time

	mu     sync.Mutex
	cached []Webhook
	loaded time.Time
}

// Options configure a Service.
type Options struct {
	Client *http.Client // default: 10 s timeout, no redirects
	Log    *slog.Logger
}

// New returns a Service.
func New(db *store.DB, authz Authorizer, opts *Options) *Service {
	s := &Service{db: db, authz: authz, now: time.Now, log: slog.New(slog.DiscardHandler),
		client: &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if opts != nil {
		if opts.Client != nil {
			s.client = opts.Client
		}
		if opts.Log != nil {
			s.log = opts.Log
		}
	}
	return s
}

// Input creates a webhook.
type Input struct {
	URL         string   `json:"url"`
	Events      []string `json:"events"`
	Description string   `json:"description,omitempty"`
}

// Created is a new webhook with its secret, shown only once.
type Created struct {
	*Webhook
	Secret string `json:"secret"`
}

// Create adds a webhook (admins).
func (s *Service) Create(ctx context.Context, actor auth.Principal, in Input) (*Created, error) {
	if err := s.authz.Require(ctx, actor, auth.ActTypesManage, ""); err != nil {
		return nil, err
	}
	var diags contenttypes.Diagnostics
	u, err := url.Parse(in.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		diags.AppendError("url", contenttypes.CodeInvalidFormat, "expected an absolute http(s) URL")
	}
	if len(in.Events) == 0 {
		diags.AppendError("events", contenttypes.CodeTooFewItems, "subscribe to at least one event: "+strings.Join(Events, ", "))
	}
	for i, e := range in.Events {
		if !slices.Contains(Events, e) {
			diags.AppendErrorf(fmt.Sprintf("events[%d]", i), contenttypes.CodeInvalidChoice, "unknown event %q; known: %s", e, strings.Join(Events, ", "))
		}
	}
	if diags.HasError() {
		return nil, apperr.Validation("invalid webhook", diags)
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	w := &Webhook{ID: uuid.Must(uuid.NewV7()).String(), URL: in.URL, Secret: "whsec_" + hex.EncodeToString(secret),
		Events: strings.Join(in.Events, ","), EventList: in.Events, Description: in.Description, Active: true,
		CreatedAt: s.now().UTC().Truncate(time.Microsecond)}
	err = s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(w).Exec(ctx); err != nil {
			return fmt.Errorf("error creating webhook: %w", err)
		}
		return audit.Write(ctx, tx, audit.Record{Actor: actor, Action: "webhook_create", At: w.CreatedAt,
			Data: map[string]any{"webhook": w.ID, "url": w.URL, "events": in.Events}})
	})
	if err != nil {
		return nil, err
	}
	s.invalidate()
	return &Created{Webhook: w, Secret: w.Secret}, nil
}

// List lists webhooks (without secrets).
func (s *Service) List(ctx context.Context, actor auth.Principal) ([]Webhook, error) {
	if err := s.authz.Require(ctx, actor, auth.ActTypesManage, ""); err != nil {
		return nil, err
	}
	var ws []Webhook
	if err := s.db.NewSelect().Model(&ws).OrderExpr("created_at").Scan(ctx); err != nil {
		return nil, fmt.Errorf("error listing webhooks: %w", err)
	}
	for i := range ws {
		ws[i].EventList = strings.Split(ws[i].Events, ",")
	}
	return ws, nil
}

// Delete removes a webhook and its delivery records.
func (s *Service) Delete(ctx context.Context, actor auth.Principal, id string) error {
	if err := s.authz.Require(ctx, actor, auth.ActTypesManage, ""); err != nil {
		return err
	}
	res, err := s.db.NewDelete().Model((*Webhook)(nil)).Where("id = ?", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("error deleting webhook: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return apperr.New(apperr.NotFound, "no webhook %s", id)
	}
	s.invalidate()
	return nil
}

// Deliveries lists a webhook's recent deliveries, newest first.
func (s *Service) Deliveries(ctx context.Context, actor auth.Principal, webhookID string, limit int) ([]Delivery, error) {
	if err := s.authz.Require(ctx, actor, auth.ActTypesManage, ""); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	var ds []Delivery
	if err := s.db.NewSelect().Model(&ds).Where("webhook_id = ?", webhookID).OrderExpr("created_at DESC, id DESC").
		Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("error listing deliveries: %w", err)
	}
	return ds, nil
}

// ---- events sink ----

// cacheTTL bounds how long a webhook created on another instance takes to
// receive events recorded here.
const cacheTTL = 5 * time.Second

func (s *Service) invalidate() {
	s.mu.Lock()
	s.loaded = time.Time{}
	s.mu.Unlock()
}

func (s *Service) active() []Webhook {
	s.mu.Lock()
	defer s.mu.Unlock()
	if time.Since(s.loaded) < cacheTTL {
		return s.cached
	}
	var ws []Webhook
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.db.NewSelect().Model(&ws).Where("active = ?", true).Scan(ctx); err != nil {
		s.log.Warn("could not load webhooks; using the last known list", "err", err)
		return s.cached
	}
	s.cached, s.loaded = ws, time.Now()
	return ws
}

// Name implements events.Sink.
func (s *Service) Name() string { return "webhooks" }

// Wants implements events.Sink.
func (s *Service) Wants(ev entries.Event) bool { return len(s.Targets(ev)) > 0 }

// Targets implements events.MultiSink: the webhooks subscribed to ev.
func (s *Service) Targets(ev entries.Event) []string {
	var out []string
	for _, w := range s.active() {
		if slices.Contains(strings.Split(w.Events, ","), ev.Name) {
			out = append(out, w.ID)
		}
	}
	return out
}

// Deliver implements events.Sink (unused: deliveries go per target).
func (s *Service) Deliver(context.Context, entries.Event, int) error { return nil }

// Payload is the JSON body of a delivery.
type Payload struct {
	ID         string         `json:"id"` // event id: the same on retries
	Event      string         `json:"event"`
	EntryID    string         `json:"entry_id"`
	Type       string         `json:"type"`
	RevisionID string         `json:"revision_id,omitempty"`
	Actor      auth.Principal `json:"actor"`
	Attempt    int            `json:"attempt"`
}

// Sign returns the Inkling-Signature header value for body at time t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// DeliverTo implements events.MultiSink: one POST, recorded.
func (s *Service) DeliverTo(ctx context.Context, webhookID string, ev entries.Event, attempt int) error {
	w := new(Webhook)
	if err := s.db.NewSelect().Model(w).Where("id = ?", webhookID).Scan(ctx); err != nil {
		return nil // deleted since: nothing to deliver
	}
	if !w.Active {
		return nil
	}
	body, _ := json.Marshal(Payload{ID: ev.ID, Event: ev.Name, EntryID: ev.EntryID, Type: ev.Type, RevisionID: ev.RevisionID,
		Actor: ev.Actor, Attempt: attempt})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return s.record(ctx, w, ev, attempt, nil, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Inkling-Webhooks/1")
	req.Header.Set("Inkling-Event", ev.Name)
	req.Header.Set("Inkling-Delivery", ev.ID)
	req.Header.Set("Inkling-Signature", Sign(w.Secret, s.now(), body))
	resp, err := s.client.Do(req)
	if err != nil {
		return s.record(ctx, w, ev, attempt, nil, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	code := resp.StatusCode
	if code < 200 || code > 299 {
		return s.record(ctx, w, ev, attempt, &code, fmt.Errorf("endpoint answered %d", code))
	}
	return s.record(ctx, w, ev, attempt, &code, nil)
}

// record upserts the delivery row and returns err (so the job retries).
func (s *Service) record(ctx context.Context, w *Webhook, ev entries.Event, attempt int, code *int, derr error) error {
	now := s.now().UTC().Truncate(time.Microsecond)
	d := &Delivery{ID: uuid.Must(uuid.NewV7()).String(), WebhookID: w.ID, EventID: ev.ID, Event: ev.Name, Status: "delivered",
		Attempts: attempt, ResponseCode: code, CreatedAt: now, UpdatedAt: now}
	if ev.EntryID != "" {
		d.EntryID = &ev.EntryID
	}
	if derr != nil {
		msg := derr.Error()
		d.Status, d.Error = "retrying", &msg
	}
	_, err := s.db.NewInsert().Model(d).
		On("CONFLICT (webhook_id, event_id) DO UPDATE").
		Set("status = EXCLUDED.status").Set("attempts = EXCLUDED.attempts").Set("response_code = EXCLUDED.response_code").
		Set("error = EXCLUDED.error").Set("updated_at = EXCLUDED.updated_at").Exec(ctx)
	if err != nil {
		s.log.Warn("could not record webhook delivery", "webhook", w.ID, "err", err)
	}
	return derr
}
