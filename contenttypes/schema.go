package contenttypes

// SchemaMode selects which body a JSON Schema describes.
type SchemaMode int

const (
	// SchemaInput describes the body accepted by [ContentType.Prepare] in
	// its canonical form: block ids optional, list items wrapped or bare,
	// empty values omitted rather than sent as null.
	SchemaInput SchemaMode = iota
	// SchemaOutput describes the fields delivered by the API: prepared
	// values after [ContentType.Render] (richtext as {markdown, html},
	// block ids present, empty values omitted).
	SchemaOutput
)

// String returns "input" or "output".
func (m SchemaMode) String() string {
	if m == SchemaOutput {
		return "output"
	}
	return "input"
}

// blockIDSchemaPattern mirrors [ValidBlockID].
const blockIDSchemaPattern = `^[A-Za-z0-9_-]{1,64}$`

// singleLinePattern is the constraint of text values.
const singleLinePattern = `^[^\r\n]*$`

// JSONSchema returns a JSON Schema (2020-12 vocabulary, also valid OpenAPI
// 3.1) for the object of field values of ct. It has no $schema or $id; the
// caller adds them. Constraints that a schema cannot express (unique block
// ids, calendar validity of dates, de-duplication of tags) are left to
// Prepare.
func (ct *ContentType) JSONSchema(mode SchemaMode) map[string]any {
	if ct == nil {
		return map[string]any{}
	}
	fields := ct.Fields
	if mode == SchemaOutput {
		fields = nil
		for _, f := range ct.Fields {
			if !f.Private {
				fields = append(fields, f)
			}
		}
	}
	s := objectSchema(fields, mode, 1)
	if ct.Label != "" {
		s["title"] = ct.Label
	}
	if ct.Description != "" {
		s["description"] = ct.Description
	}
	return s
}

// JSONSchema returns the JSON Schema of one value of f (see
// [ContentType.JSONSchema]).
func (f *Field) JSONSchema(mode SchemaMode) map[string]any {
	if f == nil {
		return map[string]any{}
	}
	return fieldSchema(f, mode, 1)
}

// objectSchema describes an object whose members are fields.
func objectSchema(fields []Field, mode SchemaMode, depth int) map[string]any {
	props := make(map[string]any, len(fields))
	required := []string{}
	for i := range fields {
		f := &fields[i]
		props[f.Name] = fieldSchema(f, mode, depth+1)
		if f.Required {
			required = append(required, f.Name)
		}
	}
	s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

func fieldSchema(f *Field, mode SchemaMode, depth int) map[string]any {
	s := map[string]any{}
	if f.Label != "" {
		s["title"] = f.Label
	}
	if f.Help != "" {
		s["description"] = f.Help
	}
	if mode == SchemaInput && len(f.Default) > 0 {
		if d, err := decodeJSON(f.Default); err == nil && d != nil {
			s["default"] = d
		}
	}
	if depth > maxDepth {
		return s
	}
	switch f.Kind {
	case KindText, KindLongText:
		stringSchema(s, f, mode)
	case KindRichText:
		if mode == SchemaOutput {
			md := map[string]any{}
			stringSchema(md, f, mode)
			s["type"] = "object"
			s["properties"] = map[string]any{"markdown": md, "html": map[string]any{"type": "string"}}
			s["required"] = []string{"markdown", "html"}
			s["additionalProperties"] = false
		} else {
			stringSchema(s, f, mode)
		}
	case KindInteger, KindDecimal:
		s["type"], s["format"] = "number", "double"
		if f.Kind == KindInteger {
			s["type"], s["format"] = "integer", "int64"
		}
		if f.Min != nil {
			s["minimum"] = *f.Min
		}
		if f.Max != nil {
			s["maximum"] = *f.Max
		}
	case KindBoolean:
		s["type"] = "boolean"
	case KindDate:
		s["type"] = "string"
		s["format"] = "date"
	case KindDateTime:
		s["type"] = "string"
		s["format"] = "date-time"
	case KindSelect:
		values := make([]string, len(f.Choices))
		for i, c := range f.Choices {
			values[i] = c.Value
		}
		s["type"] = "string"
		s["enum"] = values
	case KindTags:
		s["type"] = "array"
		s["items"] = map[string]any{"type": "string", "minLength": 1}
		if mode == SchemaOutput {
			s["uniqueItems"] = true
		}
		countSchema(s, f, mode)
	case KindReference, KindMedia:
		s["type"] = "string"
		if f.Required || mode == SchemaOutput {
			s["minLength"] = 1
		}
	case KindStruct:
		for k, v := range objectSchema(f.Children, mode, depth) {
			s[k] = v
		}
	case KindList:
		s["type"] = "array"
		if f.Item != nil {
			value := fieldSchema(f.Item, mode, depth+1)
			item := blockSchema(listItemType, f.Item, value, mode)
			if mode == SchemaInput {
				// The value schema is shared: computing it twice per level
				// would be exponential in the nesting depth.
				item = map[string]any{"anyOf": []any{item, value}}
			}
			s["items"] = item
		}
		countSchema(s, f, mode)
	case KindStream:
		variants := make([]any, len(f.Children))
		for i := range f.Children {
			c := &f.Children[i]
			variants[i] = blockSchema(c.Name, c, fieldSchema(c, mode, depth+1), mode)
		}
		s["type"] = "array"
		s["items"] = map[string]any{"oneOf": variants}
		countSchema(s, f, mode)
	}
	return s
}

// stringSchema adds the string constraints of f to s.
func stringSchema(s map[string]any, f *Field, mode SchemaMode) {
	s["type"] = "string"
	minLen := 0
	if f.MinLength != nil {
		minLen = *f.MinLength
	}
	if minLen < 1 && (f.Required || mode == SchemaOutput) {
		minLen = 1
	}
	if minLen > 0 {
		s["minLength"] = minLen
	}
	if f.MaxLength != nil {
		s["maxLength"] = *f.MaxLength
	}
	switch {
	case f.Pattern != "" && f.Kind == KindText:
		s["pattern"] = f.Pattern
		s["allOf"] = []any{map[string]any{"pattern": singleLinePattern}}
	case f.Pattern != "":
		s["pattern"] = f.Pattern
	case f.Kind == KindText:
		s["pattern"] = singleLinePattern
	}
}

// countSchema adds the item count constraints of f to s.
func countSchema(s map[string]any, f *Field, mode SchemaMode) {
	minItems := 0
	if f.MinItems != nil {
		minItems = *f.MinItems
	}
	if minItems < 1 && (f.Required || mode == SchemaOutput) {
		minItems = 1
	}
	if minItems > 0 {
		s["minItems"] = minItems
	}
	if f.MaxItems != nil {
		s["maxItems"] = *f.MaxItems
	}
}

// blockSchema describes a stored list item or stream block of type name
// whose value, of field f, has the schema value.
func blockSchema(name string, f *Field, value map[string]any, mode SchemaMode) map[string]any {
	required := []string{"type"}
	if mode == SchemaOutput {
		required = append(required, "id")
	}
	if f.Required {
		required = append(required, "value")
	}
	s := map[string]any{
		"type": "object",
		"properties": map[string]any{
			"type":  map[string]any{"const": name},
			"id":    map[string]any{"type": "string", "pattern": blockIDSchemaPattern},
			"value": value,
		},
		"required":             required,
		"additionalProperties": false,
	}
	if f.Label != "" && name != listItemType {
		s["title"] = f.Label
	}
	return s
}
