package sdk

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"

	"github.com/inklingcms/inkling/contenttypes"
)

// Block is a StreamField block or a list item in stored form:
// {"type": NAME, "id": ID, "value": V} (list items have type "item").
// Decode a stream or list field into []Block, then each Value into the
// block's own Go type.
type Block struct {
	Type  string          `json:"type"`
	ID    string          `json:"id,omitempty"`
	Value json.RawMessage `json:"value,omitempty"`
}

// Decode decodes the block's value into v.
func (b Block) Decode(v any) error { return decodeRaw(b.Value, v) }

// BlockPath returns the diagnostic path of the block at index i of the
// stream or list at parent ("fields.body"): "fields.body[<id>]" when id is
// a usable block id, and "fields.body[<i>]" otherwise, the way
// contenttypes addresses blocks. Append ".value" and member names to
// address inside the block.
func BlockPath(parent string, i int, id string) string {
	if contenttypes.ValidBlockID(id) {
		return parent + "[" + id + "]"
	}
	return parent + "[" + strconv.Itoa(i) + "]"
}

// decodeValues decodes values into v through their JSON encoding.
func decodeValues(values contenttypes.Values, v any) error {
	if values == nil {
		values = contenttypes.Values{}
	}
	raw, err := json.Marshal(values)
	if err != nil {
		return fmt.Errorf("sdk: encoding field values: %w", err)
	}
	return decodeRaw(raw, v)
}

// decodeRaw decodes raw JSON into v; empty input decodes as null.
func decodeRaw(raw json.RawMessage, v any) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = json.RawMessage("null")
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("sdk: decoding JSON: %w", err)
	}
	return nil
}

// encodeJSON encodes v as JSON; a json.RawMessage is used as it is (after a
// validity check) and nil gives null.
func encodeJSON(v any) ([]byte, error) {
	if raw, ok := v.(json.RawMessage); ok {
		if len(bytes.TrimSpace(raw)) == 0 {
			return []byte("null"), nil
		}
		if !json.Valid(raw) {
			return nil, fmt.Errorf("sdk: json.RawMessage is not valid JSON")
		}
		return raw, nil
	}
	return json.Marshal(v)
}

// isNil reports whether v is nil or a nil map, slice or pointer.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Map, reflect.Slice, reflect.Pointer, reflect.Interface:
		return rv.IsNil()
	}
	return false
}
