package sdk

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/plugins/protocol/pluginv1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
)

// Host is the plugin's handle on the Inkling host: the Host service, dialled
// over go-plugin's broker when the host calls Configure, plus the settings
// and scopes it handed over. Every plugin function receives the same Host;
// it is safe for concurrent use.
//
// Each call is checked by the host against the scopes the plugin was
// granted (see the Scope constants); a call without its scope fails with
// an error for which errors.Is(err, ErrPermission) is true. Calls made
// before Configure fail with ErrUnavailable.
type Host struct {
	jobKinds map[string]bool

	mu          sync.RWMutex
	client      pluginv1.HostClient
	conn        *grpc.ClientConn
	settings    map[string]string
	scopes      []string
	hostVersion string
	mediaBase   string
}

// connect installs the Host connection handed over by Configure.
func (h *Host) connect(conn *grpc.ClientConn, client pluginv1.HostClient, req *pluginv1.ConfigureRequest) {
	h.mu.Lock()
	old := h.conn
	h.conn, h.client = conn, client
	h.settings = maps.Clone(req.GetSettings())
	h.scopes = slices.Clone(req.GetGrantedScopes())
	h.hostVersion = req.GetHostVersion()
	h.mediaBase = req.GetMediaBaseUrl()
	h.mu.Unlock()
	if old != nil && old != conn {
		_ = old.Close()
	}
}

func (h *Host) rpc() (pluginv1.HostClient, error) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.client == nil {
		return nil, &HostError{Method: "connect", Code: codes.Unavailable,
			Message: "the Host service is not configured yet (the host has not called Configure)"}
	}
	return h.client, nil
}

// Setting returns the setting key as the host handed it over in Configure
// ("" when unset). Use [Host.Settings] for the current values and secrets.
func (h *Host) Setting(key string) string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.settings[key]
}

// Scopes returns the scopes the host granted (which may be fewer than the
// plugin asked for).
func (h *Host) Scopes() []string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return slices.Clone(h.scopes)
}

// HasScope reports whether the host granted scope.
func (h *Host) HasScope(scope string) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return slices.Contains(h.scopes, scope)
}

// HostVersion returns the version of the host, as sent in Configure.
func (h *Host) HostVersion() string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.hostVersion
}

// MediaURL returns the public URL of a media key (the value of a media
// field), as the host serves it: behind its CDN, or under /media/. It
// returns "" for an empty key.
func (h *Host) MediaURL(key string) string {
	if key == "" {
		return ""
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	base := h.mediaBase
	if base == "" {
		base = "/media/"
	}
	return strings.TrimRight(base, "/") + "/" + strings.TrimLeft(key, "/")
}

// Entry is an entry as plugins see it: its latest draft or its live
// version, depending on the call.
type Entry struct {
	ID    string `json:"id"`
	Type  string `json:"type"`
	Title string `json:"title"`
	Slug  string `json:"slug"`
	// Fields are the field values of the revision RevisionID.
	Fields                contenttypes.Values `json:"fields"`
	Live                  bool                `json:"live"`
	HasUnpublishedChanges bool                `json:"has_unpublished_changes"`
	RevisionID            string              `json:"revision_id,omitempty"`
	LiveRevisionID        string              `json:"live_revision_id,omitempty"`
	ParentID              string              `json:"parent_id,omitempty"`
	URLPath               string              `json:"url_path,omitempty"`
	// FirstPublishedAt and LastPublishedAt are zero when the entry was
	// never published.
	FirstPublishedAt time.Time `json:"first_published_at,omitzero"`
	LastPublishedAt  time.Time `json:"last_published_at,omitzero"`
	UpdatedAt        time.Time `json:"updated_at,omitzero"`
}

// Decode decodes the entry's field values into v (a pointer to a struct
// with json tags, a map...).
func (e *Entry) Decode(v any) error { return decodeValues(e.Fields, v) }

// GetEntry returns the entry id: its live version when published is true
// (ErrNotFound when it is not live), its latest draft otherwise. Scope
// entries:read.
func (h *Host) GetEntry(ctx context.Context, id string, published bool) (*Entry, error) {
	c, err := h.rpc()
	if err != nil {
		return nil, err
	}
	resp, err := c.GetEntry(ctx, &pluginv1.GetEntryRequest{Id: id, Published: published})
	if err != nil {
		return nil, hostError("GetEntry", err)
	}
	if resp.GetEntry() == nil {
		return nil, &HostError{Method: "GetEntry", Code: codes.NotFound, Message: fmt.Sprintf("entry %q not found", id)}
	}
	return entryFromProto(resp.GetEntry())
}

// ListParams select entries for [Host.ListEntries].
type ListParams struct {
	// Type is the content type key (required).
	Type string
	// Published lists live versions of published entries; false lists
	// latest drafts.
	Published bool
	// Filters select published entries by indexed fields, as the delivery
	// API's filter[...] parameters do: the key "servings" (equals; for a
	// tags field: has the tag) or "servings[op]" with op eq, ne, lt, lte,
	// gt, gte or in (comma-separated values; for tags: has any). Published
	// listings only.
	Filters map[string]string
	// Limit bounds the page size; 0 means the host's default.
	Limit int
	// Cursor is the NextCursor of the previous page.
	Cursor string
}

// EntryList is one page of entries.
type EntryList struct {
	Entries []*Entry
	// NextCursor fetches the next page; empty on the last page.
	NextCursor string
}

// ListEntries returns one page of entries. Scope entries:read.
func (h *Host) ListEntries(ctx context.Context, p ListParams) (*EntryList, error) {
	c, err := h.rpc()
	if err != nil {
		return nil, err
	}
	resp, err := c.ListEntries(ctx, &pluginv1.ListEntriesRequest{
		Type: p.Type, Published: p.Published, Filters: p.Filters,
		Limit: int32(min(max(p.Limit, 0), 1<<30)), Cursor: p.Cursor,
	})
	if err != nil {
		return nil, hostError("ListEntries", err)
	}
	out := &EntryList{NextCursor: resp.GetNextCursor(), Entries: make([]*Entry, 0, len(resp.GetEntries()))}
	for _, pe := range resp.GetEntries() {
		e, err := entryFromProto(pe)
		if err != nil {
			return nil, err
		}
		out.Entries = append(out.Entries, e)
	}
	return out, nil
}

// Entries iterates over every entry ListEntries selects, following the
// cursors page after page (p.Cursor is the starting point). The iteration
// stops at the first error, which it yields with a nil entry. Scope
// entries:read.
func (h *Host) Entries(ctx context.Context, p ListParams) iter.Seq2[*Entry, error] {
	return func(yield func(*Entry, error) bool) {
		for {
			page, err := h.ListEntries(ctx, p)
			if err != nil {
				yield(nil, err)
				return
			}
			for _, e := range page.Entries {
				if !yield(e, nil) {
					return
				}
			}
			if page.NextCursor == "" || page.NextCursor == p.Cursor {
				return
			}
			p.Cursor = page.NextCursor
		}
	}
}

// Draft is a draft revision to save with [Host.SaveDraft].
type Draft struct {
	// EntryID is the entry to save; empty creates an entry of Type.
	EntryID string
	// Type is the content type key (on create).
	Type string
	// Title and Slug: empty keeps the current one (on create, the slug is
	// derived from the title).
	Title string
	Slug  string
	// Fields are the new field values, replacing all values (anything
	// JSON-encodable: contenttypes.Values, a map, a struct with json tags,
	// json.RawMessage); nil (also a nil map or Values) keeps the current
	// values.
	Fields any
	// BaseRevisionID, when set, makes the save fail with ErrConflict if
	// the entry has moved on since that revision.
	BaseRevisionID string
	// Message describes the revision in the history.
	Message string
	// Publish makes the saved revision live at once (scope
	// entries:publish). The plugin publishes with admin rights: a
	// workflow's publish gate does not stop it, and the audit log names
	// the plugin. Grant the scope only to plugins that import content
	// already published elsewhere (a feed sync).
	Publish bool
}

// SaveDraft saves a new draft revision (it does not publish). When the
// values are invalid nothing is saved and the diagnostics say why (the
// entry is nil); err reports a failed call (ErrPermission, ErrNotFound,
// ErrConflict...). Scope entries:write.
func (h *Host) SaveDraft(ctx context.Context, d Draft) (*Entry, contenttypes.Diagnostics, error) {
	c, err := h.rpc()
	if err != nil {
		return nil, nil, err
	}
	var fields []byte
	if !isNil(d.Fields) {
		if fields, err = encodeJSON(d.Fields); err != nil {
			return nil, nil, fmt.Errorf("sdk: SaveDraft: encoding fields: %w", err)
		}
	}
	resp, err := c.SaveDraft(ctx, &pluginv1.SaveDraftRequest{
		EntryId: d.EntryID, Type: d.Type, Title: d.Title, Slug: d.Slug, FieldsJson: fields,
		BaseRevisionId: d.BaseRevisionID, Message: d.Message, Publish: d.Publish,
	})
	if err != nil {
		return nil, nil, hostError("SaveDraft", err)
	}
	diags := diagsFromProto(resp.GetDiagnostics())
	if resp.GetEntry() == nil || diags.HasError() {
		return nil, diags, nil
	}
	e, err := entryFromProto(resp.GetEntry())
	return e, diags, err
}

// Settings returns the plugin's current settings (set by an admin in the
// host) and secrets (from the host's environment,
// INKLING_PLUGIN_<NAME>_<KEY>). Always allowed.
func (h *Host) Settings(ctx context.Context) (settings, secrets map[string]string, err error) {
	c, err := h.rpc()
	if err != nil {
		return nil, nil, err
	}
	resp, err := c.GetSettings(ctx, &pluginv1.GetSettingsRequest{})
	if err != nil {
		return nil, nil, hostError("GetSettings", err)
	}
	return resp.GetSettings(), resp.GetSecrets(), nil
}

// Secret returns the secret key (matched without regard to case, so that
// "api_key" finds INKLING_PLUGIN_<NAME>_API_KEY), and whether it is set.
func (h *Host) Secret(ctx context.Context, key string) (string, bool, error) {
	_, secrets, err := h.Settings(ctx)
	if err != nil {
		return "", false, err
	}
	if v, ok := secrets[key]; ok {
		return v, true, nil
	}
	for k, v := range secrets {
		if strings.EqualFold(k, key) {
			return v, true, nil
		}
	}
	return "", false, nil
}

// EnqueueJob enqueues a job of one of the plugin's own kinds ([Plugin.Jobs])
// with args encoded as JSON (nil: null), to run after delay (0: now). It
// returns the host's job id. Scope jobs:enqueue.
func (h *Host) EnqueueJob(ctx context.Context, kind string, args any, delay time.Duration) (string, error) {
	if !h.jobKinds[kind] {
		return "", fmt.Errorf("sdk: EnqueueJob: job kind %q is not declared in Plugin.Jobs", kind)
	}
	if delay < 0 {
		return "", fmt.Errorf("sdk: EnqueueJob: negative delay %s", delay)
	}
	raw, err := encodeJSON(args)
	if err != nil {
		return "", fmt.Errorf("sdk: EnqueueJob: encoding args: %w", err)
	}
	c, err := h.rpc()
	if err != nil {
		return "", err
	}
	resp, err := c.EnqueueJob(ctx, &pluginv1.EnqueueJobRequest{
		Kind: kind, ArgsJson: raw, DelaySeconds: int64((delay + time.Second - 1) / time.Second),
	})
	if err != nil {
		return "", hostError("EnqueueJob", err)
	}
	return resp.GetJobId(), nil
}

// InvalidateCache drops cached delivery responses tagged with any of tags
// (entry ids, or the tags endpoints return in [Response.CacheTags]) on
// every instance. Scope cache:invalidate.
func (h *Host) InvalidateCache(ctx context.Context, tags ...string) error {
	if len(tags) == 0 {
		return nil
	}
	c, err := h.rpc()
	if err != nil {
		return err
	}
	if _, err := c.InvalidateCache(ctx, &pluginv1.InvalidateCacheRequest{Tags: tags}); err != nil {
		return hostError("InvalidateCache", err)
	}
	return nil
}

// Media is a stored media asset.
type Media struct {
	// Key is the value of a media field. Keys are content-addressed
	// (derived from the SHA-256 of the bytes), so a key never changes
	// meaning and the same bytes stored twice get the same key.
	Key string `json:"key"`
	// URL is where the asset is served (the CDN, or /media/ on the host).
	URL         string `json:"url"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	// Width and Height of an image; 0 otherwise.
	Width  int `json:"width,omitempty"`
	Height int `json:"height,omitempty"`
	// EntryID, Role and SourceHash describe an attachment (see
	// [Host.AttachMedia]); empty for a plain asset.
	EntryID    string `json:"entry_id,omitempty"`
	Role       string `json:"role,omitempty"`
	SourceHash string `json:"source_hash,omitempty"`
}

// PutMedia stores a media asset and returns its key (for a media field)
// and URL. The host checks the type and size limits it applies to
// uploads. Scope media:write.
func (h *Host) PutMedia(ctx context.Context, filename, contentType string, data []byte) (*Media, error) {
	c, err := h.rpc()
	if err != nil {
		return nil, err
	}
	resp, err := c.PutMedia(ctx, &pluginv1.PutMediaRequest{Filename: filename, ContentType: contentType, Data: data})
	if err != nil {
		return nil, hostError("PutMedia", err)
	}
	return mediaFromProto(resp.GetKey(), resp.GetUrl(), resp.GetAsset()), nil
}

// Attachment is media generated for an entry (an audio reading, a
// rendition, a transcript) stored with [Host.AttachMedia].
type Attachment struct {
	EntryID string
	// Role names the attachment within the entry ("audio"): lowercase
	// letters, digits, '_' and '-'. An entry has at most one per role.
	Role string
	// SourceHash identifies what the media was made from (a hash of the
	// text, voice and model, say), so that a plugin can skip regenerating
	// it when nothing changed.
	SourceHash  string
	Filename    string
	ContentType string
	Data        []byte
}

// AttachMedia stores media and attaches it to an entry under a role,
// replacing the role's previous attachment. Attachments are not part of
// the entry's revisions: attaching never creates a revision or changes
// what is published, and the delivery API does not expose them by itself
// (a plugin endpoint decides who may see them). Scope media:write.
func (h *Host) AttachMedia(ctx context.Context, a Attachment) (*Media, error) {
	c, err := h.rpc()
	if err != nil {
		return nil, err
	}
	resp, err := c.PutMedia(ctx, &pluginv1.PutMediaRequest{Filename: a.Filename, ContentType: a.ContentType, Data: a.Data,
		EntryId: a.EntryID, Role: a.Role, SourceHash: a.SourceHash})
	if err != nil {
		return nil, hostError("AttachMedia", err)
	}
	return mediaFromProto(resp.GetKey(), resp.GetUrl(), resp.GetAsset()), nil
}

// EntryMedia returns the media attached to an entry, in role order; role
// "" returns every role. Scope entries:read.
func (h *Host) EntryMedia(ctx context.Context, entryID, role string) ([]Media, error) {
	c, err := h.rpc()
	if err != nil {
		return nil, err
	}
	resp, err := c.GetEntryMedia(ctx, &pluginv1.GetEntryMediaRequest{EntryId: entryID, Role: role})
	if err != nil {
		return nil, hostError("GetEntryMedia", err)
	}
	out := make([]Media, 0, len(resp.GetMedia()))
	for _, m := range resp.GetMedia() {
		out = append(out, *mediaFromProto(m.GetKey(), m.GetUrl(), m))
	}
	return out, nil
}

func mediaFromProto(key, url string, a *pluginv1.MediaAsset) *Media {
	m := &Media{Key: key, URL: url}
	if a == nil {
		return m
	}
	if m.Key == "" {
		m.Key = a.GetKey()
	}
	if m.URL == "" {
		m.URL = a.GetUrl()
	}
	m.ContentType, m.Size, m.SHA256 = a.GetContentType(), a.GetSize(), a.GetSha256()
	m.Width, m.Height = int(a.GetWidth()), int(a.GetHeight())
	m.EntryID, m.Role, m.SourceHash = a.GetEntryId(), a.GetRole(), a.GetSourceHash()
	return m
}

// entryFromProto decodes an entry sent by the host.
func entryFromProto(pe *pluginv1.Entry) (*Entry, error) {
	fields, err := contenttypes.DecodeValues(pe.GetFieldsJson())
	if err != nil {
		return nil, fmt.Errorf("sdk: entry %s: decoding fields: %w", pe.GetId(), err)
	}
	e := &Entry{
		ID: pe.GetId(), Type: pe.GetType(), Title: pe.GetTitle(), Slug: pe.GetSlug(), Fields: fields,
		Live: pe.GetLive(), HasUnpublishedChanges: pe.GetHasUnpublishedChanges(),
		RevisionID: pe.GetRevisionId(), LiveRevisionID: pe.GetLiveRevisionId(),
		ParentID: pe.GetParentId(), URLPath: pe.GetUrlPath(),
	}
	for _, ts := range []struct {
		name string
		in   string
		out  *time.Time
	}{
		{"first_published_at", pe.GetFirstPublishedAt(), &e.FirstPublishedAt},
		{"last_published_at", pe.GetLastPublishedAt(), &e.LastPublishedAt},
		{"updated_at", pe.GetUpdatedAt(), &e.UpdatedAt},
	} {
		if ts.in == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, ts.in)
		if err != nil {
			return nil, fmt.Errorf("sdk: entry %s: %s: %w", pe.GetId(), ts.name, err)
		}
		*ts.out = t
	}
	return e, nil
}

// RelatedParams asks for the published entries most related to a seed:
// those sharing the most terms of a tags field (ties by id).
type RelatedParams struct {
	Type  string // content type of the seed and the results
	Field string // an indexed tags field of Type
	Seed  string // the seed entry id (never in the results)
	// FilterField/FilterValues keep only entries whose indexed field has
	// one of the values (e.g. register ∈ {devotional, letters}).
	FilterField  string
	FilterValues []string
	Limit        int // default 20, at most 50
}

// RelatedHit is a related entry, as the delivery API returns it.
type RelatedHit struct {
	ID      string
	Overlap int
	Item    json.RawMessage
}

// Related ranks related entries with the engine's ranker: an in-memory
// term index by default, or SQL (a GIN-indexed array overlap on
// PostgreSQL). Scope entries:read; a seed that is not published gives
// ErrNotFound.
func (h *Host) Related(ctx context.Context, p RelatedParams) ([]RelatedHit, error) {
	c, err := h.rpc()
	if err != nil {
		return nil, err
	}
	resp, err := c.RelatedEntries(ctx, &pluginv1.RelatedRequest{Type: p.Type, Field: p.Field, SeedId: p.Seed,
		FilterField: p.FilterField, FilterValues: p.FilterValues, Limit: int32(min(max(p.Limit, 0), 1<<20))})
	if err != nil {
		return nil, hostError("RelatedEntries", err)
	}
	out := make([]RelatedHit, 0, len(resp.GetHits()))
	for _, hit := range resp.GetHits() {
		out = append(out, RelatedHit{ID: hit.GetId(), Overlap: int(hit.GetOverlap()), Item: hit.GetItemJson()})
	}
	return out, nil
}
