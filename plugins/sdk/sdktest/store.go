package sdktest

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/plugins/protocol/pluginv1"
	"github.com/inklingcms/inkling/plugins/sdk"
)

// Store is the in-memory content of the test host: entries (a latest
// draft and, when published, a live version each) that a test seeds and
// inspects, and a record of what the plugin did through the Host service.
// It is safe for concurrent use; every method returns copies.
type Store struct {
	t     testing.TB
	types map[string]*contenttypes.ContentType

	mu      sync.Mutex
	seq     map[string]int
	order   []string
	entries map[string]*record
	drafts  []SavedDraft
	jobs    []EnqueuedJob
	tags    []string
	media   []StoredMedia
	// attachments: entry id → role → the attached media
	attachments map[string]map[string]StoredMedia
	settings    map[string]string
	secrets     map[string]string
}

type record struct {
	draft sdk.Entry
	live  *sdk.Entry
}

// SavedDraft records a successful [sdk.Host.SaveDraft] call.
type SavedDraft struct {
	// Entry is the draft as saved.
	Entry sdk.Entry
	// Created is true when the call created the entry.
	Created bool
	Message string
	// Published is true when the plugin asked to publish the revision.
	Published bool
}

// EnqueuedJob records a [sdk.Host.EnqueueJob] call.
type EnqueuedJob struct {
	ID    string
	Kind  string
	Args  json.RawMessage
	Delay time.Duration
}

// StoredMedia records a [sdk.Host.PutMedia] or [sdk.Host.AttachMedia]
// call. Keys are content-addressed like the engine's: the SHA-256 of the
// data in hex, plus the filename's extension.
type StoredMedia struct {
	Key, URL              string
	Filename, ContentType string
	Data                  []byte
	SHA256                string
	// EntryID, Role and SourceHash are set for an attachment.
	EntryID, Role, SourceHash string
}

func (m StoredMedia) proto() *pluginv1.MediaAsset {
	return &pluginv1.MediaAsset{Key: m.Key, Url: m.URL, ContentType: m.ContentType, Size: int64(len(m.Data)), Sha256: m.SHA256,
		EntryId: m.EntryID, Role: m.Role, SourceHash: m.SourceHash}
}

// Attachment returns the media attached to entry id under role, if any.
func (s *Store) Attachment(entryID, role string) (StoredMedia, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.attachments[entryID][role]
	if ok {
		m.Data = slices.Clone(m.Data)
	}
	return m, ok
}

func newStore(t testing.TB, types []contenttypes.ContentType, settings, secrets map[string]string) *Store {
	s := &Store{
		t: t, types: map[string]*contenttypes.ContentType{}, entries: map[string]*record{},
		settings: maps.Clone(settings), secrets: maps.Clone(secrets),
	}
	for i := range types {
		s.types[types[i].Key] = &types[i]
	}
	return s
}

// next returns a fresh id: prefix followed by a counter of its own.
func (s *Store) next(prefix string) string {
	if s.seq == nil {
		s.seq = map[string]int{}
	}
	s.seq[prefix]++
	return prefix + strconv.Itoa(s.seq[prefix])
}

// prepare checks raw values against the type when the plugin declares it
// (assigning block ids, applying defaults on create), and decodes them as
// they are otherwise.
func (s *Store) prepare(typ string, raw []byte, create bool) (contenttypes.Values, contenttypes.Diagnostics) {
	if ct, ok := s.types[typ]; ok {
		return ct.Prepare(raw, &contenttypes.PrepareOptions{ApplyDefaults: create})
	}
	v, err := contenttypes.DecodeValues(raw)
	if err != nil {
		var ds contenttypes.Diagnostics
		ds.AppendError("", contenttypes.CodeInvalidJSON, err.Error())
		return nil, ds
	}
	return v, nil
}

// Add seeds an entry and returns it as stored. Empty ID, RevisionID and
// Slug are filled in; Fields are checked against the type when the plugin
// declares it (an invalid seed fails the test) and normalised like the
// engine does (block ids, json.Number). With Live set, the entry is
// published as well.
func (s *Store) Add(e sdk.Entry) *sdk.Entry {
	s.t.Helper()
	raw, err := json.Marshal(e.Fields)
	if err != nil {
		s.t.Fatalf("sdktest: Store.Add: encoding fields: %v", err)
	}
	values, diags := s.prepare(e.Type, raw, true)
	if diags.HasError() {
		s.t.Fatalf("sdktest: Store.Add: entry %q of type %q is invalid: %v", e.Title, e.Type, diags)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e.ID == "" {
		e.ID = s.next("e")
	}
	if _, dup := s.entries[e.ID]; dup {
		s.t.Fatalf("sdktest: Store.Add: entry %q already exists", e.ID)
	}
	if e.RevisionID == "" {
		e.RevisionID = s.next("r")
	}
	if e.Slug == "" {
		e.Slug = slugify(e.Title)
	}
	if e.UpdatedAt.IsZero() {
		e.UpdatedAt = now()
	}
	e.Fields = values
	r := &record{draft: e}
	s.entries[e.ID] = r
	s.order = append(s.order, e.ID)
	if e.Live {
		s.publish(r)
	} else {
		r.draft.LiveRevisionID, r.draft.HasUnpublishedChanges = "", false
	}
	return copyEntry(&r.draft)
}

// Update saves a new draft revision of entry id as an editor would (not
// through the plugin, so it is not recorded in Drafts): fields replace the
// values (checked against the type when known; nil keeps them) and a
// non-empty title replaces the title. It fails the test when there is no
// such entry or the values are invalid.
func (s *Store) Update(id, title string, fields contenttypes.Values) *sdk.Entry {
	s.t.Helper()
	s.mu.Lock()
	r, ok := s.entries[id]
	typ := ""
	if ok {
		typ = r.draft.Type
	}
	s.mu.Unlock()
	if !ok {
		s.t.Fatalf("sdktest: Store.Update: no entry %q", id)
	}
	var values contenttypes.Values
	if fields != nil {
		raw, err := json.Marshal(fields)
		if err != nil {
			s.t.Fatalf("sdktest: Store.Update: encoding fields: %v", err)
		}
		var diags contenttypes.Diagnostics
		if values, diags = s.prepare(typ, raw, false); diags.HasError() {
			s.t.Fatalf("sdktest: Store.Update: entry %q: invalid values: %v", id, diags)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if title != "" {
		r.draft.Title = title
	}
	if values != nil {
		r.draft.Fields = values
	}
	r.draft.RevisionID = s.next("r")
	r.draft.UpdatedAt = now()
	r.draft.HasUnpublishedChanges = r.live != nil
	return copyEntry(&r.draft)
}

// Publish makes the latest draft of entry id live, as the engine does on
// publish. It fails the test when there is no such entry.
func (s *Store) Publish(id string) *sdk.Entry {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.entries[id]
	if !ok {
		s.t.Fatalf("sdktest: Store.Publish: no entry %q", id)
	}
	s.publish(r)
	return copyEntry(r.live)
}

func (s *Store) publish(r *record) {
	t := now()
	d := &r.draft
	if d.FirstPublishedAt.IsZero() {
		d.FirstPublishedAt = t
	}
	d.LastPublishedAt = t
	d.Live, d.HasUnpublishedChanges, d.LiveRevisionID = true, false, d.RevisionID
	r.live = copyEntry(d)
}

// Unpublish takes entry id offline. It fails the test when there is no
// such entry.
func (s *Store) Unpublish(id string) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.entries[id]
	if !ok {
		s.t.Fatalf("sdktest: Store.Unpublish: no entry %q", id)
	}
	r.live = nil
	r.draft.Live, r.draft.LiveRevisionID, r.draft.HasUnpublishedChanges = false, "", false
}

// Entry returns the latest draft of entry id.
func (s *Store) Entry(id string) (*sdk.Entry, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.entries[id]
	if !ok {
		return nil, false
	}
	return copyEntry(&r.draft), true
}

// LiveEntry returns the live version of entry id, if it is published.
func (s *Store) LiveEntry(id string) (*sdk.Entry, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.entries[id]
	if !ok || r.live == nil {
		return nil, false
	}
	return copyEntry(r.live), true
}

// Entries returns the latest drafts of the entries of type typ (every type
// when empty), in the order they were added.
func (s *Store) Entries(typ string) []*sdk.Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*sdk.Entry
	for _, id := range s.order {
		if r := s.entries[id]; typ == "" || r.draft.Type == typ {
			out = append(out, copyEntry(&r.draft))
		}
	}
	return out
}

// Drafts returns the drafts the plugin saved, in order.
func (s *Store) Drafts() []SavedDraft {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.drafts)
	for i := range out {
		out[i].Entry = *copyEntry(&out[i].Entry)
	}
	return out
}

// Jobs returns the jobs the plugin enqueued and that have not been run by
// [Harness.RunEnqueued], in order.
func (s *Store) Jobs() []EnqueuedJob {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.jobs)
}

// InvalidatedTags returns the cache tags the plugin invalidated, in order.
func (s *Store) InvalidatedTags() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.tags)
}

// Media returns the media the plugin stored, in order.
func (s *Store) Media() []StoredMedia {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.media)
}

// SetSettings replaces the settings and secrets GetSettings returns (nil
// keeps the current map).
func (s *Store) SetSettings(settings, secrets map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if settings != nil {
		s.settings = maps.Clone(settings)
	}
	if secrets != nil {
		s.secrets = maps.Clone(secrets)
	}
}

func (s *Store) takeJobs() []EnqueuedJob {
	s.mu.Lock()
	defer s.mu.Unlock()
	jobs := s.jobs
	s.jobs = nil
	return jobs
}

func copyEntry(e *sdk.Entry) *sdk.Entry {
	if e == nil {
		return nil
	}
	c := *e
	if e.Fields != nil {
		raw, _ := json.Marshal(e.Fields)
		c.Fields, _ = contenttypes.DecodeValues(raw)
	}
	return &c
}

func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// slugify derives a slug from a title: lowercase letters and digits
// separated by single dashes.
func slugify(title string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			continue
		}
		dash = true
	}
	if b.Len() == 0 {
		return "entry"
	}
	return b.String()
}
