package lsp

import (
	"sort"
	"unicode/utf8"

	"go.lsp.dev/protocol"

	"github.com/wflang/wf/lang/ast"
)

// lineIndex converts between the two ways a place in a document is named:
// wf's positions (participle's lexer.Position: a byte offset, a 1-based line
// and a 1-based column counted in runes) and LSP's (a 0-based line and a
// 0-based character counted in UTF-16 code units). Every conversion in the
// server goes through it.
type lineIndex struct {
	src   string
	lines []int // byte offset at which each line starts
}

func newLineIndex(src string) *lineIndex {
	lines := make([]int, 1, 64)
	for i := 0; i < len(src); i++ {
		if src[i] == '\n' {
			lines = append(lines, i+1)
		}
	}
	return &lineIndex{src: src, lines: lines}
}

// lineOf returns the 0-based line holding byte offset off.
func (x *lineIndex) lineOf(off int) int {
	return sort.Search(len(x.lines), func(i int) bool { return x.lines[i] > off }) - 1
}

// lineEnd returns the byte offset of the end of line l, before its newline.
func (x *lineIndex) lineEnd(l int) int {
	if l+1 < len(x.lines) {
		return x.lines[l+1] - 1
	}
	return len(x.src)
}

// position converts a byte offset to an LSP position. An offset inside a
// multi-byte character counts as that character's start.
func (x *lineIndex) position(off int) protocol.Position {
	off = max(0, min(off, len(x.src)))
	l := x.lineOf(off)
	return protocol.Position{Line: uint32(l), Character: uint32(utf16Len(x.src[x.lines[l]:off]))}
}

// offset converts an LSP position to a byte offset, clamping a line past
// the end to the end of the document and a character past the end of its
// line to the line's end.
func (x *lineIndex) offset(p protocol.Position) int {
	l := int(p.Line)
	if l >= len(x.lines) {
		return len(x.src)
	}
	start, end := x.lines[l], x.lineEnd(l)
	want := int(p.Character)
	units := 0
	for i, r := range x.src[start:end] {
		if units >= want {
			return start + i
		}
		units += runeUTF16(r)
	}
	return end
}

// fromAST converts a wf position to an LSP position. The byte offset is
// authoritative; the 1-based line and rune column are used when the offset
// does not fit the document (a position from an older version of it). The
// zero Position, which participle leaves in a node it did not finish, maps
// to the start of the document.
func (x *lineIndex) fromAST(p ast.Position) protocol.Position {
	if p.Line <= 0 {
		return protocol.Position{}
	}
	if p.Offset >= 0 && p.Offset <= len(x.src) && x.lineOf(p.Offset) == p.Line-1 {
		return x.position(p.Offset)
	}
	l := min(p.Line-1, len(x.lines)-1)
	start, end := x.lines[l], x.lineEnd(l)
	units, col := 0, 1
	for _, r := range x.src[start:end] {
		if col >= p.Column {
			break
		}
		units += runeUTF16(r)
		col++
	}
	return protocol.Position{Line: uint32(l), Character: uint32(units)}
}

// rangeOf converts a wf range [pos, end) to an LSP range. A missing end
// (a partial node) makes an empty range at pos.
func (x *lineIndex) rangeOf(pos, end ast.Position) protocol.Range {
	r := protocol.Range{Start: x.fromAST(pos)}
	r.End = r.Start
	if end.Line > 0 && end.Offset >= pos.Offset {
		r.End = x.fromAST(end)
	}
	return r
}

// nodeRange is the LSP range of a node.
func (x *lineIndex) nodeRange(n ast.Node) protocol.Range { return x.rangeOf(n.Start(), n.End()) }

// utf16Len returns the length of s in UTF-16 code units.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += runeUTF16(r)
	}
	return n
}

func runeUTF16(r rune) int {
	if r >= 0x10000 && r <= utf8.MaxRune {
		return 2
	}
	return 1
}
