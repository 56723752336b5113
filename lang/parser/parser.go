// Package parser turns .wf source into an ast.File and a list of syntax
// diagnostics.
//
// Declarations and statements are parsed by participle from the grammar in
// the struct tags of package ast; expressions by the precedence parser in
// expr.go. Lists whose elements are chosen by a keyword (workflow items,
// steps, test statements) are dispatched on that keyword by dispatch.go
// instead of letting participle try every alternative in turn.
//
// The grammar needs no backtracking beyond what the keyword dispatch and
// a few lookahead groups decide, so participle runs with a lookahead of 0:
// once a production has consumed a token, an error inside it is final and
// reported where it happened, instead of being replaced by a vague
// `expected "}"` where the enclosing list gave up.
//
// A file is parsed one declaration at a time. Each declaration is parsed
// over the tokens up to the next declaration keyword at the start of a
// line, so an unclosed brace is reported where the next declaration begins
// and the parser resumes there; one run reports the error of every broken
// declaration, each once.
//
// Inside a declaration, a broken workflow item, step or test statement is
// skipped up to the next statement of its list (see recover.go) and kept
// as an ast.Bad, so that the declaration survives a syntax error in one of
// its statements.
package parser

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"

	"github.com/wflang/wf/internal/spell"
	"github.com/wflang/wf/lang/ast"
	"github.com/wflang/wf/lang/diag"
	"github.com/wflang/wf/lang/scanner"
)

// grammar is the root of the participle grammar. Only Decl is ever parsed
// from the root; the other fields put into the grammar the productions
// that the keyword dispatchers parse on their own (see dispatch.go), so
// that participle.ParserForProduction can serve them.
type grammar struct {
	Decl ast.Decl `parser:"@@"`

	OnSetting        *ast.OnSetting        `parser:"| @@"`
	FilterTrigger    *ast.FilterTrigger    `parser:"| @@"`
	EventTrigger     *ast.EventTrigger     `parser:"| @@"`
	WebhookTrigger   *ast.WebhookTrigger   `parser:"| @@"`
	ScheduleTrigger  *ast.ScheduleTrigger  `parser:"| @@"`
	DateTrigger      *ast.DateTrigger      `parser:"| @@"`
	EnrollExisting   *ast.EnrollExisting   `parser:"| @@"`
	ReenrollSetting  *ast.ReenrollSetting  `parser:"| @@"`
	UnenrollSetting  *ast.UnenrollSetting  `parser:"| @@"`
	GoalSetting      *ast.GoalSetting      `parser:"| @@"`
	SuppressSetting  *ast.SuppressSetting  `parser:"| @@"`
	TimezoneSetting  *ast.TimezoneSetting  `parser:"| @@"`
	RunWindow        *ast.RunWindow        `parser:"| @@"`
	Step             *ast.Step             `parser:"| @@"`
	SetStep          *ast.SetStep          `parser:"| @@"`
	IncrementStep    *ast.IncrementStep    `parser:"| @@"`
	ClearStep        *ast.ClearStep        `parser:"| @@"`
	CopyStep         *ast.CopyStep         `parser:"| @@"`
	DelayStep        *ast.DelayStep        `parser:"| @@"`
	WaitEventStep    *ast.WaitEventStep    `parser:"| @@"`
	WaitUntilStep    *ast.WaitUntilStep    `parser:"| @@"`
	IfStep           *ast.IfStep           `parser:"| @@"`
	BranchStep       *ast.BranchStep       `parser:"| @@"`
	SplitStep        *ast.SplitStep        `parser:"| @@"`
	AssignStep       *ast.AssignStep       `parser:"| @@"`
	CreateTaskStep   *ast.CreateTaskStep   `parser:"| @@"`
	CreateStep       *ast.CreateStep       `parser:"| @@"`
	NotifyStep       *ast.NotifyStep       `parser:"| @@"`
	SendEmailStep    *ast.SendEmailStep    `parser:"| @@"`
	WebhookStep      *ast.WebhookStep      `parser:"| @@"`
	CodeStep         *ast.CodeStep         `parser:"| @@"`
	EnrollInStep     *ast.EnrollInStep     `parser:"| @@"`
	PlaceholderStep  *ast.PlaceholderStep  `parser:"| @@"`
	StopStep         *ast.StopStep         `parser:"| @@"`
	AtStmt           *ast.AtStmt           `parser:"| @@"`
	AdvanceStmt      *ast.AdvanceStmt      `parser:"| @@"`
	UpsertStmt       *ast.UpsertStmt       `parser:"| @@"`
	DeleteStmt       *ast.DeleteStmt       `parser:"| @@"`
	EventStmt        *ast.EventStmt        `parser:"| @@"`
	AssociateStmt    *ast.AssociateStmt    `parser:"| @@"`
	HookStmt         *ast.HookStmt         `parser:"| @@"`
	EnrollStmt       *ast.EnrollStmt       `parser:"| @@"`
	EnableStmt       *ast.EnableStmt       `parser:"| @@"`
	ExpectEnrollment *ast.ExpectEnrollment `parser:"| @@"`
	ExpectWebhook    *ast.ExpectWebhook    `parser:"| @@"`
	ExpectEmail      *ast.ExpectEmail      `parser:"| @@"`
	ExpectCreated    *ast.ExpectCreated    `parser:"| @@"`
	ExpectExpr       *ast.ExpectExpr       `parser:"| @@"`
}

// declParser parses one declaration; built in init because the keyword
// dispatchers it calls are themselves productions of the same parser.
var declParser *participle.Parser[grammar]

func init() {
	declParser = participle.MustBuild[grammar](
		participle.Lexer(scanner.Definition),
		participle.Elide("Whitespace", "Comment"),
		participle.UseLookahead(0),
		participle.ParseTypeWith(parseExpr),
		participle.ParseTypeWith(parseItem),
		participle.ParseTypeWith(parseStepBody),
		participle.ParseTypeWith(parseTestStmt),
		participle.Union[ast.Decl](&ast.ObjectDecl{}, &ast.ExtendDecl{}, &ast.EventDecl{},
			&ast.WebhookDecl{}, &ast.WorkflowDecl{}, &ast.TestDecl{}),
	)
	initDispatch(declParser)
}

// allowTrailing lets a parse stop before the end of its tokens: after one
// declaration, statement or step. (A variable, as participle allocates the
// option anew at each call.)
var allowTrailing = []participle.ParseOption{participle.AllowTrailing(true)}

// declKeywords start a top-level declaration.
var declKeywords = map[string]bool{
	"object": true, "extend": true, "event": true, "webhook": true, "workflow": true, "test": true,
}

// ParseFile parses one file. It always returns a File holding every
// declaration it could parse; the list holds a diagnostic per syntax error,
// in source order.
func ParseFile(filename, src string) (*ast.File, diag.List) {
	p := &fileParser{src: src, file: &ast.File{Name: filename, Src: src}}
	p.file.Pos = lexer.Position{Filename: filename, Line: 1, Column: 1}
	pos := p.file.Pos
	for {
		c := chunk{start: pos}
		p.buf = c.scan(src, p.buf[:0], &p.file.Comments)
		pos = p.parseChunk(&c)
		if c.last && pos == c.end {
			p.file.EndPos = c.end
			return p.file, p.diags
		}
	}
}

// fileParser holds the state of one ParseFile.
type fileParser struct {
	src   string
	file  *ast.File
	diags diag.List
	buf   []lexer.Token // the tokens of the current chunk
}

// parseChunk parses the declarations of one chunk, scanned into p.buf. It
// returns where to go on: the chunk's end, or the end of a declaration
// that turned out to run past it.
func (p *fileParser) parseChunk(c *chunk) lexer.Position {
	lex := newPeekingLexer(p.buf)
	for {
		t := lex.Peek()
		if t.EOF() {
			return c.end
		}
		if t.Type != scanner.Ident || !declKeywords[t.Value] {
			if n := len(p.diags); n > 0 && p.diags[n-1].Pos.Offset == t.Pos.Offset {
				return c.end // reported as the end of the declaration before
			}
			d := p.diags.Errorf(t.Pos, tokenEnd(t), "syntax",
				"expected a declaration (object, extend, event, webhook, workflow or test), found %s", describe(t))
			if t.Type == scanner.Invalid {
				d.Message = invalidMessage(t)
			} else if s := suggest(t, declKeywordList); s != "" {
				d.Hint = fmt.Sprintf("did you mean %q?", s)
			}
			return c.end
		}
		start := t.Pos
		g, recovered, err := parseRecovering(lex, p.buf)
		if err == nil {
			p.recovered(p.buf, start, recovered)
			p.file.Decls = append(p.file.Decls, g.Decl)
			continue
		}
		if !c.last && errorOffset(err) == c.end.Offset {
			// The declaration ran into the next line-initial keyword. That
			// is usually a missing "}", but a statement such as `event`
			// in a test block may start a line too: read on.
			if decl, next, ok := p.retry(start, c.end); ok {
				p.file.Decls = append(p.file.Decls, decl)
				return next
			}
		}
		p.recovered(p.buf, start, recovered)
		p.diags.Add(p.syntaxError(p.buf, tokenIndex(p.buf, start.Offset), err))
		return c.end
	}
}

// retry parses the declaration at start again, reading through the
// line-initial declaration keywords that cut it short: through one, then
// twice as many each time the parse stops at the next one, so that a long
// declaration costs a linear number of tokens. It returns the declaration
// and its end.
func (p *fileParser) retry(start, cut lexer.Position) (ast.Decl, lexer.Position, bool) {
	var buf, comments []lexer.Token
	for skip := 1; ; skip *= 2 {
		c := chunk{start: start, skip: skip}
		buf = c.scan(p.src, buf[:0], &comments)
		lex := newPeekingLexer(buf)
		g, recovered, err := parseRecovering(lex, buf)
		if err == nil {
			p.recovered(buf, start, recovered)
			next := lex.RawPeek().Pos
			for _, t := range comments {
				if t.Pos.Offset >= cut.Offset && t.Pos.Offset < next.Offset {
					p.file.Comments = append(p.file.Comments, t)
				}
			}
			return g.Decl, next, true
		}
		if c.last || errorOffset(err) != c.end.Offset {
			return nil, lexer.Position{}, false
		}
		comments = comments[:0]
	}
}

// recovered reports the errors recovered from in the declaration at start,
// parsed over toks.
func (p *fileParser) recovered(toks []lexer.Token, start lexer.Position, errs []error) {
	i := tokenIndex(toks, start.Offset)
	for _, err := range errs {
		p.diags.Add(p.syntaxError(toks, i, err))
	}
}

// chunk is a stretch of source parsed over one token slice: from start to
// the first declaration keyword at the start of a line after the chunk's
// first token, skipping skip of them, or to the end of the source. A
// misspelt declaration keyword (`workflw`) at the start of a line counts
// as one, so that it is reported too.
type chunk struct {
	start lexer.Position
	skip  int

	end  lexer.Position // where the chunk ends
	last bool           // the chunk ends at the end of the source
}

// scan appends the chunk's tokens to buf, ending with an EOF token at the
// chunk's end, and its comments to comments.
func (c *chunk) scan(src string, buf []lexer.Token, comments *[]lexer.Token) []lexer.Token {
	s := scanner.NewAt(src, c.start)
	started, skip := false, c.skip
	for {
		t := s.Scan()
		switch t.Type {
		case lexer.EOF:
			c.end, c.last = t.Pos, true
			return append(buf, t)
		case scanner.Whitespace:
		case scanner.Comment:
			*comments = append(*comments, t)
		case scanner.Ident:
			if t.Pos.Column == 1 && started && (declKeywords[t.Value] || spell.Nearest(t.Value, declKeywordList) != "") {
				if skip == 0 {
					c.end = t.Pos
					return append(buf, lexer.EOFToken(t.Pos))
				}
				skip--
			}
			started = true
		default:
			started = true
		}
		buf = append(buf, t)
	}
}

var declKeywordList = []string{"object", "extend", "event", "webhook", "workflow", "test"}

func errorOffset(err error) int {
	if perr, ok := err.(participle.Error); ok {
		return perr.Position().Offset
	}
	return -1
}

// syntaxError turns a parse error in the declaration starting at toks[start]
// into a diagnostic in wf's words. toks ends with the EOF of the chunk.
func (p *fileParser) syntaxError(toks []lexer.Token, start int, err error) diag.Diagnostic {
	perr, ok := err.(participle.Error)
	if !ok {
		t := &toks[start]
		return diag.Diagnostic{Pos: t.Pos, End: tokenEnd(t), Code: "syntax", Message: err.Error()}
	}
	pos := perr.Position()
	d := diag.Diagnostic{Pos: pos, End: pos, Code: "syntax", Message: perr.Message()}
	i := tokenIndex(toks, pos.Offset)
	if i < 0 {
		return d // inside a token: a template
	}
	tok := &toks[i]
	if tok.EOF() && pos.Offset < len(p.src) {
		// The EOF that ends a chunk stands for the declaration keyword
		// that starts the next one.
		next := scanner.NewAt(p.src, pos).Scan()
		tok = &next
	}
	if !tok.EOF() {
		d.End = tokenEnd(tok)
	}
	if ue, ok := err.(*participle.UnexpectedTokenError); ok {
		d.Message = fmt.Sprintf("expected %s, found %s", expectation(ue), describe(tok))
	}
	if he, ok := err.(*hintedError); ok {
		d.Hint = he.hint
	}
	switch {
	case tok.Type == scanner.Invalid:
		d.Message, d.Hint = invalidMessage(tok), ""
	case i == len(toks)-1 && d.Hint == "":
		// The declaration is cut short: name it, as the error may be far
		// from the brace that is missing.
		kw := &toks[start]
		name := ""
		if n := skipElided(toks, start+1); toks[n].Type == scanner.Ident || toks[n].Type == scanner.String {
			name = " " + toks[n].Value
		}
		d.Hint = fmt.Sprintf("the %s%s that starts at line %d is not complete", kw.Value, name, kw.Pos.Line)
		if s := suggest(tok, declKeywordList); s != "" && !declKeywords[tok.Value] {
			d.Hint += fmt.Sprintf("; did you mean %q?", s)
		}
	}
	return d
}

// skipElided returns the index of the first token at or after i that is
// not whitespace or a comment.
func skipElided(toks []lexer.Token, i int) int {
	for i < len(toks)-1 && (toks[i].Type == scanner.Whitespace || toks[i].Type == scanner.Comment) {
		i++
	}
	return i
}

// ParseExpr parses a single expression, as used in a REPL, `wf explain`
// or tests.
func ParseExpr(filename, src string) (ast.Expr, error) {
	lex := newPeekingLexer(scanner.Tokens(filename, src))
	p := exprParser{lex: lex}
	x, err := p.operand()
	if err != nil {
		return nil, err
	}
	if t := lex.Peek(); !t.EOF() {
		return nil, participle.Errorf(t.Pos, "expected end of expression, found %s", describe(t))
	}
	return x, nil
}

// tokenIndex returns the index of the token of toks at offset, or -1.
func tokenIndex(toks []lexer.Token, offset int) int {
	lo, hi := 0, len(toks)
	for lo < hi {
		m := (lo + hi) / 2
		if toks[m].Pos.Offset < offset {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(toks) && toks[lo].Pos.Offset == offset {
		return lo
	}
	return -1
}

func tokenEnd(t *lexer.Token) lexer.Position {
	p := t.Pos
	p.Advance(t.Value)
	return p
}

func invalidMessage(t *lexer.Token) string {
	v := t.Value
	switch {
	case strings.HasPrefix(v, `"`):
		if strings.Contains(v, "{{") {
			return "string literal not terminated before the end of the line (or a template in it not closed with \"}}\")"
		}
		return "string literal not terminated before the end of the line"
	case strings.HasPrefix(v, "`"):
		return "code literal not terminated: missing closing backtick"
	case strings.HasPrefix(v, "/*"):
		return "comment not terminated: missing */"
	case len(v) >= 10 && v[4] == '-':
		return fmt.Sprintf("invalid date %q: write 2026-01-05 or 2026-01-05T08:00:00Z", v)
	case strings.Contains(v, ":"):
		return fmt.Sprintf("invalid time of day %q: write hh:mm or hh:mm:ss", v)
	case v[0] >= '0' && v[0] <= '9':
		return fmt.Sprintf("invalid number %q: a duration is a number and one of the units ms, s, m, h, d, w (30s, 15m, 2h, 3d, 1w)", v)
	case v == "&":
		return `invalid character "&": write "and"`
	case v == "|":
		return `invalid character "|": write "or"`
	case v == "'":
		return `invalid character "'": strings are written in double quotes`
	}
	return fmt.Sprintf("invalid character %q", v)
}

// expectedRE finds what participle expected in an UnexpectedTokenError.
var expectedRE = regexp.MustCompile(`\(expected (.*)\)$`)

// productionWords names the grammar's productions and token types in wf's
// words, for "expected …" messages.
var productionWords = map[string]string{
	"Name":       "a name",
	"<ident>":    "a name",
	"Expr":       "an expression",
	"Text":       "a string",
	"<string>":   "a string",
	"TimeOfDay":  "a time of day such as 09:00",
	"<time>":     "a time of day such as 09:00",
	"PropPath":   "a property name",
	"Block":      `"{"`,
	"ObjectLit":  `"{"`,
	"TypeExpr":   "a type (string, number, bool, date, datetime, url, enum(…) or set(…))",
	"RecordRef":  "a record id",
	"DayRange":   "a day such as mon or mon..fri",
	"<datetime>": "a date and time such as 2026-01-05T08:00:00Z",
	"<number>":   "a number",
	"RawSource":  "code in backticks",
	"Member":     `a property or "assoc"`,
	"PropDecl":   "a property declaration (name: type)",
	"HookProp":   "a property mapping (name: type = expression)",
	"FieldValue": "a field (name: value)",
	"AssocDecl":  "an object type",
	"Field":      "an output (name: type)",
	"SplitArm":   "a percentage such as 50%",
	"BranchArm":  "a value to branch on",
	"Item":       "a workflow setting or step",
	"Step":       "a step",
	"StepBody":   "a step",
	"TestStmt":   "a test statement",
	"Sign":       `"sign"`,
}

// expectation renders what participle expected in wf's words: the first
// term of the rest of the sequence it was matching.
func expectation(err *participle.UnexpectedTokenError) string {
	m := expectedRE.FindStringSubmatch(err.Message())
	if m == nil {
		return "something else"
	}
	return firstTerm(m[1])
}

func firstTerm(ebnf string) string {
	ebnf = strings.TrimSpace(ebnf)
	if strings.HasPrefix(ebnf, "(") {
		// A group: its alternatives' first terms.
		depth, alt := 0, 1
		var alts []string
		for i := 0; i < len(ebnf); i++ {
			switch ebnf[i] {
			case '"':
				i += len(quotedPrefix(ebnf[i:])) - 1
			case '(':
				depth++
			case ')':
				if depth--; depth == 0 {
					return orList(append(alts, firstTerm(ebnf[alt:i])))
				}
			case '|':
				if depth == 1 {
					alts = append(alts, firstTerm(ebnf[alt:i]))
					alt = i + 1
				}
			}
		}
	}
	term := quotedPrefix(ebnf)
	if term == "" {
		term, _, _ = strings.Cut(ebnf, " ")
		term = strings.TrimRight(term, "?*+!")
	}
	if w, ok := productionWords[term]; ok {
		return w
	}
	return term
}

// quotedPrefix returns the Go-quoted string that s starts with, or "".
func quotedPrefix(s string) string {
	if !strings.HasPrefix(s, `"`) {
		return ""
	}
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return s[:i+1]
		}
	}
	return s
}

func orList(alts []string) string {
	switch len(alts) {
	case 0:
		return "something else"
	case 1:
		return alts[0]
	}
	return strings.Join(alts[:len(alts)-1], ", ") + " or " + alts[len(alts)-1]
}

// suggest returns the word among candidates that t's text is probably a
// misspelling of, or "".
func suggest(t *lexer.Token, candidates []string) string {
	if t.Type != scanner.Ident {
		return ""
	}
	return spell.Nearest(t.Value, candidates)
}
