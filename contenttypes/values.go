package contenttypes

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"regexp"
	"strconv"
	"unicode/utf8"
)

// Values are the prepared field values of one entry, keyed by field name.
// See the package documentation for the shape of each kind.
type Values map[string]any

// DecodeValues decodes stored values (the JSON encoding of prepared
// [Values]) with numbers kept as json.Number, so that the result is
// identical to what [ContentType.Prepare] returned. An empty input or null
// gives empty Values.
func DecodeValues(data []byte) (Values, error) {
	v, err := decodeJSON(data)
	if err != nil {
		return nil, err
	}
	switch m := v.(type) {
	case nil:
		return Values{}, nil
	case map[string]any:
		return Values(m), nil
	}
	return nil, errors.New("expected a JSON object, got " + jsonType(v))
}

// decodeJSON decodes exactly one JSON value with UseNumber. Empty input
// decodes to nil.
func decodeJSON(data []byte) (any, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the JSON value")
	}
	return v, nil
}

// blockIDPattern restricts block ids to characters that are safe inside a
// path segment ("fields.body[<id>]"); UUIDs qualify.
var blockIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ValidBlockID reports whether s is usable as a list item or stream block
// id: 1 to 64 ASCII letters, digits, '-' or '_'.
func ValidBlockID(s string) bool { return blockIDPattern.MatchString(s) }

// FieldPath returns the path of the top-level field name ("fields.name").
func FieldPath(name string) string { return "fields." + name }

// blockSegment addresses the block at index i: by its id when usable.
func blockSegment(id any, i int) string {
	if s, ok := id.(string); ok && ValidBlockID(s) {
		return "[" + s + "]"
	}
	return "[" + strconv.Itoa(i) + "]"
}

// isEmpty reports whether v means "no value": null, "" or [].
func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case []string:
		return len(x) == 0
	}
	return false
}

// jsonType names the JSON type of a decoded value.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case json.Number, float64, float32, int, int64, int32, uint, uint64, uint32:
		return "number"
	case map[string]any, Values:
		return "object"
	case []any, []string:
		return "array"
	}
	return "unsupported value"
}

// quote quotes s for a summary, shortened to at most 40 runes.
func quote(s string) string {
	const max = 40
	if utf8.RuneCountInString(s) > max {
		r := []rune(s)
		return strconv.Quote(string(r[:max])) + "…"
	}
	return strconv.Quote(s)
}

// deepCopy copies maps and slices of decoded JSON; scalars are shared.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deepCopy(e)
		}
		return out
	case Values:
		return Values(deepCopy(map[string]any(x)).(map[string]any))
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	case []string:
		return append([]string(nil), x...)
	}
	return v
}

// asObject returns v as a map when it is a JSON object.
func asObject(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case map[string]any:
		return m, true
	case Values:
		return m, true
	}
	return nil, false
}

// asArray returns v as a slice when it is a JSON array.
func asArray(v any) ([]any, bool) {
	switch a := v.(type) {
	case []any:
		return a, true
	case []string:
		out := make([]any, len(a))
		for i, s := range a {
			out[i] = s
		}
		return out, true
	}
	return nil, false
}

// childNamed returns the child of f named name.
func (f *Field) childNamed(name string) *Field {
	for i := range f.Children {
		if f.Children[i].Name == name {
			return &f.Children[i]
		}
	}
	return nil
}

// blockField returns the definition of a list item or stream block value.
func (f *Field) blockField(block map[string]any) *Field {
	if f.Kind == KindList {
		return f.Item
	}
	if t, ok := block["type"].(string); ok {
		return f.childNamed(t)
	}
	return nil
}
