package contenttypes

import "slices"

// Walk calls fn for every present (non-null) value of v, depth first in
// definition order: a struct, list or stream before its contents. path uses
// the diagnostic path syntax; list items and stream blocks are visited as
// their ".value", with f the item or block definition. Values that do not
// match the definition are visited but not descended into; values with no
// definition are skipped.
func (ct *ContentType) Walk(v Values, fn func(path string, f *Field, value any)) {
	if ct == nil || fn == nil {
		return
	}
	for i := range ct.Fields {
		f := &ct.Fields[i]
		if val, ok := v[f.Name]; ok && val != nil {
			walkValue(f, FieldPath(f.Name), val, fn, 1)
		}
	}
}

func walkValue(f *Field, path string, v any, fn func(string, *Field, any), depth int) {
	fn(path, f, v)
	if depth > maxDepth {
		return
	}
	switch f.Kind {
	case KindStruct:
		m, ok := asObject(v)
		if !ok {
			return
		}
		for i := range f.Children {
			c := &f.Children[i]
			if e, ok := m[c.Name]; ok && e != nil {
				walkValue(c, path+"."+c.Name, e, fn, depth+1)
			}
		}
	case KindList, KindStream:
		arr, ok := asArray(v)
		if !ok {
			return
		}
		for i, item := range arr {
			b, ok := asObject(item)
			if !ok {
				continue
			}
			child := f.blockField(b)
			if e, ok := b["value"]; ok && e != nil && child != nil {
				walkValue(child, path+blockSegment(b["id"], i)+".value", e, fn, depth+1)
			}
		}
	}
}

// Ref is a reference value found in entry values.
type Ref struct {
	// Path addresses the value, for a diagnostic (code invalid_reference).
	Path string
	// ID is the referenced entry id.
	ID string
	// AllowedTypes are the content type keys the entry may have (empty:
	// any).
	AllowedTypes []string
}

// References returns every reference value in v, at any depth, in Walk
// order, so that the engine can check that each entry exists and has an
// allowed type.
func (ct *ContentType) References(v Values) []Ref {
	var refs []Ref
	ct.Walk(v, func(path string, f *Field, value any) {
		if id, ok := value.(string); ok && f.Kind == KindReference && id != "" {
			refs = append(refs, Ref{Path: path, ID: id, AllowedTypes: slices.Clone(f.AllowedTypes)})
		}
	})
	return refs
}
