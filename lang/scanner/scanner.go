// Package scanner is wf's hand-written lexer. It turns .wf source into the
// token stream that the participle grammar in package parser consumes.
//
// It never fails: a character that starts no token becomes an Invalid token,
// and an unterminated string runs to the end of its line, so the parser can
// report the problem with a position and keep going. Whitespace and comments
// are real tokens (elided by the parser) so that every node's EndPos is the
// exact end of its last token and comments can be kept for the formatter.
package scanner

import (
	"io"
	"strings"
	"unicode/utf8"

	"github.com/alecthomas/participle/v2/lexer"
)

// Token types. EOF is participle's (-1).
const (
	Whitespace lexer.TokenType = -(iota + 2) // spaces, tabs and newlines
	Comment                                  // // line or /* block */
	Ident                                    // [A-Za-z_][A-Za-z0-9_]*
	Number                                   // 12, 1.5
	Duration                                 // 30s 15m 2h 3d 1w 250ms
	DateTime                                 // 2026-01-05T08:00:00Z, 2026-01-05 (date)
	Time                                     // 09:00, 09:00:30
	String                                   // "double quoted" (value keeps its quotes)
	RawString                                // `backtick quoted` (value keeps its quotes)
	Punct                                    // operators and delimiters
	Invalid                                  // a character no token starts with, or an unterminated string
)

var symbols = map[string]lexer.TokenType{
	"EOF":        lexer.EOF,
	"Whitespace": Whitespace,
	"Comment":    Comment,
	"Ident":      Ident,
	"Number":     Number,
	"Duration":   Duration,
	"DateTime":   DateTime,
	"Time":       Time,
	"String":     String,
	"RawString":  RawString,
	"Punct":      Punct,
	"Invalid":    Invalid,
}

// Name returns the symbolic name of a token type, for messages.
func Name(t lexer.TokenType) string {
	for k, v := range symbols {
		if v == t {
			return k
		}
	}
	return "token"
}

// Definition is the participle lexer.Definition for .wf source.
var Definition lexer.Definition = definition{}

type definition struct{}

func (definition) Symbols() map[string]lexer.TokenType { return symbols }

func (d definition) Lex(filename string, r io.Reader) (lexer.Lexer, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return d.LexString(filename, string(b))
}

func (definition) LexString(filename, src string) (lexer.Lexer, error) {
	return &Scanner{src: src, pos: lexer.Position{Filename: filename, Line: 1, Column: 1}}, nil
}

func (d definition) LexBytes(filename string, src []byte) (lexer.Lexer, error) {
	return d.LexString(filename, string(src))
}

// Tokens scans all of src, ending with an EOF token.
func Tokens(filename, src string) []lexer.Token {
	s := &Scanner{src: src, pos: lexer.Position{Filename: filename, Line: 1, Column: 1}}
	toks := make([]lexer.Token, 0, len(src)/3+1)
	for {
		t, _ := s.Next()
		toks = append(toks, t)
		if t.EOF() {
			return toks
		}
	}
}

// Scanner produces tokens from one source text.
type Scanner struct {
	src string
	pos lexer.Position
}

// puncts are tried longest first.
var puncts = []string{"..", "=>", "==", "!=", "<=", ">=",
	"{", "}", "(", ")", "[", "]", ",", ".", ":", "=", "<", ">", "+", "-", "*", "/", "%", "!"}

// Next returns the next token; it never returns an error.
func (s *Scanner) Next() (lexer.Token, error) {
	start := s.pos
	rest := s.src[start.Offset:]
	if rest == "" {
		return lexer.EOFToken(start), nil
	}
	c := rest[0]
	n, typ := 0, Invalid
	switch {
	case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		for n < len(rest) && (rest[n] == ' ' || rest[n] == '\t' || rest[n] == '\n' || rest[n] == '\r') {
			n++
		}
		typ = Whitespace
	case strings.HasPrefix(rest, "//"):
		n = strings.IndexByte(rest, '\n')
		if n < 0 {
			n = len(rest)
		}
		typ = Comment
	case strings.HasPrefix(rest, "/*"):
		n = strings.Index(rest[2:], "*/")
		if n < 0 {
			n, typ = len(rest), Invalid // unterminated block comment
		} else {
			n, typ = n+4, Comment
		}
	case isLetter(c):
		for n < len(rest) && (isLetter(rest[n]) || isDigit(rest[n])) {
			n++
		}
		typ = Ident
	case isDigit(c):
		n, typ = scanNumeric(rest)
	case c == '"':
		n, typ = scanString(rest)
	case c == '`':
		n = strings.IndexByte(rest[1:], '`')
		if n < 0 {
			n, typ = len(rest), Invalid
		} else {
			n, typ = n+2, RawString
		}
	default:
		for _, p := range puncts {
			if strings.HasPrefix(rest, p) {
				n, typ = len(p), Punct
				break
			}
		}
		if n == 0 {
			_, n = utf8.DecodeRuneInString(rest)
		}
	}
	val := rest[:n]
	s.pos.Advance(val)
	return lexer.Token{Type: typ, Value: val, Pos: start}, nil
}

func isLetter(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

func digits(s string, i int) int {
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

// scanNumeric scans a number, duration, time of day or date/datetime literal.
func scanNumeric(s string) (int, lexer.TokenType) {
	i := digits(s, 0)
	// Date: 4 digits '-' 2 digits '-' 2 digits, optionally followed by a time.
	if i == 4 && len(s) >= 10 && s[4] == '-' && digits(s, 5) == 7 && s[7] == '-' && digits(s, 8) == 10 {
		j := 10
		if j < len(s) && (s[j] == 'T' || s[j] == 't') {
			k := j + 1
			for k < len(s) && (isDigit(s[k]) || strings.IndexByte(":.+-Zz", s[k]) >= 0) {
				k++
			}
			j = k
		}
		return j, DateTime
	}
	// Time of day: 1-2 digits ':' 2 digits (':' 2 digits)?
	if i <= 2 && i < len(s) && s[i] == ':' && digits(s, i+1) == i+3 {
		j := i + 3
		if j < len(s) && s[j] == ':' && digits(s, j+1) == j+3 {
			j += 3
		}
		return j, Time
	}
	if i+1 < len(s) && s[i] == '.' && isDigit(s[i+1]) {
		i = digits(s, i+1)
	}
	// Duration units directly after the digits, not followed by more letters.
	for _, u := range []string{"ms", "s", "m", "h", "d", "w"} {
		if strings.HasPrefix(s[i:], u) {
			j := i + len(u)
			if j == len(s) || !(isLetter(s[j]) || isDigit(s[j])) {
				return j, Duration
			}
		}
	}
	return i, Number
}

// scanString scans a double-quoted string with backslash escapes. An
// unterminated string ends at the end of its line and is Invalid.
func scanString(s string) (int, lexer.TokenType) {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i + 1, String
		case '\n':
			return i, Invalid
		}
	}
	return len(s), Invalid
}
