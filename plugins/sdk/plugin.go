package sdk

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/plugins/protocol"
)

// Version is the version of this SDK, reported to the host in GetMetadata
// (sdk_version).
const Version = "0.1.0"

// ProtocolVersion is the plugin protocol version the SDK speaks.
const ProtocolVersion = protocol.Version

// Scopes a plugin may ask for in [Plugin.Scopes]. Each one unlocks Host
// calls; the host grants a subset (an admin decides) and refuses a call
// the plugin was not granted with [ErrPermission].
const (
	// ScopeEntriesRead allows [Host.GetEntry], [Host.ListEntries] and
	// [Host.Entries].
	ScopeEntriesRead = protocol.ScopeEntriesRead
	// ScopeEntriesWrite allows [Host.SaveDraft].
	ScopeEntriesWrite = protocol.ScopeEntriesWrite
	// ScopeEntriesPublish allows [Host.SaveDraft] with [Draft.Publish].
	ScopeEntriesPublish = protocol.ScopeEntriesPublish
	// ScopeJobsEnqueue allows [Host.EnqueueJob].
	ScopeJobsEnqueue = protocol.ScopeJobsEnqueue
	// ScopeCacheInvalidate allows [Host.InvalidateCache].
	ScopeCacheInvalidate = protocol.ScopeCacheInvalidate
	// ScopeMediaWrite allows [Host.PutMedia] and [Host.AttachMedia].
	ScopeMediaWrite = protocol.ScopeMediaWrite
)

// AllScopes returns every scope, in documentation order.
func AllScopes() []string {
	return []string{ScopeEntriesRead, ScopeEntriesWrite, ScopeEntriesPublish, ScopeJobsEnqueue, ScopeCacheInvalidate, ScopeMediaWrite}
}

// EventName names an event an [EventHook] handles.
type EventName string

// Events delivered after the change committed. Delivery is at least once:
// a handler that returns an error is retried with the same [Event.ID], so
// handlers must be idempotent.
const (
	// AfterSave fires after a draft revision was saved.
	AfterSave EventName = protocol.HookAfterSave
	// AfterPublish fires after a revision went live.
	AfterPublish EventName = protocol.HookAfterPublish
	// AfterUnpublish fires after an entry was taken offline.
	AfterUnpublish EventName = protocol.HookAfterUnpublish
	// Workflow fires on every workflow transition; the event name the
	// host sends is "workflow.<state>" (see [Event.WorkflowState]). Use
	// [WorkflowState] to handle one state only.
	Workflow EventName = protocol.HookWorkflow
)

// WorkflowState returns the event name of one workflow state, e.g.
// WorkflowState("approved") is "workflow.approved". An [EventHook] bound
// to it sees only that transition.
func WorkflowState(state string) EventName { return Workflow + "." + EventName(state) }

// Plugin declares everything a plugin offers. It is data: [Serve] checks it
// (see [Plugin.Check]), answers the host's metadata and schema calls from
// it, and routes every other call to the function declared for it.
//
// Every function receives the context of the host's call, which carries
// the host's deadline: return when it is done. Functions may run
// concurrently. An error or a panic in one of them fails only that call.
type Plugin struct {
	// Name identifies the plugin: lowercase letters, digits, '_' and '-',
	// starting with a letter or digit (at most 63 characters). The host
	// derives the expected name from the executable
	// (inkling-plugin-<name>) and refuses a plugin whose Name differs.
	Name string
	// Version is the plugin's own version, shown to admins (e.g. "1.2.0").
	Version string

	// ContentTypes are the content types the plugin declares. The host
	// registers them (owned by this plugin) on every start.
	ContentTypes []contenttypes.ContentType

	// Scopes are the host services the plugin asks for (Scope*).
	Scopes []string

	// Validate hooks check an entry before it is saved. See [ValidateHook].
	Validate []ValidateHook
	// BeforeSave hooks transform an entry's values before it is saved.
	// See [BeforeSaveHook].
	BeforeSave []BeforeSaveHook
	// Events are handlers of after-commit events. See [EventHook].
	Events []EventHook
	// Jobs are the job kinds the plugin runs. See [Job].
	Jobs []Job
	// Endpoints are delivery endpoints below /api/v1. See [Endpoint].
	Endpoints []Endpoint
	// Actions are admin actions ("Redraft tags"). See [Action].
	Actions []Action

	// TaskKinds are workflow task kinds the plugin decides (for example an
	// automatic check before human review). A workflow step of kind
	// "<plugin>.<name>" calls Run when the workflow reaches it.
	TaskKinds []TaskKind

	// Upgrades migrate stored values when a new version of the plugin
	// changes one of its content types destructively. See [Upgrade].
	Upgrades []Upgrade

	// Configure, when set, runs once per process start, after the host
	// handed over settings, granted scopes and the Host connection. An
	// error is reported to the host as a diagnostic; returning
	// contenttypes.Diagnostics reports those diagnostics as they are.
	Configure func(ctx context.Context, h *Host) error

	// Logger receives the SDK's own messages (recovered panics with their
	// stack, failed hooks). Nil logs text to stderr, which the host
	// captures into its log.
	Logger *slog.Logger
}

// ValidateHook checks entries of the listed types before they are saved.
//
// The host calls validate hooks synchronously, before the save's
// transaction, with a deadline. Diagnostics of severity error reject the
// save (the client gets a 422 listing them); warnings are shown but do not
// block. When several hooks match a type, all run and their diagnostics
// are merged. Use paths in the diagnostic path syntax of contenttypes
// ("fields.body[<id>].value.minutes", see [BlockPath]).
type ValidateHook struct {
	// Types are the content type keys the hook applies to; empty means
	// every type.
	Types []string
	Func  func(ctx context.Context, h *Host, e *SaveEvent) contenttypes.Diagnostics
}

// BeforeSaveHook transforms the values of entries of the listed types
// before they are saved (normalise, derive, fill in).
//
// Like validate, it runs synchronously before the save's transaction, with
// a deadline, on values the engine has already checked against the content
// type (see [SaveEvent.Fields]). It returns the new values, or nil to
// leave them unchanged; changed values are checked again by the engine, so
// a hook can never store what the content type does not allow. When
// several hooks match a type they run in declaration order as a chain:
// each sees the values the previous one returned. Diagnostics of severity
// error stop the chain and reject the save. The host runs every plugin's
// before_save hooks first (plugins in name order), then the validate hooks
// on the result.
//
// A before_save hook must be idempotent: the same save may be attempted
// again.
type BeforeSaveHook struct {
	// Types are the content type keys the hook applies to; empty means
	// every type.
	Types []string
	Func  func(ctx context.Context, h *Host, e *SaveEvent) (contenttypes.Values, contenttypes.Diagnostics)
}

// EventHook handles an after-commit event for entries of the listed types.
//
// Events are delivered after the change committed, never inside a
// transaction. A returned error makes the host retry the event later with
// the same [Event.ID] and a higher [Event.Attempt], so a handler must be
// idempotent.
type EventHook struct {
	// Event is AfterSave, AfterPublish, AfterUnpublish, Workflow (every
	// transition) or WorkflowState(state) (one transition).
	Event EventName
	// Types are the content type keys the hook applies to; empty means
	// every type.
	Types []string
	Func  func(ctx context.Context, h *Host, e *Event) error
}

// Job is a kind of background job the plugin runs. The plugin enqueues one
// with [Host.EnqueueJob] (scope jobs:enqueue); the host runs periodic ones
// by itself. A returned error makes the host retry the job with backoff,
// so Run must be idempotent.
type Job struct {
	// Kind names the job: lowercase letters, digits and underscores,
	// unique within the plugin.
	Kind        string
	Description string
	// Every > 0 makes the host run the job periodically (whole seconds, at
	// least one second); 0 runs it only when enqueued.
	Every time.Duration
	// MaxAttempts bounds the runs of one job (first run and retries,
	// 1 to 100); 0 takes the host's default (10). After the last failed
	// attempt the host keeps the job, with its errors, as failed: admins
	// list failures with GET /api/admin/v1/jobs/failures.
	MaxAttempts int
	// Timeout bounds one run (whole seconds, at most one hour); 0 takes
	// the host's job timeout (60s by default). Long calls to external
	// services (speech synthesis, say) need more.
	Timeout time.Duration
	// Run does the work. Return [Permanent](err) for a failure that
	// retrying cannot fix (a rejected API key, an invalid request): the
	// host records the failure and does not retry.
	Run func(ctx context.Context, h *Host, j *JobRun) error
}

// Endpoint is a public, read-only delivery endpoint served by the host
// below /api/v1. The host routes the request, applies caching (ETag,
// Cache-Control with CacheMaxAge, invalidation by the response's cache
// tags) and describes the endpoint in /api/v1/openapi.json.
type Endpoint struct {
	// Method is "GET" (the default when empty); delivery is read-only.
	Method string
	// Path is below /api/v1 and starts with "/", e.g.
	// "/recipes/{id}/related". A segment "{name}" is a path parameter.
	// The first segment must be literal, and the paths of the built-in
	// delivery API ("/content", "/openapi.json") are reserved.
	Path        string
	Summary     string
	Description string
	// Params documents the parameters. Path parameters that are not
	// listed are added as required strings. The SDK answers a request
	// that lacks a required query parameter with a 422 naming it.
	Params []Param
	// ResponseSchema is the JSON Schema of the 200 body (for OpenAPI).
	ResponseSchema map[string]any
	// CacheMaxAge is how long a response may be cached (whole seconds;
	// 0: the host's default).
	CacheMaxAge time.Duration
	// Handle serves a request. Return a client error as an [*Error]
	// ([NotFound], [BadRequest], [Invalid], ...): it becomes a problem
	// response with that status. Any other error is a 500.
	// Exactly one of Handle and Related is set.
	Handle func(ctx context.Context, h *Host, r *Request) (*Response, error)
	// Related declares an endpoint that the host serves itself, with no
	// round trip to the plugin: see [RelatedList].
	Related *RelatedList
}

// RelatedList declares a "related entries" endpoint served by the host:
// the published entries of Type sharing the most values of its indexed
// tags field Field with the entry named by the path parameter SeedParam,
// most shared first, ties by id (the ranking of [Host.Related]), each
// rendered as the delivery API renders it. The body is
//
//	{"items":[{"overlap":2,"<ItemKey>":{"id":…,"fields":{…}}},…],"<SeedKey>":"<seed id>"}
//
// The host validates the query: a limit that is not an integer from 1 to
// MaxLimit, or a filter value that is not one of FilterField's choices, is
// a 422 naming the parameter; an unknown or unpublished seed is a 404.
// Responses are cached (Endpoint.CacheMaxAge) and dropped when the seed, a
// listed entry or any entry of Type is published or unpublished.
//
// Declaring the endpoint rather than handling it saves two gRPC calls and
// a copy of every rendered entry per request: on the C.S. Lewis plugin's
// "dive deeper" list it is the difference measured in docs/cslewis.md.
// Parameters and a response schema are documented in OpenAPI
// automatically unless Endpoint.Params or Endpoint.ResponseSchema are set.
type RelatedList struct {
	Type  string // content type of the seed and of the results
	Field string // an indexed tags field of Type
	// SeedParam is the path parameter with the seed id; empty means the
	// path's only parameter.
	SeedParam string
	// FilterField, when set, is an indexed field of Type whose value must
	// be one of the comma-separated values of the query parameter
	// FilterParam (default: FilterField's name) when it is given.
	FilterField string
	FilterParam string
	// LimitParam is the query parameter giving the page size (default
	// "limit"), DefaultLimit its default (20) and MaxLimit its largest
	// value (default and at most 50).
	LimitParam   string
	DefaultLimit int
	MaxLimit     int
	// ItemKey is the key of each rendered entry (default "entry"), SeedKey
	// the key of the seed id (default "seed_id").
	ItemKey string
	SeedKey string
}

// Limits of a [RelatedList] page.
const (
	RelatedDefaultLimit = 20
	RelatedMaxLimit     = 50
)

// Parameter locations.
const (
	InQuery = "query"
	InPath  = "path"
)

// Param describes a parameter of an [Endpoint].
type Param struct {
	Name string
	// In is InQuery or InPath; empty means InPath when the path has a
	// segment "{Name}" and InQuery otherwise.
	In          string
	Required    bool
	Description string
	// Schema is the JSON Schema of the value; nil means {"type":"string"}.
	Schema map[string]any
}

// Action is an admin action, offered in the admin UI on entries of Types
// (or globally when Types is empty), e.g. "Redraft tags".
type Action struct {
	// Name identifies the action: lowercase letters, digits and
	// underscores, unique within the plugin.
	Name string
	// Label is the button text.
	Label string
	// Types are the content type keys of the entries the action applies
	// to; empty means a global action (no entry).
	Types []string
	// Run performs the action. The result is encoded as JSON and shown to
	// the admin; diagnostics report problems with paths; an error fails
	// the action.
	Run func(ctx context.Context, h *Host, a *ActionRun) (any, contenttypes.Diagnostics, error)
}

// Upgrade migrates the values of one of the plugin's content types when a
// new version of the plugin changes the type destructively (removes or
// renames a field, changes a kind, tightens a rule). Without one, the host
// refuses such a version and keeps the stored definition.
//
// When the host starts a plugin whose definition of Type differs
// destructively from the stored one, it calls Func for the latest draft
// and the live version of every entry of the type, checks every result
// against the new definition, and only when all of them pass registers
// the new definition and saves the results as new revisions (by the
// plugin, with admin rights; live entries are published again, unpublished
// drafts stay drafts on top). One failure refuses the whole upgrade, with
// the entry and the diagnostics, and changes nothing. Old revisions are
// kept as they were: the history stays true.
//
// Func receives values stored under an older definition (u.From, with its
// registry version) and returns values valid under the new one. It must be
// a pure function of its input: it may be called more than once for the
// same entry. It runs before Configure, so the Host service is not
// available.
type Upgrade struct {
	Type string
	Func func(ctx context.Context, u *UpgradeInput) (contenttypes.Values, error)
}

// UpgradeInput is one entry's values to migrate.
type UpgradeInput struct {
	EntryID string
	// Fields are the values under From.
	Fields contenttypes.Values
	// From is the stored definition and FromVersion its version.
	From        contenttypes.ContentType
	FromVersion int
}

// TaskKind is a workflow task kind decided by the plugin.
type TaskKind struct {
	// Name: lowercase letters, digits and underscores, unique within the
	// plugin. Workflows name the kind "<plugin>.<name>".
	Name        string
	Label       string
	Description string
	// Run decides the task for the submitted revision (t.Entry). Return
	// Approve, RequestChanges (with a comment the editor sees) or Pending
	// (ask again later). An error is retried by the job queue.
	Run func(ctx context.Context, h *Host, t *TaskRun) (TaskDecision, error)
}

// TaskRun is a workflow task to decide.
type TaskRun struct {
	Kind            string
	TaskName        string
	WorkflowStateID string // stable across retries
	Entry           *Entry // the submitted revision
	Config          json.RawMessage
	Attempt         int
}

// TaskDecision is a plugin's decision on a workflow task.
type TaskDecision struct {
	Outcome string // "approve", "request_changes" or "pending"
	Comment string
}

// Task outcomes.
const (
	TaskApprove        = "approve"
	TaskRequestChanges = "request_changes"
	TaskPending        = "pending"
)

// Principal is who caused a call: a user, an API token, a plugin or the
// system.
type Principal struct {
	Kind string `json:"kind"` // user, token, plugin, system
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
	Role string `json:"role,omitempty"`
}

// SaveEvent is the entry being saved, as validate and before_save hooks
// see it.
type SaveEvent struct {
	// Hook is "validate" or "before_save".
	Hook  string
	Actor Principal
	// Type is the content type key.
	Type string
	// ContentType is the definition of Type when this plugin declares it,
	// and nil otherwise.
	ContentType *contenttypes.ContentType
	// EntryID is empty when the entry is being created.
	EntryID string
	Title   string
	Slug    string
	// Fields are the field values of the revision about to be written,
	// prepared by the engine (contenttypes.Prepare: checked against the
	// content type, normalised, block ids assigned), and for validate
	// hooks as the before_save hooks left them. Each hook gets its own
	// copy: a before_save hook returns them (or new Values) to apply its
	// changes.
	Fields contenttypes.Values
}

// Decode decodes the field values into v (a pointer to a struct with json
// tags, a map...), as encoding/json would decode their JSON encoding.
func (e *SaveEvent) Decode(v any) error { return decodeValues(e.Fields, v) }

// Event is an after-commit event.
type Event struct {
	// Name is the event as the host sent it: "after_save",
	// "after_publish", "after_unpublish" or "workflow.<state>".
	Name EventName
	// ID is stable across retries of one event: use it to make a handler
	// idempotent.
	ID    string
	Actor Principal
	// Entry is the entry after the change: its live version for
	// after_publish, its latest draft otherwise. When the entry was
	// deleted before delivery, only ID, Type and RevisionID are set.
	Entry *Entry
	// Attempt counts deliveries, from 1.
	Attempt int
	// WorkflowState is the state of a workflow event ("approved" for
	// "workflow.approved"), and empty for other events.
	WorkflowState string
}

// JobRun is one run of a [Job].
type JobRun struct {
	Kind string
	// Args is the JSON the job was enqueued with (null when none).
	Args json.RawMessage
	// Attempt counts runs of this job, from 1.
	Attempt int
	// MaxAttempts is the job's last attempt: when Attempt == MaxAttempts
	// and Run fails, the host gives up (0 when the host did not say).
	MaxAttempts int
}

// Final reports whether this run is the job's last attempt.
func (j *JobRun) Final() bool { return j.MaxAttempts > 0 && j.Attempt >= j.MaxAttempts }

// Decode decodes the job's arguments into v.
func (j *JobRun) Decode(v any) error { return decodeRaw(j.Args, v) }

// ActionRun is one run of an [Action].
type ActionRun struct {
	Action string
	Actor  Principal
	// EntryID is the entry the action runs on; empty for a global action.
	EntryID string
	// Params is the JSON the admin UI sent (null when none).
	Params json.RawMessage
}

// Decode decodes the action's parameters into v.
func (a *ActionRun) Decode(v any) error { return decodeRaw(a.Params, v) }
