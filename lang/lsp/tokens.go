package lsp

import (
	"context"
	"strings"

	"go.lsp.dev/protocol"

	"github.com/wflang/wf/lang/scanner"
	"github.com/wflang/wf/stdlib"
)

// The semantic token legend: types and modifiers, by index.
const (
	tokKeyword = iota
	tokType    // object types
	tokProperty
	tokEvent
	tokFunction  // stdlib builtins
	tokVariable  // action outputs and test records
	tokNamespace // workflows
	tokInterface // incoming webhooks
	tokEnumMember
	tokString
	tokNumber
	tokComment
	tokOperator
)

const (
	modDeclaration = 1 << iota
	modDefaultLibrary
)

var legend = protocol.SemanticTokensLegend{
	TokenTypes: []protocol.SemanticTokenTypes{
		protocol.SemanticTokenKeyword, protocol.SemanticTokenType, protocol.SemanticTokenProperty,
		protocol.SemanticTokenEvent, protocol.SemanticTokenFunction, protocol.SemanticTokenVariable,
		protocol.SemanticTokenNamespace, protocol.SemanticTokenInterface, protocol.SemanticTokenEnumMember,
		protocol.SemanticTokenString, protocol.SemanticTokenNumber, protocol.SemanticTokenComment,
		protocol.SemanticTokenOperator,
	},
	TokenModifiers: []protocol.SemanticTokenModifiers{
		protocol.SemanticTokenModifierDeclaration, protocol.SemanticTokenModifierDefaultLibrary,
	},
}

// symToken is the token type of each kind of symbol; step labels are enum
// members of their workflow's step ids.
var symToken = map[symKind]uint32{
	symObject: tokType, symProp: tokProperty, symAssoc: tokProperty, symEvent: tokEvent,
	symEventProp: tokProperty, symHook: tokInterface, symHookProp: tokProperty, symWorkflow: tokNamespace,
	symLabel: tokEnumMember, symOutput: tokVariable, symRecord: tokVariable, symFunc: tokFunction,
}

var operators = map[string]bool{
	"==": true, "!=": true, "<": true, "<=": true, ">": true, ">=": true, "+": true, "-": true,
	"*": true, "/": true, "%": true, "=>": true, "=": true, "..": true,
}

func (s *server) semanticTokensFull(ctx context.Context, p *protocol.SemanticTokensParams) (any, error) {
	f, prog := s.fileOf(p.TextDocument.URI)
	if f == nil {
		return nil, nil
	}
	return &protocol.SemanticTokens{Data: semanticTokens(s.indexOf(prog), f)}, nil
}

// tokenEncoder builds the relative encoding of semantic tokens: five
// integers per token, its line and start relative to the previous token's.
type tokenEncoder struct {
	lines          *lineIndex
	data           []uint32
	line, startCol uint32
}

// add emits a token for src[start:end], one per line it spans.
func (e *tokenEncoder) add(start, end int, typ, mods uint32) {
	for start < end {
		stop := end
		if i := strings.IndexByte(e.lines.src[start:end], '\n'); i >= 0 {
			stop = start + i
		}
		if stop > start {
			p := e.lines.position(start)
			n := uint32(utf16Len(e.lines.src[start:stop]))
			dl, dc := p.Line-e.line, p.Character
			if dl == 0 {
				dc -= e.startCol
			}
			e.data = append(e.data, dl, dc, n, typ, mods)
			e.line, e.startCol = p.Line, p.Character
		}
		start = stop + 1
	}
}

// semanticTokens classifies every token of a file: names by what they
// resolve to, keywords, literals, comments and operators.
func semanticTokens(idx *index, f *file) []uint32 {
	e := &tokenEncoder{lines: f.lines, data: []uint32{}}
	occ := idx.occ[f.name]
	k := 0 // the next occurrence not yet emitted
	emitOcc := func(o occurrence) {
		var mods uint32
		if o.decl {
			mods |= modDeclaration
		}
		if o.sym.kind == symFunc || o.sym.file == stdlib.PreludeFile {
			mods |= modDefaultLibrary
		}
		e.add(o.span.Pos.Offset, o.span.EndPos.Offset, symToken[o.sym.kind], mods)
	}
	for _, t := range scanner.Tokens(f.name, f.src) {
		start := t.Pos.Offset
		end := start + len(t.Value)
		for k < len(occ) && occ[k].span.Pos.Offset < start {
			k++
		}
		switch t.Type {
		case scanner.Comment:
			e.add(start, end, tokComment, 0)
		case scanner.String:
			// Names in {{templates}} inside the string are tokens of their own.
			for ; k < len(occ) && occ[k].span.EndPos.Offset <= end; k++ {
				e.add(start, occ[k].span.Pos.Offset, tokString, 0)
				emitOcc(occ[k])
				start = occ[k].span.EndPos.Offset
			}
			e.add(start, end, tokString, 0)
		case scanner.RawString:
			e.add(start, end, tokString, 0)
		case scanner.Number, scanner.Duration, scanner.DateTime, scanner.Time:
			e.add(start, end, tokNumber, 0)
		case scanner.Punct:
			if operators[t.Value] {
				e.add(start, end, tokOperator, 0)
			}
		case scanner.Ident:
			if k < len(occ) && occ[k].span.Pos.Offset == start && occ[k].span.EndPos.Offset == end {
				emitOcc(occ[k])
				k++
			} else if allKeyword[t.Value] {
				e.add(start, end, tokKeyword, 0)
			}
		}
	}
	return e.data
}
