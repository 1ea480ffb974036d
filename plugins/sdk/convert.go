package sdk

import (
	"github.com/inklingcms/inkling/contenttypes"
	"github.com/inklingcms/inkling/plugins/protocol/pluginv1"
)

// codeInvalid is the code given to a diagnostic a plugin left without one.
const codeInvalid = "invalid"

// diagsToProto converts diagnostics for the wire. A diagnostic without a
// severity is an error, one without a code gets "invalid".
func diagsToProto(ds contenttypes.Diagnostics) []*pluginv1.Diagnostic {
	if len(ds) == 0 {
		return nil
	}
	out := make([]*pluginv1.Diagnostic, len(ds))
	for i, d := range ds {
		d = normalizeDiag(d)
		out[i] = &pluginv1.Diagnostic{Severity: string(d.Severity), Path: d.Path, Code: d.Code, Summary: d.Summary, Detail: d.Detail}
	}
	return out
}

func normalizeDiag(d contenttypes.Diagnostic) contenttypes.Diagnostic {
	if d.Severity != contenttypes.SeverityWarning {
		d.Severity = contenttypes.SeverityError
	}
	if d.Code == "" {
		d.Code = codeInvalid
	}
	return d
}

// diagsFromProto converts diagnostics received from the host.
func diagsFromProto(ds []*pluginv1.Diagnostic) contenttypes.Diagnostics {
	if len(ds) == 0 {
		return nil
	}
	out := make(contenttypes.Diagnostics, len(ds))
	for i, d := range ds {
		out[i] = normalizeDiag(contenttypes.Diagnostic{
			Severity: contenttypes.Severity(d.GetSeverity()), Path: d.GetPath(), Code: d.GetCode(),
			Summary: d.GetSummary(), Detail: d.GetDetail(),
		})
	}
	return out
}

func principalFromProto(p *pluginv1.Principal) Principal {
	return Principal{Kind: p.GetKind(), ID: p.GetId(), Name: p.GetName(), Role: p.GetRole()}
}
