package lsp

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"go.lsp.dev/protocol"

	"github.com/wflang/wf/lang/ast"
	"github.com/wflang/wf/stdlib"
)

// keywordDocs says what each keyword of the language means, for hover and
// completion details. The first sentence is the completion detail.
var keywordDocs = map[string]string{
	// Declarations.
	"object":   "Declares an object type: typed properties and associations. `object subscription { plan: enum(\"free\", \"pro\") }`",
	"extend":   "Adds properties or associations to an existing object type, such as the prelude's contact. `extend contact { seats: number }`",
	"workflow": "Declares a workflow: its object type, triggers and settings, then the steps an enrolled record runs through in order.",
	"test":     "A test block: records, events and clock moves on a virtual clock, then expectations. `wf test` runs it.",
	// Settings.
	"on":       "`on TYPE` names the object type whose records the workflow enrolls.",
	"enroll":   "An enrollment trigger (`enroll when …`, `enroll every …`, `enroll on date …`, `enroll existing`), a step that enrolls the record in another workflow (`enroll in other`), or, in a test, a manual enrollment (`enroll c1 in wf`). Triggers are ORed; a filter trigger enrolls a record when it goes from not matching to matching.",
	"reenroll": "`reenroll on change p, …` enrolls a record again when one of the properties changes and the trigger matches after the change; `reenroll on event e` / `on webhook w` enrolls on every occurrence.",
	"unenroll": "`unenroll when COND` removes an enrolled record as soon as the condition holds (checked after every change).",
	"goal":     "`goal COND` marks an enrollment converted, and ends it, when the condition holds (checked after every change).",
	"suppress": "`suppress when COND`: records that match are neither enrolled nor kept enrolled.",
	"timezone": "`timezone \"Europe/Amsterdam\"`: the time zone of the workflow's schedules, run window and date functions.",
	"run":      "`run on mon..fri 09:00..17:00`: a run window; actions outside it wait for it.",
	"step":     "`step NAME: …` gives a step an explicit, stable id; enrollments waiting at it survive edits to the workflow.",
	"when":     "Introduces the condition of a trigger, unenroll or suppress setting.",
	"every":    "`enroll every monday at 09:00 [where COND]`: a schedule trigger.",
	"existing": "`enroll existing`: on first enabling, enroll the records that already match.",
	"where":    "Filters an event, a schedule or created records by a condition; an event's fields shadow the record's properties.",
	// Steps.
	"set":         "Sets a property: `set p = EXPR`.",
	"increment":   "Adds to a number property: `increment score by 10` (by 1 without `by`).",
	"decrement":   "Subtracts from a number property: `decrement score by 10` (by 1 without `by`).",
	"clear":       "Empties properties: `clear p, q`.",
	"copy":        "Copies a value to a property, usually of an associated record: `copy email to company.domain_contact`.",
	"delay":       "Waits: `delay 2d`, or `delay until DATE [at 09:00]`. A suspension point.",
	"wait":        "Waits for an event (`wait for event E [where COND] [up to D] [else {…}]`) or a condition (`wait until COND [up to D] [else {…}]`). A suspension point.",
	"if":          "Runs a block when a condition holds: `if COND {…} else if COND {…} else {…}`.",
	"else":        "The block run when no earlier condition held, or when a wait timed out.",
	"branch":      "Runs the arm matching a value: `branch on plan { \"pro\" => {…} else => {…} }`.",
	"split":       "Sends each record down one arm at random, by percentage: `split { 25% => {…} 75% => {…} }`.",
	"assign":      "Assigns an owner property: `assign owner round_robin [\"ann\", \"bob\"]` (or random, balanced).",
	"create":      "Creates a record (`create deal { dealname: \"…\" } [as d]`) or a task (`create task \"title\" [for owner] [due 1d]`).",
	"notify":      "Sends an internal notification: `notify \"sales@example.com\" \"New lead {{email}}\"`.",
	"send":        "Sends an email template to the record: `send email \"welcome-1\" [to EXPR]`.",
	"webhook":     "Declares an incoming webhook (`webhook NAME { match TYPE by KEY = body.… }`), triggers on one (`enroll when webhook NAME`), or, as a step, POSTs the record to a URL: `webhook post URL [sign secret(\"K\")] [timeout D] [rate N] [as h]`.",
	"code":        "Runs custom code: sandboxed JavaScript (`code js [secrets (…)] [outputs (…)] [as n] `…``) or a registered Go function (`code go \"name\" [as n]`).",
	"placeholder": "A step still to be decided: `placeholder \"ask legal\"`. A workflow with one cannot be enabled.",
	"stop":        "Ends the enrollment.",
	"as":          "Names a step's output, readable by later steps: `webhook post URL as hook` then `hook.status`.",
	// Events.
	"event": "Declares a custom event type (`event NAME on TYPE { … }`), triggers on one (`enroll when event NAME where …`), waits for one, or, in a test, makes one happen (`event NAME c1 { … }`).",
	// Tests.
	"at":        "In a test, sets the virtual clock: `at 2026-01-05T08:00:00Z`. After a schedule or delay, the time of day.",
	"advance":   "Moves a test's virtual clock forward: `advance 2d`.",
	"upsert":    "Creates or updates a test record: `upsert contact c1 { email: \"a@acme.com\" }`.",
	"delete":    "Deletes a test record: `delete contact c1`.",
	"associate": "Associates two test records: `associate contact c1 to company co1 [as \"primary\"]`.",
	"hook":      "Calls an incoming webhook in a test: `hook order_paid { order: { id: \"o1\" } }`.",
	"enable":    "Enables a workflow in a test, so records can exist before it is enabled.",
	"expect":    "An expectation: `expect c1.score == 10`, `expect [not] enrolled c1 in wf [at \"step\"]`, `expect webhook URL count 1`, `expect email \"t\" to c1`, `expect created deal where …`.",
}

// Keyword lists offered by completion, by context.
var (
	declWords  = []string{"object", "extend", "event", "webhook", "workflow", "test"}
	itemWords  = []string{"on", "enroll", "reenroll", "unenroll", "goal", "suppress", "timezone", "run", "step"}
	stepWords  = []string{"set", "increment", "decrement", "clear", "copy", "delay", "wait", "if", "branch", "split", "assign", "create", "notify", "send", "webhook", "code", "enroll", "placeholder", "stop", "step"}
	stmtWords  = []string{"at", "advance", "upsert", "delete", "event", "associate", "hook", "enroll", "enable", "expect"}
	typeWords  = []string{"string", "number", "bool", "datetime", "date", "url", "enum", "set", "unique"}
	exprWords  = []string{"and", "or", "not", "in", "contains", "starts_with", "ends_with", "matches", "is", "known", "empty", "now", "today", "true", "false"}
	allKeyword = map[string]bool{}
)

// stepKeywords start a step.
var stepKeywords = map[string]bool{}

func init() {
	for _, l := range [][]string{declWords, itemWords, stepWords, stmtWords, exprWords,
		{"when", "every", "existing", "where", "else", "as", "by", "to", "for", "until", "up", "match", "props", "assoc",
			"change", "post", "sign", "secret", "timeout", "rate", "due", "email", "task", "round_robin", "random", "balanced",
			"js", "go", "secrets", "outputs", "enrolled", "converted", "unenrolled", "completed", "count", "from", "date", "one", "many", "unique"}} {
		for _, w := range l {
			allKeyword[w] = true
		}
	}
	for _, w := range stepWords {
		stepKeywords[w] = true
	}
}

// firstSentence is the part of a doc up to its first full stop.
func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i >= 0 {
		return s[:i+1]
	}
	return s
}

func (s *server) indexOf(prog *program) *index {
	if prog == nil {
		return buildIndex([]*ast.File{s.prelude.ast})
	}
	return prog.index(s.prelude.ast)
}

func (s *server) hover(ctx context.Context, p *protocol.HoverParams) (any, error) {
	f, prog := s.fileOf(p.TextDocument.URI)
	if f == nil {
		return nil, nil
	}
	idx := s.indexOf(prog)
	off := f.lines.offset(p.Position)
	if o, ok := idx.at(f.name, off); ok {
		r := f.lines.rangeOf(o.span.Pos, o.span.EndPos)
		return &protocol.Hover{Contents: markdown(describe(idx, o.sym)), Range: &r}, nil
	}
	// Not a resolved name: the word under the cursor, which may be in a
	// declaration that does not parse yet.
	start, end := off, off
	for start > 0 && isWordByte(f.src[start-1]) {
		start--
	}
	for end < len(f.src) && isWordByte(f.src[end]) {
		end++
	}
	word := f.src[start:end]
	if word == "" {
		return nil, nil
	}
	r := protocol.Range{Start: f.lines.position(start), End: f.lines.position(end)}
	if text := describeWord(idx, f.src, start, end, word); text != "" {
		return &protocol.Hover{Contents: markdown(text), Range: &r}, nil
	}
	return nil, nil
}

func markdown(s string) protocol.MarkupContent {
	return protocol.MarkupContent{Kind: protocol.Markdown, Value: s}
}

// describeWord describes a word that is not a resolved name: a builtin
// called, a keyword, or a name in a declaration that does not parse.
func describeWord(idx *index, src string, start, end int, word string) string {
	rest := strings.TrimLeft(src[end:], " \t")
	if fn := idx.funcs[word]; fn != nil && strings.HasPrefix(rest, "(") {
		return describe(idx, fn)
	}
	c := completionContext(src, start)
	if c.kind == compNone && c.decl == "" {
		return ""
	}
	if o := idx.objects[c.object]; o != nil {
		if p := o.props[word]; p != nil {
			return describe(idx, p)
		}
	}
	if doc, ok := keywordDocs[word]; ok {
		return fmt.Sprintf("**%s** (keyword)\n\n%s", word, doc)
	}
	switch {
	case idx.events[word] != nil:
		return describe(idx, idx.events[word].sym)
	case idx.flows[word] != nil:
		return describe(idx, idx.flows[word].sym)
	case idx.hooks[word] != nil:
		return describe(idx, idx.hooks[word].sym)
	case idx.objects[word] != nil:
		return describe(idx, idx.objects[word].sym)
	}
	return ""
}

func code(s string) string { return "```wf\n" + s + "\n```\n" }

func where(s *symbol) string {
	if s.file == "" {
		return ""
	}
	if s.file == stdlib.PreludeFile {
		return "\n\nDeclared in the prelude."
	}
	return ""
}

// describe is the hover text of a symbol, in Markdown.
func describe(idx *index, s *symbol) string {
	var b strings.Builder
	switch s.kind {
	case symObject:
		b.WriteString(code("object " + s.name))
		if o := idx.objects[s.name]; o != nil {
			fmt.Fprintf(&b, "Object type with %d properties", len(o.list))
			var assocs []string
			for _, a := range o.assocs {
				assocs = append(assocs, a.name+" ("+a.typ+")")
			}
			if len(assocs) > 0 {
				slices.Sort(assocs)
				b.WriteString("; associations: " + strings.Join(assocs, ", "))
			}
			b.WriteString(".")
			var uniq []string
			for _, p := range o.list {
				if p.unique {
					uniq = append(uniq, "`"+p.name+"`")
				}
			}
			if len(uniq) > 0 {
				b.WriteString(" Unique keys: " + strings.Join(uniq, ", ") + ".")
			}
		}
	case symProp:
		t := s.typ
		if s.unique {
			t += " unique"
		}
		b.WriteString(code(s.name + ": " + t))
		fmt.Fprintf(&b, "Property of `%s`.", s.owner)
	case symAssoc:
		b.WriteString(code("assoc " + s.name + " " + s.typ))
		fmt.Fprintf(&b, "Association of `%s` with `%s` (%s). `%s.PROP` reads a property of any associated record.", s.owner, s.target, s.typ, s.name)
	case symEvent:
		if ev := idx.events[s.name]; ev != nil {
			var fields []string
			for _, p := range ev.list {
				fields = append(fields, "  "+p.name+": "+p.typ)
			}
			b.WriteString(code("event " + s.name + " on " + ev.object + " {\n" + strings.Join(fields, "\n") + "\n}"))
			fmt.Fprintf(&b, "Custom event on `%s` records.", ev.object)
		}
	case symEventProp:
		b.WriteString(code(s.name + ": " + s.typ))
		fmt.Fprintf(&b, "Field of event `%s`; in a where clause it shadows a record property of the same name.", s.owner)
	case symHook:
		if h := idx.hooks[s.name]; h != nil {
			b.WriteString(code("webhook " + s.name))
			fmt.Fprintf(&b, "Incoming webhook: `POST /v1/hooks/%s` finds a `%s` record by a unique property", s.name, h.object)
			if d, ok := s.node.(*ast.WebhookDecl); ok {
				fmt.Fprintf(&b, " (`%s`)", d.MatchKey.Name)
			}
			b.WriteString(".")
			if len(h.list) > 0 {
				var props []string
				for _, p := range h.list {
					props = append(props, "`"+p.name+": "+p.typ+"`")
				}
				b.WriteString(" It maps " + strings.Join(props, ", ") + ".")
			}
		}
	case symHookProp:
		b.WriteString(code(s.name + ": " + s.typ))
		fmt.Fprintf(&b, "Property mapped by incoming webhook `%s`.", s.owner)
	case symWorkflow:
		b.WriteString(code("workflow " + s.name))
		if d, ok := s.node.(*ast.WorkflowDecl); ok {
			b.WriteString(workflowSummary(idx.srcs[s.file], d))
		}
	case symLabel:
		b.WriteString(code("step " + s.name))
		fmt.Fprintf(&b, "Step of workflow `%s` with a stable id", s.owner)
		if st, ok := s.node.(*ast.Step); ok {
			if t := text(idx.srcs[s.file], st.Body); t != "" && !strings.Contains(t, "\n") {
				fmt.Fprintf(&b, ": `%s`", t)
			}
		}
		b.WriteString(".")
	case symOutput:
		b.WriteString(code("as " + s.name))
		switch s.target {
		case "webhook":
			b.WriteString("Result of a webhook step: `" + s.name + ".status` (number), `" + s.name + ".body.…`, `" + s.name + ".headers.…`.")
		case "code":
			b.WriteString("Outputs of a code step")
			if st, ok := s.node.(*ast.Step); ok {
				if cs, ok := st.Body.(*ast.CodeStep); ok && len(cs.Outputs) > 0 {
					var outs []string
					for _, o := range cs.Outputs {
						outs = append(outs, "`"+s.name+"."+o.Name.Name+"`")
					}
					b.WriteString(": " + strings.Join(outs, ", "))
				}
			}
			b.WriteString(".")
		default:
			fmt.Fprintf(&b, "The `%s` record created by this step: `%s.id` and its properties.", s.target, s.name)
		}
	case symRecord:
		b.WriteString(code(s.name + " (" + s.target + ")"))
		fmt.Fprintf(&b, "Record of test %q.", s.owner)
	case symFunc:
		if fn := stdlib.Lookup(s.name); fn != nil {
			b.WriteString(code(fn.Sig))
			b.WriteString(fn.Doc)
		}
	}
	b.WriteString(where(s))
	return b.String()
}

// workflowSummary describes a workflow: what it enrolls, when, and its steps.
func workflowSummary(src string, d *ast.WorkflowDecl) string {
	var b strings.Builder
	var triggers, settings []string
	steps, labels := 0, []string{}
	obj := ""
	for _, it := range d.Items {
		switch it := it.(type) {
		case *ast.OnSetting:
			obj = it.Object.Name
		case *ast.FilterTrigger, *ast.EventTrigger, *ast.WebhookTrigger, *ast.ScheduleTrigger, *ast.DateTrigger, *ast.EnrollExisting:
			triggers = append(triggers, "- `"+oneLine(text(src, it))+"`")
		case *ast.Step:
			ast.Inspect(it, func(n ast.Node) bool {
				if st, ok := n.(*ast.Step); ok {
					steps++
					if st.Label != nil {
						labels = append(labels, "`"+st.Label.Name+"`")
					}
				}
				return true
			})
		case *ast.Bad: // a syntax error
		default:
			settings = append(settings, "- `"+oneLine(text(src, it))+"`")
		}
	}
	if obj != "" {
		fmt.Fprintf(&b, "Enrolls `%s` records", obj)
	} else {
		b.WriteString("Enrolls records (no `on` type yet)")
	}
	if len(triggers) == 0 {
		b.WriteString(" only by `enroll in` or by hand.\n")
	} else {
		b.WriteString(" when:\n" + strings.Join(triggers, "\n") + "\n")
	}
	if len(settings) > 0 {
		b.WriteString("\nSettings:\n" + strings.Join(settings, "\n") + "\n")
	}
	fmt.Fprintf(&b, "\n%d steps", steps)
	if len(labels) > 0 {
		b.WriteString("; labelled: " + strings.Join(labels, ", "))
	}
	b.WriteString(".")
	return b.String()
}

// oneLine shortens a piece of source to its first line.
func oneLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return strings.TrimSpace(s[:i]) + " …"
	}
	return s
}
