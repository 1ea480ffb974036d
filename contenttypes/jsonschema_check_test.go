package contenttypes

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"time"
	"unicode/utf8"
)

// checkSchema is a small JSON Schema validator for exactly the keywords
// that JSONSchema emits (santhosh-tekuri/jsonschema is not a dependency).
// It returns the first violation, or nil. Unknown keywords are an error so
// that the generator cannot drift from what is tested.
func checkSchema(schema map[string]any, v any, at string) error {
	for k := range schema {
		switch k {
		case "type", "properties", "required", "additionalProperties", "items",
			"minItems", "maxItems", "uniqueItems", "minLength", "maxLength",
			"minimum", "maximum", "pattern", "enum", "const", "oneOf", "anyOf",
			"allOf", "format", "title", "description", "default":
		default:
			return fmt.Errorf("%s: unsupported keyword %q", at, k)
		}
	}
	if t, ok := schema["type"].(string); ok && !hasType(t, v) {
		return fmt.Errorf("%s: expected %s, got %T", at, t, v)
	}
	if c, ok := schema["const"]; ok && !jsonEqual(c, v) {
		return fmt.Errorf("%s: expected const %v", at, c)
	}
	if e, ok := schema["enum"]; ok {
		found := false
		for _, x := range anySlice(e) {
			found = found || jsonEqual(x, v)
		}
		if !found {
			return fmt.Errorf("%s: %v not in enum", at, v)
		}
	}
	if s, ok := v.(string); ok {
		n := utf8.RuneCountInString(s)
		if m, ok := num(schema["minLength"]); ok && float64(n) < m {
			return fmt.Errorf("%s: shorter than %v", at, m)
		}
		if m, ok := num(schema["maxLength"]); ok && float64(n) > m {
			return fmt.Errorf("%s: longer than %v", at, m)
		}
		if p, ok := schema["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(s) {
			return fmt.Errorf("%s: %q does not match %s", at, s, p)
		}
		switch schema["format"] {
		case "date":
			if _, err := time.Parse("2006-01-02", s); err != nil {
				return fmt.Errorf("%s: bad date", at)
			}
		case "date-time":
			if _, err := time.Parse(time.RFC3339, s); err != nil {
				return fmt.Errorf("%s: bad date-time", at)
			}
		}
	}
	if x, ok := num(v); ok {
		if m, ok := num(schema["minimum"]); ok && x < m {
			return fmt.Errorf("%s: below minimum", at)
		}
		if m, ok := num(schema["maximum"]); ok && x > m {
			return fmt.Errorf("%s: above maximum", at)
		}
	}
	if arr, ok := v.([]any); ok {
		if m, ok := num(schema["minItems"]); ok && float64(len(arr)) < m {
			return fmt.Errorf("%s: too few items", at)
		}
		if m, ok := num(schema["maxItems"]); ok && float64(len(arr)) > m {
			return fmt.Errorf("%s: too many items", at)
		}
		if schema["uniqueItems"] == true {
			for i := range arr {
				for j := range i {
					if jsonEqual(arr[i], arr[j]) {
						return fmt.Errorf("%s: items not unique", at)
					}
				}
			}
		}
		if items, ok := schema["items"].(map[string]any); ok {
			for i, e := range arr {
				if err := checkSchema(items, e, at+"["+strconv.Itoa(i)+"]"); err != nil {
					return err
				}
			}
		}
	}
	if obj, ok := v.(map[string]any); ok {
		props, _ := schema["properties"].(map[string]any)
		for _, r := range anySlice(schema["required"]) {
			if _, ok := obj[r.(string)]; !ok {
				return fmt.Errorf("%s: missing required %s", at, r)
			}
		}
		for k, e := range obj {
			ps, ok := props[k].(map[string]any)
			if !ok {
				if schema["additionalProperties"] == false {
					return fmt.Errorf("%s: additional property %s", at, k)
				}
				continue
			}
			if err := checkSchema(ps, e, at+"."+k); err != nil {
				return err
			}
		}
	}
	for _, s := range anySlice(schema["allOf"]) {
		if err := checkSchema(s.(map[string]any), v, at); err != nil {
			return err
		}
	}
	if list, ok := schema["anyOf"]; ok {
		var errs []error
		for _, s := range anySlice(list) {
			if err := checkSchema(s.(map[string]any), v, at); err == nil {
				errs = nil
				break
			} else {
				errs = append(errs, err)
			}
		}
		if errs != nil {
			return fmt.Errorf("%s: no anyOf branch matches: %v", at, errs)
		}
	}
	if list, ok := schema["oneOf"]; ok {
		matches := 0
		var errs []error
		for _, s := range anySlice(list) {
			if err := checkSchema(s.(map[string]any), v, at); err == nil {
				matches++
			} else {
				errs = append(errs, err)
			}
		}
		if matches != 1 {
			return fmt.Errorf("%s: %d oneOf branches match: %v", at, matches, errs)
		}
	}
	return nil
}

func hasType(t string, v any) bool {
	switch t {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "number":
		_, ok := num(v)
		return ok
	case "integer":
		x, ok := num(v)
		return ok && x == float64(int64(x))
	}
	return false
}

func num(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case float64:
		return x, true
	case int:
		return float64(x), true
	}
	return 0, false
}

func anySlice(v any) []any {
	switch x := v.(type) {
	case []any:
		return x
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out
	}
	return nil
}

func jsonEqual(a, b any) bool {
	na, aok := num(a)
	nb, bok := num(b)
	if aok && bok {
		return na == nb
	}
	return reflect.DeepEqual(a, b)
}

// schemaJSON round-trips a schema through JSON so that checks see exactly
// what a client sees.
func schemaJSON(s map[string]any) map[string]any {
	data, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		panic(err)
	}
	return out
}

