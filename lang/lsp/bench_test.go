package lsp

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/wflang/wf/internal/wfgen"
)

// benchmarkLatency measures the time from sending didChange to receiving
// the publishDiagnostics it causes, on a generated 2,000-line file, over
// the same pipe and framing as an editor uses. edit returns the range and
// text of the i-th change and the document after it.
func benchmarkLatency(b *testing.B, edit func(doc string, i int) (wireRange, string, string)) {
	dir := b.TempDir()
	uri := string(pathURI(filepath.Join(dir, "big.wf")))
	doc := wfgen.Program(2000)
	c := startServer(b, Options{CacheDir: b.TempDir()})
	c.call("initialize", map[string]any{"processId": 1, "rootUri": string(pathURI(dir)), "capabilities": map[string]any{}}, nil)
	c.notify("initialized", map[string]any{})
	c.notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{"uri": uri, "languageId": "wf", "version": 1, "text": doc}})
	if ds := c.diagnostics(uri); len(ds) != 0 {
		b.Fatalf("the generated file has diagnostics: %+v", ds[0])
	}
	lines := strings.Count(doc, "\n")
	b.ResetTimer()
	for i := range b.N {
		r, text, next := edit(doc, i)
		c.notify("textDocument/didChange", map[string]any{
			"textDocument":   map[string]any{"uri": uri, "version": i + 2},
			"contentChanges": []any{map[string]any{"range": r, "text": text}},
		})
		if ds := c.diagnostics(uri); len(ds) != 0 {
			b.Fatalf("diagnostics after edit %d: %+v", i, ds[0])
		}
		doc = next
	}
	b.StopTimer()
	b.ReportMetric(float64(lines), "lines")
	c.call("shutdown", nil, nil)
	c.notify("exit", nil)
	<-c.done
}

// BenchmarkDiagnosticsLatency changes a number in a step in the middle of
// the file, as typing does: one declaration is re-parsed, the program
// re-checked.
func BenchmarkDiagnosticsLatency(b *testing.B) {
	benchmarkLatency(b, func(doc string, i int) (wireRange, string, string) {
		at := strings.Index(doc[len(doc)/2:], "increment ") + len(doc)/2 + len("increment score by ")
		for doc[at-1] != ' ' {
			at++ // "seats by"
		}
		p := posAt(doc, at)
		text := string(rune('1' + i%9))
		return wireRange{p, wirePos{p.Line, p.Character + 1}}, text, doc[:at] + text + doc[at+1:]
	})
}

// BenchmarkDiagnosticsLatencyFullParse retypes the keyword of a
// declaration in the middle of the file, which makes the server re-parse
// the whole file.
func BenchmarkDiagnosticsLatencyFullParse(b *testing.B) {
	benchmarkLatency(b, func(doc string, i int) (wireRange, string, string) {
		at := strings.Index(doc[len(doc)/2:], "\nworkflow ") + len(doc)/2 + 1
		p := posAt(doc, at)
		return wireRange{p, wirePos{p.Line, p.Character + 8}}, "workflow", doc
	})
}
