// Package scanner is wf's hand-written lexer. It turns .wf source into the
// token stream that the participle grammar in package parser consumes.
//
// It never fails: a character that starts no token becomes an Invalid token,
// and so does a malformed literal (an unterminated string runs to the end of
// its line, `2days` is one Invalid token), so the parser can report the
// problem with a position and keep going. Whitespace and comments are real
// tokens (elided by the parser) so that every node's EndPos is the exact end
// of its last token and comments can be kept for the formatter.
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
	Duration                                 // 30s 15m 2h 3d 1w 250ms 1.5h
	DateTime                                 // 2026-01-05T08:00:00Z, 2026-01-05 (date)
	Time                                     // 09:00, 09:00:30
	String                                   // "double quoted", templates included (value keeps its quotes)
	RawString                                // `backtick quoted` (value keeps its quotes)
	Punct                                    // operators and delimiters
	Invalid                                  // a character no token starts with, or a malformed literal
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
	return New(filename, src), nil
}

func (d definition) LexBytes(filename string, src []byte) (lexer.Lexer, error) {
	return d.LexString(filename, string(src))
}

// Tokens scans all of src, ending with an EOF token.
func Tokens(filename, src string) []lexer.Token {
	s := New(filename, src)
	toks := make([]lexer.Token, 0, len(src)/3+1)
	for {
		t := s.Scan()
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

// New returns a scanner at the start of src.
func New(filename, src string) *Scanner {
	return &Scanner{src: src, pos: lexer.Position{Filename: filename, Line: 1, Column: 1}}
}

// NewAt returns a scanner that starts at pos, which must be the position
// of a token boundary in src (for instance a token's Pos).
func NewAt(src string, pos lexer.Position) *Scanner {
	return &Scanner{src: src, pos: pos}
}

// Next returns the next token; it never returns an error.
func (s *Scanner) Next() (lexer.Token, error) { return s.Scan(), nil }

// Scan returns the next token, or an EOF token at the end of the source.
func (s *Scanner) Scan() lexer.Token {
	start := s.pos
	rest := s.src[start.Offset:]
	if rest == "" {
		return lexer.EOFToken(start)
	}
	c := rest[0]
	n, typ, multiline := 1, Punct, false
	switch {
	case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		for n < len(rest) && (rest[n] == ' ' || rest[n] == '\t' || rest[n] == '\n' || rest[n] == '\r') {
			n++
		}
		typ, multiline = Whitespace, true
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
		multiline = true
	case c == '/' && len(rest) > 1 && rest[1] == '/':
		n = strings.IndexByte(rest, '\n')
		if n < 0 {
			n = len(rest)
		}
		typ = Comment
	case c == '/' && len(rest) > 1 && rest[1] == '*':
		n = strings.Index(rest[2:], "*/")
		if n < 0 {
			n, typ = len(rest), Invalid // unterminated block comment
		} else {
			n, typ = n+4, Comment
		}
		multiline = true
	case c == '.' || c == '=' || c == '!' || c == '<' || c == '>':
		// .. => == != <= >=, or the single character.
		if len(rest) > 1 && (rest[1] == '=' && c != '.' || c == '.' && rest[1] == '.' || c == '=' && rest[1] == '>') {
			n = 2
		}
	case strings.IndexByte("{}()[],:+-*/%", c) >= 0:
	case c == 0xEF && start.Offset == 0 && strings.HasPrefix(rest, "\uFEFF"):
		n, typ = len("\uFEFF"), Whitespace // a byte order mark
	default:
		_, n = utf8.DecodeRuneInString(rest)
		typ = Invalid
	}
	val := rest[:n]
	s.pos.Offset += n
	if multiline {
		if nl := strings.LastIndexByte(val, '\n'); nl >= 0 {
			s.pos.Line += strings.Count(val, "\n")
			s.pos.Column = 1 + utf8.RuneCountInString(val[nl+1:])
			return lexer.Token{Type: typ, Value: val, Pos: start}
		}
	}
	if typ == Ident || typ == Punct {
		s.pos.Column += n
	} else {
		s.pos.Column += utf8.RuneCountInString(val)
	}
	return lexer.Token{Type: typ, Value: val, Pos: start}
}

func isLetter(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

func digits(s string, i int) int {
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

// scanNumeric scans a number, duration, time of day or date/datetime
// literal. Digits followed by letters that are not a duration unit, as in
// `2days`, are one Invalid token.
func scanNumeric(s string) (int, lexer.TokenType) {
	i := digits(s, 0)
	// Date: 4 digits '-' 2 digits '-' 2 digits, optionally followed by a time.
	if i == 4 && len(s) >= 10 && s[4] == '-' && digits(s, 5) == 7 && s[7] == '-' && digits(s, 8) == 10 {
		j := 10
		if j < len(s) && (s[j] == 'T' || s[j] == 't') {
			j = scanClock(s, j+1)
			switch {
			case j < len(s) && (s[j] == 'Z' || s[j] == 'z'):
				j++
			case j < len(s) && (s[j] == '+' || s[j] == '-') && digits(s, j+1) == j+3 && j+3 < len(s) && s[j+3] == ':' && digits(s, j+4) == j+6:
				j += 6
			}
		}
		return invalidIfGlued(s, j, DateTime)
	}
	// Time of day: 1-2 digits ':' 2 digits (':' 2 digits)?
	if i <= 2 && i < len(s) && s[i] == ':' && digits(s, i+1) == i+3 {
		j := i + 3
		if j < len(s) && s[j] == ':' && digits(s, j+1) == j+3 {
			j += 3
		}
		return invalidIfGlued(s, j, Time)
	}
	if i+1 < len(s) && s[i] == '.' && isDigit(s[i+1]) {
		i = digits(s, i+1)
	}
	// A duration unit directly after the digits, not followed by more letters.
	for _, u := range [...]string{"ms", "s", "m", "h", "d", "w"} {
		if strings.HasPrefix(s[i:], u) {
			if j := i + len(u); j == len(s) || !isLetter(s[j]) && !isDigit(s[j]) {
				return j, Duration
			}
		}
	}
	return invalidIfGlued(s, i, Number)
}

// scanClock scans hh:mm[:ss[.fff]] from s[i:] and returns where it ends.
func scanClock(s string, i int) int {
	j := digits(s, i)
	if j != i+2 || j >= len(s) || s[j] != ':' || digits(s, j+1) != j+3 {
		return i
	}
	j += 3
	if j < len(s) && s[j] == ':' && digits(s, j+1) == j+3 {
		j += 3
		if j+1 < len(s) && s[j] == '.' && isDigit(s[j+1]) {
			j = digits(s, j+1)
		}
	}
	return j
}

// invalidIfGlued returns (i, typ), unless letters or digits are glued to
// the literal s[:i]; then the whole run is one Invalid token.
func invalidIfGlued(s string, i int, typ lexer.TokenType) (int, lexer.TokenType) {
	if i < len(s) && (isLetter(s[i]) || isDigit(s[i])) {
		for i < len(s) && (isLetter(s[i]) || isDigit(s[i])) {
			i++
		}
		return i, Invalid
	}
	return i, typ
}

// scanString scans a double-quoted string with backslash escapes and
// `{{expr}}` templates; an expression in a template may hold strings of its
// own: "Due {{format_date(closedate, "2006-01-02")}}". A string, or a
// template in it, not closed before the end of its line is Invalid, up to
// the end of the line.
func scanString(s string) (int, lexer.TokenType) {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 < len(s) && s[i+1] != '\n' {
				i++
			}
		case '"':
			return i + 1, String
		case '\n':
			return i, Invalid
		case '{':
			if i+1 < len(s) && s[i+1] == '{' {
				j, ok := TemplateEnd(s, i+2)
				if !ok {
					return j, Invalid
				}
				i = j - 1
			}
		}
	}
	return len(s), Invalid
}

// TemplateEnd scans a template's expression from s[i:], just after its
// "{{", and returns the index just after its closing "}}" and true. A quote
// inside the template starts a string of the expression, which may hold
// templates of its own. If the template is not closed before the end of
// the line or of s, TemplateEnd returns where it stopped and false.
func TemplateEnd(s string, i int) (int, bool) {
	for ; i < len(s); i++ {
		switch s[i] {
		case '}':
			if i+1 < len(s) && s[i+1] == '}' {
				return i + 2, true
			}
		case '"':
			n, typ := scanString(s[i:])
			if typ != String {
				return i + n, false
			}
			i += n - 1
		case '\n':
			return i, false
		}
	}
	return i, false
}
