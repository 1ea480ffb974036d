package contenttypes

import (
	"encoding/json"
	"reflect"
)

// Value change operations.
const (
	ChangeAdded   = "added"
	ChangeRemoved = "removed"
	ChangeChanged = "changed"
	ChangeMoved   = "moved"
)

// ValueChange is one difference between two versions of an entry's values,
// addressed with the diagnostic path syntax. StreamField blocks and list
// items are matched by id, so an edited block is "changed" (with the
// changes inside it listed too), a block that only changed position is
// "moved" (From and To are its indexes), and new or deleted blocks are
// "added" or "removed".
type ValueChange struct {
	Path string `json:"path"`
	Op   string `json:"op"`
	Old  any    `json:"old,omitempty"`
	New  any    `json:"new,omitempty"`
	From *int   `json:"from,omitempty"`
	To   *int   `json:"to,omitempty"`
}

// DiffValues lists the field- and block-level changes from a to b.
func (ct *ContentType) DiffValues(a, b Values) []ValueChange {
	var out []ValueChange
	for i := range ct.Fields {
		f := &ct.Fields[i]
		diffValue(f, FieldPath(f.Name), a[f.Name], b[f.Name], &out, 1)
	}
	return out
}

func diffValue(f *Field, path string, a, b any, out *[]ValueChange, depth int) {
	switch {
	case a == nil && b == nil:
		return
	case a == nil:
		*out = append(*out, ValueChange{Path: path, Op: ChangeAdded, New: b})
		return
	case b == nil:
		*out = append(*out, ValueChange{Path: path, Op: ChangeRemoved, Old: a})
		return
	case equalJSON(a, b):
		return
	}
	if depth > maxDepth {
		*out = append(*out, ValueChange{Path: path, Op: ChangeChanged, Old: a, New: b})
		return
	}
	switch f.Kind {
	case KindStruct:
		ma, okA := asObject(a)
		mb, okB := asObject(b)
		if !okA || !okB {
			break
		}
		*out = append(*out, ValueChange{Path: path, Op: ChangeChanged})
		for i := range f.Children {
			c := &f.Children[i]
			diffValue(c, path+"."+c.Name, ma[c.Name], mb[c.Name], out, depth+1)
		}
		return
	case KindList, KindStream:
		la, okA := asArray(a)
		lb, okB := asArray(b)
		if !okA || !okB {
			break
		}
		*out = append(*out, ValueChange{Path: path, Op: ChangeChanged})
		diffBlocks(f, path, la, lb, out, depth)
		return
	}
	*out = append(*out, ValueChange{Path: path, Op: ChangeChanged, Old: a, New: b})
}

type blockRef struct {
	index int
	typ   string
	value any
	raw   any
}

func indexBlocks(list []any) (map[string]blockRef, []string) {
	m := make(map[string]blockRef, len(list))
	var order []string
	for i, item := range list {
		obj, ok := asObject(item)
		if !ok {
			continue
		}
		id, _ := obj["id"].(string)
		if id == "" {
			continue
		}
		typ, _ := obj["type"].(string)
		m[id] = blockRef{index: i, typ: typ, value: obj["value"], raw: item}
		order = append(order, id)
	}
	return m, order
}

func diffBlocks(f *Field, path string, a, b []any, out *[]ValueChange, depth int) {
	ma, orderA := indexBlocks(a)
	mb, orderB := indexBlocks(b)
	// Relative order of the blocks present in both versions: a block is
	// "moved" when its position among the surviving blocks changed.
	var keptA, keptB []string
	for _, id := range orderA {
		if _, ok := mb[id]; ok {
			keptA = append(keptA, id)
		}
	}
	for _, id := range orderB {
		if _, ok := ma[id]; ok {
			keptB = append(keptB, id)
		}
	}
	posA := make(map[string]int, len(keptA))
	for i, id := range keptA {
		posA[id] = i
	}
	for _, id := range orderA {
		if _, ok := mb[id]; !ok {
			*out = append(*out, ValueChange{Path: path + "[" + id + "]", Op: ChangeRemoved, Old: ma[id].raw})
		}
	}
	for i, id := range keptB {
		ba, bb := ma[id], mb[id]
		bpath := path + "[" + id + "]"
		if posA[id] != i {
			from, to := ba.index, bb.index
			*out = append(*out, ValueChange{Path: bpath, Op: ChangeMoved, From: &from, To: &to})
		}
		if ba.typ != bb.typ {
			*out = append(*out, ValueChange{Path: bpath, Op: ChangeChanged, Old: ba.raw, New: bb.raw})
			continue
		}
		if def := blockDef(f, bb.typ); def != nil {
			diffValue(def, bpath+".value", ba.value, bb.value, out, depth+1)
		}
	}
	for _, id := range orderB {
		if _, ok := ma[id]; !ok {
			*out = append(*out, ValueChange{Path: path + "[" + id + "]", Op: ChangeAdded, New: mb[id].raw})
		}
	}
}

func blockDef(f *Field, typ string) *Field {
	if f.Kind == KindList {
		return f.Item
	}
	for i := range f.Children {
		if f.Children[i].Name == typ {
			return &f.Children[i]
		}
	}
	return nil
}

func equalJSON(a, b any) bool {
	if reflect.DeepEqual(a, b) {
		return true
	}
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && string(ja) == string(jb)
}
