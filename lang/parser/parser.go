// Package parser turns .wf source into an ast.File and a list of syntax
// diagnostics.
//
// Declarations and statements are parsed by participle from the grammar in
// the struct tags of package ast; expressions by the precedence parser in
// expr.go. A file is parsed one declaration at a time over one token
// stream: after a syntax error the parser skips to the next declaration
// keyword at the start of a line and goes on, so one run reports the
// errors of every broken declaration.
package parser

import (
	"fmt"
	"strings"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"

	"github.com/wflang/wf/internal/spell"
	"github.com/wflang/wf/lang/ast"
	"github.com/wflang/wf/lang/diag"
	"github.com/wflang/wf/lang/scanner"
)

// declGrammar is the root production of the participle parser.
type declGrammar struct {
	Decl ast.Decl `parser:"@@"`
}

// exprGrammar is the production used by ParseExpr.
type exprGrammar struct {
	X ast.Expr `parser:"@@"`
}

var options = []participle.Option{
	participle.Lexer(scanner.Definition),
	participle.Elide("Whitespace", "Comment"),
	participle.UseLookahead(participle.MaxLookahead),
	participle.ParseTypeWith(parseExpr),
	participle.Union[ast.Decl](&ast.ObjectDecl{}, &ast.ExtendDecl{}, &ast.EventDecl{},
		&ast.WebhookDecl{}, &ast.WorkflowDecl{}, &ast.TestDecl{}),
	participle.Union[ast.Item](&ast.OnSetting{}, &ast.EventTrigger{}, &ast.WebhookTrigger{},
		&ast.ScheduleTrigger{}, &ast.DateTrigger{}, &ast.EnrollExisting{}, &ast.FilterTrigger{},
		&ast.ReenrollSetting{}, &ast.UnenrollSetting{}, &ast.GoalSetting{}, &ast.SuppressSetting{},
		&ast.TimezoneSetting{}, &ast.RunWindow{}, &ast.Step{}),
	participle.Union[ast.StepBody](&ast.SetStep{}, &ast.IncrementStep{}, &ast.ClearStep{},
		&ast.CopyStep{}, &ast.DelayStep{}, &ast.WaitEventStep{}, &ast.WaitUntilStep{},
		&ast.IfStep{}, &ast.BranchStep{}, &ast.SplitStep{}, &ast.AssignStep{},
		&ast.CreateTaskStep{}, &ast.CreateStep{}, &ast.NotifyStep{}, &ast.SendEmailStep{},
		&ast.WebhookStep{}, &ast.CodeStep{}, &ast.EnrollInStep{}, &ast.PlaceholderStep{},
		&ast.StopStep{}),
	participle.Union[ast.TestStmt](&ast.AtStmt{}, &ast.AdvanceStmt{}, &ast.UpsertStmt{},
		&ast.DeleteStmt{}, &ast.EventStmt{}, &ast.AssociateStmt{}, &ast.HookStmt{},
		&ast.EnrollStmt{}, &ast.ExpectEnrollment{}, &ast.ExpectWebhook{}, &ast.ExpectEmail{},
		&ast.ExpectCreated{}, &ast.ExpectExpr{}),
}

var (
	declParser  = participle.MustBuild[declGrammar](options...)
	exprParserP = participle.MustBuild[exprGrammar](options...)
)

// declKeywords start a top-level declaration.
var declKeywords = map[string]bool{
	"object": true, "extend": true, "event": true, "webhook": true, "workflow": true, "test": true,
}

// ParseFile parses one file. It always returns a File holding every
// declaration it could parse; the list holds a diagnostic per syntax error.
func ParseFile(filename, src string) (*ast.File, diag.List) {
	toks := scanner.Tokens(filename, src)
	file := &ast.File{Name: filename, Src: src}
	file.Pos = lexer.Position{Filename: filename, Line: 1, Column: 1}
	file.EndPos = toks[len(toks)-1].Pos
	for _, t := range toks {
		if t.Type == scanner.Comment {
			file.Comments = append(file.Comments, t)
		}
	}
	var diags diag.List
	lex, err := lexer.Upgrade(&sliceLexer{toks: toks}, scanner.Whitespace, scanner.Comment)
	if err != nil { // cannot happen: sliceLexer never fails
		diags.Errorf(file.Pos, file.Pos, "syntax", "%v", err)
		return file, diags
	}
	for !lex.Peek().EOF() {
		start := lex.MakeCheckpoint()
		if t := lex.Peek(); t.Type != scanner.Ident || !declKeywords[t.Value] {
			d := diags.Errorf(t.Pos, tokenEnd(t), "syntax",
				"expected a declaration (object, extend, event, webhook, workflow or test), found %s", describe(t))
			if s := suggestKeyword(t.Value); s != "" {
				d.Hint = fmt.Sprintf("did you mean %q?", s)
			}
			skipToDecl(lex, start, toks, t.Pos.Offset+1)
			continue
		}
		g, err := declParser.ParseFromLexer(lex, participle.AllowTrailing(true))
		if err == nil {
			file.Decls = append(file.Decls, g.Decl)
			continue
		}
		pos := lex.Peek().Pos
		msg := err.Error()
		if perr, ok := err.(participle.Error); ok {
			pos, msg = perr.Position(), perr.Message()
		}
		tok := tokenAt(toks, pos.Offset)
		if tok != nil && tok.Type == scanner.Invalid {
			msg = invalidMessage(tok)
		} else {
			msg = rewordMessage(msg)
		}
		end := pos
		if tok != nil {
			end = tokenEnd(tok)
		}
		diags.Errorf(pos, end, "syntax", "%s", msg)
		skipToDecl(lex, start, toks, pos.Offset+1)
	}
	return file, diags
}

// ParseExpr parses a single expression, as used in a REPL, `wf explain`
// or tests.
func ParseExpr(filename, src string) (ast.Expr, error) {
	g, err := exprParserP.ParseString(filename, src)
	if err != nil {
		return nil, err
	}
	return g.X, nil
}

// skipToDecl moves lex to the first declaration keyword at column 1 (or
// the end of the file) whose offset is at least from.
func skipToDecl(lex *lexer.PeekingLexer, start lexer.Checkpoint, toks []lexer.Token, from int) {
	lex.LoadCheckpoint(start)
	k := len(toks) - 1 // EOF
	for i, t := range toks {
		if t.Pos.Offset >= from && t.Type == scanner.Ident && declKeywords[t.Value] && t.Pos.Column == 1 {
			k = i
			break
		}
	}
	if int(lex.RawCursor()) < k {
		lex.FastForward(lexer.RawCursor(k - 1))
	}
}

func tokenAt(toks []lexer.Token, offset int) *lexer.Token {
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
		return &toks[lo]
	}
	return nil
}

func tokenEnd(t *lexer.Token) lexer.Position {
	p := t.Pos
	p.Advance(t.Value)
	return p
}

func invalidMessage(t *lexer.Token) string {
	switch {
	case strings.HasPrefix(t.Value, `"`):
		return "string literal not terminated before the end of the line"
	case strings.HasPrefix(t.Value, "`"):
		return "code literal not terminated: missing closing backtick"
	case strings.HasPrefix(t.Value, "/*"):
		return "comment not terminated: missing */"
	}
	return fmt.Sprintf("invalid character %q", t.Value)
}

// rewordMessage makes participle's messages read like the rest of wf's.
func rewordMessage(msg string) string {
	msg = strings.Replace(msg, "unexpected token \"<EOF>\"", "unexpected end of file", 1)
	return msg
}

func suggestKeyword(w string) string {
	return spell.Nearest(w, []string{"object", "extend", "event", "webhook", "workflow", "test"})
}
