package contenttypes

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
)

// integerResult classifies a number checked as an integer.
type integerResult int

const (
	integerOK integerResult = iota
	integerSyntax
	integerFraction
	integerRange
)

// parseInteger parses a JSON number exactly as an int64. It accepts
// integral numbers written with a fraction or exponent ("1.0", "1e3") and
// never builds large intermediate values.
func parseInteger(s string) (int64, integerResult) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, integerOK
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	mant, exp := s, ""
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant, exp = s[:i], s[i+1:]
	}
	intPart, frac := mant, ""
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		intPart, frac = mant[:i], mant[i+1:]
	}
	if intPart == "" || !allDigits(intPart) || !allDigits(frac) || (strings.Contains(mant, ".") && frac == "") {
		return 0, integerSyntax
	}
	digits := strings.TrimLeft(intPart+frac, "0")
	scale := -len(frac)
	trimmed := strings.TrimRight(digits, "0")
	scale += len(digits) - len(trimmed)
	digits = trimmed
	if digits == "" {
		return 0, integerOK // zero, whatever the exponent
	}
	if exp != "" {
		esign := 1
		switch exp[0] {
		case '+':
			exp = exp[1:]
		case '-':
			esign, exp = -1, exp[1:]
		}
		if exp == "" || !allDigits(exp) {
			return 0, integerSyntax
		}
		exp = strings.TrimLeft(exp, "0")
		if len(exp) > 6 {
			if esign < 0 {
				return 0, integerFraction
			}
			return 0, integerRange
		}
		e, _ := strconv.Atoi("0" + exp)
		scale += esign * e
	}
	if scale < 0 {
		return 0, integerFraction
	}
	if len(digits)+scale > 19 {
		return 0, integerRange
	}
	text := digits + strings.Repeat("0", scale)
	if neg {
		text = "-" + text
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return 0, integerRange
	}
	return n, integerOK
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// toFloat converts a numeric value (json.Number or a Go number) to a finite
// float64.
func toFloat(v any) (float64, bool) {
	var f float64
	switch x := v.(type) {
	case json.Number:
		var err error
		f, err = strconv.ParseFloat(string(x), 64)
		if err != nil && !isUnderflow(f, err) {
			return 0, false
		}
	case float64:
		f = x
	case float32:
		f = float64(x)
	case int:
		f = float64(x)
	case int64:
		f = float64(x)
	case int32:
		f = float64(x)
	default:
		return 0, false
	}
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// isUnderflow reports whether a ParseFloat error is an underflow to zero,
// which is an acceptable rounding rather than an overflow.
func isUnderflow(f float64, err error) bool {
	var ne *strconv.NumError
	return errors.As(err, &ne) && ne.Err == strconv.ErrRange && f == 0
}

// formatFloat formats a bound for a summary.
func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
