package pluginhost

import (
	"time"

	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/engine/auth"
	"github.com/inklingcms/inkling/engine/entries"
	"github.com/inklingcms/inkling/plugins/protocol/pluginv1"
)

// convertDiagnostics turns protocol diagnostics into the engine's. An empty
// or unknown severity is an error (a plugin cannot weaken a problem by
// forgetting it); an empty code becomes "plugin".
func convertDiagnostics(in []*pluginv1.Diagnostic) contenttypes.Diagnostics {
	if len(in) == 0 {
		return nil
	}
	out := make(contenttypes.Diagnostics, 0, len(in))
	for _, d := range in {
		sev := contenttypes.SeverityError
		if d.GetSeverity() == string(contenttypes.SeverityWarning) {
			sev = contenttypes.SeverityWarning
		}
		code := d.GetCode()
		if code == "" {
			code = "plugin"
		}
		out = append(out, contenttypes.Diagnostic{Severity: sev, Path: d.GetPath(), Code: code, Summary: d.GetSummary(), Detail: d.GetDetail()})
	}
	return out
}

// protoDiagnostics turns the engine's diagnostics into protocol ones.
func protoDiagnostics(in contenttypes.Diagnostics) []*pluginv1.Diagnostic {
	out := make([]*pluginv1.Diagnostic, 0, len(in))
	for _, d := range in {
		sev := string(d.Severity)
		if sev == "" {
			sev = string(contenttypes.SeverityError)
		}
		out = append(out, &pluginv1.Diagnostic{Severity: sev, Path: d.Path, Code: d.Code, Summary: d.Summary, Detail: d.Detail})
	}
	return out
}

func protoPrincipal(p auth.Principal) *pluginv1.Principal {
	return &pluginv1.Principal{Kind: string(p.Kind), Id: p.ID, Name: p.Name, Role: string(p.Role)}
}

func timeString(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// protoEntry is an entry as plugins see it: with live, its live version
// (values, title and slug of the live revision), else its latest draft.
func protoEntry(d *entries.Draft, live bool) *pluginv1.Entry {
	e := d.Entry
	out := &pluginv1.Entry{
		Id: e.ID, Type: e.TypeKey, Title: e.DraftTitle, Slug: e.Slug, Live: e.Live,
		HasUnpublishedChanges: e.HasUnpublishedChanges, LiveRevisionId: deref(e.LiveRevisionID),
		ParentId: deref(e.ParentID), UrlPath: deref(e.URLPath), FirstPublishedAt: timeString(e.FirstPublishedAt),
		LastPublishedAt: timeString(e.LastPublishedAt), UpdatedAt: timeString(&e.UpdatedAt),
	}
	if live {
		out.Title, out.FieldsJson, out.RevisionId = e.Title, e.Fields, deref(e.LiveRevisionID)
		return out
	}
	if r := d.Revision; r != nil {
		out.Title, out.Slug, out.FieldsJson, out.RevisionId = r.Title, r.Slug, r.Fields, r.ID
	}
	return out
}
