package contenttypes

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// level says where a field sits in a definition.
type level int

const (
	levelTop    level = iota // a top-level field
	levelMember              // a struct member
	levelBlock               // a stream block type
	levelItem                // the item of a list
)

// Validate checks the definition itself: key, label, field names, kinds and
// options, recursively through blocks. All problems are reported with code
// invalid_definition.
func (ct *ContentType) Validate() Diagnostics {
	v := &validator{}
	if ct == nil {
		v.errorf("", "content type is nil")
		return v.diags
	}
	if !ValidKey(ct.Key) {
		v.errorf("key", "key %s is invalid; expected lowercase letters, digits and underscores, starting with a letter (at most 63 characters)", quote(ct.Key))
	}
	if strings.TrimSpace(ct.Label) == "" {
		v.errorf("label", "label is required")
	}
	v.fields(ct.Fields, "fields", levelTop, 1)
	return v.diags
}

type validator struct{ diags Diagnostics }

func (v *validator) errorf(path, format string, args ...any) {
	v.diags.AppendErrorf(path, CodeInvalidDefinition, format, args...)
}

// fields checks the fields of one level; prefix is the path of the list.
func (v *validator) fields(fields []Field, prefix string, lvl level, depth int) {
	seen := map[string]bool{}
	for i := range fields {
		f := &fields[i]
		path := prefix + "." + f.Name
		switch {
		case !ValidKey(f.Name):
			path = prefix + "[" + strconv.Itoa(i) + "]"
			v.errorf(path, "name %s is invalid; expected lowercase letters, digits and underscores, starting with a letter", quote(f.Name))
		case seen[f.Name]:
			v.errorf(path, "name %s is used twice", quote(f.Name))
		case lvl == levelTop && slices.Contains(ReservedFieldNames, f.Name):
			v.errorf(path, "name %s is reserved for an entry attribute", quote(f.Name))
		}
		seen[f.Name] = true
		v.field(f, path, lvl, depth)
	}
}

// stringKinds take MinLength, MaxLength and Pattern.
var stringKinds = []Kind{KindText, KindLongText, KindRichText}

// field checks one field at path.
func (v *validator) field(f *Field, path string, lvl level, depth int) {
	if depth > maxDepth {
		v.errorf(path, "definition is nested deeper than %d levels", maxDepth)
		return
	}
	if lvl == levelItem && f.Name != "" && !ValidKey(f.Name) {
		v.errorf(path+".name", "name %s is invalid; expected lowercase letters, digits and underscores, starting with a letter", quote(f.Name))
	}
	if !f.Kind.Valid() {
		v.errorf(path+".kind", "kind %s is unknown", quote(string(f.Kind)))
		return
	}
	k := f.Kind
	only := func(opt string, set bool, kinds ...Kind) bool {
		if set && !slices.Contains(kinds, k) {
			v.errorf(path+"."+opt, "%s applies only to %s fields, not %s", opt, kindList(kinds), k)
			return false
		}
		return set
	}

	// Strings.
	if only("min_length", f.MinLength != nil, stringKinds...) && *f.MinLength < 0 {
		v.errorf(path+".min_length", "min_length must not be negative")
	}
	if only("max_length", f.MaxLength != nil, stringKinds...) && *f.MaxLength < 0 {
		v.errorf(path+".max_length", "max_length must not be negative")
	}
	if f.MinLength != nil && f.MaxLength != nil && *f.MinLength > *f.MaxLength {
		v.errorf(path+".min_length", "min_length %d is greater than max_length %d", *f.MinLength, *f.MaxLength)
	}
	if only("pattern", f.Pattern != "", stringKinds...) {
		if _, err := regexp.Compile(f.Pattern); err != nil {
			v.errorf(path+".pattern", "pattern does not compile: %v", err)
		}
	}

	// Numbers.
	for _, b := range []struct {
		name string
		val  *float64
	}{{"min", f.Min}, {"max", f.Max}} {
		if only(b.name, b.val != nil, KindInteger, KindDecimal) && (math.IsNaN(*b.val) || math.IsInf(*b.val, 0)) {
			v.errorf(path+"."+b.name, "%s must be a finite number", b.name)
		}
	}
	if f.Min != nil && f.Max != nil && *f.Min > *f.Max {
		v.errorf(path+".min", "min %s is greater than max %s", formatFloat(*f.Min), formatFloat(*f.Max))
	}

	// Select.
	if k == KindSelect && len(f.Choices) == 0 {
		v.errorf(path+".choices", "a select field needs at least one choice")
	}
	if only("choices", len(f.Choices) > 0, KindSelect) {
		seen := map[string]bool{}
		for i, c := range f.Choices {
			cp := path + ".choices[" + strconv.Itoa(i) + "]"
			switch {
			case c.Value == "":
				v.errorf(cp, "choice value must not be empty")
			case seen[c.Value]:
				v.errorf(cp, "choice value %s is used twice", quote(c.Value))
			}
			seen[c.Value] = true
		}
	}

	// Tags.
	if only("taxonomy", f.Taxonomy != "", KindTags) && !ValidKey(f.Taxonomy) {
		v.errorf(path+".taxonomy", "taxonomy %s is invalid; expected lowercase letters, digits and underscores, starting with a letter", quote(f.Taxonomy))
	}

	// References.
	if only("allowed_types", len(f.AllowedTypes) > 0, KindReference) {
		seen := map[string]bool{}
		for i, t := range f.AllowedTypes {
			tp := path + ".allowed_types[" + strconv.Itoa(i) + "]"
			switch {
			case !ValidKey(t):
				v.errorf(tp, "allowed type %s is not a valid content type key", quote(t))
			case seen[t]:
				v.errorf(tp, "allowed type %s is listed twice", quote(t))
			}
			seen[t] = true
		}
	}

	// Counts.
	if only("min_items", f.MinItems != nil, KindTags, KindList, KindStream) && *f.MinItems < 0 {
		v.errorf(path+".min_items", "min_items must not be negative")
	}
	if only("max_items", f.MaxItems != nil, KindTags, KindList, KindStream) && *f.MaxItems < 0 {
		v.errorf(path+".max_items", "max_items must not be negative")
	}
	if f.MinItems != nil && f.MaxItems != nil && *f.MinItems > *f.MaxItems {
		v.errorf(path+".min_items", "min_items %d is greater than max_items %d", *f.MinItems, *f.MaxItems)
	}

	// Composites.
	if (k == KindStruct || k == KindStream) && len(f.Children) == 0 {
		v.errorf(path+".children", "a %s field needs at least one child", k)
	}
	if only("children", len(f.Children) > 0, KindStruct, KindStream) {
		childLevel := levelMember
		if k == KindStream {
			childLevel = levelBlock
		}
		v.fields(f.Children, path+".children", childLevel, depth+1)
	}
	if k == KindList && f.Item == nil {
		v.errorf(path+".item", "a list field needs an item definition")
	}
	if only("item", f.Item != nil, KindList) {
		v.field(f.Item, path+".item", levelItem, depth+1)
	}

	// Index.
	if f.Private && (lvl != levelTop || f.Indexed) {
		v.errorf(path+".private", "only top-level, unindexed fields can be private")
	}
	if f.Indexed {
		switch {
		case lvl != levelTop:
			v.errorf(path+".indexed", "only top-level fields can be indexed")
		case !k.Indexable():
			v.errorf(path+".indexed", "fields of kind %s cannot be indexed", k)
		}
	}

	if len(f.Default) > 0 {
		v.defaultValue(f, path, lvl)
	}
}

// defaultValue checks that the Default of f is a valid, non-empty value.
func (v *validator) defaultValue(f *Field, path string, lvl level) {
	dp := path + ".default"
	if lvl == levelBlock || lvl == levelItem {
		v.errorf(dp, "default applies only to top-level fields and struct members")
		return
	}
	val, err := decodeJSON(f.Default)
	if err != nil {
		v.errorf(dp, "default is not valid JSON: %v", err)
		return
	}
	if isEmpty(val) {
		v.errorf(dp, "default must not be null or empty")
		return
	}
	n := 0
	p := newPreparer(&PrepareOptions{NewID: func() string { n++; return "default-" + strconv.Itoa(n) }})
	p.value(f, "", val, 1)
	p.endScope("")
	for _, d := range p.diags.Errors() {
		v.diags.Append(Diagnostic{Severity: SeverityError, Path: dp, Code: CodeInvalidDefinition,
			Summary: "default is not a valid value: " + d.Summary, Detail: strings.TrimPrefix(d.Path, ".")})
	}
}

func kindList(kinds []Kind) string {
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = string(k)
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return fmt.Sprintf("%s and %s", strings.Join(parts[:len(parts)-1], ", "), parts[len(parts)-1])
}
