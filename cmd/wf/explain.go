package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/runtime/clock"
	"github.com/wflang/wf/runtime/engine"
)

var cmdExplain = &command{
	name:  "explain",
	args:  "record [workflow] --input changes.jsonl [--start T] [--until T] [--seed N] [--json] paths...",
	short: "say why a record was or was not enrolled",
	long: `Explain replays the input on a virtual clock exactly as wf run does, then
says, for the record and each workflow on its type (or the one named), why
the record was or was not enrolled, unenrolled or converted:

  - each enrollment: the trigger clause that enrolled it and the values it
    saw, and how it ended (goal, unenroll or suppress clause and values,
    an error, or completion);
  - each trigger, goal, unenroll and suppress clause as it reads the
    record at the end, with the values it saw;
  - the last time a trigger matched but did not enroll the record, and why
    (enrolled before without reenroll, enrolled already, suppressed, the
    workflow not enabled with enroll existing);
  - the incoming webhook calls that named the record.

The record is type/id (contact/c1), or an id alone when one object type has
a record with that id. The flags are those of wf run; --json prints the
explanations as a JSON array instead. Explain exits 1 when the record does
not exist at the end of the input, 2 for usage and I/O errors.
`,
	run: runExplain,
}

var workflowName = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

func runExplain(c *command, args []string, stdout, stderr io.Writer) int {
	fs := c.flagSet()
	rf := addReplayFlags(fs, "seed for split steps")
	asJSON := fs.Bool("json", false, "print the explanations as JSON")
	pos, code, ok := c.parse(fs, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) < 2 {
		return c.usageError(stderr, "give a record and the paths of the workflows")
	}
	record, paths, workflow := pos[0], pos[1:], ""
	if _, err := os.Stat(paths[0]); err != nil && len(paths) > 1 && workflowName.MatchString(paths[0]) {
		workflow, paths = paths[0], paths[1:]
	}
	if code, ok := rf.check(c, stderr); !ok {
		return code
	}
	prog, code, ok := load(c, paths, stderr)
	if !ok {
		return code
	}
	typ, id, err := recordType(prog, record, workflow)
	if err != nil {
		return c.usageError(stderr, "%v", err)
	}
	changes, code, ok := rf.read(c, prog, stderr)
	if !ok {
		return code
	}
	// The same replay as wf run, with its trace discarded: its errors are
	// what the explanations report.
	sim := &simulation{input: rf.input, out: io.Discard, stderr: io.Discard, clock: clock.NewVirtual(rf.startAt)}
	if err := sim.start(prog, rf.seed); err != nil {
		return errorf(stderr, c, "%v", err)
	}
	if err := sim.run(changes, rf.untilAt); err != nil {
		return errorf(stderr, c, "%v", err)
	}
	var xs []engine.Explanation
	for _, wf := range prog.Workflows {
		if prog.Types[wf.Object].Name != typ || workflow != "" && wf.Name != workflow {
			continue
		}
		if x, ok := sim.eng.Why(wf.Name, id); ok {
			xs = append(xs, x)
		}
	}
	if len(xs) == 0 {
		fmt.Fprintf(stderr, "wf explain: there is no %s %s at the end of the input\n", typ, id)
		return exitFindings
	}
	var calls []engine.HookCall
	for _, call := range sim.eng.HookCalls() {
		if call.Record == typ+"/"+id {
			calls = append(calls, call)
		}
	}
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	if *asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(explainJSON(xs, calls)); err != nil {
			return errorf(stderr, c, "%v", err)
		}
		return exitOK
	}
	for i, x := range xs {
		if i > 0 {
			fmt.Fprintln(out)
		}
		printExplanation(out, x)
	}
	if len(calls) > 0 {
		fmt.Fprintf(out, "\nincoming webhook calls that named %s/%s:\n", typ, id)
		for _, call := range calls {
			fmt.Fprintf(out, "  %s  %s: %s", stamp(call.At), call.Hook, call.Reason)
			if call.Values != "" {
				fmt.Fprintf(out, " (%s)", call.Values)
			}
			if len(call.Enrolled) > 0 {
				fmt.Fprintf(out, "; enrolled in %s", strings.Join(call.Enrolled, ", "))
			}
			fmt.Fprintln(out)
		}
	}
	return exitOK
}

// recordType splits "type/id", or finds the type of a bare id: the named
// workflow's, else the only object type the id could be (when the
// program's workflows are all on one type).
func recordType(prog *bytecode.Program, record, workflow string) (typ, id string, err error) {
	if t, i, ok := strings.Cut(record, "/"); ok {
		for _, ot := range prog.Types {
			if ot.Name == t {
				return t, i, nil
			}
		}
		return "", "", fmt.Errorf("no object type %s", t)
	}
	types := map[string]bool{}
	for _, wf := range prog.Workflows {
		if workflow == "" || wf.Name == workflow {
			types[prog.Types[wf.Object].Name] = true
		}
	}
	switch len(types) {
	case 0:
		if workflow != "" {
			return "", "", fmt.Errorf("no workflow %s", workflow)
		}
		return "", "", fmt.Errorf("the program has no workflows")
	case 1:
		for t := range types {
			return t, record, nil
		}
	}
	return "", "", fmt.Errorf("say which type %s is, as type/%s", record, record)
}

// printExplanation writes one workflow's explanation as text.
func printExplanation(w io.Writer, x engine.Explanation) {
	state := "enabled"
	if !x.Enabled {
		state = "not enabled"
	}
	fmt.Fprintf(w, "%s in %s (%s)\n", x.Record, x.Workflow, state)
	if len(x.Enrollments) == 0 {
		fmt.Fprintln(w, "  never enrolled")
	}
	for _, en := range x.Enrollments {
		fmt.Fprintf(w, "  enrolled   %s  %s\n", stamp(en.Started), en.Why)
		if en.Status.Current() {
			fmt.Fprintf(w, "  %-10s %s  at step %q\n", en.Status, "now", en.Step)
			continue
		}
		how := en.How
		if how == "" {
			how = "ran off its last step"
		}
		fmt.Fprintf(w, "  %-10s %s  at step %q: %s\n", en.Status, stamp(en.Ended), en.Step, how)
	}
	if x.Note != "" {
		fmt.Fprintf(w, "  not enrolled %s: %s\n", stamp(x.NoteAt), x.Note)
	}
	fmt.Fprintln(w, "  at the end of the input:")
	for _, cl := range x.Clauses {
		var verdict string
		switch {
		case cl.Evaluated && cl.Holds:
			verdict = "holds    "
		case cl.Evaluated:
			verdict = "fails    "
		default:
			verdict = "waits for"
		}
		line := fmt.Sprintf("    %s %s", verdict, cl.Text)
		if cl.Values != "" {
			line += "  (" + cl.Values + ")"
		}
		fmt.Fprintln(w, line)
	}
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// explainJSON is the --json form of the explanations.
func explainJSON(xs []engine.Explanation, calls []engine.HookCall) any {
	type enrollment struct {
		Started string `json:"started"`
		Why     string `json:"why"`
		Status  string `json:"status"`
		Step    string `json:"step,omitempty"`
		Ended   string `json:"ended,omitempty"`
		How     string `json:"how,omitempty"`
	}
	type clause struct {
		Kind      string `json:"kind"`
		Text      string `json:"text"`
		Holds     bool   `json:"holds"`
		Evaluated bool   `json:"evaluated"`
		Values    string `json:"values,omitempty"`
	}
	type explanation struct {
		Workflow    string       `json:"workflow"`
		Record      string       `json:"record"`
		Enabled     bool         `json:"enabled"`
		Enrollments []enrollment `json:"enrollments"`
		Clauses     []clause     `json:"clauses"`
		Note        string       `json:"note,omitempty"`
		NoteAt      string       `json:"note_at,omitempty"`
		HookCalls   []string     `json:"hook_calls,omitempty"`
	}
	out := []explanation{}
	for _, x := range xs {
		e := explanation{Workflow: x.Workflow, Record: x.Record, Enabled: x.Enabled, Enrollments: []enrollment{}, Clauses: []clause{}, Note: x.Note}
		if x.Note != "" {
			e.NoteAt = stamp(x.NoteAt)
		}
		for _, en := range x.Enrollments {
			j := enrollment{Started: stamp(en.Started), Why: en.Why, Status: en.Status.String(), Step: en.Step, How: en.How}
			if !en.Status.Current() {
				j.Ended = stamp(en.Ended)
			}
			e.Enrollments = append(e.Enrollments, j)
		}
		for _, cl := range x.Clauses {
			e.Clauses = append(e.Clauses, clause(cl))
		}
		for _, call := range calls {
			e.HookCalls = append(e.HookCalls, stamp(call.At)+" "+call.Hook+": "+call.Reason)
		}
		out = append(out, e)
	}
	return out
}
