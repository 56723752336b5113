package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/runtime/clock"
	"github.com/wflang/wf/runtime/code"
	"github.com/wflang/wf/runtime/engine"
	"github.com/wflang/wf/runtime/wftest"
	"github.com/wflang/wf/value"
)

// defaultStart is where the clock starts when neither --start nor the
// input says.
var defaultStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// horizon bounds how far past the last change wf run follows timers when
// --until is not given.
const horizon = 365 * 24 * time.Hour

var cmdRun = &command{
	name:  "run",
	args:  "paths... --input changes.jsonl [--start T] [--until T] [--seed N]",
	short: "run workflows against a stream of changes",
	long: `Run loads the workflows that paths name (.wf sources or one .wfc file) into
an in-memory engine on a virtual clock, applies the changes in the input
file, and prints a trace of what happened to stdout as JSON Lines: every
enrollment, step, property change, wait, conversion, unenrollment and
completion.

The input is JSON Lines, one change per line (docs/cli.md has the details):

  {"op":"upsert","type":"contact","id":"c1","at":"2026-01-05T08:00:00Z","props":{"score":5}}

An optional "at" (RFC 3339, or epoch milliseconds) says when the change
happens; changes must be in time order, and a change without "at" happens
at the time of the one before it. Before each change, the clock runs to its
time, firing the delays that fall due on the way (a delay due at the very
moment of a change fires first). Blank lines are skipped. Each applied
change appears in the trace as a "change" line naming its input line.

The clock starts at --start, else at the first change's time, else at
2026-01-01T00:00:00Z. After the last change it runs to --until; without
--until it runs until no delays remain, but at most one year past the last
change (a note on stderr says when delays were left).

Nothing goes over the network: an outgoing webhook step gets the answer
wf test gives it (status 200, an empty JSON body), and code js steps run in
their sandbox with secrets from the environment.

Bad input lines are all reported, as file:line: message, before anything
runs, and run exits 2. Errors while running (a code go step, which needs
a Go function registered by an embedding service; a cascade that would not
stop) are in the trace as "error" events and on stderr, and run exits 1.
`,
	run: runRun,
}

func runRun(c *command, args []string, stdout, stderr io.Writer) int {
	fs := c.flagSet()
	rf := addReplayFlags(fs, "seed for split steps: the same seed takes the same arms")
	paths, code, ok := c.parse(fs, args, stdout, stderr)
	if !ok {
		return code
	}
	if code, ok := rf.check(c, stderr); !ok {
		return code
	}
	prog, code, ok := load(c, paths, stderr)
	if !ok {
		return code
	}
	changes, code, ok := rf.read(c, prog, stderr)
	if !ok {
		return code
	}
	out := bufio.NewWriter(stdout)
	sim := &simulation{input: rf.input, out: out, stderr: stderr, clock: clock.NewVirtual(rf.startAt)}
	if err := sim.start(prog, rf.seed); err != nil {
		return errorf(stderr, c, "%v", err)
	}
	if err := sim.run(changes, rf.untilAt); err != nil {
		return errorf(stderr, c, "%v", err)
	}
	if err := out.Flush(); err != nil {
		return errorf(stderr, c, "%v", err)
	}
	if sim.failed {
		return exitFindings
	}
	return exitOK
}

// simulation is one wf run: an engine on a virtual clock, writing its
// trace to out and its errors to stderr.
type simulation struct {
	input  string // the input file's name, for errors
	out    io.Writer
	stderr io.Writer
	clock  *clock.Virtual
	eng    *engine.Engine
	prog   *bytecode.Program
	trace  func(engine.TraceEvent)
	errors int  // error events traced so far
	failed bool // an error was reported
}

func (s *simulation) start(prog *bytecode.Program, seed int64) error {
	s.prog = prog
	s.trace = engine.JSONL(s.out)
	eng, err := engine.New(prog, engine.Options{Clock: s.clock, Seed: seed, Trace: s.event,
		// code js runs, with secrets from the environment; outgoing
		// webhooks get wf test's fake answer: nothing goes over the network.
		Code: (&code.Runner{Secrets: code.EnvSecrets()}).Hook(), Secrets: code.EnvSecrets(),
		Webhook: wftest.FakeHTTP})
	if err != nil {
		return err
	}
	s.eng = eng
	for _, w := range eng.Warnings() {
		fmt.Fprintf(s.stderr, "wf run: warning: %s\n", w)
	}
	return nil
}

// event writes one trace event, in UTC whatever zone a workflow computed
// it in. An error of an enrollment (a step failed or is not supported) is
// a finding and goes to stderr too; the engine's load-time notes (no
// record) are printed as warnings by start.
func (s *simulation) event(ev engine.TraceEvent) {
	ev.At = ev.At.UTC()
	s.trace(ev)
	if ev.Kind == engine.KindError && ev.Record != "" {
		fmt.Fprintf(s.stderr, "wf run: %s: %s in %s: %s\n", ev.At.Format(time.RFC3339), ev.Record, ev.Workflow, ev.Reason)
		s.errors++
		s.failed = true
	}
}

// run applies the changes, each at its time, then runs the clock to until
// or, when until is zero, until no timers remain (at most horizon after
// the last change). The error is for output that cannot be written.
func (s *simulation) run(changes []timedChange, until time.Time) error {
	enc := json.NewEncoder(s.out)
	for _, ch := range changes {
		if !ch.at.IsZero() {
			s.runUntil(ch.at)
		}
		err := enc.Encode(changeLine{
			At: s.clock.Now().UTC(), Kind: "change", Op: ch.Op.String(),
			Record: s.prog.Types[ch.Type].Name + "/" + ch.ID, Line: ch.line,
		})
		if err != nil {
			return err
		}
		before := s.errors
		if err := s.eng.Apply(ch.Change); err != nil {
			s.report(fmt.Errorf("%s:%d: %v", s.input, ch.line, err), before)
		}
	}
	if !until.IsZero() {
		s.runUntil(until)
		return nil
	}
	limit := s.clock.Now().Add(horizon)
	for {
		next, ok := s.eng.NextTimer()
		if !ok {
			return nil
		}
		if next.After(limit) {
			fmt.Fprintf(s.stderr, "wf run: stopped at %s, one year after the last change, with delays still pending (the next is due %s); use --until to run further\n",
				limit.Format(time.RFC3339), next.Format(time.RFC3339))
			s.runUntil(limit)
			return nil
		}
		s.runUntil(next)
	}
}

func (s *simulation) runUntil(t time.Time) {
	before := s.errors
	s.report(s.eng.RunUntil(t), before)
}

// report records an engine error. The engine traces its errors, which
// event has printed already, except for a change it refuses outright
// (deleting a record that does not exist): that is printed here.
func (s *simulation) report(err error, errorsBefore int) {
	if err == nil {
		return
	}
	s.failed = true
	if s.errors == errorsBefore {
		fmt.Fprintf(s.stderr, "wf run: %v\n", err)
	}
}

// changeLine is the trace line for an applied input change.
type changeLine struct {
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"`
	Op     string    `json:"op"`
	Record string    `json:"record"`
	Line   int       `json:"line"`
}

// checkTimes checks the changes against --start and --until: none may come
// before the start, and the until time may not come before a change.
func checkTimes(file string, changes []timedChange, start, until time.Time) []error {
	var errs []error
	for _, ch := range changes {
		if ch.at.IsZero() {
			continue
		}
		if !start.IsZero() && ch.at.Before(start) {
			errs = append(errs, fmt.Errorf("%s:%d: at %s is before --start %s", file, ch.line,
				ch.at.Format(time.RFC3339), start.Format(time.RFC3339)))
		}
		if !until.IsZero() && ch.at.After(until) {
			errs = append(errs, fmt.Errorf("%s:%d: at %s is after --until %s", file, ch.line,
				ch.at.Format(time.RFC3339), until.Format(time.RFC3339)))
		}
	}
	return errs
}

// parseTimeFlag reads an RFC 3339 datetime or a date (midnight UTC).
func parseTimeFlag(s string) (time.Time, error) {
	t, _, err := value.ParseDateTime(s, time.UTC)
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

// replayFlags are the flags of the commands that replay an input stream
// on a virtual clock (run, explain), and what they come to.
type replayFlags struct {
	input, start, until string
	seed                int64
	startAt, untilAt    time.Time
}

func addReplayFlags(fs *flag.FlagSet, seedUsage string) *replayFlags {
	rf := &replayFlags{}
	fs.StringVar(&rf.input, "input", "", "read the changes from `file` (JSON Lines)")
	fs.StringVar(&rf.start, "start", "", "start the virtual clock at `time` (RFC 3339)")
	fs.StringVar(&rf.until, "until", "", "run the clock to `time` after the last change (RFC 3339)")
	fs.Int64Var(&rf.seed, "seed", 0, seedUsage)
	return rf
}

// check validates the flags before anything is loaded.
func (rf *replayFlags) check(c *command, stderr io.Writer) (int, bool) {
	if rf.input == "" {
		return c.usageError(stderr, "no --input file given"), false
	}
	for _, f := range []struct {
		flag, val string
		to        *time.Time
	}{{"--start", rf.start, &rf.startAt}, {"--until", rf.until, &rf.untilAt}} {
		if f.val == "" {
			continue
		}
		t, err := parseTimeFlag(f.val)
		if err != nil {
			return c.usageError(stderr, "%s: %v", f.flag, err), false
		}
		*f.to = t
	}
	return exitOK, true
}

// read decodes the input against prog and checks its times, reporting every
// bad line; the clock starts at --start, else at the first change's time,
// else at defaultStart.
func (rf *replayFlags) read(c *command, prog *bytecode.Program, stderr io.Writer) ([]timedChange, int, bool) {
	changes, errs := readChanges(rf.input, prog)
	if len(errs) == 0 {
		errs = checkTimes(rf.input, changes, rf.startAt, rf.untilAt)
	}
	if len(errs) > 0 {
		for _, err := range errs {
			fmt.Fprintf(stderr, "wf %s: %v\n", c.name, err)
		}
		return nil, exitUsage, false
	}
	if rf.startAt.IsZero() {
		rf.startAt = defaultStart
		for _, ch := range changes {
			if !ch.at.IsZero() {
				rf.startAt = ch.at
				break
			}
		}
	}
	return changes, exitOK, true
}
