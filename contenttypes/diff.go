package contenttypes

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
)

// Change operations.
const (
	OpAdded   = "added"
	OpRemoved = "removed"
	OpChanged = "changed"
)

// Change is one difference between two versions of a content type.
// Destructive changes can make existing entry values invalid (or lose
// them); the others are safe for existing entries.
type Change struct {
	// Path uses the definition path syntax: "fields.body.children.quote",
	// "fields.status.choices.draft", or "key", "label", "is_page".
	Path        string `json:"path"`
	Op          string `json:"op"`
	Destructive bool   `json:"destructive"`
	Detail      string `json:"detail"`
}

// Diff compares two versions of a content type, matching fields, struct
// members and block types by name. It reports:
//
//   - safe: a new optional field or member (or a required one with a
//     Default), a new block type or choice, loosened bounds, a removed
//     pattern, widened allowed_types, label, help, description, default,
//     indexed and order changes, a field no longer required;
//   - destructive: a removed field, member, block type or choice, a kind
//     change, a new required field or member without a Default, a field
//     becoming required, tightened bounds, a pattern added or changed,
//     narrowed allowed_types, a taxonomy change, a key or is_page change.
//
// A nil version counts as an empty one.
func Diff(old, new *ContentType) []Change {
	if old == nil {
		old = &ContentType{}
	}
	if new == nil {
		new = &ContentType{}
	}
	d := &differ{}
	if old.Key != new.Key {
		d.add("key", OpChanged, true, "key changed from %s to %s", quote(old.Key), quote(new.Key))
	}
	if old.Label != new.Label {
		d.add("label", OpChanged, false, "label changed from %s to %s", quote(old.Label), quote(new.Label))
	}
	if old.Description != new.Description {
		d.add("description", OpChanged, false, "description changed")
	}
	if old.IsPage != new.IsPage {
		d.add("is_page", OpChanged, true, "is_page changed from %t to %t", old.IsPage, new.IsPage)
	}
	d.fields(old.Fields, new.Fields, "fields", levelTop, 1)
	return d.changes
}

type differ struct{ changes []Change }

func (d *differ) add(path, op string, destructive bool, format string, args ...any) {
	d.changes = append(d.changes, Change{Path: path, Op: op, Destructive: destructive, Detail: fmt.Sprintf(format, args...)})
}

// levelNoun names a field at a level for details.
func levelNoun(lvl level) string {
	switch lvl {
	case levelMember:
		return "member"
	case levelBlock:
		return "block type"
	case levelItem:
		return "item"
	}
	return "field"
}

// fields compares two lists of fields at one level; prefix is their path.
func (d *differ) fields(old, new []Field, prefix string, lvl level, depth int) {
	if depth > maxDepth {
		return
	}
	oldByName := map[string]*Field{}
	for i := range old {
		if _, dup := oldByName[old[i].Name]; !dup {
			oldByName[old[i].Name] = &old[i]
		}
	}
	newByName := map[string]*Field{}
	var oldOrder, newOrder []string
	for i := range new {
		f := &new[i]
		if _, dup := newByName[f.Name]; dup {
			continue
		}
		newByName[f.Name] = f
		path := prefix + "." + f.Name
		o, ok := oldByName[f.Name]
		if !ok {
			destructive := lvl != levelBlock && f.Required && len(f.Default) == 0
			detail := levelNoun(lvl) + " added"
			if destructive {
				detail = "required " + levelNoun(lvl) + " without a default added"
			}
			d.add(path, OpAdded, destructive, "%s", detail)
			continue
		}
		newOrder = append(newOrder, f.Name)
		d.field(o, f, path, lvl, depth)
	}
	for i := range old {
		o := &old[i]
		if oldByName[o.Name] != o {
			continue // a duplicate name in an invalid definition
		}
		if _, ok := newByName[o.Name]; ok {
			oldOrder = append(oldOrder, o.Name)
			continue
		}
		d.add(prefix+"."+o.Name, OpRemoved, true, "%s removed", levelNoun(lvl))
	}
	if !slices.Equal(oldOrder, newOrder) {
		d.add(prefix, OpChanged, false, "order changed")
	}
}

// field compares two versions of the field at path.
func (d *differ) field(o, n *Field, path string, lvl level, depth int) {
	if o.Kind != n.Kind {
		d.add(path, OpChanged, true, "kind changed from %s to %s", o.Kind, n.Kind)
		return
	}
	if o.Label != n.Label {
		d.add(path, OpChanged, false, "label changed from %s to %s", quote(o.Label), quote(n.Label))
	}
	if o.Help != n.Help {
		d.add(path, OpChanged, false, "help changed")
	}
	if o.Required != n.Required {
		if n.Required {
			d.add(path, OpChanged, len(n.Default) == 0 || lvl == levelBlock || lvl == levelItem, "now required")
		} else {
			d.add(path, OpChanged, false, "no longer required")
		}
	}
	if o.Indexed != n.Indexed {
		d.add(path, OpChanged, false, "indexed changed from %t to %t", o.Indexed, n.Indexed)
	}
	d.bound(path, "min_length", intBound(o.MinLength), intBound(n.MinLength), true)
	d.bound(path, "max_length", intBound(o.MaxLength), intBound(n.MaxLength), false)
	d.bound(path, "min", o.Min, n.Min, true)
	d.bound(path, "max", o.Max, n.Max, false)
	d.bound(path, "min_items", intBound(o.MinItems), intBound(n.MinItems), true)
	d.bound(path, "max_items", intBound(o.MaxItems), intBound(n.MaxItems), false)
	switch {
	case o.Pattern == n.Pattern:
	case n.Pattern == "":
		d.add(path, OpChanged, false, "pattern removed")
	case o.Pattern == "":
		d.add(path, OpChanged, true, "pattern %s added", quote(n.Pattern))
	default:
		d.add(path, OpChanged, true, "pattern changed from %s to %s", quote(o.Pattern), quote(n.Pattern))
	}
	d.choices(o, n, path)
	d.allowedTypes(o, n, path)
	if o.Taxonomy != n.Taxonomy {
		d.add(path, OpChanged, true, "taxonomy changed from %s to %s", quote(o.Taxonomy), quote(n.Taxonomy))
	}
	if !bytes.Equal(canonicalOrNil(o.Default), canonicalOrNil(n.Default)) {
		d.add(path, OpChanged, false, "default changed")
	}
	switch o.Kind {
	case KindStruct:
		d.fields(o.Children, n.Children, path+".children", levelMember, depth+1)
	case KindStream:
		d.fields(o.Children, n.Children, path+".children", levelBlock, depth+1)
	case KindList:
		switch {
		case o.Item != nil && n.Item != nil:
			if depth < maxDepth {
				d.field(o.Item, n.Item, path+".item", levelItem, depth+1)
			}
		case o.Item != n.Item:
			d.add(path+".item", OpChanged, true, "item definition changed")
		}
	}
}

func canonicalOrNil(raw []byte) []byte {
	if len(raw) == 0 {
		return nil
	}
	return canonicalJSON(raw)
}

func intBound(p *int) *float64 {
	if p == nil {
		return nil
	}
	f := float64(*p)
	return &f
}

// bound compares a lower (isMin) or upper bound; nil means unbounded.
func (d *differ) bound(path, name string, o, n *float64, isMin bool) {
	if (o == nil) == (n == nil) && (o == nil || *o == *n) {
		return
	}
	show := func(p *float64) string {
		if p == nil {
			return "none"
		}
		return formatFloat(*p)
	}
	var tightened bool
	switch {
	case n == nil:
		tightened = false
	case o == nil:
		tightened = true
	case isMin:
		tightened = *n > *o
	default:
		tightened = *n < *o
	}
	word := "loosened"
	if tightened {
		word = "tightened"
	}
	d.add(path, OpChanged, tightened, "%s %s from %s to %s", name, word, show(o), show(n))
}

// choices compares select choices by value.
func (d *differ) choices(o, n *Field, path string) {
	oldLabels := map[string]string{}
	for _, c := range o.Choices {
		oldLabels[c.Value] = c.Label
	}
	newValues := map[string]bool{}
	for _, c := range n.Choices {
		newValues[c.Value] = true
		cp := path + ".choices." + c.Value
		label, ok := oldLabels[c.Value]
		switch {
		case !ok:
			d.add(cp, OpAdded, false, "choice %s added", quote(c.Value))
		case label != c.Label:
			d.add(cp, OpChanged, false, "label of choice %s changed", quote(c.Value))
		}
	}
	for _, c := range o.Choices {
		if !newValues[c.Value] {
			d.add(path+".choices."+c.Value, OpRemoved, true, "choice %s removed", quote(c.Value))
			newValues[c.Value] = true // report once
		}
	}
}

// allowedTypes compares reference targets; an empty list allows any type.
func (d *differ) allowedTypes(o, n *Field, path string) {
	if slices.Equal(o.AllowedTypes, n.AllowedTypes) {
		return
	}
	switch {
	case len(n.AllowedTypes) == 0:
		d.add(path, OpChanged, false, "allowed_types widened to any type")
		return
	case len(o.AllowedTypes) == 0:
		d.add(path, OpChanged, true, "allowed_types narrowed from any type to %s", strings.Join(n.AllowedTypes, ", "))
		return
	}
	var removed, added []string
	for _, t := range o.AllowedTypes {
		if !slices.Contains(n.AllowedTypes, t) {
			removed = append(removed, t)
		}
	}
	for _, t := range n.AllowedTypes {
		if !slices.Contains(o.AllowedTypes, t) {
			added = append(added, t)
		}
	}
	switch {
	case len(removed) > 0:
		d.add(path, OpChanged, true, "allowed_types narrowed: %s no longer allowed", strings.Join(removed, ", "))
	case len(added) > 0:
		d.add(path, OpChanged, false, "allowed_types widened: %s now allowed", strings.Join(added, ", "))
	default:
		d.add(path, OpChanged, false, "allowed_types reordered")
	}
}
