package contenttypes

import (
	"sort"
	"strconv"
	"strings"
)

// blockKeys are the members of a list item or stream block object.
var blockKeys = map[string]bool{"type": true, "id": true, "value": true}

// listItemType is the "type" of every list item.
const listItemType = "item"

// blocks prepares the items of a list or the blocks of a stream.
func (p *preparer) blocks(f *Field, path string, v any, depth int) (any, bool) {
	arr, ok := v.([]any)
	if !ok {
		p.mismatch(path, "an array of blocks", v)
		return nil, false
	}
	if f.Kind == KindList && f.Item == nil {
		p.errorf(path, CodeInvalidDefinition, "list field %s has no item definition", quote(f.Name))
		return nil, false
	}
	out := make([]any, 0, len(arr))
	for i, item := range arr {
		if b := p.block(f, path, i, item, depth); b != nil {
			out = append(out, b)
		}
	}
	what := "blocks"
	if f.Kind == KindList {
		what = "items"
	}
	p.counts(f, path, len(arr), what)
	return out, true
}

// isListItem reports whether v is a list item in its stored form rather
// than a bare item value: an object with "type":"item" and no members other
// than type, id and value.
func isListItem(v any) (map[string]any, bool) {
	m, ok := v.(map[string]any)
	if !ok || m["type"] != listItemType {
		return nil, false
	}
	for k := range m {
		if !blockKeys[k] {
			return nil, false
		}
	}
	return m, true
}

// block prepares the i-th item of the list or stream f. It returns the
// block in stored form, or nil when it is unusable.
func (p *preparer) block(f *Field, path string, i int, item any, depth int) map[string]any {
	at := path + "[" + strconv.Itoa(i) + "]"
	var obj map[string]any
	if f.Kind == KindList {
		m, ok := isListItem(item)
		if !ok {
			m = map[string]any{"type": listItemType, "value": item}
		}
		obj = m
	} else {
		m, ok := item.(map[string]any)
		if !ok {
			p.mismatch(at, `a block object {"type", "id", "value"}`, item)
			return nil
		}
		obj = m
	}

	out := map[string]any{}
	at = p.blockID(obj["id"], at, out)

	child := f.Item
	if f.Kind == KindStream {
		child = p.blockType(f, at, obj["type"])
		if child != nil {
			out["type"] = child.Name
		}
	} else {
		out["type"] = listItemType
	}

	extra := make([]string, 0)
	for k := range obj {
		if !blockKeys[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	for _, k := range extra {
		p.errorf(at+"."+k, CodeUnknownField, "unknown block member %s; expected type, id and value", quote(k))
	}

	if child == nil {
		return out
	}
	v := obj["value"]
	if isEmpty(v) {
		if child.Required {
			p.errorf(at+".value", CodeRequired, "block value is required")
		}
		return out
	}
	if nv, ok := p.value(child, at+".value", v, depth+1); ok {
		out["value"] = nv
	}
	return out
}

// blockID checks the id of a block whose index path is at, records it in
// out (or queues out for a fresh id) and returns the path that addresses
// the block: by id when the id is usable, else by index.
func (p *preparer) blockID(raw any, at string, out map[string]any) string {
	if raw == nil || raw == "" {
		p.pending = append(p.pending, out)
		return at
	}
	id, ok := raw.(string)
	if !ok {
		p.mismatch(at+".id", "a block id string", raw)
		return at
	}
	if !ValidBlockID(id) {
		p.errorf(at+".id", CodeInvalidFormat, "expected a block id of 1 to 64 letters, digits, '-' or '_', got %s", quote(id))
		return at
	}
	if p.used[id] {
		p.errorf(at+".id", CodeDuplicateBlockID, "block id %s is already used in this field", quote(id))
		return at
	}
	p.used[id] = true
	out["id"] = id
	return at[:strings.LastIndexByte(at, '[')] + "[" + id + "]"
}

// blockType resolves the type of a stream block.
func (p *preparer) blockType(f *Field, at string, raw any) *Field {
	if raw == nil || raw == "" {
		p.errorf(at+".type", CodeRequired, "block type is required")
		return nil
	}
	name, ok := raw.(string)
	if !ok {
		p.mismatch(at+".type", "a block type name (string)", raw)
		return nil
	}
	child := f.childNamed(name)
	if child == nil {
		names := make([]string, len(f.Children))
		for i, c := range f.Children {
			names[i] = quote(c.Name)
		}
		p.errorf(at+".type", CodeUnknownBlockType, "unknown block type %s; expected one of %s", quote(name), strings.Join(names, ", "))
	}
	return child
}
