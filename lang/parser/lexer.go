package parser

import (
	"reflect"
	"unsafe"

	"github.com/alecthomas/participle/v2/lexer"

	"github.com/wflang/wf/lang/scanner"
)

// newPeekingLexer returns a participle PeekingLexer over toks, which must
// end with an EOF token, eliding whitespace and comments.
//
// lexer.Upgrade, participle's only constructor, copies the tokens one by
// one into a slice it grows as it goes: for a 2,000-line file that is
// three times the tokens' size in garbage, a third of all the memory a
// parse allocates. Instead, the lexer is handed toks itself, through a
// copy of its struct layout that init checks against the real one; if
// participle's layout ever differs, Upgrade is used.
func newPeekingLexer(toks []lexer.Token) *lexer.PeekingLexer {
	if !sameLayout {
		lex, err := lexer.Upgrade(&sliceLexer{toks: toks}, scanner.Whitespace, scanner.Comment)
		if err != nil { // cannot happen: sliceLexer never fails
			panic(err)
		}
		return lex
	}
	lex := &lexer.PeekingLexer{}
	l := (*peekingLexer)(unsafe.Pointer(lex))
	l.tokens, l.elide = toks, elided
	lex.FastForward(-1) // moves the cursor to the first token not elided
	return lex
}

// peekingLexer mirrors the fields of lexer.PeekingLexer (v2.1.4).
type peekingLexer struct {
	lexer.Checkpoint
	tokens []lexer.Token
	elide  map[lexer.TokenType]bool
}

var elided = map[lexer.TokenType]bool{scanner.Whitespace: true, scanner.Comment: true}

// sameLayout reports whether peekingLexer matches lexer.PeekingLexer field
// for field.
var sameLayout = func() bool {
	a, b := reflect.TypeFor[lexer.PeekingLexer](), reflect.TypeFor[peekingLexer]()
	if a.Size() != b.Size() || a.NumField() != b.NumField() {
		return false
	}
	for i := range a.NumField() {
		fa, fb := a.Field(i), b.Field(i)
		if fa.Name != fb.Name || fa.Type != fb.Type || fa.Offset != fb.Offset {
			return false
		}
	}
	return true
}()

// sliceLexer replays tokens that end with an EOF token.
type sliceLexer struct {
	toks []lexer.Token
}

func (l *sliceLexer) Next() (lexer.Token, error) {
	t := l.toks[0]
	if len(l.toks) > 1 {
		l.toks = l.toks[1:]
	}
	return t, nil
}
