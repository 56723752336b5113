package server

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wflang/wf/compiler"
	"github.com/wflang/wf/internal/wfgen"
)

// The engine figures of issue 8 that need the store (bench/run.sh puts
// them in BENCHMARKS.md).

// BenchmarkEngineIngestDurable measures acknowledged changes per second
// through the node (decode, apply, commit with fsync) in batches of 1,000
// changes per request, with 1, 100 and 1,000 workflows of wfgen.Workflows
// loaded (a change to one of their 200 properties can affect at most 0, 1
// or 5 of them), over 1,000 existing contacts. Each change has a client
// id, as BenchmarkIngestDurable's do. Building a batch's text is not timed.
func BenchmarkEngineIngestDurable(b *testing.B) {
	const records, props = 1000, 200
	for _, n := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("workflows=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			writeFile(b, filepath.Join(dir, "gen.wf"), wfgen.Workflows(n, props))
			node, _ := newNode(b, dir)
			var sb strings.Builder
			for i := range records {
				fmt.Fprintf(&sb, `{"op":"upsert","type":"contact","id":"c%d","props":{"country":"NL"}}`+"\n", i)
			}
			if _, err := node.Ingest([]byte(sb.String())); err != nil {
				b.Fatal(err)
			}
			i := 0
			batch := func() []byte {
				sb.Reset()
				for range 1000 {
					rec, k := i%records, i/records
					fmt.Fprintf(&sb, `{"op":"upsert","type":"contact","id":"c%d","client_id":"k%d","props":{"q%d":%d}}`+"\n",
						rec, i, (k*4+rec)%props, (i*31)%100)
					i++
				}
				return []byte(sb.String())
			}
			for b.Loop() {
				b.StopTimer()
				data := batch()
				b.StartTimer()
				if _, err := node.Ingest(data); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "changes/s")
		})
	}
}

// BenchmarkEngineReload measures a hot reload of 1,000 workflows as wf
// serve does one: compile the directory, then swap the program in (a new
// engine restored from the whole store, the enrollments moved to the new
// version, the result committed). The store holds no records, or 10,000
// contacts each waiting in a few (about 10) of the workflows, a case
// -short skips (a reload of it takes seconds).
func BenchmarkEngineReload(b *testing.B) {
	for _, records := range []int{0, 10_000} {
		b.Run(fmt.Sprintf("workflows=1000/records=%d", records), func(b *testing.B) {
			if records > 0 && testing.Short() {
				b.Skip("-short: no reload over stored records")
			}
			dir := b.TempDir()
			writeFile(b, filepath.Join(dir, "gen.wf"), wfgen.Workflows(1000, 200))
			node, _ := newNode(b, dir)
			for start := 0; start < records; start += 1000 {
				var sb strings.Builder
				for i := start; i < start+1000 && i < records; i++ {
					fmt.Fprintf(&sb, `{"op":"upsert","type":"contact","id":"c%d","props":{"q%d":99,"q%d":99}}`+"\n", i, i%200, (i+1)%200)
				}
				if _, err := node.Ingest([]byte(sb.String())); err != nil {
					b.Fatal(err)
				}
			}
			for b.Loop() {
				prog, diags, err := compiler.CompileFiles(dir + "/...")
				if err != nil || prog == nil {
					b.Fatalf("compile: %v %v", err, diags)
				}
				if err := node.Reload(prog, diags); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/reload")
		})
	}
}
