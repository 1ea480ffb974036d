package contenttypes

import (
	"encoding/json"
	"fmt"
	"strings"
)

// IndexTimeLayout is the fixed-width, lexically sortable UTC form of
// datetime values in the delivery index.
const IndexTimeLayout = "2006-01-02T15:04:05.000000Z"

// IndexEntry is one value of an indexed field as stored in the delivery
// index: exactly one of Text and Num is set.
type IndexEntry struct {
	Field string
	Text  *string
	Num   *float64
	// Taxonomy marks the values of a tags field (one entry per tag).
	Taxonomy bool
}

// IndexEntries projects the present top-level Indexed fields of v:
// text, select, reference and date give Text; datetime gives Text in
// [IndexTimeLayout]; integer and decimal give Num; boolean gives Num 0 or 1;
// tags give one Text entry per tag. Values that do not match their kind are
// skipped.
func (ct *ContentType) IndexEntries(v Values) []IndexEntry {
	if ct == nil {
		return nil
	}
	var out []IndexEntry
	for i := range ct.Fields {
		f := &ct.Fields[i]
		if !f.Indexed || !f.Kind.Indexable() {
			continue
		}
		val, ok := v[f.Name]
		if !ok || val == nil {
			continue
		}
		if f.Kind == KindTags {
			arr, _ := asArray(val)
			for _, t := range arr {
				if s, ok := t.(string); ok && s != "" {
					e := textEntry(f.Name, s)
					e.Taxonomy = true
					out = append(out, e)
				}
			}
			continue
		}
		if e, ok := f.indexEntry(val); ok {
			out = append(out, e)
		}
	}
	return out
}

// indexEntry projects one stored value of f.
func (f *Field) indexEntry(v any) (IndexEntry, bool) {
	switch f.Kind {
	case KindText, KindSelect, KindReference, KindDate:
		if s, ok := v.(string); ok && s != "" {
			return textEntry(f.Name, s), true
		}
	case KindDateTime:
		if s, ok := v.(string); ok {
			if t, err := parseDateTime(s); err == nil {
				return textEntry(f.Name, t.Format(IndexTimeLayout)), true
			}
		}
	case KindInteger, KindDecimal:
		if x, ok := toFloat(v); ok {
			return numEntry(f.Name, x), true
		}
	case KindBoolean:
		if b, ok := v.(bool); ok {
			return numEntry(f.Name, boolNum(b)), true
		}
	}
	return IndexEntry{}, false
}

// IndexValue parses a delivery filter value s into the index
// representation of f, so that it can be compared with [IndexEntry] values.
// Accepted forms: integer "42"; decimal "4.2"; boolean "true"/"false" (or
// "1"/"0"); date "YYYY-MM-DD"; datetime RFC 3339 or "YYYY-MM-DD" (midnight
// UTC); select one of the choices; text, reference and tags any string
// (tags trimmed).
func (f *Field) IndexValue(s string) (IndexEntry, error) {
	if f == nil {
		return IndexEntry{}, fmt.Errorf("no field")
	}
	switch f.Kind {
	case KindText, KindReference:
		return textEntry(f.Name, s), nil
	case KindTags:
		return textEntry(f.Name, strings.TrimSpace(s)), nil
	case KindSelect:
		for _, c := range f.Choices {
			if c.Value == s {
				return textEntry(f.Name, s), nil
			}
		}
		return IndexEntry{}, fmt.Errorf("field %s: expected one of %s, got %s", f.Name, choiceList(f.Choices), quote(s))
	case KindDate:
		if _, err := parseDate(s); err != nil {
			return IndexEntry{}, fmt.Errorf("field %s: expected a date as YYYY-MM-DD, got %s", f.Name, quote(s))
		}
		return textEntry(f.Name, s), nil
	case KindDateTime:
		t, err := parseDateTime(s)
		if err != nil {
			if d, derr := parseDate(s); derr == nil {
				t, err = d, nil
			}
		}
		if err != nil {
			return IndexEntry{}, fmt.Errorf("field %s: expected a date-time in RFC 3339 form such as 2006-01-02T15:04:05Z, or a date as YYYY-MM-DD, got %s", f.Name, quote(s))
		}
		return textEntry(f.Name, t.UTC().Format(IndexTimeLayout)), nil
	case KindInteger:
		n, res := parseInteger(strings.TrimSpace(s))
		if res != integerOK || !json.Valid([]byte(strings.TrimSpace(s))) {
			return IndexEntry{}, fmt.Errorf("field %s: expected an integer such as 42, got %s", f.Name, quote(s))
		}
		return numEntry(f.Name, float64(n)), nil
	case KindDecimal:
		t := strings.TrimSpace(s)
		x, ok := toFloat(json.Number(t))
		if !ok || !json.Valid([]byte(t)) {
			return IndexEntry{}, fmt.Errorf("field %s: expected a number such as 4.2, got %s", f.Name, quote(s))
		}
		return numEntry(f.Name, x), nil
	case KindBoolean:
		switch s {
		case "true", "1":
			return numEntry(f.Name, 1), nil
		case "false", "0":
			return numEntry(f.Name, 0), nil
		}
		return IndexEntry{}, fmt.Errorf("field %s: expected true or false, got %s", f.Name, quote(s))
	}
	return IndexEntry{}, fmt.Errorf("field %s: fields of kind %s cannot be filtered", f.Name, f.Kind)
}

func textEntry(field, s string) IndexEntry { return IndexEntry{Field: field, Text: &s} }

func numEntry(field string, x float64) IndexEntry { return IndexEntry{Field: field, Num: &x} }

func boolNum(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
