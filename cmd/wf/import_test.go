package main

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wflang/wf/compiler"
	"github.com/wflang/wf/runtime/ingest"
	"github.com/wflang/wf/runtime/server"
	"github.com/wflang/wf/runtime/store"
)

// importData makes a data directory holding contacts c0…c{n-1}.
func importData(t *testing.T, n int) string {
	t.Helper()
	data := t.TempDir()
	st, err := store.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	prog, diags, err := compiler.CompileFiles("testdata/import/...")
	if err != nil || prog == nil {
		t.Fatal(err, diags)
	}
	node, err := server.New(prog, server.Options{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer node.Close()
	var sb strings.Builder
	for i := range n {
		fmt.Fprintf(&sb, `{"op":"upsert","type":"contact","id":"c%d","props":{}}`+"\n", i)
	}
	if _, err := node.Ingest([]byte(sb.String())); err != nil {
		t.Fatal(err)
	}
	return data
}

func TestImportEvents(t *testing.T) {
	data := importData(t, 2)
	csvPath := filepath.Join(t.TempDir(), "forms.csv")
	long := strings.Repeat("x", 300)
	writeCSV := "id,at,Form_ID,page_url,amount,plan\n" +
		"c0,2025-06-01T10:00:00Z,demo,https://x.com/a,5,pro\n" + // 2
		"c1,1748772000000,trial,,,\n" + // 3: epoch ms
		"c9,2025-06-01T10:00:00Z,demo,,,\n" + // 4: no such record
		"c0,2999-01-01T00:00:00Z,demo,,,\n" + // 5: future
		"c0,2025-06-02T10:00:00Z,demo,,lots,\n" + // 6: not a number
		"c0,2025-06-02T10:00:00Z," + long + ",,,\n" + // 7: over 256 characters
		"c0,,demo,,,\n" + // 8: no time
		"c0,2025-06-03T10:00:00Z,demo,,,gold\n" + // 9: not an option
		"c0,2025-06-03T10:00:00Z,demo\n" + // 10: too few fields
		"c1,2025-06-04T10:00:00Z,\"multi\nline\",,7,free\n" // 11-12: good, quoted newline
	if err := os.WriteFile(csvPath, []byte(writeCSV), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run([]string{"import", "events", csvPath, "--event", "form_submitted", "--data", data, "--src", "testdata/import"}, &stdout, &stderr)
	if code != exitFindings {
		t.Fatalf("exit %d, want 1: %s%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "imported 3 form_submitted events") || !strings.Contains(stdout.String(), "7 bad rows") {
		t.Errorf("summary: %s", stdout.String())
	}
	errs := strings.ReplaceAll(stderr.String(), csvPath, "forms.csv")
	for _, want := range []string{
		"forms.csv:4: id: no contact c9",
		"forms.csv:5: at: 2999-01-01T00:00:00Z is in the future",
		"forms.csv:6: form_submitted.amount:",
		"forms.csv:7: form_submitted.form_id: 300 characters",
		"forms.csv:8: at: missing",
		"forms.csv:9: form_submitted.plan:",
		"forms.csv:10: csv:",
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	if n := strings.Count(errs, "\n"); n != 7 {
		t.Errorf("%d error lines, want 7:\n%s", n, errs)
	}
	// Again: the same occurrences are not doubled.
	stdout.Reset()
	run([]string{"import", "events", csvPath, "--event", "form_submitted", "--data", data, "--src", "testdata/import"}, &stdout, io.Discard)
	st, err := store.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	c0, _ := st.RecordEvents("contact", "c0", 10)
	c1, _ := st.RecordEvents("contact", "c1", 10)
	if len(c0) != 1 || len(c1) != 2 || c0[0].Name != "form_submitted" || !c0[0].At.Equal(time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)) ||
		!strings.Contains(string(c0[0].Props), `"amount"`) || !c1[0].At.Equal(time.UnixMilli(1748772000000)) {
		t.Fatalf("history: c0 %+v c1 %+v", c0, c1)
	}
	// Past events are history: nothing enrolled.
	if ens, _ := st.RecordEnrollments("contact", "c0"); len(ens) != 0 {
		t.Errorf("an imported event enrolled: %+v", ens)
	}
	st.Close()
	// A column that is no property of the event stops before any row.
	os.WriteFile(csvPath, []byte("id,at,from_id\nc0,2025-06-01T10:00:00Z,x\n"), 0o644)
	stderr.Reset()
	if code := run([]string{"import", "events", csvPath, "--event", "form_submitted", "--data", data, "--src", "testdata/import"}, io.Discard, &stderr); code != exitUsage ||
		!strings.Contains(stderr.String(), `column "from_id" is not a property`) {
		t.Errorf("bad header: %d %s", code, stderr.String())
	}
}

// TestImportEventsLarge streams 100,000 rows (one in 1,000 bad) through
// the importer and reports the rate.
func TestImportEventsLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("large import")
	}
	const rows, recs = 100_000, 1000
	data := importData(t, recs)
	prog, _, _ := compiler.CompileFiles("testdata/import/...")
	st, err := store.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	pr, pw := io.Pipe()
	go func() {
		bw := &bytes.Buffer{}
		bw.WriteString("id,at,form_id,amount\n")
		t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := range rows {
			amount := fmt.Sprint(i)
			if i%1000 == 999 {
				amount = "n/a"
			}
			fmt.Fprintf(bw, "c%d,%s,f%d,%s\n", i%recs, t0.Add(time.Duration(i)*time.Minute).Format(time.RFC3339), i%7, amount)
			if bw.Len() > 1<<16 {
				pw.Write(bw.Bytes())
				bw.Reset()
			}
		}
		pw.Write(bw.Bytes())
		pw.Close()
	}()
	start := time.Now()
	bad := 0
	res, err := importEvents(prog, st, "form_submitted", pr, time.Now(), func(*ingest.Error) { bad++ })
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if res.imported != rows-rows/1000 || res.bad != rows/1000 || bad != res.bad {
		t.Fatalf("%+v, %d reported", res, bad)
	}
	if evs, _ := st.RecordEvents("contact", "c7", 1000); len(evs) != rows/recs {
		t.Errorf("c7 has %d events, want %d", len(evs), rows/recs)
	}
	t.Logf("imported %d rows in %v: %.0f rows/s", rows, took, float64(rows)/took.Seconds())
}
