package contenttypes

import (
	"fmt"
	"strings"
)

// Severity says whether a diagnostic blocks the operation.
type Severity string

// Severities.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Diagnostic codes: short, stable snake_case words that clients may match on.
const (
	CodeInvalidJSON       = "invalid_json"
	CodeRequired          = "required"
	CodeTypeMismatch      = "type_mismatch"
	CodeTooLong           = "too_long"
	CodeTooShort          = "too_short"
	CodeOutOfRange        = "out_of_range"
	CodePatternMismatch   = "pattern_mismatch"
	CodeInvalidChoice     = "invalid_choice"
	CodeUnknownField      = "unknown_field"
	CodeInvalidFormat     = "invalid_format"
	CodeTooFewItems       = "too_few_items"
	CodeTooManyItems      = "too_many_items"
	CodeUnknownBlockType  = "unknown_block_type"
	CodeDuplicateBlockID  = "duplicate_block_id"
	CodeDuplicateTag      = "duplicate_tag"
	CodeInvalidReference  = "invalid_reference"
	CodeInvalidDefinition = "invalid_definition"
	CodeInternal          = "internal"
)

// Diagnostic is one problem found in a definition or a value, addressed by
// Path (see the package documentation for the path syntax).
type Diagnostic struct {
	Severity Severity `json:"severity"`
	Path     string   `json:"path,omitempty"`
	Code     string   `json:"code"`
	Summary  string   `json:"summary"`
	Detail   string   `json:"detail,omitempty"`
}

// String formats d as "path: summary (code)".
func (d Diagnostic) String() string {
	var b strings.Builder
	if d.Severity == SeverityWarning {
		b.WriteString("warning: ")
	}
	if d.Path != "" {
		b.WriteString(d.Path)
		b.WriteString(": ")
	}
	b.WriteString(d.Summary)
	if d.Detail != "" {
		b.WriteString(": ")
		b.WriteString(d.Detail)
	}
	b.WriteString(" (")
	b.WriteString(d.Code)
	b.WriteString(")")
	return b.String()
}

// Diagnostics is an ordered collection of diagnostics. It implements error;
// use [Diagnostics.Err] to obtain an error that is nil when there are no
// errors (a nil Diagnostics stored in an error interface is not nil).
type Diagnostics []Diagnostic

// HasError reports whether ds holds at least one error.
func (ds Diagnostics) HasError() bool {
	for _, d := range ds {
		if d.Severity != SeverityWarning {
			return true
		}
	}
	return false
}

// Errors returns the diagnostics of severity error.
func (ds Diagnostics) Errors() Diagnostics { return ds.filter(false) }

// Warnings returns the diagnostics of severity warning.
func (ds Diagnostics) Warnings() Diagnostics { return ds.filter(true) }

func (ds Diagnostics) filter(warning bool) Diagnostics {
	var out Diagnostics
	for _, d := range ds {
		if (d.Severity == SeverityWarning) == warning {
			out = append(out, d)
		}
	}
	return out
}

// At returns the diagnostics whose Path is exactly path.
func (ds Diagnostics) At(path string) Diagnostics {
	var out Diagnostics
	for _, d := range ds {
		if d.Path == path {
			out = append(out, d)
		}
	}
	return out
}

// Err returns ds as an error if it holds an error, and nil otherwise.
func (ds Diagnostics) Err() error {
	if ds.HasError() {
		return ds
	}
	return nil
}

// Error joins the errors (or, when there are none, all diagnostics) into one
// line.
func (ds Diagnostics) Error() string {
	list := ds.Errors()
	if len(list) == 0 {
		list = ds
	}
	if len(list) == 0 {
		return "no diagnostics"
	}
	parts := make([]string, len(list))
	for i, d := range list {
		parts[i] = d.String()
	}
	return strings.Join(parts, "; ")
}

// Append adds diagnostics to ds.
func (ds *Diagnostics) Append(more ...Diagnostic) { *ds = append(*ds, more...) }

// AppendError adds an error.
func (ds *Diagnostics) AppendError(path, code, summary string) {
	ds.Append(Diagnostic{Severity: SeverityError, Path: path, Code: code, Summary: summary})
}

// AppendErrorf adds an error whose summary is formatted with fmt.Sprintf.
func (ds *Diagnostics) AppendErrorf(path, code, format string, args ...any) {
	ds.AppendError(path, code, fmt.Sprintf(format, args...))
}

// AppendWarning adds a warning.
func (ds *Diagnostics) AppendWarning(path, code, summary string) {
	ds.Append(Diagnostic{Severity: SeverityWarning, Path: path, Code: code, Summary: summary})
}
