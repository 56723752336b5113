package lsp

import (
	"strings"

	"github.com/alecthomas/participle/v2/lexer"

	"github.com/wflang/wf/lang/scanner"
)

// compKind is what may be written at the cursor.
type compKind uint8

const (
	compNone         compKind = iota // nothing to offer (inside a string or comment, a name being declared)
	compDecl                         // a declaration keyword, at the top level
	compItem                         // a workflow setting or step, directly in a workflow
	compStep                         // a step, inside a block
	compTestStmt                     // a test statement
	compMember                       // a property declaration in an object, extend or event body
	compType                         // a property type, after `name:`
	compKeywords                     // one of words: the rest of a statement (`enroll` → when, every, …)
	compExpr                         // an expression: properties, functions, outputs, records
	compField                        // a field of qualifier, after `qualifier.`
	compProp                         // a property of object: an assignment target or a literal's field
	compEventField                   // a field of event, in its object literal
	compEventName                    // an event name
	compHookName                     // an incoming webhook name
	compWorkflowName                 // a workflow name
	compObjectName                   // an object type name
)

// compContext is where the cursor is, found from the tokens before it, so
// that it works in a declaration that does not parse.
type compContext struct {
	kind      compKind
	decl      string   // the enclosing declaration's keyword: workflow, test, object, …
	object    string   // the workflow's `on` type; compProp: the object whose properties to offer
	event     string   // an event where-clause's event; compEventField: the event
	qualifier []string // compField: the path before the last dot
	words     []string // compKeywords
	records   map[string]string
	// recordEvents maps a test record introduced by an event statement to that event.
	recordEvents map[string]string
	prefix       string // the partial word before the cursor
	prefixStart  int    // its byte offset
}

// declStart returns the offset of the line that starts the declaration
// holding off: the last line before it that starts with a declaration
// keyword in column 1. It returns -1 when there is none.
func declStart(src string, off int) int {
	for ls := strings.LastIndexByte(src[:off], '\n') + 1; ; {
		if w := leadingWord(src[ls:]); declKeywords[w] && ls+len(w) < off {
			return ls
		}
		if ls == 0 {
			return -1
		}
		ls = strings.LastIndexByte(src[:ls-1], '\n') + 1
	}
}

var declKeywords = map[string]bool{"object": true, "extend": true, "event": true, "webhook": true, "workflow": true, "test": true}

func leadingWord(s string) string {
	i := 0
	for i < len(s) && (s[i] == '_' || s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z' || i > 0 && s[i] >= '0' && s[i] <= '9') {
		i++
	}
	return s[:i]
}

// completionContext finds what may be written at byte offset off of src.
func completionContext(src string, off int) compContext {
	off = max(0, min(off, len(src)))
	c := compContext{kind: compDecl, prefixStart: off}
	start := declStart(src, off)
	// The word being typed.
	p := off
	for p > 0 && isWordByte(src[p-1]) {
		p--
	}
	c.prefix, c.prefixStart = src[p:off], p
	if start < 0 {
		return c
	}

	// The tokens of the declaration up to the cursor.
	line := strings.Count(src[:start], "\n") + 1
	s := scanner.NewAt(src, lexer.Position{Offset: start, Line: line, Column: 1})
	var toks []lexer.Token
	for {
		t := s.Scan()
		if t.EOF() || t.Pos.Offset >= p {
			break
		}
		end := t.Pos.Offset + len(t.Value)
		if t.Type == scanner.Whitespace {
			continue
		}
		if end > off || end == off && (t.Type == scanner.Comment && strings.HasPrefix(t.Value, "//") || t.Type == scanner.Invalid) {
			return compContext{kind: compNone} // inside a string, a comment or a bad token
		}
		if t.Type != scanner.Comment {
			toks = append(toks, t)
		}
	}
	if len(toks) == 0 {
		return c
	}
	c.decl = toks[0].Value

	// Blocks: the statement that opened each brace still open.
	type open struct{ stmt []lexer.Token }
	var stack []open
	stmtStart := 0
	curLine := 0
	for i, t := range toks {
		if t.Pos.Line != curLine {
			curLine = t.Pos.Line
			stmtStart = i
		}
		if t.Type != scanner.Punct {
			continue
		}
		switch t.Value {
		case "{":
			stack = append(stack, open{stmt: toks[stmtStart:i]})
			stmtStart = i + 1
		case "}":
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			stmtStart = i + 1
		}
	}
	// The statement being written: the tokens on the cursor's line after
	// the last brace, or all of them when the line has none.
	cursorLine := strings.Count(src[:off], "\n") + 1
	var stmt []lexer.Token
	for i := stmtStart; i < len(toks); i++ {
		if toks[i].Pos.Line == cursorLine {
			stmt = toks[i:]
			break
		}
	}
	if len(stack) == 0 {
		if len(toks) > 0 && toks[len(toks)-1].Value == "}" || len(stmt) == 0 {
			c.kind = compDecl
			return c
		}
		c.kind = compNone // the declaration's header: a name being written
		if c.decl == "event" && len(stmt) >= 3 && stmt[len(stmt)-1].Value == "on" || c.decl == "extend" && len(stmt) == 1 {
			c.kind = compObjectName
		}
		return c
	}
	words := make([]string, len(stmt))
	for i, t := range stmt {
		words[i] = t.Value
	}
	last := ""
	if len(words) > 0 {
		last = words[len(words)-1]
	}
	// After a dot: a field of the path before it.
	if last == "." {
		i := len(stmt) - 1
		var q []string
		for i > 0 && stmt[i].Value == "." && stmt[i-1].Type == scanner.Ident {
			q = append([]string{stmt[i-1].Value}, q...)
			i -= 2
		}
		c.kind, c.qualifier = compField, q
		c.object = workflowObject(toks)
		c.records, c.recordEvents = testRecords(toks)
		return c
	}
	inner := stack[len(stack)-1].stmt
	switch c.decl {
	case "object", "extend", "event":
		switch {
		case len(words) >= 2 && words[1] == ":" && len(words) == 2:
			c.kind = compType
		case len(words) >= 1 && words[0] == "assoc" && (last == "assoc" || last == ","):
			c.kind = compObjectName
		case len(words) == 0:
			c.kind = compMember
		default:
			c.kind = compNone
		}
		return c
	case "webhook":
		c.kind = compNone
		if last == "match" {
			c.kind = compObjectName
		}
		return c
	case "test":
		return testContext(c, toks, inner, words)
	case "workflow":
		return workflowContext(c, toks, inner, len(stack), words)
	}
	c.kind = compNone
	return c
}

func isWordByte(b byte) bool {
	return b == '_' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

// workflowObject finds the workflow's `on` type in its tokens: `on NAME` at
// the start of a line.
func workflowObject(toks []lexer.Token) string {
	for i := 1; i+1 < len(toks); i++ {
		if toks[i].Value == "on" && toks[i-1].Pos.Line != toks[i].Pos.Line && toks[i+1].Type == scanner.Ident {
			return toks[i+1].Value
		}
	}
	return ""
}

// testRecords finds the records a test introduces: `upsert TYPE ID`,
// `event EVENT ID`, `associate TYPE ID to TYPE ID`.
func testRecords(toks []lexer.Token) (types, events map[string]string) {
	types, events = map[string]string{}, map[string]string{}
	id := func(t lexer.Token) string { return strings.Trim(t.Value, `"`) }
	for i := 1; i+2 < len(toks); i++ {
		if toks[i-1].Pos.Line == toks[i].Pos.Line && toks[i-1].Value != "{" {
			continue
		}
		switch toks[i].Value {
		case "upsert", "delete", "associate":
			if _, ok := types[id(toks[i+2])]; !ok {
				types[id(toks[i+2])] = toks[i+1].Value
			}
		case "event":
			if _, ok := events[id(toks[i+2])]; !ok {
				events[id(toks[i+2])] = toks[i+1].Value
			}
		}
	}
	return types, events
}

func workflowContext(c compContext, toks, inner []lexer.Token, depth int, words []string) compContext {
	c.object = workflowObject(toks)
	// An object literal: `create deal { … }`.
	if len(inner) >= 2 && inner[len(inner)-2].Value == "create" || len(inner) >= 2 && inner[0].Value == "create" && inner[1].Value != "task" {
		obj := ""
		for i, t := range inner {
			if t.Value == "create" && i+1 < len(inner) {
				obj = inner[i+1].Value
			}
		}
		return literalContext(c, words, obj, "")
	}
	if len(words) >= 3 && words[0] == "step" && words[2] == ":" {
		words = words[3:]
	}
	if len(words) == 0 {
		c.kind = compStep
		if depth == 1 {
			c.kind = compItem
		}
		return c
	}
	last := words[len(words)-1]
	has := func(w ...string) bool {
		if len(words) < len(w) {
			return false
		}
		for i := range w {
			if words[i] != w[i] {
				return false
			}
		}
		return true
	}
	switch {
	case len(words) == 1 && words[0] == "on" && depth == 1:
		c.kind = compObjectName
	case last == "event" && (has("enroll", "when") || has("wait", "for") || has("reenroll", "on")):
		c.kind = compEventName
	case last == "," && has("reenroll", "on", "event"):
		c.kind = compEventName
	case last == "webhook" && (has("enroll", "when") || has("reenroll", "on")) || last == "," && has("reenroll", "on", "webhook"):
		c.kind = compHookName
	case has("enroll", "in") && len(words) == 2:
		c.kind = compWorkflowName
	case has("reenroll", "on", "change") && (len(words) == 3 || last == ","):
		c.kind, c.words = compProp, nil
	case has("reenroll", "on") && len(words) == 2:
		c.kind, c.words = compKeywords, []string{"change", "event", "webhook"}
	case has("reenroll") && len(words) == 1:
		c.kind, c.words = compKeywords, []string{"on"}
	case has("enroll") && len(words) == 1:
		c.kind, c.words = compKeywords, []string{"when", "every", "on", "existing"}
		if depth > 1 || hasSteps(toks) {
			c.words = append(c.words, "in")
		}
	case has("enroll", "when") && len(words) == 2:
		c.kind, c.words = compExpr, []string{"event", "webhook"}
	case has("wait") && len(words) == 1:
		c.kind, c.words = compKeywords, []string{"for", "until"}
	case has("wait", "for") && len(words) == 2:
		c.kind, c.words = compKeywords, []string{"event"}
	case has("send") && len(words) == 1:
		c.kind, c.words = compKeywords, []string{"email"}
	case has("create") && len(words) == 1:
		c.kind, c.words = compObjectName, []string{"task"}
	case (has("set") || has("increment") || has("decrement") || has("assign")) && len(words) == 1,
		has("clear") && (len(words) == 1 || last == ","),
		has("copy") && last == "to",
		has("create", "task") && last == "for":
		c.kind = compProp
	default:
		c.kind = compExpr
		for i, w := range words {
			if w == "event" && i+1 < len(words) {
				for _, v := range words[i+1:] {
					if v == "where" {
						c.event = words[i+1]
					}
				}
			}
		}
	}
	return c
}

// hasSteps reports whether a workflow's tokens so far hold a step, after
// which `enroll in` is more likely than a trigger. It is a guess: both are
// offered in blocks.
func hasSteps(toks []lexer.Token) bool {
	for i := 1; i < len(toks); i++ {
		if toks[i-1].Pos.Line != toks[i].Pos.Line && stepKeywords[toks[i].Value] {
			return true
		}
	}
	return false
}

// literalContext is the context in an object literal of obj's properties
// (or of event's fields): a field name at the start or after a comma, a
// value after the colon.
func literalContext(c compContext, words []string, obj, event string) compContext {
	if len(words) == 0 || words[len(words)-1] == "," {
		c.kind = compProp
		c.object = obj
		if event != "" {
			c.kind, c.event = compEventField, event
		}
		return c
	}
	c.kind = compExpr
	return c
}

func testContext(c compContext, toks, inner []lexer.Token, words []string) compContext {
	c.records, c.recordEvents = testRecords(toks)
	if len(inner) >= 1 {
		switch inner[0].Value {
		case "upsert":
			if len(inner) >= 2 {
				return literalContext(c, words, inner[1].Value, "")
			}
		case "event":
			if len(inner) >= 2 {
				return literalContext(c, words, "", inner[1].Value)
			}
		case "hook":
			c.kind = compNone
			return c
		}
	}
	if len(words) == 0 {
		c.kind = compTestStmt
		return c
	}
	last := words[len(words)-1]
	switch {
	case len(words) == 1 && (words[0] == "upsert" || words[0] == "delete" || words[0] == "associate"),
		words[0] == "associate" && last == "to",
		len(words) == 2 && words[0] == "expect" && words[1] == "created":
		c.kind = compObjectName
	case len(words) == 1 && words[0] == "event":
		c.kind = compEventName
	case len(words) == 1 && words[0] == "hook":
		c.kind = compHookName
	case len(words) == 1 && words[0] == "enable",
		words[0] == "enroll" && last == "in",
		words[0] == "expect" && (last == "in" || last == "from"):
		c.kind = compWorkflowName
	case len(words) == 1 && words[0] == "expect":
		c.kind, c.words = compExpr, []string{"not", "enrolled", "converted", "unenrolled", "completed", "webhook", "email", "created"}
	default:
		c.kind = compExpr
		if words[0] == "expect" && len(words) >= 3 && words[1] == "created" {
			c.object = words[2]
			c.records = nil
		}
	}
	return c
}
