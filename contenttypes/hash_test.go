package contenttypes

import (
	"encoding/json"
	"testing"
)

func TestHash(t *testing.T) {
	a := articleType()
	a.Fields[3].Default = json.RawMessage(`{"b": 1, "a": [1, 2]}`)
	h := a.Hash()
	if len(h) != 64 {
		t.Fatalf("hash %q is not sha256 hex", h)
	}
	if a.Hash() != h {
		t.Error("hash not deterministic")
	}

	b := articleType()
	b.Fields[3].Default = json.RawMessage("{\n  \"a\": [1,2],\n  \"b\": 1\n}")
	b.Fields[0].Choices = []Choice{} // empty and nil encode alike
	if b.Hash() != h {
		t.Error("hash depends on default key order or whitespace")
	}

	var c ContentType
	if err := json.Unmarshal([]byte(mustJSON(t, a)), &c); err != nil {
		t.Fatal(err)
	}
	if c.Hash() != h {
		t.Error("hash changes across a JSON round trip")
	}

	d := articleType()
	d.Fields[3].Default = json.RawMessage(`{"b": 1, "a": [1, 2]}`)
	d.Fields[16].Children[1].Children[0].Label = "Caption"
	if d.Hash() == h {
		t.Error("hash ignores a nested label")
	}
	bad := articleType()
	bad.Fields[0].Default = json.RawMessage(`{`)
	if bad.Hash() == "" || bad.Hash() == articleType().Hash() {
		t.Error("invalid default not hashed")
	}
	var nilType *ContentType
	if nilType.Hash() != "" {
		t.Error("nil hash")
	}
}
