package stdlib

import (
	"fmt"
	"math"
	"strconv"

	"github.com/wflang/wf/value"
)

// Number builtins, and min and max (numbers, durations, dates, datetimes).

// maxDigits bounds round's digits argument.
const maxDigits = 15

func init() {
	register(&Func{
		Name: "round", Sig: "round(x number[, digits number]) number", Pure: true,
		Doc: "Rounds x half away from zero to digits decimal places (default 0; negative rounds to tens, hundreds, …), " +
			"as the number is written: round(1.005, 2) is 1.01.",
		Check:      fixed("round", value.NumberType, 1, 2, numArg),
		CheckConst: checkDigits,
		Call: func(_ *Context, a []value.Value) value.Value {
			if a[0].K != value.Number {
				return value.Value{}
			}
			digits := 0
			if len(a) == 2 {
				d, ok := integer(a[1])
				if !ok || d < -maxDigits || d > maxDigits {
					return value.Value{}
				}
				digits = d
			}
			return value.Num(round(a[0].N, digits))
		},
	})
	num1 := func(name, doc string, f func(float64) float64) {
		register(&Func{
			Name: name, Sig: name + "(x number) number", Doc: doc, Pure: true,
			Check: fixed(name, value.NumberType, 1, 1, numArg),
			Call: func(_ *Context, a []value.Value) value.Value {
				if a[0].K != value.Number {
					return value.Value{}
				}
				return value.Num(f(a[0].N))
			},
		})
	}
	num1("floor", "Returns the greatest whole number not greater than x.", math.Floor)
	num1("ceil", "Returns the least whole number not less than x.", math.Ceil)
	num1("abs", "Returns x without its sign.", math.Abs)

	for _, m := range []struct {
		name, doc string
		want      int // the Compare result that makes a value the new best
	}{
		{"min", "smallest", -1},
		{"max", "largest", +1},
	} {
		register(&Func{
			Name: m.name, Sig: m.name + "(x, y, …) T", Pure: true,
			Doc: "Returns the " + m.doc + " of its known arguments (empty ones are skipped): numbers, durations, " +
				"or dates and datetimes (by instant, a date being its UTC midnight as in comparisons; the result is a datetime if any argument is one).",
			Check: func(args []value.Type) (value.Type, error) { return checkOrdered(m.name, args) },
			Call: func(_ *Context, a []value.Value) value.Value {
				return extreme(a, m.want)
			},
		})
	}
}

func checkDigits(i int, v value.Value) error {
	if i != 1 || v.K != value.Number {
		return nil
	}
	if d, ok := integer(v); !ok || d < -maxDigits || d > maxDigits {
		return fmt.Errorf("round: digits must be a whole number from %d to %d, not %s", -maxDigits, maxDigits, v)
	}
	return nil
}

// pow10 holds the powers of ten that are exact float64s.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}

// round rounds x half away from zero to digits decimal places, in decimal:
// it rounds the shortest decimal form of x (the digits a user wrote), so
// round(1.005, 2) is 1.01 although the float64 1.005 is a little less.
func round(x float64, digits int) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	if digits < 0 {
		p := pow10[-digits]
		return math.Round(x/p) * p
	}
	ax := math.Abs(x)
	if ax >= 1<<52 {
		return x // already whole
	}
	if ax < 0.5/pow10[digits] {
		return 0
	}
	var buf [64]byte
	s := strconv.AppendFloat(buf[:0], ax, 'f', -1, 64)
	dot := len(s)
	for i, c := range s {
		if c == '.' {
			dot = i
			break
		}
	}
	if len(s)-dot-1 <= digits {
		return x // no more digits than asked for
	}
	// m = the integer part followed by digits fraction digits.
	var m uint64
	for _, c := range s[:dot] {
		m = m*10 + uint64(c-'0')
	}
	for _, c := range s[dot+1 : dot+1+digits] {
		m = m*10 + uint64(c-'0')
	}
	if s[dot+1+digits] >= '5' {
		m++
	}
	if m >= 1<<53 {
		return math.Round(x*pow10[digits]) / pow10[digits]
	}
	r := float64(m) / pow10[digits] // both exact: one correctly rounded division
	return math.Copysign(r, x)
}

// checkOrdered checks min and max: at least two arguments, all numbers, all
// durations, or all dates and datetimes.
func checkOrdered(name string, args []value.Type) (value.Type, error) {
	if err := checkArgs(name, args, 2, variadic, orderedArg); err != nil {
		return value.AnyType, err
	}
	result, from := value.AnyType, 0
	for i, t := range args {
		switch {
		case t.Kind == value.TAny:
			continue
		case result.Kind == value.TAny:
			result, from = t, i
		case result.IsTime() && t.IsTime():
			if t.Kind == value.TDateTime {
				result = value.DateTimeType
			}
		case t.Kind != result.Kind:
			return value.AnyType, fmt.Errorf("%s: argument %d has type %s, but argument %d has type %s", name, i+1, t.Kind, from+1, result.Kind)
		}
	}
	return result, nil
}

// extreme returns the least (want -1) or greatest (want +1) known value of
// a, or empty when none is known or two cannot be compared.
func extreme(a []value.Value, want int) value.Value {
	var best value.Value
	datetime := false
	for _, v := range a {
		switch v.K {
		case value.Empty:
			continue
		case value.Number, value.Duration, value.Date, value.DateTime:
		default:
			return value.Value{}
		}
		datetime = datetime || v.K == value.DateTime
		if best.K == value.Empty {
			best = v
			continue
		}
		c, ok := value.Compare(v, best)
		if !ok {
			return value.Value{}
		}
		if c == want {
			best = v
		}
	}
	if best.K == value.Date && datetime {
		best = value.DateTimeMillis(int64(best.N) * msPerDay)
	}
	return best
}
