// Package events delivers lifecycle events (after_save, after_publish,
// after_unpublish, workflow.*) to their sinks — plugins, webhooks — through
// the job queue. An event is recorded as one job per interested sink inside
// the transaction of the action that caused it, so a crash loses neither the
// change nor its follow-up work, and a failing sink is retried with backoff
// without re-delivering to the others.
package events

import (
	"context"
	"fmt"
	"sync"

	"github.com/inklingcms/inkling/engine/entries"
	"github.com/inklingcms/inkling/engine/jobs"
	"github.com/riverqueue/river"
	"github.com/uptrace/bun"
)

// Sink receives events.
type Sink interface {
	// Name identifies the sink in job arguments; it must be stable across
	// restarts and unique.
	Name() string
	// Wants reports (cheaply, without I/O) whether the sink listens to ev.
	Wants(ev entries.Event) bool
	// Deliver handles ev; an error makes the job queue retry it. attempt
	// starts at 1. Deliveries must be idempotent (ev.ID is stable).
	Deliver(ctx context.Context, ev entries.Event, attempt int) error
}

// MultiSink is a sink with several independent targets (webhook
// endpoints): each target gets its own job, so one failing endpoint is
// retried without re-delivering to the others.
type MultiSink interface {
	Sink
	// Targets lists the targets that want ev (cheaply, without I/O).
	Targets(ev entries.Event) []string
	DeliverTo(ctx context.Context, target string, ev entries.Event, attempt int) error
}

// Args is the job of delivering one event to one sink (and target).
type Args struct {
	Sink   string        `json:"sink"`
	Target string        `json:"target,omitempty"`
	Event  entries.Event `json:"event"`
}

// Kind implements river.JobArgs.
func (Args) Kind() string { return "inkling.event" }

// Bus routes events to sinks. It implements entries.Events.
type Bus struct {
	jobs *jobs.Jobs

	mu    sync.RWMutex
	sinks map[string]Sink
}

// New returns a Bus on the job queue and registers its worker. Call before
// the queue starts.
func New(j *jobs.Jobs) *Bus {
	b := &Bus{jobs: j, sinks: map[string]Sink{}}
	jobs.Register(j, &worker{bus: b})
	return b
}

// AddSink registers a sink (sinks may come and go while running, e.g.
// plugins being enabled).
func (b *Bus) AddSink(s Sink) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sinks[s.Name()] = s
}

// EnqueueTx records ev for every sink that wants it, inside tx.
func (b *Bus) EnqueueTx(ctx context.Context, tx bun.Tx, ev entries.Event) error {
	b.mu.RLock()
	var todo []Args
	for name, s := range b.sinks {
		if !s.Wants(ev) {
			continue
		}
		if ms, ok := s.(MultiSink); ok {
			for _, target := range ms.Targets(ev) {
				todo = append(todo, Args{Sink: name, Target: target, Event: ev})
			}
			continue
		}
		todo = append(todo, Args{Sink: name, Event: ev})
	}
	b.mu.RUnlock()
	for _, a := range todo {
		if _, err := b.jobs.InsertTx(ctx, tx, a, &river.InsertOpts{Queue: jobs.DefaultQueue}); err != nil {
			return fmt.Errorf("error recording %s for %s: %w", ev.Name, a.Sink, err)
		}
	}
	return nil
}

type worker struct {
	river.WorkerDefaults[Args]
	bus *Bus
}

func (w *worker) Work(ctx context.Context, job *river.Job[Args]) error {
	w.bus.mu.RLock()
	s, ok := w.bus.sinks[job.Args.Sink]
	w.bus.mu.RUnlock()
	if !ok {
		// The sink may not be registered yet on this worker (a plugin
		// starting); retry later rather than drop the event.
		return fmt.Errorf("no event sink %q on this worker (yet)", job.Args.Sink)
	}
	if job.Args.Target != "" {
		ms, ok := s.(MultiSink)
		if !ok {
			return river.JobCancel(fmt.Errorf("sink %q has no targets", job.Args.Sink))
		}
		return ms.DeliverTo(ctx, job.Args.Target, job.Args.Event, job.Attempt)
	}
	return s.Deliver(ctx, job.Args.Event, job.Attempt)
}

var _ entries.Events = (*Bus)(nil)
