package parser

import (
	"slices"
	"strings"
	"sync"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"

	"github.com/wflang/wf/lang/ast"
	"github.com/wflang/wf/lang/scanner"
)

// Error recovery inside declarations.
//
// When a workflow item, step or test statement fails to parse, its keyword
// dispatcher records the error and skips to the next statement of the
// list it is in: the first token, at or after the error, that starts a
// line with a keyword of that list, or the "}" that closes the list's
// block. Braces are counted from the statement's first token, so that a
// block or object literal the statement opened is skipped whole. The
// statement becomes an ast.Bad and the list goes on, so that one broken
// statement does not lose its whole declaration.
//
// When the skip reaches the end of the tokens, there is no safe place to
// resume (the declaration is cut short, usually by a missing "}"): the
// error is returned as before, and the declaration fails.
//
// The dispatchers are called by participle with a copy of the lexer that
// fileParser made, so the errors are collected in a recorder found by the
// first token of the slice the lexer reads, which is shared by the copies.

// recorder collects the errors recovered from while parsing one
// declaration.
type recorder struct {
	errs []error
	// stuck is the offset of the last error whose skip reached the end of
	// the tokens, or -1. The statements around the one that failed there
	// would skip over the same tokens, with more braces open, and so reach
	// the end too: they return the error at once, without a skip that
	// would cost, in nested blocks, quadratic time.
	stuck int
}

// recorders maps the first token of the token slice of a parse in
// progress to its recorder.
var recorders sync.Map // *lexer.Token → *recorder

// parseRecovering parses one declaration from lex, which reads toks, and
// returns it with the errors recovered from inside it.
func parseRecovering(lex *lexer.PeekingLexer, toks []lexer.Token) (*grammar, []error, error) {
	r := &recorder{stuck: -1}
	key := &toks[0]
	recorders.Store(key, r)
	defer recorders.Delete(key)
	g, err := declParser.ParseFromLexer(lex, allowTrailing...)
	return g, r.errs, err
}

func recorderOf(lex *lexer.PeekingLexer) *recorder {
	toks := lex.Range(0, 1)
	if len(toks) == 0 {
		return nil
	}
	if r, ok := recorders.Load(&toks[0]); ok {
		return r.(*recorder)
	}
	return nil
}

// recovering parses one statement with parse. On a syntax error, it
// records the error and returns bad over the statement's tokens, the lexer
// moved to where the list resumes; words start the statements of the list.
func recovering[I any](lex *lexer.PeekingLexer, parse prod[I], words []string, bad func(span ast.Span) I) (I, error) {
	cp := lex.MakeCheckpoint()
	v, err := parse(lex)
	if err == nil || err == participle.NextMatch {
		return v, err
	}
	perr, ok := err.(participle.Error)
	r := recorderOf(lex)
	if !ok || r == nil || perr.Position().Offset == r.stuck {
		return v, err
	}
	failed := lex.MakeCheckpoint()
	lex.LoadCheckpoint(cp)
	errOffset := perr.Position().Offset
	span := ast.Span{Pos: lex.Peek().Pos}
	depth, prevLine := 0, -1
	for first := true; ; first = false {
		t := lex.Peek()
		if t.EOF() {
			lex.LoadCheckpoint(failed)
			r.stuck = errOffset
			return v, err
		}
		if !first && t.Pos.Offset >= errOffset && depth == 0 {
			if t.Type == scanner.Punct && t.Value == "}" {
				break
			}
			if t.Type == scanner.Ident && t.Pos.Line > prevLine && slices.Contains(words, t.Value) {
				break
			}
		}
		if t.Type == scanner.Punct {
			switch t.Value {
			case "{":
				depth++
			case "}":
				depth = max(depth-1, 0)
			}
		}
		// An invalid token (an unterminated string) may end in blanks.
		span.EndPos = t.Pos
		span.EndPos.Advance(strings.TrimRight(t.Value, " \t\r\n"))
		prevLine = span.EndPos.Line
		lex.Next()
	}
	r.errs = append(r.errs, err)
	return bad(span), nil
}
