package contenttypes

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// Hash returns the SHA-256 (hex) of a canonical JSON encoding of the
// definition. It is stable across map orders and re-encodings: Default
// values are re-encoded with sorted keys and no insignificant whitespace,
// and nil and empty lists encode alike.
func (ct *ContentType) Hash() string {
	if ct == nil {
		return ""
	}
	c := *ct
	c.Fields = canonicalFields(ct.Fields, 1)
	data, err := json.Marshal(c)
	if err != nil {
		// Not reachable: canonicalFields leaves only encodable values.
		data = []byte(err.Error())
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// canonicalFields copies fields with canonical Defaults.
func canonicalFields(fields []Field, depth int) []Field {
	if len(fields) == 0 {
		return nil
	}
	out := make([]Field, len(fields))
	for i, f := range fields {
		if len(f.Default) > 0 {
			f.Default = canonicalJSON(f.Default)
		}
		if depth > maxDepth {
			f.Children, f.Item = nil, nil
		}
		f.Children = canonicalFields(f.Children, depth+1)
		if f.Item != nil {
			item := canonicalFields([]Field{*f.Item}, depth+1)[0]
			f.Item = &item
		}
		out[i] = f
	}
	return out
}

// canonicalJSON re-encodes raw with sorted object keys; invalid JSON is
// encoded as a JSON string holding the raw bytes.
func canonicalJSON(raw json.RawMessage) json.RawMessage {
	v, err := decodeJSON(raw)
	if err == nil {
		if data, err := json.Marshal(v); err == nil {
			return data
		}
	}
	data, _ := json.Marshal("invalid:" + string(raw))
	return data
}
