package contenttypes

import (
	"encoding/json"
	"fmt"
	"regexp"
)

// Kind names a field or block kind. The vocabulary is closed: the engine, the
// delivery API and the plugin protocol all understand exactly these kinds.
type Kind string

// Leaf kinds hold a single value.
const (
	KindText      Kind = "text"      // single-line string
	KindLongText  Kind = "longtext"  // multi-line plain string
	KindRichText  Kind = "richtext"  // markdown source; rendered to sanitised HTML on delivery
	KindInteger   Kind = "integer"   // JSON integer (int64 range)
	KindDecimal   Kind = "decimal"   // JSON number
	KindBoolean   Kind = "boolean"   // JSON true/false
	KindDate      Kind = "date"      // "YYYY-MM-DD"
	KindDateTime  Kind = "datetime"  // RFC 3339, normalised to UTC
	KindSelect    Kind = "select"    // one of Choices (string)
	KindTags      Kind = "tags"      // taxonomy: array of distinct strings
	KindReference Kind = "reference" // id (string) of another entry, of AllowedTypes
	KindMedia     Kind = "media"     // media asset key (string)
	KindJSON      Kind = "json"      // any JSON value
)

// Composite kinds (StreamField blocks) hold other values.
const (
	// KindStruct is an object whose members are Children (fixed names).
	KindStruct Kind = "struct"
	// KindList is an array of items of one block (Item); every item is stored
	// as {"type":"item","id":ID,"value":V} like Wagtail's ListBlock.
	KindList Kind = "list"
	// KindStream is an array of blocks chosen from Children by name; every
	// block is stored as {"type":NAME,"id":ID,"value":V}.
	KindStream Kind = "stream"
)

// Kinds lists every kind, leaf kinds first.
var Kinds = []Kind{
	KindText, KindLongText, KindRichText, KindInteger, KindDecimal, KindBoolean,
	KindDate, KindDateTime, KindSelect, KindTags, KindReference, KindMedia, KindJSON,
	KindStruct, KindList, KindStream,
}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool {
	for _, v := range Kinds {
		if v == k {
			return true
		}
	}
	return false
}

// Composite reports whether k holds nested blocks.
func (k Kind) Composite() bool { return k == KindStruct || k == KindList || k == KindStream }

// Indexable reports whether a field of kind k can be projected into the
// delivery index (filterable and sortable).
func (k Kind) Indexable() bool {
	switch k {
	case KindText, KindInteger, KindDecimal, KindBoolean, KindDate, KindDateTime,
		KindSelect, KindTags, KindReference:
		return true
	}
	return false
}

// Choice is one allowed value of a select field.
type Choice struct {
	Value string `json:"value"`
	Label string `json:"label,omitempty"`
}

// Field describes a field of a content type, and equally a block inside a
// StreamField: the type is recursive. A top-level field and a block use the
// same options; Indexed only has meaning on top-level fields.
type Field struct {
	Name     string `json:"name"`
	Label    string `json:"label,omitempty"`
	Help     string `json:"help,omitempty"`
	Kind     Kind   `json:"kind"`
	Required bool   `json:"required,omitempty"`
	// Indexed projects the field into the delivery index, making it
	// filterable and sortable through /api/v1 (top-level fields only).
	Indexed bool `json:"indexed,omitempty"`
	// Private keeps a top-level field out of the delivery API: editors and
	// plugins see it, apps never do (e.g. review notes, or an asset that a
	// plugin's own endpoint hands out only under conditions). It cannot be
	// indexed, since filters would reveal it.
	Private bool `json:"private,omitempty"`

	// Strings (text, longtext, richtext): length bounds in runes.
	MinLength *int `json:"min_length,omitempty"`
	MaxLength *int `json:"max_length,omitempty"`
	// Pattern is an RE2 regular expression a text value must match.
	Pattern string `json:"pattern,omitempty"`

	// Numbers (integer, decimal): inclusive bounds.
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`

	// Select: allowed values.
	Choices []Choice `json:"choices,omitempty"`

	// Tags: the taxonomy (vocabulary) the tags belong to; defaults to the
	// field name. A managed vocabulary is enforced by the engine, not here.
	Taxonomy string `json:"taxonomy,omitempty"`

	// Reference: allowed content type keys (empty: any type).
	AllowedTypes []string `json:"allowed_types,omitempty"`

	// Composite kinds. Struct: Children are the members. Stream: Children are
	// the allowed block types. List: Item is the item block.
	Children []Field `json:"children,omitempty"`
	Item     *Field  `json:"item,omitempty"`
	// Count bounds for tags, list and stream (number of items/blocks).
	MinItems *int `json:"min_items,omitempty"`
	MaxItems *int `json:"max_items,omitempty"`

	// Default is used when a value is absent on create.
	Default json.RawMessage `json:"default,omitempty"`
}

// ContentType is data, not code: plugins declare it, the engine stores it.
type ContentType struct {
	// Key is the stable identifier: lowercase letters, digits and
	// underscores, starting with a letter (e.g. "passage").
	Key         string `json:"key"`
	Label       string `json:"label"`
	Description string `json:"description,omitempty"`
	// IsPage places entries of this type in the page tree (parent, path,
	// url_path); other types are flat collections (Wagtail snippets).
	IsPage bool    `json:"is_page,omitempty"`
	Fields []Field `json:"fields"`
}

// Field returns the top-level field named name.
func (ct *ContentType) Field(name string) (*Field, bool) {
	for i := range ct.Fields {
		if ct.Fields[i].Name == name {
			return &ct.Fields[i], true
		}
	}
	return nil, false
}

// IndexedFields returns the top-level fields projected into the delivery index.
func (ct *ContentType) IndexedFields() []Field {
	var out []Field
	for _, f := range ct.Fields {
		if f.Indexed {
			out = append(out, f)
		}
	}
	return out
}

// TaxonomyFields returns the top-level tags fields.
func (ct *ContentType) TaxonomyFields() []Field {
	var out []Field
	for _, f := range ct.Fields {
		if f.Kind == KindTags {
			out = append(out, f)
		}
	}
	return out
}

var keyPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// ValidKey reports whether s is usable as a content type key, field name or
// block name.
func ValidKey(s string) bool { return keyPattern.MatchString(s) }

// ReservedFieldNames are the entry columns that a field may not shadow in
// delivery responses.
var ReservedFieldNames = []string{"id", "type", "title", "slug", "parent", "path", "url_path",
	"created_at", "updated_at", "published_at", "first_published_at", "fields", "meta"}

func (f Field) String() string { return fmt.Sprintf("%s(%s)", f.Name, f.Kind) }

// Public returns v without the values of private top-level fields (a
// shallow copy; v itself is not changed).
func (ct *ContentType) Public(v Values) Values {
	out := make(Values, len(v))
	for k, val := range v {
		if f, ok := ct.Field(k); ok && f.Private {
			continue
		}
		out[k] = val
	}
	return out
}

// PrivateFields lists the names of the private top-level fields.
func (ct *ContentType) PrivateFields() []string {
	var out []string
	for _, f := range ct.Fields {
		if f.Private {
			out = append(out, f.Name)
		}
	}
	return out
}
