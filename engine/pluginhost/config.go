package pluginhost

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"os/exec"
	"time"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/auth"
	"github.com/inklingcms/inkling/engine/delivery"
	"github.com/inklingcms/inkling/engine/entries"
	"github.com/inklingcms/inkling/engine/registry"
	"github.com/inklingcms/inkling/engine/store"
)

// TypeRegistry stores the content types plugins declare; *registry.Registry
// satisfies it.
type TypeRegistry interface {
	Register(ctx context.Context, ct contenttypes.ContentType, opts *registry.RegisterOptions) (*registry.Result, error)
	Get(ctx context.Context, key string) (*registry.Type, error)
}

// EntryService is the write side the Host service acts through (GetEntry,
// ListEntries of drafts, SaveDraft) and from which events load their entry;
// *entries.Service satisfies it. Calls are made as the plugin's principal
// (see PluginPrincipal).
type EntryService interface {
	Get(ctx context.Context, actor auth.Principal, id string) (*entries.Draft, error)
	List(ctx context.Context, actor auth.Principal, p entries.ListParams) ([]entries.Entry, error)
	Create(ctx context.Context, actor auth.Principal, in entries.CreateInput) (*entries.Draft, error)
	Save(ctx context.Context, actor auth.Principal, id string, in entries.SaveInput) (*entries.Draft, error)
	Publish(ctx context.Context, actor auth.Principal, id string, in entries.PublishInput) (*entries.Draft, error)
}

// DeliveryService lists published entries (ListEntries with published=true,
// which supports filters on indexed fields); *delivery.Service satisfies it.
type DeliveryService interface {
	List(ctx context.Context, q delivery.ListQuery) (*delivery.Page, error)
}

// PluginJob is a job a plugin enqueues for itself through the Host service.
type PluginJob struct {
	Plugin string          // the plugin that runs it (Manager.RunJob)
	Kind   string          // one of the plugin's declared job kinds
	Args   json.RawMessage // opaque JSON for the plugin
	Delay  time.Duration   // run no earlier than now + Delay
}

// JobEnqueuer enqueues plugin jobs (the Host service's EnqueueJob). The job
// queue's worker runs them with Manager.RunJob.
type JobEnqueuer interface {
	EnqueuePluginJob(ctx context.Context, job PluginJob) (id string, err error)
}

// CacheInvalidator purges cached delivery responses by tag (the Host
// service's InvalidateCache).
type CacheInvalidator interface {
	InvalidateTags(ctx context.Context, tags []string) error
}

// MediaUpload is a file a plugin stores through the Host service's
// PutMedia; with EntryID and Role, it is attached to that entry.
type MediaUpload struct {
	Actor       auth.Principal // the plugin's principal
	Filename    string
	ContentType string
	Data        []byte
	EntryID     string
	Role        string
	SourceHash  string
}

// MediaObject is a stored media asset (with its attachment, if any).
type MediaObject struct {
	Key           string
	URL           string
	ContentType   string
	Size          int64
	SHA256        string
	Width, Height int
	EntryID       string
	Role          string
	SourceHash    string
}

// MediaStore stores media assets (the Host service's PutMedia and
// GetEntryMedia).
type MediaStore interface {
	PutMedia(ctx context.Context, in MediaUpload) (MediaObject, error)
	EntryMedia(ctx context.Context, entryID, role string) ([]MediaObject, error)
	// BaseURL is the public URL prefix of media keys, sent to plugins in
	// Configure.
	BaseURL() string
}

// Config configures a Manager. DB and Types are required; nil optional
// services make the Host RPCs that need them answer Unimplemented.
type Config struct {
	// DB holds the plugins table.
	DB *store.DB
	// Types registers the content types plugins declare.
	Types TypeRegistry
	// Entries serves GetEntry, ListEntries (drafts) and SaveDraft, and loads
	// the entry an event is about. Nil: those RPCs answer Unavailable and
	// events carry only the entry id and type.
	Entries EntryService
	// Delivery serves ListEntries of published entries.
	Delivery DeliveryService
	// Jobs, Cache and Media back EnqueueJob, InvalidateCache and PutMedia;
	// nil: the RPC answers Unimplemented ("... is not available in this
	// server yet").
	Jobs    JobEnqueuer
	Cache   CacheInvalidator
	Media   MediaStore
	Related RelatedService

	// Builtins maps the name of each built-in plugin to a factory of the
	// command that serves it (the inkling binary re-executing itself as
	// `inkling plugin run NAME`). The factory is called for every start. A
	// command whose Env is nil gets a minimal environment (PATH, HOME,
	// TMPDIR, TZ, LANG, LC_ALL): plugins never inherit the server's
	// environment, where secrets and the database URL live.
	Builtins map[string]func() *exec.Cmd
	// Dir is the directory of external plugins (executables named
	// inkling-plugin-<name>); empty: none.
	Dir string

	// Logger receives the host's log and the plugins' own (go-plugin relays
	// their stderr). Nil: slog.Default().
	Logger *slog.Logger
	// HostVersion is sent to plugins in Configure.
	HostVersion string

	// CallTimeout bounds every call to a plugin that has no more specific
	// timeout: metadata, schema, configure, hooks, endpoints. Default 5s.
	CallTimeout time.Duration
	// EventTimeout bounds HandleEvent (default 60s), JobTimeout RunJob
	// (default 60s), ActionTimeout RunAction (default 60s).
	EventTimeout  time.Duration
	JobTimeout    time.Duration
	ActionTimeout time.Duration
	// StartTimeout bounds the go-plugin handshake of a new process
	// (default 15s).
	StartTimeout time.Duration

	// RestartBackoff is the delay before the first restart of a crashed
	// plugin (default 100ms); it doubles on every further attempt up to
	// MaxRestartBackoff (default 30s) and is reset once a process has stayed
	// up for StableAfter (default 1 minute).
	RestartBackoff    time.Duration
	MaxRestartBackoff time.Duration
	StableAfter       time.Duration

	// Environ is where secrets come from; default os.Environ.
	Environ func() []string
	// Now is the clock; default time.Now.
	Now func() time.Time
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.CallTimeout <= 0 {
		c.CallTimeout = 5 * time.Second
	}
	if c.EventTimeout <= 0 {
		c.EventTimeout = 60 * time.Second
	}
	if c.JobTimeout <= 0 {
		c.JobTimeout = 60 * time.Second
	}
	if c.ActionTimeout <= 0 {
		c.ActionTimeout = 60 * time.Second
	}
	if c.StartTimeout <= 0 {
		c.StartTimeout = 15 * time.Second
	}
	if c.RestartBackoff <= 0 {
		c.RestartBackoff = 100 * time.Millisecond
	}
	if c.MaxRestartBackoff <= 0 {
		c.MaxRestartBackoff = 30 * time.Second
	}
	if c.MaxRestartBackoff < c.RestartBackoff {
		c.MaxRestartBackoff = c.RestartBackoff
	}
	if c.StableAfter <= 0 {
		c.StableAfter = time.Minute
	}
	if c.Environ == nil {
		c.Environ = os.Environ
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.HostVersion == "" {
		c.HostVersion = "dev"
	}
}

// PluginPrincipal is the principal a plugin acts as through the Host
// service. It has the admin role: scopes, not roles, limit plugins.
func PluginPrincipal(name string) auth.Principal {
	return auth.Principal{Kind: auth.KindPlugin, ID: "plugin:" + name, Name: name, Role: auth.RoleAdmin}
}
