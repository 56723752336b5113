package value

import (
	"math"
	"strings"
)

// The operators of the language on values. The VM executes them and the
// compiler folds constants with them, so a folded expression and an
// evaluated one can never disagree. None allocates.

const msPerDay = 86400000

// NotEqual is `x != y`: false when either side is empty or the two cannot be
// compared (different kinds, a date and a datetime counting as one kind).
func NotEqual(x, y Value) bool { return comparable(x, y) && !Equal(x, y) }

func comparable(x, y Value) bool {
	if x.K == Empty || y.K == Empty {
		return false
	}
	return x.K == y.K || x.isTime() && y.isTime()
}

func (v Value) isTime() bool { return v.K == Date || v.K == DateTime }

// Contains is `c contains m`: string c contains string m, or list c has
// member m.
func Contains(c, m Value) bool {
	if m.K != String {
		return false
	}
	switch c.K {
	case String:
		return strings.Contains(c.S, m.S)
	case List:
		return c.Has(m.S)
	}
	return false
}

// NotContains is the negation of Contains when the question has an answer
// (a string or list container and a string member), and false otherwise:
// `x not in y` is false when x is empty.
func NotContains(c, m Value) bool {
	return m.K == String && (c.K == String || c.K == List) && !Contains(c, m)
}

// StartsWith is `x starts_with y` on strings.
func StartsWith(x, y Value) bool {
	return x.K == String && y.K == String && strings.HasPrefix(x.S, y.S)
}

// EndsWith is `x ends_with y` on strings.
func EndsWith(x, y Value) bool { return x.K == String && y.K == String && strings.HasSuffix(x.S, y.S) }

// InList reports whether x equals a member of list.
func InList(x Value, list []Value) bool {
	for _, m := range list {
		if Equal(x, m) {
			return true
		}
	}
	return false
}

// NotInList reports whether x is known and equals no member of list.
func NotInList(x Value, list []Value) bool { return !x.IsEmpty() && !InList(x, list) }

// Neg is `-x` on numbers and durations; empty otherwise.
func Neg(x Value) Value {
	if x.K == Number || x.K == Duration {
		x.N = -x.N
		return x
	}
	return Value{}
}

// shift moves a date or datetime t by ms milliseconds. A date stays a date:
// the day that holds the instant reached from its midnight, so
// `d - 1h` is the day before d and `d + 36h` the day after.
func shift(t Value, ms float64) Value {
	if t.K == Date {
		return Value{K: Date, N: math.Floor((t.N*msPerDay + ms) / msPerDay)}
	}
	return Value{K: DateTime, N: t.N + ms}
}

// Add is `x + y`: numbers; durations; a date or datetime plus a duration
// (either order). Any other combination is empty.
func Add(x, y Value) Value {
	switch {
	case x.K == Number && y.K == Number:
		return Num(x.N + y.N)
	case x.K == Duration && y.K == Duration:
		return Value{K: Duration, N: x.N + y.N}
	case x.isTime() && y.K == Duration:
		return shift(x, y.N)
	case x.K == Duration && y.isTime():
		return shift(y, x.N)
	}
	return Value{}
}

// Sub is `x - y`: numbers; durations; a date or datetime minus a duration;
// the duration between two dates or datetimes. Any other combination is empty.
func Sub(x, y Value) Value {
	switch {
	case x.K == Number && y.K == Number:
		return Num(x.N - y.N)
	case x.K == Duration && y.K == Duration:
		return Value{K: Duration, N: x.N - y.N}
	case x.isTime() && y.K == Duration:
		return shift(x, -y.N)
	case x.isTime() && y.isTime():
		return Value{K: Duration, N: x.millis() - y.millis()}
	}
	return Value{}
}

// Mul is `x * y`: numbers, or a duration scaled by a number (rounded to the
// millisecond). Any other combination is empty.
func Mul(x, y Value) Value {
	switch {
	case x.K == Number && y.K == Number:
		return Num(x.N * y.N)
	case x.K == Duration && y.K == Number:
		return Value{K: Duration, N: math.Round(x.N * y.N)}
	case x.K == Number && y.K == Duration:
		return Value{K: Duration, N: math.Round(x.N * y.N)}
	}
	return Value{}
}

// Div is `x / y` on numbers; empty on division by zero.
func Div(x, y Value) Value {
	if x.K == Number && y.K == Number && y.N != 0 {
		return Num(x.N / y.N)
	}
	return Value{}
}

// Mod is `x % y` on numbers; empty on modulo zero.
func Mod(x, y Value) Value {
	if x.K == Number && y.K == Number && y.N != 0 {
		return Num(math.Mod(x.N, y.N))
	}
	return Value{}
}
