package parser

import (
	"fmt"
	"slices"
	"strings"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"

	"github.com/wflang/wf/lang/ast"
	"github.com/wflang/wf/lang/scanner"
)

// The keyword dispatchers parse ast.Item, ast.StepBody and ast.TestStmt.
// Each looks at the leading keywords of the next statement, picks the one
// production that can match, and hands it to participle. Letting
// participle try a union of twenty members in turn costs an allocation
// chain per member tried, and when every member fails its error says only
// which token it did not expect; a dispatcher knows which statement it is
// looking at, and says "unknown step", with a spelling hint.
//
// A dispatcher returns participle.NextMatch at "}" or the end of the input,
// ending the list it is in. Any other token that starts no statement is an
// error; the dispatcher consumes that token so that participle, whose
// lookahead is 0, reports the error instead of backing out of the list.
//
// The productions parseItem, parseStepBody and parseTestStmt recover from
// an error in their statement (recover.go): it is recorded, the statement
// becomes an ast.Bad, and the list goes on.

// prod parses one T from the lexer, as an I.
type prod[I any] func(*lexer.PeekingLexer) (I, error)

// production returns the parser of production T of g.
func production[T any, I any](g *participle.Parser[grammar]) prod[I] {
	p, err := participle.ParserForProduction[T](g)
	if err != nil {
		panic(err)
	}
	return func(lex *lexer.PeekingLexer) (I, error) {
		v, err := p.ParseFromLexer(lex, allowTrailing...)
		if err != nil {
			var zero I
			return zero, err
		}
		return any(v).(I), nil
	}
}

var (
	items = map[string]prod[ast.Item]{}
	steps = map[string]prod[ast.StepBody]{}
	stmts = map[string]prod[ast.TestStmt]{}

	stepItem prod[ast.Item] // a labelled or plain step at workflow level
)

// The words that start a statement, for spelling hints.
var (
	itemWords = []string{"on", "enroll", "reenroll", "unenroll", "goal", "suppress", "timezone", "run", "step"}
	stepWords = []string{"set", "increment", "decrement", "clear", "copy", "delay", "wait", "if", "branch",
		"split", "assign", "create", "notify", "send", "webhook", "code", "enroll", "placeholder", "stop"}
	stmtWords = []string{"at", "advance", "upsert", "delete", "event", "associate", "hook", "enroll", "enable", "expect"}

	// blockWords resynchronise the lists of a workflow: its items and the
	// steps of its blocks. A setting in a block is an error of its own.
	blockWords = append(slices.Clip(itemWords), stepWords...)
)

func initDispatch(g *participle.Parser[grammar]) {
	items["on"] = production[ast.OnSetting, ast.Item](g)
	items["enroll when"] = production[ast.FilterTrigger, ast.Item](g)
	items["enroll when event"] = production[ast.EventTrigger, ast.Item](g)
	items["enroll when webhook"] = production[ast.WebhookTrigger, ast.Item](g)
	items["enroll every"] = production[ast.ScheduleTrigger, ast.Item](g)
	items["enroll on"] = production[ast.DateTrigger, ast.Item](g)
	items["enroll existing"] = production[ast.EnrollExisting, ast.Item](g)
	items["reenroll"] = production[ast.ReenrollSetting, ast.Item](g)
	items["unenroll"] = production[ast.UnenrollSetting, ast.Item](g)
	items["goal"] = production[ast.GoalSetting, ast.Item](g)
	items["suppress"] = production[ast.SuppressSetting, ast.Item](g)
	items["timezone"] = production[ast.TimezoneSetting, ast.Item](g)
	items["run"] = production[ast.RunWindow, ast.Item](g)
	stepItem = production[ast.Step, ast.Item](g)

	steps["set"] = production[ast.SetStep, ast.StepBody](g)
	steps["increment"] = production[ast.IncrementStep, ast.StepBody](g)
	steps["decrement"] = steps["increment"]
	steps["clear"] = production[ast.ClearStep, ast.StepBody](g)
	steps["copy"] = production[ast.CopyStep, ast.StepBody](g)
	steps["delay"] = production[ast.DelayStep, ast.StepBody](g)
	steps["wait for"] = production[ast.WaitEventStep, ast.StepBody](g)
	steps["wait until"] = production[ast.WaitUntilStep, ast.StepBody](g)
	steps["if"] = production[ast.IfStep, ast.StepBody](g)
	steps["branch"] = production[ast.BranchStep, ast.StepBody](g)
	steps["split"] = production[ast.SplitStep, ast.StepBody](g)
	steps["assign"] = production[ast.AssignStep, ast.StepBody](g)
	steps["create task"] = production[ast.CreateTaskStep, ast.StepBody](g)
	steps["create"] = production[ast.CreateStep, ast.StepBody](g)
	steps["notify"] = production[ast.NotifyStep, ast.StepBody](g)
	steps["send"] = production[ast.SendEmailStep, ast.StepBody](g)
	steps["webhook"] = production[ast.WebhookStep, ast.StepBody](g)
	steps["code"] = production[ast.CodeStep, ast.StepBody](g)
	steps["enroll in"] = production[ast.EnrollInStep, ast.StepBody](g)
	steps["placeholder"] = production[ast.PlaceholderStep, ast.StepBody](g)
	steps["stop"] = production[ast.StopStep, ast.StepBody](g)

	stmts["at"] = production[ast.AtStmt, ast.TestStmt](g)
	stmts["advance"] = production[ast.AdvanceStmt, ast.TestStmt](g)
	stmts["upsert"] = production[ast.UpsertStmt, ast.TestStmt](g)
	stmts["delete"] = production[ast.DeleteStmt, ast.TestStmt](g)
	stmts["event"] = production[ast.EventStmt, ast.TestStmt](g)
	stmts["associate"] = production[ast.AssociateStmt, ast.TestStmt](g)
	stmts["hook"] = production[ast.HookStmt, ast.TestStmt](g)
	stmts["enroll"] = production[ast.EnrollStmt, ast.TestStmt](g)
	stmts["enable"] = production[ast.EnableStmt, ast.TestStmt](g)
	stmts["expect enrolled"] = production[ast.ExpectEnrollment, ast.TestStmt](g)
	stmts["expect webhook"] = production[ast.ExpectWebhook, ast.TestStmt](g)
	stmts["expect email"] = production[ast.ExpectEmail, ast.TestStmt](g)
	stmts["expect created"] = production[ast.ExpectCreated, ast.TestStmt](g)
	stmts["expect"] = production[ast.ExpectExpr, ast.TestStmt](g)
}

// parseItem parses one workflow setting or step, recovering from a syntax
// error in it.
func parseItem(lex *lexer.PeekingLexer) (ast.Item, error) {
	return recovering(lex, parseItem1, blockWords, func(s ast.Span) ast.Item { return &ast.Bad{Span: s} })
}

// parseStepBody parses the body of one step, recovering from a syntax
// error in it.
func parseStepBody(lex *lexer.PeekingLexer) (ast.StepBody, error) {
	return recovering(lex, parseStepBody1, blockWords, func(s ast.Span) ast.StepBody { return &ast.Bad{Span: s} })
}

// parseTestStmt parses one statement of a test block, recovering from a
// syntax error in it.
func parseTestStmt(lex *lexer.PeekingLexer) (ast.TestStmt, error) {
	return recovering(lex, parseTestStmt1, stmtWords, func(s ast.Span) ast.TestStmt { return &ast.Bad{Span: s} })
}

// parseItem1 parses one workflow setting or step.
func parseItem1(lex *lexer.PeekingLexer) (ast.Item, error) {
	w := peekWords(lex)
	switch w[0] {
	case "":
	case "enroll":
		switch w[1] {
		case "when":
			if f := items["enroll when "+w[2]]; f != nil {
				return f(lex)
			}
			return items["enroll when"](lex)
		case "in":
			return stepItem(lex)
		}
		if f := items["enroll "+w[1]]; f != nil {
			return f(lex)
		}
		return nil, errorAfter(lex, 1, `expected "when", "every", "on date", "existing" or "in" after "enroll"`, "")
	case "step":
		return stepItem(lex)
	default:
		if f := items[w[0]]; f != nil {
			return f(lex)
		}
		if slices.Contains(stepWords, w[0]) {
			// An unlabelled step: parse its body, without the Step production.
			body, err := parseStepBody1(lex)
			if err != nil {
				return nil, err
			}
			return &ast.Step{Span: ast.Span{Pos: body.Start(), EndPos: body.End()}, Body: body}, nil
		}
	}
	return nil, unknown(lex, "workflow setting or step", append(itemWords, stepWords...))
}

// parseStepBody1 parses the body of one step.
func parseStepBody1(lex *lexer.PeekingLexer) (ast.StepBody, error) {
	w := peekWords(lex)
	if f := stepProd(w); f != nil {
		return f(lex)
	}
	switch w[0] {
	case "enroll": // not `enroll in`
		return nil, errorAfter(lex, 1, `expected "in" after "enroll"`,
			"a step can only enroll the record in another workflow; triggers (enroll when, enroll every, …) are workflow settings and cannot be inside a block")
	case "wait":
		return nil, errorAfter(lex, 1, `expected "for event" or "until" after "wait"`, "")
	case "on", "reenroll", "unenroll", "goal", "suppress", "timezone", "run":
		t := lex.Peek()
		lex.Next()
		return nil, &hintedError{pos: t.Pos, msg: fmt.Sprintf("%q is a workflow setting, not a step", t.Value),
			hint: "move it to the top level of the workflow"}
	}
	return nil, unknown(lex, "step", stepWords)
}

// stepProd returns the production for a step starting with the words w.
func stepProd(w [3]string) prod[ast.StepBody] {
	switch w[0] {
	case "wait", "enroll":
		return steps[w[0]+" "+w[1]]
	case "create":
		// `create task {…}` creates a record of an object type named task.
		if w[1] == "task" && w[2] != "{" {
			return steps["create task"]
		}
	}
	return steps[w[0]]
}

// parseTestStmt1 parses one statement of a test block.
func parseTestStmt1(lex *lexer.PeekingLexer) (ast.TestStmt, error) {
	w := peekWords(lex)
	if w[0] == "expect" {
		// `expect not enrolled c1 in wf`, `expect webhook "url"`,
		// `expect created deal`; anything else is `expect <expr>`, where
		// punctuation (`.`, `==`) follows the first word.
		special := !isPunct(w[2]) || w[2] == "}"
		switch {
		case w[1] == "not" && isState(w[2]), isState(w[1]) && special:
			return stmts["expect enrolled"](lex)
		case (w[1] == "webhook" || w[1] == "email" || w[1] == "created") && special:
			return stmts["expect "+w[1]](lex)
		}
	}
	if f := stmts[w[0]]; f != nil {
		return f(lex)
	}
	return nil, unknown(lex, "test statement", stmtWords)
}

// peekWords returns the values of the next three tokens, without consuming
// them: an identifier's text, a punctuation mark, or "" for anything else.
// The dispatchers only compare them with keywords.
func peekWords(lex *lexer.PeekingLexer) [3]string {
	var w [3]string
	cp := lex.MakeCheckpoint()
	for i := range w {
		t := lex.Peek()
		if t.EOF() {
			break
		}
		if t.Type == scanner.Ident || t.Type == scanner.Punct {
			w[i] = t.Value
		}
		if i == 0 && t.Type != scanner.Ident {
			w[0] = ""
			break
		}
		lex.Next()
	}
	lex.LoadCheckpoint(cp)
	return w
}

func isState(w string) bool {
	return w == "enrolled" || w == "converted" || w == "unenrolled" || w == "completed"
}

func isPunct(w string) bool {
	return w != "" && !isIdentStart(w[0])
}

func isIdentStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// unknown reports the next token as one that starts no statement of the
// kind named by what; at "}" or the end of the input it ends the list.
func unknown(lex *lexer.PeekingLexer, what string, words []string) error {
	t := lex.Peek()
	if t.EOF() || t.Type == scanner.Punct && t.Value == "}" {
		return participle.NextMatch
	}
	lex.Next()
	if t.Type == scanner.Invalid {
		return &hintedError{pos: t.Pos, msg: invalidMessage(t)}
	}
	if t.Type != scanner.Ident {
		return &hintedError{pos: t.Pos, msg: fmt.Sprintf(`expected a %s, or "}", found %s`, what, describe(t))}
	}
	e := &hintedError{pos: t.Pos, msg: fmt.Sprintf("unknown %s %q", what, t.Value)}
	switch {
	case slices.Contains(words, t.Value):
		// A keyword of this context that cannot start a statement here.
	case what != "test statement" && slices.Contains(stmtWords, t.Value):
		e.hint = fmt.Sprintf("%q is a test statement; it belongs in a test block", t.Value)
	case what == "test statement" && (slices.Contains(stepWords, t.Value) || slices.Contains(itemWords, t.Value)):
		e.hint = fmt.Sprintf("%q belongs in a workflow, not in a test block", t.Value)
	default:
		if s := suggest(t, words); s != "" {
			e.hint = fmt.Sprintf("did you mean %q?", s)
		}
	}
	return e
}

// errorAfter reports an error at the token k places ahead, consuming the
// tokens up to it.
func errorAfter(lex *lexer.PeekingLexer, k int, msg, hint string) error {
	lex.Next()
	for range k - 1 {
		lex.Next()
	}
	t := lex.Peek()
	return &hintedError{pos: t.Pos, msg: msg + ", found " + describe(t), hint: hint}
}

// hintedError is a syntax error with a suggested fix.
type hintedError struct {
	pos       lexer.Position
	msg, hint string
}

func (e *hintedError) Error() string            { return participle.FormatError(e) }
func (e *hintedError) Message() string          { return e.msg }
func (e *hintedError) Position() lexer.Position { return e.pos }

// describe names a token in a message: `"word"`, `number 5`, `end of file`.
func describe(t *lexer.Token) string {
	switch t.Type {
	case lexer.EOF:
		if t.Value == "}}" {
			return `the end of the template "}}"`
		}
		return "end of file"
	case scanner.Ident, scanner.Punct:
		return fmt.Sprintf("%q", t.Value)
	case scanner.String:
		return "string " + t.Value
	case scanner.RawString:
		return "code literal"
	case scanner.Number:
		return "number " + t.Value
	case scanner.Duration:
		return "duration " + t.Value
	case scanner.DateTime:
		return "date " + t.Value
	case scanner.Time:
		return "time " + t.Value
	case scanner.Invalid:
		return invalidMessage(t)
	}
	return strings.ToLower(scanner.Name(t.Type)) + " " + fmt.Sprintf("%q", t.Value)
}
