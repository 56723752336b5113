package engine

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wflang/wf/runtime/clock"
	"github.com/wflang/wf/runtime/ingest"
)

// benchSource is 100 workflows on contact over 20 custom properties: each
// enrolls on one property crossing a threshold, half re-enroll on change,
// a third have a goal, and each sets a property and waits.
func benchSource() string {
	var b strings.Builder
	b.WriteString("extend contact {\n")
	for i := range 20 {
		fmt.Fprintf(&b, "  p%d: number\n", i)
	}
	b.WriteString("}\n")
	for i := range 100 {
		fmt.Fprintf(&b, "workflow w%d {\n  on contact\n  enroll when p%d > %d and not (country == \"XX\")\n", i, i%20, i%50)
		if i%2 == 0 {
			fmt.Fprintf(&b, "  reenroll on change p%d\n", i%20)
		}
		if i%3 == 0 {
			fmt.Fprintf(&b, "  goal lifecyclestage == \"customer\"\n")
		}
		fmt.Fprintf(&b, "  set hs_lead_status = \"open\"\n  delay %dh\n  increment score by 1\n}\n", 1+i%24)
	}
	return b.String()
}

// BenchmarkIngest decodes and applies JSON Lines upserts to 10,000 contacts
// with 100 workflows loaded, the virtual clock moving a minute every 100
// changes so delays fire along the way.
func BenchmarkIngest(b *testing.B) { benchIngest(b, true) }

// BenchmarkApply is BenchmarkIngest with the changes decoded beforehand:
// the engine's share of the work.
func BenchmarkApply(b *testing.B) { benchIngest(b, false) }

func benchIngest(b *testing.B, decode bool) {
	p := compile(b, benchSource())
	clk := clock.NewVirtual(t0)
	e, err := New(p, Options{Clock: clk})
	if err != nil {
		b.Fatal(err)
	}
	dec := ingest.NewDecoder(p)
	// 50 rounds of 1,000 lines, ids and values shifting between rounds so
	// records keep being created, re-matching and re-enrolling.
	const round = 1000
	lines := make([][]byte, 50*round)
	changes := make([]ingest.Change, len(lines))
	for i := range lines {
		r, j := i/round, i%round
		lines[i] = fmt.Appendf(nil, `{"op":"upsert","type":"contact","id":"c%d","props":{"p%d":%d,"firstname":"n%d"}}`,
			(r*round+j*7)%10000, (r+j)%20, (r*round+j)%60, j)
		if changes[i], err = dec.DecodeOne(i+1, lines[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i % len(lines)
		ch := changes[k]
		if decode {
			if ch, err = dec.DecodeOne(k+1, lines[k]); err != nil {
				b.Fatal(err)
			}
		}
		if err := e.Apply(ch); err != nil {
			b.Fatal(err)
		}
		if i%100 == 99 {
			if err := e.RunUntil(clk.Now().Add(time.Minute)); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "changes/s")
}
