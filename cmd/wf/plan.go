package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/runtime/cluster"
	"github.com/wflang/wf/runtime/engine"
	"github.com/wflang/wf/runtime/server"
	"github.com/wflang/wf/runtime/store"
)

var cmdPlan = &command{
	name:  "plan",
	args:  "DIR [--data DIR | --store postgres://…]",
	short: "show what loading a directory of .wf files would do to the running state",
	long: `Plan compiles every .wf file below DIR and compares it with the version
stored in the --data directory (default ./.wf-data) by the last wf serve,
without changing anything. For each workflow it prints whether it is
added, removed, changed (its content hash differs) or unchanged; for the
enrollments running or waiting in it, per step, how many move to the new
version (their step id exists there) and how many finish on the old one
(it does not, or the workflow is removed); and for a workflow with
` + "`enroll existing`" + ` that is not enabled yet (an added one is enabled when
loaded), how many records would enroll now (a dry run on the stored
records).

The data directory is opened exclusively: stop wf serve first (or run plan
on a copy of the directory). With --store, plan reads a cluster's
PostgreSQL database instead, while its nodes run: the stored version is
the one they run, and a workflow's enabled state is the cluster's. Plan
exits 1 when DIR does not compile.
`,
	run: runPlan,
}

func runPlan(c *command, args []string, stdout, stderr io.Writer) int {
	fset := c.flagSet()
	data := fset.String("data", ".wf-data", "the `dir` wf serve keeps its database in")
	storeURL := fset.String("store", "", "plan against the cluster in the PostgreSQL database at `url` instead")
	paths, code, ok := c.parse(fset, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(paths) != 1 {
		return c.usageError(stderr, "give one directory of .wf files")
	}
	dir := strings.TrimSuffix(paths[0], "/...")
	prog, code, ok := load(c, []string{dir + "/..."}, stderr)
	if !ok {
		return code
	}
	if err := checkStoreFlags(fset, *storeURL); err != nil {
		return c.usageError(stderr, "%v", err)
	}
	var st store.Store
	if *storeURL != "" {
		db, err := openPostgres(*storeURL)
		if err != nil {
			return errorf(stderr, c, "%v", err)
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if st, err = cluster.View(ctx, db); err != nil {
			return errorf(stderr, c, "%v", err)
		}
	} else if _, err := os.Stat(filepath.Join(*data, store.FileName)); err == nil {
		b, err := store.Open(*data)
		if err != nil {
			return errorf(stderr, c, "%v (is wf serve running on it? stop it, or plan against a copy)", err)
		}
		defer b.Close()
		st = b
	} else if !errors.Is(err, fs.ErrNotExist) {
		return errorf(stderr, c, "%v", err)
	}
	p, err := makePlan(prog, st)
	if err != nil {
		return errorf(stderr, c, "%v", err)
	}
	p.print(stdout)
	return exitOK
}

type planWorkflow struct {
	name     string
	change   string // added, removed, changed, unchanged
	old, new string // hashes
	steps    map[string][2]int
	existing int // dry-run enroll existing count; -1: not applicable
}

type plan struct {
	stored bool
	wfs    []*planWorkflow
}

func makePlan(prog *bytecode.Program, st store.Store) (*plan, error) {
	p := &plan{}
	byName := map[string]*planWorkflow{}
	get := func(name string) *planWorkflow {
		w := byName[name]
		if w == nil {
			w = &planWorkflow{name: name, steps: map[string][2]int{}, existing: -1}
			byName[name] = w
		}
		return w
	}
	newWF := map[string]*bytecode.Workflow{}
	for _, wf := range prog.Workflows {
		newWF[wf.Name] = wf
		get(wf.Name).new = wf.Hash
	}
	var meta server.ProgramMeta
	var g *engine.Globals
	var recs []engine.RecordState
	if st != nil {
		p.stored = true
		data, err := st.Meta(server.MetaProgram)
		if err != nil {
			return nil, err
		}
		if data != nil {
			if err := json.Unmarshal(data, &meta); err != nil {
				return nil, fmt.Errorf("stored program: %v", err)
			}
		}
		for name, wm := range meta.Workflows {
			get(name).old = wm.Hash
		}
		if g, recs, err = server.LoadState(st); err != nil {
			return nil, err
		}
		for _, rs := range recs {
			for _, es := range rs.Enrollments {
				if !es.Status.Current() {
					continue
				}
				w := get(es.Workflow)
				if w.old == "" {
					w.old = es.Version
				}
				n := w.steps[es.Step]
				if moves(newWF[es.Workflow], es) {
					n[0]++
				} else {
					n[1]++
				}
				w.steps[es.Step] = n
			}
		}
	}
	known, disabled := map[string]bool{}, map[string]bool{}
	if g != nil {
		for _, name := range g.Workflows {
			known[name] = true
		}
		for _, name := range g.Disabled {
			known[name], disabled[name] = true, true
		}
	}
	for name, w := range byName {
		switch wf := newWF[name]; {
		case wf == nil:
			w.change = "removed"
		case w.old == "" && !known[name]:
			w.change = "added"
		case w.old != wf.Hash:
			w.change = "changed"
		default:
			w.change = "unchanged"
		}
		if wf := newWF[name]; wf != nil && wf.EnrollExisting && (!known[name] || disabled[name]) {
			n, err := dryRunExisting(prog, g, recs, name, disabled)
			if err != nil {
				return nil, err
			}
			w.existing = n
		}
		p.wfs = append(p.wfs, w)
	}
	sort.Slice(p.wfs, func(i, j int) bool { return p.wfs[i].name < p.wfs[j].name })
	return p, nil
}

// moves reports whether an enrollment moves to wf, as engine.Restore
// decides: its step (and the wait it is suspended in) exist there.
func moves(wf *bytecode.Workflow, es engine.EnrollmentState) bool {
	if wf == nil {
		return false
	}
	has := func(id string) bool {
		return slices.ContainsFunc(wf.Steps, func(st bytecode.Step) bool { return st.ID == id })
	}
	return has(es.Step) && (es.Wait == "" || has(es.Wait))
}

// dryRunExisting loads the stored state into an engine for prog with the
// workflow disabled, enables it, and counts the records it enrolls.
func dryRunExisting(prog *bytecode.Program, g *engine.Globals, recs []engine.RecordState, name string, disabled map[string]bool) (int, error) {
	opts := engine.Options{Disabled: []string{name}}
	for _, wf := range prog.Workflows {
		if disabled[wf.Name] && wf.Name != name {
			opts.Disabled = append(opts.Disabled, wf.Name)
		}
	}
	eng, err := engine.New(prog, opts)
	if err != nil {
		return 0, err
	}
	if _, err := eng.Restore(g, recs); err != nil {
		return 0, err
	}
	before, _ := eng.Export()
	if err := eng.Enable(name); err != nil {
		return 0, err
	}
	_, after := eng.Export()
	n := 0
	for _, rs := range after {
		for _, es := range rs.Enrollments {
			if es.Workflow == name && es.Seq > before.EnrollSeq {
				n++
			}
		}
	}
	return n, nil
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

func (p *plan) print(w io.Writer) {
	if !p.stored {
		fmt.Fprintln(w, "no stored version: every workflow is added")
	}
	for _, wf := range p.wfs {
		switch wf.change {
		case "changed":
			fmt.Fprintf(w, "%s: changed %s -> %s\n", wf.name, short(wf.old), short(wf.new))
		case "unchanged":
			fmt.Fprintf(w, "%s: unchanged %s\n", wf.name, short(wf.new))
		case "added":
			fmt.Fprintf(w, "%s: added %s\n", wf.name, short(wf.new))
		default:
			fmt.Fprintf(w, "%s: removed %s\n", wf.name, short(wf.old))
		}
		steps := make([]string, 0, len(wf.steps))
		for s := range wf.steps {
			steps = append(steps, s)
		}
		sort.Strings(steps)
		var move, old int
		for _, s := range steps {
			move += wf.steps[s][0]
			old += wf.steps[s][1]
		}
		if wf.change == "unchanged" && move+old > 0 {
			fmt.Fprintf(w, "  current enrollments: %d, staying on this version\n", move+old)
		} else if move+old > 0 {
			fmt.Fprintf(w, "  current enrollments: %d move to the new version, %d finish on the old one\n", move, old)
		}
		for _, s := range steps {
			n := wf.steps[s]
			switch {
			case wf.change == "unchanged":
				fmt.Fprintf(w, "    at %s: %d\n", s, n[0])
			case n[1] == 0:
				fmt.Fprintf(w, "    at %s: %d move\n", s, n[0])
			case n[0] == 0:
				fmt.Fprintf(w, "    at %s: %d finish on the old version (no step %s in the new one)\n", s, n[1], s)
			default:
				fmt.Fprintf(w, "    at %s: %d move, %d finish on the old version\n", s, n[0], n[1])
			}
		}
		if wf.existing >= 0 {
			fmt.Fprintf(w, "  enroll existing: %d records would enroll when it is enabled\n", wf.existing)
		}
	}
}
