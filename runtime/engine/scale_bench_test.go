package engine

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/wflang/wf/internal/wfgen"
	"github.com/wflang/wf/runtime/clock"
	"github.com/wflang/wf/runtime/ingest"
)

// The engine figures of issue 8 (bench/run.sh puts them in BENCHMARKS.md).

// scaleProps is how many custom properties wfgen.Workflows spreads the
// workflows' filters over in BenchmarkEngineIngest: with 1,000 workflows
// a change to one property can affect 5 of them.
const scaleProps = 200

// BenchmarkEngineIngest measures Apply on pre-decoded upserts, each
// changing one of the 200 properties of one of 1,000 existing contacts,
// with 1, 100 and 1,000 workflows loaded (wfgen.Workflows: a workflow
// reads one property, so a change can affect at most 0, 1 or 5 of them).
// The clock does not move, so no timer fires and enrollments wait in
// `delay 1d`; one pass over the changes before timing enrolls the records
// where their values say so, and the timed changes then mostly re-evaluate
// filters (the cost of enrolling is in BenchmarkEngineWaitingMemory).
func BenchmarkEngineIngest(b *testing.B) {
	for _, n := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("workflows=%d", n), func(b *testing.B) {
			p := compile(b, wfgen.Workflows(n, scaleProps))
			e, err := New(p, Options{Clock: clock.NewVirtual(t0)})
			if err != nil {
				b.Fatal(err)
			}
			dec := ingest.NewDecoder(p)
			decode := func(line int, s string) ingest.Change {
				ch, err := dec.DecodeOne(line, []byte(s))
				if err != nil {
					b.Fatal(err)
				}
				return ch
			}
			const records = 1000
			for i := range records {
				if err := e.Apply(decode(i+1, fmt.Sprintf(`{"op":"upsert","type":"contact","id":"c%d","props":{"country":"NL"}}`, i))); err != nil {
					b.Fatal(err)
				}
			}
			// 50,000 distinct (record, property) pairs, set twice per
			// cycle to values 50 apart, so every change changes the value
			// (and crosses a workflow's threshold about half the time).
			changes := make([]ingest.Change, 100_000)
			for i := range 50_000 {
				rec, k := i%records, i/records
				prop, v := (k*4+rec)%scaleProps, (i*31)%100
				for j, v := range []int{v, (v + 50) % 100} {
					changes[j*50_000+i] = decode(i+1, fmt.Sprintf(`{"op":"upsert","type":"contact","id":"c%d","props":{"q%d":%d}}`, rec, prop, v))
				}
			}
			// One cycle before timing, so the figure is the steady state
			// (records already enrolled where their values say so, as
			// in a running system) rather than depend on -benchtime.
			for _, ch := range changes {
				if err := e.Apply(ch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if err := e.Apply(changes[i%len(changes)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "changes/s")
		})
	}
}

// waitSource enrolls a contact when it becomes a lead and waits; wait is
// the first step's duration.
func waitSource(wait string) string {
	return fmt.Sprintf("workflow nurture {\n  on contact\n  enroll when lifecyclestage == \"lead\"\n  delay %s\n  set hs_lead_status = \"open\"\n}\n", wait)
}

// enrollments is how many waiting enrollments BenchmarkEngineWaitingMemory
// holds: $WF_BENCH_ENROLLMENTS (bench/run.sh sets 1,000,000), else 10,000,
// or 1,000 with -short.
func enrollments(b *testing.B) int {
	if s := os.Getenv("WF_BENCH_ENROLLMENTS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			b.Fatalf("WF_BENCH_ENROLLMENTS=%q: want a positive number", s)
		}
		return n
	}
	if testing.Short() {
		return 1000
	}
	return 10_000
}

func heapInUse() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// BenchmarkEngineWaitingMemory measures the heap one waiting enrollment
// takes: N contacts are created (as subscribers), then each becomes a lead
// and enrolls in a workflow whose first step is `delay 30d`. It reports
// the heap in use (after GC) the enrollments added per enrollment, and
// the records' own heap per record. It is measured once, before b.Loop
// (whose empty ops mean nothing), so any -benchtime builds it once. In mode
// memory the engine keeps the action log in memory (Options{}); in mode
// durable it keeps it only in the delta, as wf serve runs it, and the
// delta is taken (and dropped) every 1,000 changes.
func BenchmarkEngineWaitingMemory(b *testing.B) {
	for _, durable := range []bool{false, true} {
		mode := map[bool]string{false: "memory", true: "durable"}[durable]
		b.Run("mode="+mode, func(b *testing.B) {
			n := enrollments(b)
			p := compile(b, waitSource("30d"))
			dec := ingest.NewDecoder(p)
			var perEnrollment, perRecord float64
			{
				e, err := New(p, Options{Clock: clock.NewVirtual(t0), Durable: durable})
				if err != nil {
					b.Fatal(err)
				}
				apply := func(stage string) {
					for i := range n {
						ch, err := dec.DecodeOne(i+1, fmt.Appendf(nil, `{"op":"upsert","type":"contact","id":"c%d","props":{"lifecyclestage":%q}}`, i, stage))
						if err != nil {
							b.Fatal(err)
						}
						if err := e.Apply(ch); err != nil {
							b.Fatal(err)
						}
						if durable && i%1000 == 999 {
							e.TakeDelta()
						}
					}
					if durable {
						e.TakeDelta()
					}
				}
				h0 := heapInUse()
				apply("subscriber")
				h1 := heapInUse()
				apply("lead")
				h2 := heapInUse()
				if got := len(e.Enrollments("contact", "c0")); got != 1 {
					b.Fatalf("c0 has %d enrollments, want 1", got)
				}
				runtime.KeepAlive(e)
				perRecord = (float64(h1) - float64(h0)) / float64(n)
				perEnrollment = (float64(h2) - float64(h1)) / float64(n)
			}
			for b.Loop() {
			}
			b.ReportMetric(float64(n), "enrollments")
			b.ReportMetric(perEnrollment, "B/enrollment")
			b.ReportMetric(perRecord, "B/record")
		})
	}
}

// BenchmarkEngineTimers measures firing timers: 10,000 contacts wait in
// `delay 1h`, all due at the same moment, and RunUntil an hour later fires
// them all (each then runs its next step, a set, and ends). Only RunUntil
// is timed.
func BenchmarkEngineTimers(b *testing.B) {
	const n = 10_000
	p := compile(b, waitSource("1h"))
	dec := ingest.NewDecoder(p)
	changes := make([]ingest.Change, n)
	for i := range changes {
		ch, err := dec.DecodeOne(i+1, fmt.Appendf(nil, `{"op":"upsert","type":"contact","id":"c%d","props":{"lifecyclestage":"lead"}}`, i))
		if err != nil {
			b.Fatal(err)
		}
		changes[i] = ch
	}
	fired := 0
	var timed time.Duration
	for b.Loop() {
		b.StopTimer()
		e, err := New(p, Options{Clock: clock.NewVirtual(t0)})
		if err != nil {
			b.Fatal(err)
		}
		for _, ch := range changes {
			if err := e.Apply(ch); err != nil {
				b.Fatal(err)
			}
		}
		start := time.Now()
		b.StartTimer()
		if err := e.RunUntil(t0.Add(2 * time.Hour)); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		timed += time.Since(start)
		if _, ok := e.NextTimer(); ok {
			b.Fatal("timers left after RunUntil")
		}
		if en, _ := e.Enrollment("nurture", "c0"); en.Status.Current() {
			b.Fatalf("c0 is still %s", en.Status)
		}
		fired += n
		b.StartTimer()
	}
	b.ReportMetric(float64(fired)/timed.Seconds(), "timers/s")
}
