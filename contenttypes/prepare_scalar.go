package contenttypes

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// dateLayout is the layout of date values.
const dateLayout = "2006-01-02"

func (p *preparer) text(f *Field, path string, v any) (any, bool) {
	s, ok := v.(string)
	if !ok {
		p.mismatch(path, "a string", v)
		return nil, false
	}
	if f.Kind == KindText && strings.ContainsAny(s, "\r\n") {
		p.errorf(path, CodeInvalidFormat, "expected a single line of text, got a line break")
	}
	n := utf8.RuneCountInString(s)
	if f.MinLength != nil && n < *f.MinLength {
		p.errorf(path, CodeTooShort, "expected at least %d characters, got %d", *f.MinLength, n)
	}
	if f.MaxLength != nil && n > *f.MaxLength {
		p.errorf(path, CodeTooLong, "expected at most %d characters, got %d", *f.MaxLength, n)
	}
	if f.Pattern != "" {
		if re := p.pattern(f, path); re != nil && !re.MatchString(s) {
			p.errorf(path, CodePatternMismatch, "expected text matching the pattern %s", quote(f.Pattern))
		}
	}
	return s, true
}

func (p *preparer) integer(f *Field, path string, v any) (any, bool) {
	num, ok := v.(json.Number)
	if !ok {
		p.mismatch(path, "an integer", v)
		return nil, false
	}
	n, res := parseInteger(string(num))
	switch res {
	case integerFraction:
		p.errorf(path, CodeTypeMismatch, "expected an integer, got a fractional number")
		return nil, false
	case integerRange:
		p.errorf(path, CodeOutOfRange, "expected an integer between -2^63 and 2^63-1, got %s", quote(string(num)))
		return nil, false
	case integerSyntax:
		p.mismatch(path, "an integer", v)
		return nil, false
	}
	p.bounds(f, path, float64(n), strconv.FormatInt(n, 10))
	return json.Number(strconv.FormatInt(n, 10)), true
}

func (p *preparer) decimal(f *Field, path string, v any) (any, bool) {
	num, ok := v.(json.Number)
	if !ok {
		p.mismatch(path, "a number", v)
		return nil, false
	}
	x, ok := toFloat(num)
	if !ok {
		p.errorf(path, CodeOutOfRange, "expected a number within the range of a 64-bit float, got %s", quote(string(num)))
		return nil, false
	}
	p.bounds(f, path, x, string(num))
	return num, true
}

// bounds checks x against Min and Max; text is x as written.
func (p *preparer) bounds(f *Field, path string, x float64, text string) {
	if f.Min != nil && x < *f.Min {
		p.errorf(path, CodeOutOfRange, "expected a number of at least %s, got %s", formatFloat(*f.Min), text)
	}
	if f.Max != nil && x > *f.Max {
		p.errorf(path, CodeOutOfRange, "expected a number of at most %s, got %s", formatFloat(*f.Max), text)
	}
}

func (p *preparer) date(path string, v any) (any, bool) {
	s, ok := v.(string)
	if !ok {
		p.mismatch(path, "a date string (YYYY-MM-DD)", v)
		return nil, false
	}
	if _, err := parseDate(s); err != nil {
		p.errorf(path, CodeInvalidFormat, "expected a date as YYYY-MM-DD, got %s", quote(s))
		return nil, false
	}
	return s, true
}

// parseDate parses a calendar date written exactly as YYYY-MM-DD.
func parseDate(s string) (time.Time, error) {
	t, err := time.Parse(dateLayout, s)
	if err == nil && t.Format(dateLayout) != s {
		err = &time.ParseError{Layout: dateLayout, Value: s, Message: ": not a canonical date"}
	}
	return t, err
}

func (p *preparer) dateTime(path string, v any) (any, bool) {
	s, ok := v.(string)
	if !ok {
		p.mismatch(path, "a date-time string (RFC 3339)", v)
		return nil, false
	}
	t, err := parseDateTime(s)
	if err != nil {
		p.errorf(path, CodeInvalidFormat, "expected a date-time in RFC 3339 form such as 2006-01-02T15:04:05Z, got %s", quote(s))
		return nil, false
	}
	return t.Format(time.RFC3339Nano), true
}

// parseDateTime parses an RFC 3339 date-time and converts it to UTC. It
// rejects instants whose UTC year has no four-digit form.
func parseDateTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return t, err
	}
	t = t.UTC()
	if y := t.Year(); y < 0 || y > 9999 {
		return t, &time.ParseError{Layout: time.RFC3339, Value: s, Message: ": year out of range in UTC"}
	}
	return t, nil
}

func (p *preparer) choice(f *Field, path string, v any) (any, bool) {
	s, ok := v.(string)
	if !ok {
		p.mismatch(path, "a string", v)
		return nil, false
	}
	for _, c := range f.Choices {
		if c.Value == s {
			return s, true
		}
	}
	p.errorf(path, CodeInvalidChoice, "expected one of %s, got %s", choiceList(f.Choices), quote(s))
	return nil, false
}

// choiceList formats up to ten choice values for a summary.
func choiceList(cs []Choice) string {
	const max = 10
	parts := make([]string, 0, max+1)
	for i, c := range cs {
		if i == max {
			parts = append(parts, "…")
			break
		}
		parts = append(parts, quote(c.Value))
	}
	return strings.Join(parts, ", ")
}

func (p *preparer) tags(f *Field, path string, v any) (any, bool) {
	arr, ok := v.([]any)
	if !ok {
		p.mismatch(path, "an array of strings", v)
		return nil, false
	}
	out := make([]any, 0, len(arr))
	seen := make(map[string]bool, len(arr))
	for i, item := range arr {
		ip := path + "[" + strconv.Itoa(i) + "]"
		s, ok := item.(string)
		if !ok {
			p.mismatch(ip, "a string", item)
			continue
		}
		s = strings.TrimSpace(s)
		switch {
		case s == "":
			p.errorf(ip, CodeTooShort, "expected a non-empty tag")
		case strings.ContainsAny(s, "\r\n"):
			p.errorf(ip, CodeInvalidFormat, "expected a single-line tag, got a line break")
		case seen[s]:
			p.diags.AppendWarning(ip, CodeDuplicateTag, "duplicate tag "+quote(s)+" removed")
		default:
			seen[s] = true
			out = append(out, s)
		}
	}
	p.counts(f, path, len(out), "tags")
	return out, true
}

// counts checks n against MinItems and MaxItems; what names the items.
func (p *preparer) counts(f *Field, path string, n int, what string) {
	if f.MinItems != nil && n < *f.MinItems {
		p.errorf(path, CodeTooFewItems, "expected at least %d %s, got %d", *f.MinItems, what, n)
	}
	if f.MaxItems != nil && n > *f.MaxItems {
		p.errorf(path, CodeTooManyItems, "expected at most %d %s, got %d", *f.MaxItems, what, n)
	}
}

// identifier checks a reference id or media key: a non-empty string.
func (p *preparer) identifier(path string, v any, expected string) (any, bool) {
	if _, ok := v.(string); !ok {
		p.mismatch(path, expected+" (string)", v)
		return nil, false
	}
	return v, true
}
