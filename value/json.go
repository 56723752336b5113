package value

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/wflang/wf/internal/spell"
)

// FromJSON converts a property value from input (the JSON Lines stream, the
// HTTP API, an incoming webhook body) to a Value of the declared type t. v is
// what encoding/json decodes: nil, bool, string, json.Number (with
// UseNumber) or float64, []any; int, int64 and []string are accepted too,
// for Go callers.
//
// null is Empty (an upsert with null clears the property). Otherwise:
//   - string, url: a string; numbers and bools are errors.
//   - number: a JSON number or a numeric string ("42", "-1.5e3").
//   - bool: true or false, or the strings "true" and "false" (any case).
//   - datetime: an RFC 3339 / ISO 8601 string (a date alone is UTC midnight;
//     a time without a zone is UTC), or epoch milliseconds as a number or a
//     numeric string.
//   - date: "2026-01-05", or an RFC 3339 datetime (its date as written), or
//     epoch milliseconds (the UTC date of that instant).
//   - enum: a string that is one of the options (a number or bool whose text
//     is an option is accepted too).
//   - set: a JSON array of strings, or a ";"-separated string (members
//     trimmed, empty ones dropped); every member must be an option.
//   - list: as set, without options.
//   - duration: milliseconds, as a number or numeric string.
//   - any: a string, number, bool or array of strings, as it is.
//
// The error says what was expected and what was given:
// `expected a number, got string "abc"`.
func FromJSON(t Type, v any) (Value, error) {
	switch x := v.(type) {
	case nil:
		return Value{}, nil
	case int:
		return fromNumber(t, float64(x), v)
	case int64:
		return fromNumber(t, float64(x), v)
	case float64:
		return fromNumber(t, x, v)
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil || math.IsInf(f, 0) {
			return Value{}, fmt.Errorf("number %s is out of range", x)
		}
		return fromNumber(t, f, v)
	case bool:
		return fromBool(t, x, v)
	case string:
		return fromString(t, x)
	case []string:
		return fromArray(t, x, v)
	case []any:
		if t.Kind != TSet && t.Kind != TList && t.Kind != TAny {
			break
		}
		members := make([]string, len(x))
		for i, m := range x {
			s, ok := m.(string)
			if !ok {
				return Value{}, fmt.Errorf("member %d: expected a string, got %s", i+1, describe(m))
			}
			members[i] = s
		}
		return fromArray(t, members, v)
	}
	return Value{}, fmt.Errorf("expected %s, got %s", expected(t), describe(v))
}

// ParseLiteral converts a text cell (CSV import, a form field) to a Value of
// type t, by the rules FromJSON applies to a JSON string. An empty cell is
// Empty, whatever the type.
func ParseLiteral(t Type, s string) (Value, error) {
	if s == "" {
		return Value{}, nil
	}
	return fromString(t, s)
}

func fromNumber(t Type, f float64, orig any) (Value, error) {
	switch t.Kind {
	case TNumber, TAny:
		return Num(f), nil
	case TDateTime, TDate:
		return fromMillis(t, f)
	case TDuration:
		return Value{K: Duration, N: math.Round(f)}, nil
	case TEnum:
		return fromOption(t, FormatNumber(f), orig)
	}
	return Value{}, fmt.Errorf("expected %s, got %s", expected(t), describe(orig))
}

func fromBool(t Type, b bool, orig any) (Value, error) {
	switch t.Kind {
	case TBool, TAny:
		return BoolOf(b), nil
	case TEnum:
		return fromOption(t, strconv.FormatBool(b), orig)
	}
	return Value{}, fmt.Errorf("expected %s, got %s", expected(t), describe(orig))
}

func fromString(t Type, s string) (Value, error) {
	switch t.Kind {
	case TString, TURL, TAny:
		return Str(s), nil
	case TNumber:
		if f, ok := ParseNumber(s); ok {
			return Num(f), nil
		}
	case TBool:
		switch {
		case strings.EqualFold(s, "true"):
			return True, nil
		case strings.EqualFold(s, "false"):
			return False, nil
		}
	case TDuration:
		if f, ok := ParseNumber(s); ok {
			return Value{K: Duration, N: math.Round(f)}, nil
		}
	case TDateTime, TDate:
		if f, ok := ParseNumber(s); ok {
			return fromMillis(t, f)
		}
		tm, dateOnly, err := ParseDateTime(s, time.UTC)
		if err != nil {
			return Value{}, fmt.Errorf("expected %s, got string %s: %v", expected(t), quote(s), err)
		}
		if t.Kind == TDate {
			if dateOnly {
				return DateOf(tm), nil
			}
			// The date as written, in the string's own offset.
			d, _, _ := ParseDateTime(s[:10], time.UTC)
			return DateOf(d), nil
		}
		return checkMillis(t, tm.UnixMilli())
	case TEnum:
		return fromOption(t, s, s)
	case TSet, TList:
		var members []string
		for m := range strings.SplitSeq(s, ";") {
			if m = strings.TrimSpace(m); m != "" {
				members = append(members, m)
			}
		}
		return fromArray(t, members, s)
	}
	return Value{}, fmt.Errorf("expected %s, got string %s", expected(t), quote(s))
}

func fromArray(t Type, members []string, orig any) (Value, error) {
	switch t.Kind {
	case TList, TAny:
		return ListOf(members), nil
	case TSet:
		for _, m := range members {
			if !t.HasOption(m) {
				return Value{}, notAnOption(t, m)
			}
		}
		return SetOf(members), nil
	}
	return Value{}, fmt.Errorf("expected %s, got %s", expected(t), describe(orig))
}

// fromOption checks that s is an option of enum t.
func fromOption(t Type, s string, orig any) (Value, error) {
	if t.HasOption(s) {
		return Str(s), nil
	}
	if _, isString := orig.(string); !isString {
		return Value{}, fmt.Errorf("expected %s, got %s", expected(t), describe(orig))
	}
	return Value{}, notAnOption(t, s)
}

func notAnOption(t Type, s string) error {
	var b strings.Builder
	b.WriteString(quote(s))
	b.WriteString(" is not one of ")
	const shown = 12
	for i, o := range t.Options {
		if i == shown {
			fmt.Fprintf(&b, ", … (%d more)", len(t.Options)-shown)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(o))
	}
	suggestion := ""
	for _, o := range t.Options {
		if strings.EqualFold(o, s) {
			suggestion = o
			break
		}
	}
	if suggestion == "" {
		suggestion = spell.Nearest(s, t.Options)
	}
	if suggestion != "" {
		fmt.Fprintf(&b, "; did you mean %q?", suggestion)
	}
	return errors.New(b.String())
}

// fromMillis converts epoch milliseconds to a datetime or date.
func fromMillis(t Type, f float64) (Value, error) {
	if !(f >= MinMillis && f <= MaxMillis) {
		return Value{}, fmt.Errorf("%s: %s milliseconds is outside the years 0000 to 9999", t.Kind, FormatNumber(f))
	}
	return checkMillis(t, int64(math.Round(f)))
}

func checkMillis(t Type, ms int64) (Value, error) {
	if ms < MinMillis || ms > MaxMillis {
		return Value{}, fmt.Errorf("%s: %d milliseconds is outside the years 0000 to 9999", t.Kind, ms)
	}
	if t.Kind == TDate {
		return DateDays(floorDiv(ms, 86400000)), nil
	}
	return DateTimeMillis(ms), nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// ParseNumber parses a decimal number ("42", " -1.5e3 "), surrounding
// spaces allowed; not hexadecimal, Inf, NaN or out of range.
func ParseNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case isDigit(c), c == '.', c == 'e', c == 'E', c == '+', c == '-':
		default:
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// expected describes what a value of type t looks like on input.
func expected(t Type) string {
	switch t.Kind {
	case TString:
		return "a string"
	case TURL:
		return "a url string"
	case TNumber:
		return "a number"
	case TBool:
		return "true or false"
	case TDateTime:
		return "a datetime (RFC 3339 or epoch milliseconds)"
	case TDate:
		return `a date ("2006-01-02")`
	case TDuration:
		return "a duration in milliseconds"
	case TEnum:
		return "one of " + optionList(t.Options)
	case TSet:
		return `a set (an array of strings or a ";"-separated string)`
	case TList:
		return "a list of strings"
	}
	return "a string, number, bool or list of strings"
}

func optionList(opts []string) string {
	q := make([]string, len(opts))
	for i, o := range opts {
		q[i] = strconv.Quote(o)
	}
	return strings.Join(q, ", ")
}

// describe names a decoded JSON value for an error message.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "string " + quote(x)
	case bool:
		return "bool " + strconv.FormatBool(x)
	case json.Number:
		return "number " + string(x)
	case float64:
		return "number " + FormatNumber(x)
	case int:
		return "number " + strconv.Itoa(x)
	case int64:
		return "number " + strconv.FormatInt(x, 10)
	case []any, []string:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("a Go %T", v)
}

// quote quotes s for a message, shortened to 40 runes.
func quote(s string) string {
	if r := []rune(s); len(r) > 40 {
		s = string(r[:40]) + "…"
	}
	return strconv.Quote(s)
}

// JSON returns v for output with encoding/json: nil for empty, bool,
// float64 for numbers (nil if not finite), string, an RFC 3339 string in
// UTC for a datetime, "2006-01-02" for a date, milliseconds (float64) for a
// duration, and []string for a list or set. FromJSON of the result with
// the value's type gives v back.
func (v Value) JSON() any {
	switch v.K {
	case Bool:
		return v.N != 0
	case Number:
		if math.IsNaN(v.N) || math.IsInf(v.N, 0) {
			return nil
		}
		return v.N
	case String:
		return v.S
	case DateTime, Date:
		return v.String()
	case Duration:
		return v.N
	case List:
		if m := v.Members(); m != nil {
			return m
		}
		return []string{}
	}
	return nil
}
