package contenttypes

import (
	"encoding/json"
	"regexp"
	"sort"

	"github.com/google/uuid"
)

// PrepareOptions tunes [ContentType.Prepare]. A nil *PrepareOptions means
// the zero value with the defaults described on each field.
type PrepareOptions struct {
	// NewID returns a fresh id for a list item or stream block that has
	// none. It must return ids accepted by [ValidBlockID]; nil means a
	// random UUID (version 4).
	NewID func() string
	// ApplyDefaults fills fields and struct members that are absent (or
	// empty) with their Default; the engine sets it when creating an entry.
	ApplyDefaults bool
}

// maxDepth bounds the nesting of definitions (and therefore of values).
const maxDepth = 32

// Prepare checks raw, the JSON object of an entry's field values, against
// ct and returns the normalised values. It collects every problem rather
// than stopping at the first; when the diagnostics hold an error the values
// are nil. Warnings (such as a removed duplicate tag) do not fail the call.
//
// Prepare is idempotent: preparing the JSON encoding of its result gives
// the same values, with the same block ids, and calls NewID no more.
// An empty raw or a JSON null is treated as an empty object.
func (ct *ContentType) Prepare(raw json.RawMessage, opts *PrepareOptions) (Values, Diagnostics) {
	p := newPreparer(opts)
	if ct == nil {
		p.diags.AppendError("", CodeInvalidDefinition, "content type is nil")
		return nil, p.diags
	}
	doc, err := decodeJSON(raw)
	if err != nil {
		p.diags.Append(Diagnostic{Severity: SeverityError, Code: CodeInvalidJSON,
			Summary: "body is not valid JSON", Detail: err.Error()})
		return nil, p.diags
	}
	if doc == nil {
		doc = map[string]any{}
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		p.diags.AppendErrorf("", CodeTypeMismatch, "expected a JSON object of field values, got %s", jsonType(doc))
		return nil, p.diags
	}
	out := p.members(ct.Fields, obj, "fields.", true, 0)
	if p.diags.HasError() {
		return nil, p.diags
	}
	return Values(out), p.diags
}

// preparer carries the state of one Prepare call (or one Default check).
type preparer struct {
	newID         func() string
	applyDefaults bool
	diags         Diagnostics
	patterns      map[string]*regexp.Regexp
	// Block ids are unique within one top-level field: used holds the ids
	// seen so far and pending the blocks still waiting for a fresh id.
	used    map[string]bool
	pending []map[string]any
}

func newPreparer(opts *PrepareOptions) *preparer {
	p := &preparer{newID: uuid.NewString, patterns: map[string]*regexp.Regexp{}}
	if opts != nil {
		if opts.NewID != nil {
			p.newID = opts.NewID
		}
		p.applyDefaults = opts.ApplyDefaults
	}
	p.beginScope()
	return p
}

func (p *preparer) errorf(path, code, format string, args ...any) {
	p.diags.AppendErrorf(path, code, format, args...)
}

func (p *preparer) mismatch(path, expected string, got any) {
	p.errorf(path, CodeTypeMismatch, "expected %s, got %s", expected, jsonType(got))
}

// beginScope starts a new block id scope (one per top-level field).
func (p *preparer) beginScope() {
	p.used = map[string]bool{}
	p.pending = nil
}

// endScope gives every pending block a fresh id that is unique in scope.
func (p *preparer) endScope(path string) {
	for _, b := range p.pending {
		id := ""
		for range 100 {
			c := p.newID()
			if ValidBlockID(c) && !p.used[c] {
				id = c
				break
			}
		}
		if id == "" {
			p.errorf(path, CodeInternal, "could not generate a unique block id")
			break
		}
		p.used[id] = true
		b["id"] = id
	}
	p.pending = nil
}

// members prepares the object obj whose members are fields: the top-level
// field values (top) or a struct value. prefix ends with ".".
func (p *preparer) members(fields []Field, obj map[string]any, prefix string, top bool, depth int) map[string]any {
	known := make(map[string]bool, len(fields))
	for _, f := range fields {
		known[f.Name] = true
	}
	unknown := make([]string, 0)
	for k := range obj {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		what := "member"
		if top {
			what = "field"
		}
		p.errorf(prefix+k, CodeUnknownField, "unknown %s %s", what, quote(k))
	}

	out := make(map[string]any, len(fields))
	for i := range fields {
		f := &fields[i]
		path := prefix + f.Name
		if top {
			p.beginScope()
		}
		v := obj[f.Name]
		if isEmpty(v) && p.applyDefaults && len(f.Default) > 0 {
			d, err := decodeJSON(f.Default)
			if err != nil {
				p.errorf(path, CodeInvalidDefinition, "the default of %s is not valid JSON", quote(f.Name))
			}
			v = d
		}
		if isEmpty(v) {
			if f.Required {
				p.errorf(path, CodeRequired, "%s is required", quote(f.Name))
			}
		} else if nv, ok := p.value(f, path, v, depth+1); ok {
			out[f.Name] = nv
		}
		if top {
			p.endScope(path)
		}
	}
	return out
}

// value prepares the non-empty value v of field f at path. It reports
// false when v is unusable (a diagnostic has been added).
func (p *preparer) value(f *Field, path string, v any, depth int) (any, bool) {
	if depth > maxDepth {
		p.errorf(path, CodeInvalidDefinition, "definition is nested deeper than %d levels", maxDepth)
		return nil, false
	}
	switch f.Kind {
	case KindText, KindLongText, KindRichText:
		return p.text(f, path, v)
	case KindInteger:
		return p.integer(f, path, v)
	case KindDecimal:
		return p.decimal(f, path, v)
	case KindBoolean:
		if _, ok := v.(bool); !ok {
			p.mismatch(path, "a boolean", v)
			return nil, false
		}
		return v, true
	case KindDate:
		return p.date(path, v)
	case KindDateTime:
		return p.dateTime(path, v)
	case KindSelect:
		return p.choice(f, path, v)
	case KindTags:
		return p.tags(f, path, v)
	case KindReference:
		return p.identifier(path, v, "a referenced entry id")
	case KindMedia:
		return p.identifier(path, v, "a media key")
	case KindJSON:
		return v, true
	case KindStruct:
		obj, ok := v.(map[string]any)
		if !ok {
			p.mismatch(path, "an object", v)
			return nil, false
		}
		return p.members(f.Children, obj, path+".", false, depth), true
	case KindList, KindStream:
		return p.blocks(f, path, v, depth)
	}
	p.errorf(path, CodeInvalidDefinition, "field %s has unknown kind %s", quote(f.Name), quote(string(f.Kind)))
	return nil, false
}

// pattern returns the compiled Pattern of f, reporting a bad one.
func (p *preparer) pattern(f *Field, path string) *regexp.Regexp {
	if re, ok := p.patterns[f.Pattern]; ok {
		return re
	}
	re, err := regexp.Compile(f.Pattern)
	if err != nil {
		p.errorf(path, CodeInvalidDefinition, "pattern %s does not compile: %v", quote(f.Pattern), err)
	}
	p.patterns[f.Pattern] = re
	return re
}
