package vm

import (
	"testing"

	"github.com/wflang/wf/value"
)

// flight is the native-Go shape of the benchmark records.
type flight struct {
	origin, country string
	value, adults   float64
}

// benchFlights are the records the classic predicate runs over: between
// them they take every path through it.
var benchFlights = []flight{
	{"MOW", "RU", 150, 2},
	{"LED", "RU", 50, 1},
	{"LED", "FI", 500, 2},
	{"MOW", "RU", 20, 3},
	{"AMS", "NL", 100, 1},
	{"LED", "RU", 99, 2},
	{"MOW", "DE", 10, 1},
	{"BER", "DE", 120, 4},
}

func flightProps(f flight) []value.Value {
	return record(sOrigin, value.Str(f.origin), sCountry, value.Str(f.country), sValue, value.Num(f.value), sAdults, value.Num(f.adults))
}

// classicSrc is the benchmark predicate.
const classicSrc = `(origin == "MOW" or country == "RU") and (value >= 100 or adults == 1)`

var sink int

// BenchmarkClassic evaluates the classic predicate,
// compiled from source.
func BenchmarkClassic(b *testing.B) {
	p, x := compileCase(b, srcCase{src: classicSrc})
	m, err := New(p)
	if err != nil {
		b.Fatal(err)
	}
	envs := make([]Env, len(benchFlights))
	for i, f := range benchFlights {
		r := rec{Origin: f.origin, Country: f.country, Value: f.value, Adults: f.adults}
		envs[i] = Env{Props: r.props(p.Types[p.Workflows[0].Object])}
	}
	b.ReportAllocs()
	n := 0
	for i := 0; b.Loop(); i++ {
		if m.Test(x, &envs[i%len(envs)]) {
			n++
		}
	}
	sink = n
}

// BenchmarkClassicNative is the same predicate written in Go over a struct,
// the floor BenchmarkClassic is measured against.
func BenchmarkClassicNative(b *testing.B) {
	b.ReportAllocs()
	n := 0
	for i := 0; b.Loop(); i++ {
		f := &benchFlights[i%len(benchFlights)]
		if (f.origin == "MOW" || f.country == "RU") && (f.value >= 100 || f.adults == 1) {
			n++
		}
	}
	sink = n
}

// TestClassicMatchesNative checks the classic predicate, compiled and
// assembled by hand, against its Go counterpart on the benchmark records.
func TestClassicMatchesNative(t *testing.T) {
	a := newAsm()
	hand := a.classic()
	hm, err := New(a.p)
	if err != nil {
		t.Fatal(err)
	}
	p, compiled := compileCase(t, srcCase{src: classicSrc})
	cm, err := New(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range benchFlights {
		want := (f.origin == "MOW" || f.country == "RU") && (f.value >= 100 || f.adults == 1)
		if got := hm.Test(hand, &Env{Props: flightProps(f)}); got != want {
			t.Errorf("%+v: hand-assembled %v, want %v", f, got, want)
		}
		r := rec{Origin: f.origin, Country: f.country, Value: f.value, Adults: f.adults}
		if got := cm.Test(compiled, &Env{Props: r.props(p.Types[p.Workflows[0].Object])}); got != want {
			t.Errorf("%+v: compiled %v, want %v", f, got, want)
		}
	}
}
