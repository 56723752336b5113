// Package value defines wf's runtime values and the static types that
// describe them. It is the vocabulary shared by the compiler (constants,
// type checking, stdlib signatures), the VM and the store.
//
// A Value is a small tagged struct, not an interface: the VM keeps them in a
// fixed array and compares them without allocating. Numbers are float64
// (integers exact to 2^53); datetimes are Unix milliseconds (UTC); dates are
// days since 1970-01-01; durations are milliseconds; strings and enum values
// are strings; sets and lists are their string members joined by the unit
// separator (0x1F), sets sorted and without duplicates.
//
// FromJSON and ParseLiteral convert input (JSON changes, webhook bodies, CSV
// cells) to values of a declared type with precise errors; Value.JSON
// converts back for output. Assignable and Comparable are the static rules
// the compiler checks assignments and comparisons with. Evaluation itself
// (operators, builtins) lives in the VM and stdlib, not here.
package value

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Kind is the dynamic kind of a Value.
type Kind uint8

const (
	Empty    Kind = iota // no value (unknown); the zero Value
	Bool                 // N is 0 or 1
	Number               // N
	String               // S (also enum values)
	DateTime             // N: Unix milliseconds, UTC
	Date                 // N: days since 1970-01-01
	Duration             // N: milliseconds
	List                 // S: members joined by Sep (sets: sorted, unique)
)

var kindNames = [...]string{"empty", "bool", "number", "string", "datetime", "date", "duration", "list"}

// String returns the kind's name: "empty", "bool", "number", ….
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Sep separates the members of a List value.
const Sep = "\x1f"

// Value is one wf value. The zero Value is Empty.
type Value struct {
	K Kind
	N float64
	S string
}

// Str returns a string value.
func Str(s string) Value { return Value{K: String, S: s} }

// Num returns a number value.
func Num(f float64) Value { return Value{K: Number, N: f} }

// Dur returns a duration value (millisecond precision).
func Dur(d time.Duration) Value { return Value{K: Duration, N: float64(d.Milliseconds())} }

// BoolOf returns true or false.
func BoolOf(b bool) Value {
	if b {
		return Value{K: Bool, N: 1}
	}
	return Value{K: Bool}
}

// True and False are the two booleans.
var (
	True  = Value{K: Bool, N: 1}
	False = Value{K: Bool}
)

// Time returns a datetime value (millisecond precision).
func Time(t time.Time) Value { return Value{K: DateTime, N: float64(t.UnixMilli())} }

// DateOf returns the date (in t's location) of t.
func DateOf(t time.Time) Value {
	y, m, d := t.Date()
	days := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
	return Value{K: Date, N: float64(days)}
}

// ListOf returns a list value holding the given members in order.
func ListOf(members []string) Value { return Value{K: List, S: strings.Join(members, Sep)} }

// SetOf returns a set value: the members sorted, duplicates dropped.
func SetOf(members []string) Value {
	m := append([]string(nil), members...)
	slices.Sort(m)
	out := m[:0]
	for i, s := range m {
		if i == 0 || s != m[i-1] {
			out = append(out, s)
		}
	}
	return ListOf(out)
}

// Accessors.

// IsEmpty reports whether v has no value.
func (v Value) IsEmpty() bool { return v.K == Empty }

// Truthy reports whether v is the boolean true. Empty and every non-bool
// value are not true.
func (v Value) Truthy() bool { return v.K == Bool && v.N != 0 }

// Time returns a datetime or date value as a time in UTC.
func (v Value) Time() time.Time {
	switch v.K {
	case DateTime:
		return time.UnixMilli(int64(v.N)).UTC()
	case Date:
		return time.Unix(int64(v.N)*86400, 0).UTC()
	}
	return time.Time{}
}

// Duration returns a duration value as a time.Duration.
func (v Value) Duration() time.Duration { return time.Duration(v.N) * time.Millisecond }

// Len returns the number of members of a list, or the length in runes of a string.
func (v Value) Len() int {
	switch v.K {
	case List:
		if v.S == "" {
			return 0
		}
		return strings.Count(v.S, Sep) + 1
	case String:
		return utf8.RuneCountInString(v.S)
	}
	return 0
}

// Members returns the members of a list (allocates).
func (v Value) Members() []string {
	if v.K != List || v.S == "" {
		return nil
	}
	return strings.Split(v.S, Sep)
}

// Has reports whether a list holds the member s, without allocating. An
// empty list holds nothing, not even "".
func (v Value) Has(s string) bool {
	if v.K != List || v.S == "" {
		return false
	}
	rest := v.S
	for {
		i := strings.Index(rest, Sep)
		if i < 0 {
			return rest == s
		}
		if rest[:i] == s {
			return true
		}
		rest = rest[i+len(Sep):]
	}
}

// Equal reports whether a and b are the same value. Empty equals nothing,
// not even Empty: comparisons against empty are false.
func Equal(a, b Value) bool {
	if a.K == Empty || b.K == Empty {
		return false
	}
	if a.K != b.K {
		// A date compares equal to a datetime at its UTC midnight.
		if a.K == Date && b.K == DateTime || a.K == DateTime && b.K == Date {
			return a.millis() == b.millis()
		}
		return false
	}
	switch a.K {
	case String, List:
		return a.S == b.S
	}
	return a.N == b.N
}

func (v Value) millis() float64 {
	if v.K == Date {
		return v.N * 86400000
	}
	return v.N
}

// Compare orders a and b: -1, 0 or +1, and ok=false when they cannot be
// ordered (either is empty, or the kinds differ). Dates and datetimes
// compare by instant (a date is its UTC midnight).
func Compare(a, b Value) (int, bool) {
	if a.K == Empty || b.K == Empty {
		return 0, false
	}
	if a.K != b.K {
		if (a.K == Date || a.K == DateTime) && (b.K == Date || b.K == DateTime) {
			return cmpFloat(a.millis(), b.millis()), true
		}
		return 0, false
	}
	switch a.K {
	case String, List:
		return strings.Compare(a.S, b.S), true
	case Bool:
		return cmpFloat(a.N, b.N), true
	}
	if math.IsNaN(a.N) || math.IsNaN(b.N) {
		return 0, false
	}
	return cmpFloat(a.N, b.N), true
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// String formats v for templates and traces: numbers without a needless
// fraction, datetimes in RFC 3339 (UTC), dates as 2006-01-02, durations
// like 1h30m0s, lists joined by ", ", empty as "".
func (v Value) String() string {
	switch v.K {
	case Bool:
		if v.N != 0 {
			return "true"
		}
		return "false"
	case Number:
		return FormatNumber(v.N)
	case String:
		return v.S
	case DateTime:
		return v.Time().Format(time.RFC3339Nano)
	case Date:
		return v.Time().Format(time.DateOnly)
	case Duration:
		return v.Duration().String()
	case List:
		return strings.ReplaceAll(v.S, Sep, ", ")
	}
	return ""
}

// FormatNumber formats a number the shortest way that reads back exactly.
func FormatNumber(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}
