package sdktest

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/plugins/protocol/pluginv1"
	"github.com/inklingcms/inkling/plugins/sdk"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Listing bounds of the in-memory ListEntries.
const (
	DefaultLimit = 20
	MaxLimit     = 100
)

// hostServer is the in-memory Host service. It checks every call against
// the granted scopes exactly as plugin.proto documents: GetEntry and
// ListEntries need entries:read, SaveDraft entries:write, EnqueueJob
// jobs:enqueue, InvalidateCache cache:invalidate, PutMedia media:write;
// GetSettings is always allowed.
type hostServer struct {
	pluginv1.UnimplementedHostServer
	plugin   string
	store    *Store
	scopes   []string
	jobKinds []string
}

func (h *hostServer) require(scope, method string) error {
	if slices.Contains(h.scopes, scope) {
		return nil
	}
	return status.Errorf(codes.PermissionDenied, "plugin %s may not call %s: it was not granted scope %q", h.plugin, method, scope)
}

func (h *hostServer) GetEntry(_ context.Context, req *pluginv1.GetEntryRequest) (*pluginv1.GetEntryResponse, error) {
	if err := h.require(sdk.ScopeEntriesRead, "GetEntry"); err != nil {
		return nil, err
	}
	if req.GetId() == "" {
		return nil, status.Error(codes.InvalidArgument, "GetEntry: id is required")
	}
	s := h.store
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.entries[req.GetId()]
	switch {
	case !ok:
		return nil, status.Errorf(codes.NotFound, "entry %q not found", req.GetId())
	case req.GetPublished() && r.live == nil:
		return nil, status.Errorf(codes.NotFound, "entry %q is not published", req.GetId())
	case req.GetPublished():
		return &pluginv1.GetEntryResponse{Entry: entryToProto(r.live)}, nil
	}
	return &pluginv1.GetEntryResponse{Entry: entryToProto(&r.draft)}, nil
}

func (h *hostServer) ListEntries(_ context.Context, req *pluginv1.ListEntriesRequest) (*pluginv1.ListEntriesResponse, error) {
	if err := h.require(sdk.ScopeEntriesRead, "ListEntries"); err != nil {
		return nil, err
	}
	s := h.store
	if req.GetType() == "" {
		return nil, status.Error(codes.InvalidArgument, "ListEntries needs a type")
	}
	if len(req.GetFilters()) > 0 && !req.GetPublished() {
		return nil, status.Error(codes.InvalidArgument, "ListEntries filters apply to published entries only")
	}
	filters, err := parseFilters(s.types[req.GetType()], req.GetFilters())
	if err != nil {
		return nil, err
	}
	limit := int(req.GetLimit())
	switch {
	case limit <= 0:
		limit = DefaultLimit
	case limit > MaxLimit:
		limit = MaxLimit
	}
	offset := 0
	if c := req.GetCursor(); c != "" {
		n, err := strconv.Atoi(c)
		if err != nil || n < 0 {
			return nil, status.Errorf(codes.InvalidArgument, "ListEntries: invalid cursor %q", c)
		}
		offset = n
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	var match []*sdk.Entry
	for _, id := range s.order {
		r := s.entries[id]
		e := &r.draft
		if req.GetPublished() {
			e = r.live
		}
		if e == nil || e.Type != req.GetType() || !matches(e, filters) {
			continue
		}
		match = append(match, e)
	}
	resp := &pluginv1.ListEntriesResponse{}
	for i := offset; i < len(match) && i < offset+limit; i++ {
		resp.Entries = append(resp.Entries, entryToProto(match[i]))
	}
	if offset+limit < len(match) {
		resp.NextCursor = strconv.Itoa(offset + limit)
	}
	return resp, nil
}

// filter is one parsed ListEntries filter.
type filter struct {
	field, op string
	values    []string // one, or several for "in"
}

var filterOps = []string{"eq", "ne", "lt", "lte", "gt", "gte", "in"}

// parseFilters parses "field" and "field[op]" keys. When the plugin
// declares the type, a filter must name an indexed field, as in the
// delivery API.
func parseFilters(ct *contenttypes.ContentType, raw map[string]string) ([]filter, error) {
	var out []filter
	for _, k := range slices.Sorted(maps.Keys(raw)) {
		f := filter{field: k, op: "eq", values: []string{raw[k]}}
		if i := strings.Index(k, "["); i > 0 && strings.HasSuffix(k, "]") {
			f.field, f.op = k[:i], k[i+1:len(k)-1]
		}
		if !slices.Contains(filterOps, f.op) {
			return nil, status.Errorf(codes.InvalidArgument, "ListEntries: filter %q: unknown operator %q (want one of %s)", k, f.op, strings.Join(filterOps, ", "))
		}
		if f.op == "in" {
			f.values = strings.Split(raw[k], ",")
		}
		if ct != nil {
			fd, ok := ct.Field(f.field)
			if !ok || !fd.Indexed {
				return nil, status.Errorf(codes.InvalidArgument, "ListEntries: field %q of %q is not indexed and cannot be filtered on", f.field, ct.Key)
			}
			if fd.Kind == contenttypes.KindTags && f.op != "eq" && f.op != "in" {
				return nil, status.Errorf(codes.InvalidArgument, "ListEntries: filter %q: a tags field takes eq or in", k)
			}
		}
		out = append(out, f)
	}
	return out, nil
}

// matches reports whether e passes every filter. An array (tags) matches
// when it holds one of the values; scalars compare as numbers when both
// sides are numbers, as text otherwise.
func matches(e *sdk.Entry, filters []filter) bool {
	for _, f := range filters {
		v, ok := e.Fields[f.field]
		if !ok {
			return false
		}
		if arr, ok := v.([]any); ok {
			if !slices.ContainsFunc(arr, func(x any) bool { return slices.Contains(f.values, scalarText(x)) }) {
				return false
			}
			continue
		}
		got := scalarText(v)
		if f.op == "in" {
			if !slices.Contains(f.values, got) {
				return false
			}
			continue
		}
		c := compare(got, f.values[0])
		if !map[string]bool{"eq": c == 0, "ne": c != 0, "lt": c < 0, "lte": c <= 0, "gt": c > 0, "gte": c >= 0}[f.op] {
			return false
		}
	}
	return true
}

func scalarText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	}
	raw, _ := json.Marshal(v)
	return string(raw)
}

func compare(a, b string) int {
	x, errA := strconv.ParseFloat(a, 64)
	y, errB := strconv.ParseFloat(b, 64)
	if errA == nil && errB == nil {
		return cmp.Compare(x, y)
	}
	return strings.Compare(a, b)
}

func (h *hostServer) SaveDraft(_ context.Context, req *pluginv1.SaveDraftRequest) (*pluginv1.SaveDraftResponse, error) {
	if err := h.require(sdk.ScopeEntriesWrite, "SaveDraft"); err != nil {
		return nil, err
	}
	s := h.store
	create := req.GetEntryId() == ""
	var diags contenttypes.Diagnostics
	typ := req.GetType()
	if req.GetPublish() {
		if err := h.require(sdk.ScopeEntriesPublish, "SaveDraft with publish"); err != nil {
			return nil, err
		}
	}
	if !create {
		s.mu.Lock()
		r, ok := s.entries[req.GetEntryId()]
		if ok {
			typ = r.draft.Type
		}
		s.mu.Unlock()
		if !ok {
			return nil, status.Errorf(codes.NotFound, "entry %q not found", req.GetEntryId())
		}
	} else {
		if typ == "" {
			diags.AppendError("type", contenttypes.CodeRequired, "type is required")
		}
		if req.GetTitle() == "" {
			diags.AppendError("title", contenttypes.CodeRequired, "title is required")
		}
	}
	var values contenttypes.Values
	if create || len(req.GetFieldsJson()) > 0 {
		v, d := s.prepare(typ, req.GetFieldsJson(), create)
		diags.Append(d...)
		values = v
	}
	if diags.HasError() {
		return &pluginv1.SaveDraftResponse{Diagnostics: diagsToProto(diags)}, nil
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	var r *record
	if create {
		id := s.next("e")
		r = &record{draft: sdk.Entry{ID: id, Type: typ, Title: req.GetTitle(), Slug: req.GetSlug()}}
		if r.draft.Slug == "" {
			r.draft.Slug = slugify(req.GetTitle())
		}
		s.entries[id] = r
		s.order = append(s.order, id)
	} else {
		r = s.entries[req.GetEntryId()]
		if b := req.GetBaseRevisionId(); b != "" && b != r.draft.RevisionID {
			return nil, status.Errorf(codes.Aborted, "entry %q has moved on: base revision %q is stale (latest is %q)", r.draft.ID, b, r.draft.RevisionID)
		}
		if t := req.GetTitle(); t != "" {
			r.draft.Title = t
		}
		if sl := req.GetSlug(); sl != "" {
			r.draft.Slug = sl
		}
	}
	if values != nil {
		r.draft.Fields = values
	}
	r.draft.RevisionID = s.next("r")
	r.draft.UpdatedAt = now()
	r.draft.HasUnpublishedChanges = r.live != nil
	if req.GetPublish() {
		s.publish(r)
	}
	s.drafts = append(s.drafts, SavedDraft{Entry: *copyEntry(&r.draft), Created: create, Message: req.GetMessage(), Published: req.GetPublish()})
	return &pluginv1.SaveDraftResponse{Entry: entryToProto(&r.draft), Diagnostics: diagsToProto(diags)}, nil
}

func (h *hostServer) GetSettings(context.Context, *pluginv1.GetSettingsRequest) (*pluginv1.GetSettingsResponse, error) {
	s := h.store
	s.mu.Lock()
	defer s.mu.Unlock()
	return &pluginv1.GetSettingsResponse{Settings: maps.Clone(s.settings), Secrets: maps.Clone(s.secrets)}, nil
}

func (h *hostServer) EnqueueJob(_ context.Context, req *pluginv1.EnqueueJobRequest) (*pluginv1.EnqueueJobResponse, error) {
	if err := h.require(sdk.ScopeJobsEnqueue, "EnqueueJob"); err != nil {
		return nil, err
	}
	if !slices.Contains(h.jobKinds, req.GetKind()) {
		return nil, status.Errorf(codes.InvalidArgument, "EnqueueJob: plugin %q declares no job kind %q", h.plugin, req.GetKind())
	}
	if req.GetDelaySeconds() < 0 {
		return nil, status.Error(codes.InvalidArgument, "EnqueueJob: negative delay")
	}
	s := h.store
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.next("job")
	s.jobs = append(s.jobs, EnqueuedJob{
		ID: id, Kind: req.GetKind(), Args: json.RawMessage(slices.Clone(req.GetArgsJson())),
		Delay: time.Duration(req.GetDelaySeconds()) * time.Second,
	})
	return &pluginv1.EnqueueJobResponse{JobId: id}, nil
}

func (h *hostServer) InvalidateCache(_ context.Context, req *pluginv1.InvalidateCacheRequest) (*pluginv1.InvalidateCacheResponse, error) {
	if err := h.require(sdk.ScopeCacheInvalidate, "InvalidateCache"); err != nil {
		return nil, err
	}
	s := h.store
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tags = append(s.tags, req.GetTags()...)
	return &pluginv1.InvalidateCacheResponse{}, nil
}

func (h *hostServer) PutMedia(_ context.Context, req *pluginv1.PutMediaRequest) (*pluginv1.PutMediaResponse, error) {
	if err := h.require(sdk.ScopeMediaWrite, "PutMedia"); err != nil {
		return nil, err
	}
	name := path.Base(req.GetFilename())
	if req.GetFilename() == "" || name == "." || name == "/" {
		return nil, status.Error(codes.InvalidArgument, "PutMedia: filename is required")
	}
	attach := req.GetEntryId() != "" || req.GetRole() != ""
	if attach && (req.GetEntryId() == "" || !validRole(req.GetRole())) {
		return nil, status.Errorf(codes.InvalidArgument, "AttachMedia needs an entry id and a role of lowercase letters, digits, '_' or '-' (got entry %q, role %q)", req.GetEntryId(), req.GetRole())
	}
	s := h.store
	s.mu.Lock()
	defer s.mu.Unlock()
	if attach {
		if _, ok := s.entries[req.GetEntryId()]; !ok {
			return nil, status.Errorf(codes.NotFound, "entry %q not found", req.GetEntryId())
		}
	}
	sum := sha256.Sum256(req.GetData())
	hexSum := hex.EncodeToString(sum[:])
	key := hexSum + strings.ToLower(path.Ext(name))
	m := StoredMedia{Key: key, URL: "/media/" + key, Filename: req.GetFilename(), ContentType: req.GetContentType(), Data: slices.Clone(req.GetData()),
		SHA256: hexSum, EntryID: req.GetEntryId(), Role: req.GetRole(), SourceHash: req.GetSourceHash()}
	s.media = append(s.media, m)
	if attach {
		if s.attachments == nil {
			s.attachments = map[string]map[string]StoredMedia{}
		}
		if s.attachments[m.EntryID] == nil {
			s.attachments[m.EntryID] = map[string]StoredMedia{}
		}
		s.attachments[m.EntryID][m.Role] = m
	}
	return &pluginv1.PutMediaResponse{Key: m.Key, Url: m.URL, Asset: m.proto()}, nil
}

func (h *hostServer) GetEntryMedia(_ context.Context, req *pluginv1.GetEntryMediaRequest) (*pluginv1.GetEntryMediaResponse, error) {
	if err := h.require(sdk.ScopeEntriesRead, "GetEntryMedia"); err != nil {
		return nil, err
	}
	s := h.store
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.entries[req.GetEntryId()]; !ok {
		return nil, status.Errorf(codes.NotFound, "entry %q not found", req.GetEntryId())
	}
	out := &pluginv1.GetEntryMediaResponse{}
	for _, role := range slices.Sorted(maps.Keys(s.attachments[req.GetEntryId()])) {
		if req.GetRole() == "" || req.GetRole() == role {
			m := s.attachments[req.GetEntryId()][role]
			out.Media = append(out.Media, m.proto())
		}
	}
	return out, nil
}

func validRole(r string) bool {
	if r == "" || len(r) > 63 {
		return false
	}
	for _, c := range r {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// entryToProto encodes an entry for the wire.
func entryToProto(e *sdk.Entry) *pluginv1.Entry {
	fields := e.Fields
	if fields == nil {
		fields = contenttypes.Values{}
	}
	raw, _ := json.Marshal(fields)
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339Nano)
	}
	return &pluginv1.Entry{
		Id: e.ID, Type: e.Type, Title: e.Title, Slug: e.Slug, FieldsJson: raw,
		Live: e.Live, HasUnpublishedChanges: e.HasUnpublishedChanges,
		RevisionId: e.RevisionID, LiveRevisionId: e.LiveRevisionID,
		ParentId: e.ParentID, UrlPath: e.URLPath,
		FirstPublishedAt: ts(e.FirstPublishedAt), LastPublishedAt: ts(e.LastPublishedAt), UpdatedAt: ts(e.UpdatedAt),
	}
}

func diagsToProto(ds contenttypes.Diagnostics) []*pluginv1.Diagnostic {
	out := make([]*pluginv1.Diagnostic, len(ds))
	for i, d := range ds {
		out[i] = &pluginv1.Diagnostic{Severity: string(d.Severity), Path: d.Path, Code: d.Code, Summary: d.Summary, Detail: d.Detail}
	}
	return out
}

func diagsFromProto(ds []*pluginv1.Diagnostic) contenttypes.Diagnostics {
	if len(ds) == 0 {
		return nil
	}
	out := make(contenttypes.Diagnostics, len(ds))
	for i, d := range ds {
		out[i] = contenttypes.Diagnostic{Severity: contenttypes.Severity(d.GetSeverity()), Path: d.GetPath(),
			Code: d.GetCode(), Summary: d.GetSummary(), Detail: d.GetDetail()}
	}
	return out
}
