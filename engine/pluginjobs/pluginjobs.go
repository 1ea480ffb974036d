// Package pluginjobs connects the plugin host to the job queue: plugin
// events are delivered by retried jobs (one per plugin, so one failing
// plugin never re-delivers to another), jobs a plugin enqueues or declares
// as periodic run as queue jobs, and the queue's retries, backoff and
// failure records apply to all of them.
package pluginjobs

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/inklingcms/inkling/engine/entries"
	"github.com/inklingcms/inkling/engine/events"
	"github.com/inklingcms/inkling/engine/jobs"
	"github.com/inklingcms/inkling/engine/pluginhost"
	"github.com/riverqueue/river"
)

// Host is what pluginjobs needs of the plugin host.
type Host interface {
	Subscribers(event, typ string) []string
	DispatchEventTo(ctx context.Context, plugin string, ev pluginhost.Event) error
	RunJob(ctx context.Context, plugin, kind string, args json.RawMessage, attempt, maxAttempts int) error
	Jobs() []pluginhost.JobSpec
}

// Sink delivers lifecycle events to plugins (an events.MultiSink).
type Sink struct{ Host Host }

// Name implements events.Sink.
func (Sink) Name() string { return "plugins" }

// Wants implements events.Sink.
func (s Sink) Wants(ev entries.Event) bool { return len(s.Targets(ev)) > 0 }

// Targets implements events.MultiSink: the plugins bound to the event.
func (s Sink) Targets(ev entries.Event) []string { return s.Host.Subscribers(ev.Name, ev.Type) }

// Deliver implements events.Sink (deliveries go per plugin).
func (Sink) Deliver(context.Context, entries.Event, int) error { return nil }

// DeliverTo implements events.MultiSink.
func (s Sink) DeliverTo(ctx context.Context, plugin string, ev entries.Event, attempt int) error {
	return s.Host.DispatchEventTo(ctx, plugin, pluginhost.EventFrom(ev, attempt))
}

var _ events.MultiSink = Sink{}

// Args is a plugin job.
type Args struct {
	Plugin  string          `json:"plugin"`
	JobKind string          `json:"kind"`
	Args    json.RawMessage `json:"args,omitempty"`
}

// Kind implements river.JobArgs.
func (Args) Kind() string { return "inkling.plugin_job" }

// Queue runs plugin jobs on the job queue and implements
// pluginhost.JobEnqueuer.
type Queue struct {
	jobs *jobs.Jobs
	host Host
}

// New registers the plugin job worker (before the queue starts).
func New(j *jobs.Jobs, h Host) *Queue {
	q := &Queue{jobs: j, host: h}
	jobs.Register(j, &worker{q: q})
	return q
}

// AddPeriodic schedules the periodic jobs the running plugins declare. Call
// after the plugin host started and before the queue starts; plugins
// enabled later get their periodic jobs at the next restart.
func (q *Queue) AddPeriodic() int {
	n := 0
	for _, spec := range q.host.Jobs() {
		if spec.Every <= 0 {
			continue
		}
		args := Args{Plugin: spec.Plugin, JobKind: spec.Kind}
		opts := &river.InsertOpts{MaxAttempts: maxAttempts(spec), Tags: tags(spec.Plugin, spec.Kind)}
		q.jobs.AddPeriodic(river.NewPeriodicJob(river.PeriodicInterval(spec.Every),
			func() (river.JobArgs, *river.InsertOpts) { return args, opts },
			&river.PeriodicJobOpts{ID: "plugin:" + spec.Plugin + ":" + spec.Kind}))
		n++
	}
	return n
}

// EnqueuePluginJob implements pluginhost.JobEnqueuer.
func (q *Queue) EnqueuePluginJob(ctx context.Context, job pluginhost.PluginJob) (string, error) {
	opts := &river.InsertOpts{MaxAttempts: DefaultMaxAttempts, Tags: tags(job.Plugin, job.Kind)}
	if spec, ok := q.spec(job.Plugin, job.Kind); ok {
		opts.MaxAttempts = maxAttempts(spec)
	}
	if job.Delay > 0 {
		opts.ScheduledAt = time.Now().Add(job.Delay)
	}
	res, err := q.jobs.Insert(ctx, Args{Plugin: job.Plugin, JobKind: job.Kind, Args: job.Args}, opts)
	if err != nil {
		return "", fmt.Errorf("error enqueueing %s/%s: %w", job.Plugin, job.Kind, err)
	}
	return strconv.FormatInt(res.Job.ID, 10), nil
}

// DefaultMaxAttempts bounds the runs of a plugin job whose kind declares
// no MaxAttempts.
const DefaultMaxAttempts = 10

// tags name a plugin job's plugin and kind on the queue's row ("plugin-
// aitags", "aitags-draft_tags"), for error reports and the queue's UI.
func tags(plugin, kind string) []string { return []string{"plugin-" + plugin, plugin + "-" + kind} }

func maxAttempts(spec pluginhost.JobSpec) int {
	if spec.MaxAttempts > 0 {
		return spec.MaxAttempts
	}
	return DefaultMaxAttempts
}

// spec returns the declaration of a plugin's job kind.
func (q *Queue) spec(plugin, kind string) (pluginhost.JobSpec, bool) {
	for _, s := range q.host.Jobs() {
		if s.Plugin == plugin && s.Kind == kind {
			return s, true
		}
	}
	return pluginhost.JobSpec{}, false
}

type worker struct {
	river.WorkerDefaults[Args]
	q *Queue
}

// Timeout gives a job kind that declares a longer timeout than the
// queue's default the time it asked for (plus a margin, so that the
// plugin host's own deadline fires first with its clearer error).
func (w *worker) Timeout(job *river.Job[Args]) time.Duration {
	if spec, ok := w.q.spec(job.Args.Plugin, job.Args.JobKind); ok && spec.Timeout > 0 {
		return spec.Timeout + 5*time.Second
	}
	return 0 // the client's JobTimeout
}

// Work runs the job in its plugin. A failure the plugin marked permanent
// cancels the job: it stays listed with its error among the failures, and
// is not retried.
func (w *worker) Work(ctx context.Context, job *river.Job[Args]) error {
	err := w.q.host.RunJob(ctx, job.Args.Plugin, job.Args.JobKind, job.Args.Args, job.Attempt, job.MaxAttempts)
	if err != nil && pluginhost.IsPermanent(err) {
		return river.JobCancel(err)
	}
	return err
}
