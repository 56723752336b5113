package main

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/wflang/wf/compiler"
	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/runtime/ingest"
	"github.com/wflang/wf/runtime/store"
	"github.com/wflang/wf/value"
)

var cmdImport = &command{
	name:  "import",
	args:  "events FILE.csv --event NAME [--data DIR] [--src DIR]",
	short: "import past events from a CSV file into a wf serve data directory",
	long: `Import events reads a CSV file of past occurrences of the custom event
NAME (declared in the .wf files below --src, default .) and adds them to
the event history of their records in the --data directory (default
./.wf-data). The header row names the columns: "id" (the record's id,
required), "at" (when it happened, RFC 3339 or Unix milliseconds,
required, not in the future), and the event's properties, matched
case-insensitively; an empty cell leaves the property out. A set or list
property takes its values separated by ";".

The file is streamed and committed in batches of 10,000 rows. Every row is
checked against the event's declaration and the limits of SPEC 2.2 (at most
50 properties, strings up to 256 characters, urls up to 1024); each bad
row is reported with its line and field, and the good rows are imported.
A file may hold at most 1,000,000 rows. Past events are history: they do
not enroll records or resume waits. Importing the same row twice keeps one
occurrence. The data directory is opened exclusively: stop wf serve first.

Import exits 1 when a row was bad, 2 on usage and I/O errors.
`,
	run: runImport,
}

// Import limits.
const (
	maxImportRows = 1_000_000
	importBatch   = 10_000
)

func runImport(c *command, args []string, stdout, stderr io.Writer) int {
	fs := c.flagSet()
	event := fs.String("event", "", "the event type `name` the rows are occurrences of")
	data := fs.String("data", ".wf-data", "the `dir` wf serve keeps its database in")
	src := fs.String("src", ".", "the `dir` of .wf files that declare the event")
	paths, code, ok := c.parse(fs, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(paths) != 2 || paths[0] != "events" {
		return c.usageError(stderr, "give: events FILE.csv")
	}
	if *event == "" {
		return c.usageError(stderr, "give the event type with --event")
	}
	prog, diags, err := compiler.CompileFiles(strings.TrimSuffix(*src, "/...") + "/...")
	if err != nil {
		return errorf(stderr, c, "%v", err)
	}
	if prog == nil {
		printDiags(stderr, diags)
		return exitFindings
	}
	f, err := os.Open(paths[1])
	if err != nil {
		return errorf(stderr, c, "%v", err)
	}
	defer f.Close()
	st, err := store.Open(*data)
	if err != nil {
		return errorf(stderr, c, "%v (is wf serve running on it? stop it first)", err)
	}
	defer st.Close()
	res, err := importEvents(prog, st, *event, f, time.Now(), func(e *ingest.Error) {
		fmt.Fprintf(stderr, "%s:%d: %s: %s\n", paths[1], e.Line, e.Field, e.Msg)
	})
	if err != nil {
		return errorf(stderr, c, "%s: %v", paths[1], err)
	}
	fmt.Fprintf(stdout, "imported %d %s events from %s; %d bad rows\n", res.imported, *event, paths[1], res.bad)
	if res.bad > 0 {
		return exitFindings
	}
	return exitOK
}

type importResult struct{ imported, bad int }

// importEvents streams CSV rows of event occurrences into st, committing
// every importBatch good rows; bad rows go to report.
func importEvents(prog *bytecode.Program, st store.Store, name string, r io.Reader, now time.Time, report func(*ingest.Error)) (importResult, error) {
	var res importResult
	ev := -1
	for i, e := range prog.Events {
		if strings.EqualFold(e.Name, name) {
			ev = i
		}
	}
	if ev < 0 {
		return res, fmt.Errorf("no event type %s in the program", name)
	}
	et := prog.Events[ev]
	typ := prog.Types[et.Object].Name
	dec := ingest.NewDecoder(prog)
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return res, fmt.Errorf("reading the header row: %v", err)
	}
	cols := make([]string, len(header))
	types := make([]value.Type, len(header))
	idCol, atCol := -1, -1
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		cols[i] = h
		switch h {
		case "id":
			idCol = i
		case "at":
			atCol = i
		default:
			found := false
			for _, p := range et.Props {
				if p.Name == h {
					types[i], found = p.Type, true
				}
			}
			if !found {
				names := make([]string, len(et.Props))
				for j, p := range et.Props {
					names[j] = p.Name
				}
				return res, fmt.Errorf("line 1: column %q is not a property of event %s (it has %s)", header[i], et.Name, strings.Join(names, ", "))
			}
		}
	}
	if idCol < 0 || atCol < 0 {
		return res, fmt.Errorf("line 1: the header row needs an \"id\" and an \"at\" column (it has %s)", strings.Join(cols, ", "))
	}
	var b store.Batch
	pending := 0
	exists := map[string]bool{} // record id → in the store (the import is the only writer)
	flush := func() error {
		if pending == 0 {
			return nil
		}
		err := st.Commit(&b)
		res.imported += pending
		b, pending = store.Batch{}, 0
		return err
	}
	for rows := 0; ; rows++ {
		row, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				res.bad++
				report(&ingest.Error{Line: pe.StartLine, Field: "csv", Msg: pe.Err.Error()})
				continue
			}
			return res, err
		}
		if rows >= maxImportRows {
			return res, errors.Join(flush(), fmt.Errorf("line %d: more than %d rows; the rows before it were imported", line, maxImportRows))
		}
		fail := func(field, format string, args ...any) {
			res.bad++
			report(&ingest.Error{Line: line, Field: field, Msg: fmt.Sprintf(format, args...)})
		}
		if len(row) != len(cols) {
			fail("csv", "%d fields; the header has %d", len(row), len(cols))
			continue
		}
		m := map[string]any{"op": "event", "event": et.Name, "id": row[idCol]}
		if row[atCol] != "" {
			m["at"] = row[atCol]
			if ms, err := strconv.ParseInt(row[atCol], 10, 64); err == nil {
				m["at"] = ms
			}
		}
		props := map[string]any{}
		for i, cell := range row {
			if i == idCol || i == atCol || cell == "" {
				continue
			}
			props[cols[i]] = cellValue(types[i], cell)
		}
		m["props"] = props
		raw, _ := json.Marshal(m)
		ch, err := dec.DecodeOne(line, raw)
		if err != nil {
			var ie *ingest.Error
			if errors.As(err, &ie) {
				res.bad++
				report(ie)
			} else {
				fail("", "%v", err)
			}
			continue
		}
		switch {
		case ch.At.IsZero():
			fail("at", "missing: an imported event needs the time it happened")
			continue
		case ch.At.After(now):
			fail("at", "%s is in the future; only past events are imported", ch.At.Format(time.RFC3339))
			continue
		}
		ok, seen := exists[ch.ID]
		if !seen {
			if _, ok, err = st.Record(typ, ch.ID); err != nil {
				return res, err
			}
			if len(exists) < 1<<20 {
				exists[ch.ID] = ok
			}
		}
		if !ok {
			fail("id", "no %s %s in the data directory", typ, ch.ID)
			continue
		}
		named := map[string]value.Value{}
		for slot, v := range ch.EventProps {
			if !v.IsEmpty() {
				named[et.Props[slot].Name] = v
			}
		}
		pj, err := json.Marshal(named)
		if err != nil {
			return res, err
		}
		b.PutEvent(store.Event{Type: typ, ID: ch.ID, Name: et.Name, At: ch.At, Props: pj})
		if pending++; pending == importBatch {
			if err := flush(); err != nil {
				return res, err
			}
		}
	}
	return res, flush()
}

// cellValue turns a CSV cell into the JSON value the decoder types against
// the property's declaration; what does not parse stays a string, for the
// decoder to report.
func cellValue(t value.Type, cell string) any {
	switch t.Kind {
	case value.TNumber:
		if f, err := strconv.ParseFloat(cell, 64); err == nil {
			return f
		}
	case value.TBool:
		if v, err := strconv.ParseBool(cell); err == nil {
			return v
		}
	case value.TSet, value.TList:
		return strings.Split(cell, ";")
	}
	return cell
}
