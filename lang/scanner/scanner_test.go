package scanner

import (
	"fmt"
	"strings"
	"testing"

	"github.com/alecthomas/participle/v2/lexer"
	"github.com/google/go-cmp/cmp"
)

// tok is a token as the tests write it: type, text and line:col.
type tok struct {
	Type  string
	Value string
	Pos   string
}

// scan returns the tokens of src without whitespace and EOF, unless all
// is set.
func scan(src string, all bool) []tok {
	var out []tok
	for _, t := range Tokens("t.wf", src) {
		if !all && (t.Type == Whitespace || t.EOF()) {
			continue
		}
		out = append(out, tok{Name(t.Type), t.Value, fmt.Sprintf("%d:%d", t.Pos.Line, t.Pos.Column)})
	}
	return out
}

func TestTokens(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []tok
	}{
		{"identifiers", "a _b snake_case9 CamelCase x1y2", []tok{
			{"Ident", "a", "1:1"}, {"Ident", "_b", "1:3"}, {"Ident", "snake_case9", "1:6"},
			{"Ident", "CamelCase", "1:18"}, {"Ident", "x1y2", "1:28"},
		}},
		{"numbers", "0 12 1.5 0.25 1. 1..5", []tok{
			{"Number", "0", "1:1"}, {"Number", "12", "1:3"}, {"Number", "1.5", "1:6"},
			{"Number", "0.25", "1:10"}, {"Number", "1", "1:15"}, {"Punct", ".", "1:16"},
			{"Number", "1", "1:18"}, {"Punct", "..", "1:19"}, {"Number", "5", "1:21"},
		}},
		{"percent", "25% 75 %", []tok{
			{"Number", "25", "1:1"}, {"Punct", "%", "1:3"}, {"Number", "75", "1:5"}, {"Punct", "%", "1:8"},
		}},
		{"durations", "30s 15m 2h 3d 1w 250ms 1.5h", []tok{
			{"Duration", "30s", "1:1"}, {"Duration", "15m", "1:5"}, {"Duration", "2h", "1:9"},
			{"Duration", "3d", "1:12"}, {"Duration", "1w", "1:15"}, {"Duration", "250ms", "1:18"},
			{"Duration", "1.5h", "1:24"},
		}},
		{"durations against identifiers", "2days 2 days 2d+1 3dx 7d)", []tok{
			{"Invalid", "2days", "1:1"}, {"Number", "2", "1:7"}, {"Ident", "days", "1:9"},
			{"Duration", "2d", "1:14"}, {"Punct", "+", "1:16"}, {"Number", "1", "1:17"},
			{"Invalid", "3dx", "1:19"}, {"Duration", "7d", "1:23"}, {"Punct", ")", "1:25"},
		}},
		{"dates", "2026-01-05 2026-01-05T08:00:00Z 2026-01-05T08:00Z 2026-01-05t08:00:00.123z 2026-01-05T08:00:00+02:00", []tok{
			{"DateTime", "2026-01-05", "1:1"}, {"DateTime", "2026-01-05T08:00:00Z", "1:12"},
			{"DateTime", "2026-01-05T08:00Z", "1:33"}, {"DateTime", "2026-01-05t08:00:00.123z", "1:51"},
			{"DateTime", "2026-01-05T08:00:00+02:00", "1:76"},
		}},
		{"date arithmetic", "2026-01-05-3d 2026-01-05T08:00:00Z-3d 2026-01", []tok{
			{"DateTime", "2026-01-05", "1:1"}, {"Punct", "-", "1:11"}, {"Duration", "3d", "1:12"},
			{"DateTime", "2026-01-05T08:00:00Z", "1:15"}, {"Punct", "-", "1:35"}, {"Duration", "3d", "1:36"},
			{"Number", "2026", "1:39"}, {"Punct", "-", "1:43"}, {"Number", "01", "1:44"},
		}},
		{"times", "09:00 9:00 09:00:30 09:00..17:00", []tok{
			{"Time", "09:00", "1:1"}, {"Time", "9:00", "1:7"}, {"Time", "09:00:30", "1:12"},
			{"Time", "09:00", "1:21"}, {"Punct", "..", "1:26"}, {"Time", "17:00", "1:28"},
		}},
		{"day ranges", "mon..fri, sat", []tok{
			{"Ident", "mon", "1:1"}, {"Punct", "..", "1:4"}, {"Ident", "fri", "1:6"},
			{"Punct", ",", "1:9"}, {"Ident", "sat", "1:11"},
		}},
		{"malformed literals", "09:00x 123:45 2026-01-05T", []tok{
			{"Invalid", "09:00x", "1:1"}, {"Number", "123", "1:8"}, {"Punct", ":", "1:11"},
			{"Number", "45", "1:12"}, {"DateTime", "2026-01-05T", "1:15"},
		}},
		{"punctuation", ".. => == != <= >= { } ( ) [ ] , . : = < > + - * / % !", []tok{
			{"Punct", "..", "1:1"}, {"Punct", "=>", "1:4"}, {"Punct", "==", "1:7"}, {"Punct", "!=", "1:10"},
			{"Punct", "<=", "1:13"}, {"Punct", ">=", "1:16"}, {"Punct", "{", "1:19"}, {"Punct", "}", "1:21"},
			{"Punct", "(", "1:23"}, {"Punct", ")", "1:25"}, {"Punct", "[", "1:27"}, {"Punct", "]", "1:29"},
			{"Punct", ",", "1:31"}, {"Punct", ".", "1:33"}, {"Punct", ":", "1:35"}, {"Punct", "=", "1:37"},
			{"Punct", "<", "1:39"}, {"Punct", ">", "1:41"}, {"Punct", "+", "1:43"}, {"Punct", "-", "1:45"},
			{"Punct", "*", "1:47"}, {"Punct", "/", "1:49"}, {"Punct", "%", "1:51"}, {"Punct", "!", "1:53"},
		}},
		{"glued punctuation", "a.b(c)=>x==-1", []tok{
			{"Ident", "a", "1:1"}, {"Punct", ".", "1:2"}, {"Ident", "b", "1:3"}, {"Punct", "(", "1:4"},
			{"Ident", "c", "1:5"}, {"Punct", ")", "1:6"}, {"Punct", "=>", "1:7"}, {"Ident", "x", "1:9"},
			{"Punct", "==", "1:10"}, {"Punct", "-", "1:12"}, {"Number", "1", "1:13"},
		}},
		{"strings", `"" "a b" "esc \" \\ \n" "é" x`, []tok{
			{"String", `""`, "1:1"}, {"String", `"a b"`, "1:4"}, {"String", `"esc \" \\ \n"`, "1:10"},
			{"String", `"é"`, "1:25"}, {"Ident", "x", "1:29"},
		}},
		{"templates", `"Hi {{name}}" "{{ f("a}}", "b") }}!" "{x} }}"`, []tok{
			{"String", `"Hi {{name}}"`, "1:1"}, {"String", `"{{ f("a}}", "b") }}!"`, "1:15"},
			{"String", `"{x} }}"`, "1:38"},
		}},
		{"unterminated strings", "\"abc\nx \"{{ y \"\nz \"{{ \"a }}\n", []tok{
			{"Invalid", `"abc`, "1:1"}, {"Ident", "x", "2:1"}, {"Invalid", `"{{ y "`, "2:3"},
			{"Ident", "z", "3:1"}, {"Invalid", `"{{ "a }}`, "3:3"},
		}},
		{"escaped newline", "\"a\\\nb\"", []tok{
			{"Invalid", `"a\`, "1:1"}, {"Ident", "b", "2:1"}, {"Invalid", `"`, "2:2"},
		}},
		{"raw strings", "x `a\n\"b\"\n` y", []tok{
			{"Ident", "x", "1:1"}, {"RawString", "`a\n\"b\"\n`", "1:3"}, {"Ident", "y", "3:3"},
		}},
		{"unterminated raw string", "x `a\nb", []tok{
			{"Ident", "x", "1:1"}, {"Invalid", "`a\nb", "1:3"},
		}},
		{"comments", "a // line é\n/* block\n * é */ b /**/c /* a // b */ d", []tok{
			{"Ident", "a", "1:1"}, {"Comment", "// line é", "1:3"}, {"Comment", "/* block\n * é */", "2:1"},
			{"Ident", "b", "3:9"}, {"Comment", "/**/", "3:11"}, {"Ident", "c", "3:15"},
			{"Comment", "/* a // b */", "3:17"}, {"Ident", "d", "3:30"},
		}},
		{"comment at the end", "a // no newline", []tok{
			{"Ident", "a", "1:1"}, {"Comment", "// no newline", "1:3"},
		}},
		{"unterminated block comment", "a /* never\nclosed", []tok{
			{"Ident", "a", "1:1"}, {"Invalid", "/* never\nclosed", "1:3"},
		}},
		{"invalid characters", "$ & | ' # ü @", []tok{
			{"Invalid", "$", "1:1"}, {"Invalid", "&", "1:3"}, {"Invalid", "|", "1:5"}, {"Invalid", "'", "1:7"},
			{"Invalid", "#", "1:9"}, {"Invalid", "ü", "1:11"}, {"Invalid", "@", "1:13"},
		}},
		{"invalid UTF-8", "a\xffb", []tok{
			{"Ident", "a", "1:1"}, {"Invalid", "\xff", "1:2"}, {"Ident", "b", "1:3"},
		}},
		{"byte order mark", "\uFEFFworkflow", []tok{
			{"Ident", "workflow", "1:2"},
		}},
		{"line endings", "a\r\nb\tc", []tok{
			{"Ident", "a", "1:1"}, {"Ident", "b", "2:1"}, {"Ident", "c", "2:3"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, scan(tt.src, false)); diff != "" {
				t.Errorf("Tokens(%q) (-want +got):\n%s", tt.src, diff)
			}
		})
	}
}

// TestWhitespaceAndEOF checks the tokens the parser elides and the EOF
// token, whose positions make node ends exact.
func TestWhitespaceAndEOF(t *testing.T) {
	want := []tok{
		{"Whitespace", "  ", "1:1"}, {"Ident", "stop", "1:3"}, {"Whitespace", " \n\t", "1:7"},
		{"Comment", "// c", "2:2"}, {"Whitespace", "\n", "2:6"}, {"EOF", "", "3:1"},
	}
	if diff := cmp.Diff(want, scan("  stop \n\t// c\n", true)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]tok{{"EOF", "", "1:1"}}, scan("", true)); diff != "" {
		t.Errorf("empty source (-want +got):\n%s", diff)
	}
}

// TestOffsets checks that every token's offset, line and column agree and
// that the tokens cover the source exactly.
func TestOffsets(t *testing.T) {
	src := "workflow w {\r\n  set x = \"é {{ a }}\" // ü\n  code js `\nreturn 1\n` /* ∑\n */ stop $\n\"open\n}"
	toks := Tokens("t.wf", src)
	var b strings.Builder
	line, col := 1, 1
	for _, tk := range toks {
		if tk.Pos.Offset != b.Len() {
			t.Fatalf("token %q at offset %d, want %d", tk.Value, tk.Pos.Offset, b.Len())
		}
		if tk.Pos.Line != line || tk.Pos.Column != col {
			t.Errorf("token %q at %d:%d, want %d:%d", tk.Value, tk.Pos.Line, tk.Pos.Column, line, col)
		}
		if tk.Pos.Filename != "t.wf" {
			t.Errorf("token %q in file %q", tk.Value, tk.Pos.Filename)
		}
		b.WriteString(tk.Value)
		for _, r := range tk.Value {
			if r == '\n' {
				line, col = line+1, 1
			} else {
				col++
			}
		}
	}
	if b.String() != src {
		t.Errorf("tokens spell %q, want %q", b.String(), src)
	}
}

// TestNewAt checks that a scanner started at a token's position continues
// as the one that produced it.
func TestNewAt(t *testing.T) {
	src := "a \"é\"\n  b c"
	all := Tokens("t.wf", src)
	for i, start := range all {
		s := NewAt(src, start.Pos)
		for _, want := range all[i:] {
			if got := s.Scan(); got != want {
				t.Fatalf("from %v: got %#v, want %#v", start.Pos, got, want)
			}
		}
	}
}

// TestDefinition checks the participle lexer.Definition.
func TestDefinition(t *testing.T) {
	lex, err := Definition.(lexer.StringDefinition).LexString("d.wf", "a 1")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		tk, err := lex.Next()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, Name(tk.Type)+":"+tk.Value)
		if tk.EOF() {
			break
		}
	}
	if diff := cmp.Diff([]string{"Ident:a", "Whitespace: ", "Number:1", "EOF:"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for name, typ := range Definition.Symbols() {
		if Name(typ) != name {
			t.Errorf("Name(%d) = %q, want %q", typ, Name(typ), name)
		}
	}
}
