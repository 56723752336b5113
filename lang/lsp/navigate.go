package lsp

import (
	"context"
	"strings"

	"go.lsp.dev/protocol"

	"github.com/wflang/wf/lang/ast"
	"github.com/wflang/wf/lang/format"
	"github.com/wflang/wf/stdlib"
)

// location returns where a span of the named file is, or false for a file
// the server cannot name (the prelude when its copy cannot be written).
func (s *server) location(prog *program, name string, sp ast.Span) (protocol.Location, bool) {
	var f *file
	switch {
	case name == stdlib.PreludeFile:
		if s.preludeURI() == "" {
			return protocol.Location{}, false
		}
		f = s.prelude
	case prog != nil:
		f = prog.files[name]
	}
	if f == nil {
		return protocol.Location{}, false
	}
	return protocol.Location{URI: f.uri, Range: f.lines.rangeOf(sp.Pos, sp.EndPos)}, true
}

func (s *server) definition(ctx context.Context, p *protocol.DefinitionParams) (any, error) {
	f, prog := s.fileOf(p.TextDocument.URI)
	if f == nil {
		return nil, nil
	}
	idx := s.indexOf(prog)
	o, ok := idx.at(f.name, f.lines.offset(p.Position))
	if !ok || o.sym.file == "" {
		return []protocol.Location{}, nil
	}
	loc, ok := s.location(prog, o.sym.file, o.sym.decl)
	if !ok {
		return []protocol.Location{}, nil
	}
	return []protocol.Location{loc}, nil
}

func (s *server) references(ctx context.Context, p *protocol.ReferenceParams) (any, error) {
	f, prog := s.fileOf(p.TextDocument.URI)
	if f == nil {
		return nil, nil
	}
	idx := s.indexOf(prog)
	o, ok := idx.at(f.name, f.lines.offset(p.Position))
	locs := []protocol.Location{}
	if !ok {
		return locs, nil
	}
	refs := idx.refs(o.sym)
	files := sortedKeys(refs)
	for _, name := range files {
		for _, r := range refs[name] {
			if r.decl && !p.Context.IncludeDeclaration {
				continue
			}
			if loc, ok := s.location(prog, name, r.span); ok {
				locs = append(locs, loc)
			}
		}
	}
	return locs, nil
}

func (s *server) documentSymbol(ctx context.Context, p *protocol.DocumentSymbolParams) (any, error) {
	f, _ := s.fileOf(p.TextDocument.URI)
	if f == nil {
		return nil, nil
	}
	return documentSymbols(f), nil
}

// documentSymbols lists a file's declarations, with their properties,
// fields and labelled steps as children.
func documentSymbols(f *file) []protocol.DocumentSymbol {
	syms := []protocol.DocumentSymbol{}
	sym := func(name, detail string, kind protocol.SymbolKind, whole ast.Node, sel ast.Span) protocol.DocumentSymbol {
		return protocol.DocumentSymbol{
			Name: name, Detail: detail, Kind: kind,
			Range: f.lines.nodeRange(whole), SelectionRange: f.lines.rangeOf(sel.Pos, sel.EndPos),
		}
	}
	props := func(ps []*ast.PropDecl) []protocol.DocumentSymbol {
		var out []protocol.DocumentSymbol
		for _, p := range ps {
			out = append(out, sym(p.Name.Name, text(f.src, p.Type), protocol.SymbolKindProperty, p, p.Name.Span))
		}
		return out
	}
	members := func(ms []*ast.Member) []protocol.DocumentSymbol {
		var ps []*ast.PropDecl
		for _, m := range ms {
			if m.Prop != nil {
				ps = append(ps, m.Prop)
			}
		}
		return props(ps)
	}
	for _, d := range f.ast.Decls {
		var ds protocol.DocumentSymbol
		switch d := d.(type) {
		case *ast.ObjectDecl:
			ds = sym(d.Name.Name, "object", protocol.SymbolKindClass, d, d.Name.Span)
			ds.Children = members(d.Members)
		case *ast.ExtendDecl:
			ds = sym(d.Name.Name, "extend", protocol.SymbolKindClass, d, d.Name.Span)
			ds.Children = members(d.Members)
		case *ast.EventDecl:
			ds = sym(d.Name.Name, "event on "+d.Object.Name, protocol.SymbolKindEvent, d, d.Name.Span)
			ds.Children = props(d.Props)
		case *ast.WebhookDecl:
			ds = sym(d.Name.Name, "webhook on "+d.Object.Name, protocol.SymbolKindInterface, d, d.Name.Span)
			for _, p := range d.Props {
				ds.Children = append(ds.Children, sym(p.Name.Name, text(f.src, p.Type), protocol.SymbolKindProperty, p, p.Name.Span))
			}
		case *ast.WorkflowDecl:
			detail := "workflow"
			for _, it := range d.Items {
				if on, ok := it.(*ast.OnSetting); ok {
					detail += " on " + on.Object.Name
					break
				}
			}
			ds = sym(d.Name.Name, detail, protocol.SymbolKindFunction, d, d.Name.Span)
			ast.Inspect(d, func(n ast.Node) bool {
				if st, ok := n.(*ast.Step); ok && st.Label != nil {
					ds.Children = append(ds.Children, sym(st.Label.Name, oneLine(text(f.src, st.Body)), protocol.SymbolKindKey, st, st.Label.Span))
				}
				return true
			})
		case *ast.TestDecl:
			ds = sym(string(d.Name.Value), "test", protocol.SymbolKindMethod, d, d.Name.Span)
		default:
			continue
		}
		syms = append(syms, ds)
	}
	return syms
}

// ---- code actions ----

// quickFix finds the replacement a diagnostic's hint suggests: "did you
// mean `x`?", `did you mean "x"?` or "write `x`".
func quickFix(hint string) (string, bool) {
	for _, lead := range []string{"did you mean ", "write "} {
		i := strings.LastIndex(hint, lead)
		if i < 0 {
			continue
		}
		rest := hint[i+len(lead):]
		if len(rest) < 2 || rest[0] != '`' && rest[0] != '"' {
			continue
		}
		j := strings.IndexByte(rest[1:], rest[0])
		if j <= 0 {
			continue
		}
		repl := rest[1 : j+1]
		if strings.ContainsAny(repl, " \n{}") {
			continue // a phrase, not a name
		}
		return repl, true
	}
	return "", false
}

func (s *server) codeAction(ctx context.Context, p *protocol.CodeActionParams) (any, error) {
	f, prog := s.fileOf(p.TextDocument.URI)
	actions := []protocol.CodeAction{}
	if f == nil || prog == nil {
		return actions, nil
	}
	from, to := f.lines.offset(p.Range.Start), f.lines.offset(p.Range.End)
	for _, d := range prog.diags[f.name] {
		if d.End.Offset < from || d.Pos.Offset > to {
			continue
		}
		repl, ok := quickFix(d.Hint)
		if !ok || d.End.Offset <= d.Pos.Offset {
			continue
		}
		pd := toProtocol(f.lines, d)
		actions = append(actions, protocol.CodeAction{
			Title:       "Replace `" + f.src[d.Pos.Offset:d.End.Offset] + "` with `" + repl + "`",
			Kind:        protocol.QuickFix,
			Diagnostics: []protocol.Diagnostic{pd},
			IsPreferred: true,
			Edit: &protocol.WorkspaceEdit{Changes: map[protocol.DocumentURI][]protocol.TextEdit{
				f.uri: {{Range: pd.Range, NewText: repl}},
			}},
		})
	}
	return actions, nil
}

// ---- formatting ----

func (s *server) formatting(ctx context.Context, p *protocol.DocumentFormattingParams) (any, error) {
	f, prog := s.fileOf(p.TextDocument.URI)
	if f == nil || prog == nil {
		return nil, nil
	}
	out, err := format.Source(f.name, []byte(f.src))
	if err != nil || string(out) == f.src {
		// A file with syntax errors is left as it is; its diagnostics
		// say why.
		return []protocol.TextEdit{}, nil
	}
	// One edit: the lines that differ.
	a, b := f.src, string(out)
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	pre = strings.LastIndexByte(a[:pre], '\n') + 1
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	for suf > 0 && a[len(a)-suf-1] != '\n' {
		suf--
	}
	edit := protocol.TextEdit{
		Range:   protocol.Range{Start: f.lines.position(pre), End: f.lines.position(len(a) - suf)},
		NewText: b[pre : len(b)-suf],
	}
	return []protocol.TextEdit{edit}, nil
}
