package value

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var (
	jan5     = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	jan5dt   = Time(jan5)                        // 2026-01-05T00:00:00Z
	jan5at8  = Time(jan5.Add(8 * time.Hour))     // 2026-01-05T08:00:00Z
	jan5date = DateOf(jan5)                      // 2026-01-05
	jan6date = DateOf(jan5.Add(24 * time.Hour))  // 2026-01-06
	ab       = ListOf([]string{"a", "b"})        // a list
	emptySet = SetOf(nil)                        // a known set with no members
	oneEmpty = Value{K: List, S: "x" + Sep + ""} // members "x" and ""
)

func TestEqual(t *testing.T) {
	tests := []struct {
		a, b Value
		want bool
	}{
		{Value{}, Value{}, false},
		{Str(""), Value{}, false},
		{Value{}, Num(0), false},
		{Str("a"), Str("a"), true},
		{Str("a"), Str("A"), false},
		{Num(1), Num(1), true},
		{Num(1), Num(2), false},
		{Num(1), Str("1"), false},
		{True, True, true},
		{True, False, false},
		{True, Num(1), false},
		{jan5dt, jan5dt, true},
		{jan5date, jan5dt, true},
		{jan5dt, jan5date, true},
		{jan5date, jan5at8, false},
		{jan5date, jan6date, false},
		{Dur(time.Hour), Dur(time.Hour), true},
		{Dur(time.Hour), Num(3600000), false},
		{ab, ListOf([]string{"a", "b"}), true},
		{ab, ListOf([]string{"b", "a"}), false},
		{SetOf([]string{"b", "a"}), SetOf([]string{"a", "b", "a"}), true},
		{ab, Str("a" + Sep + "b"), false},
	}
	for _, tt := range tests {
		if got := Equal(tt.a, tt.b); got != tt.want {
			t.Errorf("Equal(%#v, %#v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestCompare(t *testing.T) {
	type result struct {
		C  int
		OK bool
	}
	tests := []struct {
		a, b Value
		want result
	}{
		{Value{}, Value{}, result{0, false}},
		{Num(1), Value{}, result{0, false}},
		{Num(1), Num(2), result{-1, true}},
		{Num(2), Num(1), result{1, true}},
		{Num(-0.0), Num(0), result{0, true}},
		{Num(1), Str("1"), result{0, false}},
		{Str("a"), Str("b"), result{-1, true}},
		{Str("b"), Str("B"), result{1, true}},
		{False, True, result{-1, true}},
		{jan5date, jan5at8, result{-1, true}},
		{jan5at8, jan6date, result{-1, true}},
		{jan5dt, jan5date, result{0, true}},
		{jan6date, jan5date, result{1, true}},
		{Dur(time.Minute), Dur(time.Hour), result{-1, true}},
		{Dur(time.Minute), Num(1), result{0, false}},
		{jan5date, Num(1), result{0, false}},
		{Num(nan()), Num(1), result{0, false}},
	}
	for _, tt := range tests {
		c, ok := Compare(tt.a, tt.b)
		if diff := cmp.Diff(tt.want, result{c, ok}); diff != "" {
			t.Errorf("Compare(%v, %v) (-want +got):\n%s", tt.a, tt.b, diff)
		}
	}
}

func nan() float64 {
	zero := 0.0
	return zero / zero
}

// tenth is a variable, so that tenth + 0.2 is a float64 sum, not an exact constant.
var tenth = 0.1

func TestString(t *testing.T) {
	tests := []struct {
		v    Value
		want string
	}{
		{Value{}, ""},
		{True, "true"},
		{False, "false"},
		{Num(42), "42"},
		{Num(-3), "-3"},
		{Num(1.5), "1.5"},
		{Num(tenth + 0.2), "0.30000000000000004"},
		{Num(1e20), "1e+20"},
		{Num(123456789012345), "123456789012345"},
		{Str("héllo"), "héllo"},
		{jan5at8, "2026-01-05T08:00:00Z"},
		{Time(jan5.Add(1500 * time.Millisecond)), "2026-01-05T00:00:01.5Z"},
		{jan5date, "2026-01-05"},
		{DateDays(-1), "1969-12-31"},
		{Dur(90 * time.Minute), "1h30m0s"},
		{ab, "a, b"},
		{emptySet, ""},
	}
	for _, tt := range tests {
		if got := tt.v.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func TestHas(t *testing.T) {
	tests := []struct {
		v    Value
		s    string
		want bool
	}{
		{ab, "a", true},
		{ab, "b", true},
		{ab, "c", false},
		{ab, "", false},
		{ab, "a" + Sep + "b", false},
		{ListOf([]string{"abc"}), "ab", false},
		{ListOf([]string{"abc"}), "abc", true},
		{emptySet, "", false},
		{emptySet, "a", false},
		{oneEmpty, "", true},
		{oneEmpty, "x", true},
		{Str("a"), "a", false},
		{Value{}, "", false},
	}
	for _, tt := range tests {
		if got := tt.v.Has(tt.s); got != tt.want {
			t.Errorf("%q.Has(%q) = %v, want %v", tt.v.S, tt.s, got, tt.want)
		}
	}
}

func TestLen(t *testing.T) {
	tests := []struct {
		v    Value
		want int
	}{
		{Str(""), 0},
		{Str("abc"), 3},
		{Str("héllo wörld"), 11},
		{Str("日本"), 2},
		{ab, 2},
		{emptySet, 0},
		{oneEmpty, 2},
		{ListOf([]string{"only"}), 1},
		{Num(12345), 0},
		{Value{}, 0},
	}
	for _, tt := range tests {
		if got := tt.v.Len(); got != tt.want {
			t.Errorf("%#v.Len() = %d, want %d", tt.v, got, tt.want)
		}
	}
}

func TestSetOf(t *testing.T) {
	tests := []struct {
		in   []string
		want []string
	}{
		{nil, nil},
		{[]string{"b"}, []string{"b"}},
		{[]string{"vip", "beta", "vip", "alpha", "beta"}, []string{"alpha", "beta", "vip"}},
		{[]string{"B", "a", "b"}, []string{"B", "a", "b"}},
	}
	for _, tt := range tests {
		in := append([]string(nil), tt.in...)
		v := SetOf(in)
		if v.K != List {
			t.Errorf("SetOf(%q).K = %v, want list", tt.in, v.K)
		}
		if diff := cmp.Diff(tt.want, v.Members()); diff != "" {
			t.Errorf("SetOf(%q) members (-want +got):\n%s", tt.in, diff)
		}
		if diff := cmp.Diff(tt.in, in); diff != "" {
			t.Errorf("SetOf modified its argument (-before +after):\n%s", diff)
		}
	}
}

func TestHasAndLenDoNotAllocate(t *testing.T) {
	v := ListOf([]string{"alpha", "beta", "gamma"})
	s := Str("héllo wörld")
	n := testing.AllocsPerRun(100, func() {
		_ = v.Has("gamma")
		_ = v.Len()
		_ = s.Len()
	})
	if n != 0 {
		t.Errorf("Has and Len allocate %v times, want 0", n)
	}
}
