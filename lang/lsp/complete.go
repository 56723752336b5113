package lsp

import (
	"context"
	"slices"

	"go.lsp.dev/protocol"

	"github.com/wflang/wf/lang/ast"
	"github.com/wflang/wf/stdlib"
)

func (s *server) completion(ctx context.Context, p *protocol.CompletionParams) (any, error) {
	f, prog := s.fileOf(p.TextDocument.URI)
	if f == nil || prog == nil {
		return nil, nil
	}
	idx := s.indexOf(prog)
	c := completionContext(f.src, f.lines.offset(p.Position))
	return &protocol.CompletionList{Items: completions(idx, c)}, nil
}

// completions lists what may be written in context c.
func completions(idx *index, c compContext) []protocol.CompletionItem {
	items := []protocol.CompletionItem{}
	seen := map[string]bool{}
	add := func(it protocol.CompletionItem) {
		if seen[it.Label] {
			return
		}
		seen[it.Label] = true
		items = append(items, it)
	}
	keywords := func(words []string) {
		for _, w := range words {
			add(protocol.CompletionItem{Label: w, Kind: protocol.CompletionItemKindKeyword, Detail: firstSentence(keywordDocs[w])})
		}
	}
	sym := func(s *symbol, kind protocol.CompletionItemKind, detail string) {
		if s == nil {
			return
		}
		add(protocol.CompletionItem{Label: s.name, Kind: kind, Detail: detail, Documentation: markdown(describe(idx, s))})
	}
	props := func(o *objectSyms) {
		if o == nil {
			return
		}
		for _, p := range o.list {
			sym(p, protocol.CompletionItemKindField, p.typ)
		}
	}
	assocs := func(o *objectSyms) {
		if o == nil {
			return
		}
		names := make([]string, 0, len(o.assocs))
		for n := range o.assocs {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			sym(o.assocs[n], protocol.CompletionItemKindModule, "association ("+o.assocs[n].typ+")")
		}
	}
	eventFields := func(ev *eventSyms) {
		if ev == nil {
			return
		}
		for _, p := range ev.list {
			sym(p, protocol.CompletionItemKindField, p.typ+" (event field)")
		}
	}
	names := func(kind protocol.CompletionItemKind, detail string, syms []*symbol) {
		for _, s := range syms {
			sym(s, kind, detail)
		}
	}

	switch c.kind {
	case compDecl:
		keywords(declWords)
	case compItem:
		keywords(itemWords)
		keywords(stepWords)
	case compStep:
		keywords(stepWords)
	case compTestStmt:
		keywords(stmtWords)
	case compMember:
		if c.decl != "event" {
			keywords([]string{"assoc"})
		}
	case compType:
		keywords(typeWords)
	case compKeywords:
		keywords(c.words)
	case compProp:
		props(idx.objects[c.object])
	case compEventField:
		if ev := idx.events[c.event]; ev != nil {
			eventFields(ev)
		}
	case compEventName:
		names(protocol.CompletionItemKindEvent, "event", sortedSyms(idx.events, func(e *eventSyms) *symbol { return e.sym }))
	case compHookName:
		names(protocol.CompletionItemKindInterface, "incoming webhook", sortedSyms(idx.hooks, func(h *hookSyms) *symbol { return h.sym }))
	case compWorkflowName:
		names(protocol.CompletionItemKindModule, "workflow", sortedSyms(idx.flows, func(f *flowSyms) *symbol { return f.sym }))
	case compObjectName:
		keywords(c.words)
		names(protocol.CompletionItemKindClass, "object type", sortedSyms(idx.objects, func(o *objectSyms) *symbol { return o.sym }))
	case compField:
		fieldCompletions(idx, c, add, sym, props)
	case compExpr:
		keywords(c.words)
		if ev := idx.events[c.event]; ev != nil {
			eventFields(ev)
		}
		if c.records != nil {
			for _, id := range sortedKeys(c.records) {
				add(protocol.CompletionItem{Label: id, Kind: protocol.CompletionItemKindVariable, Detail: "record (" + c.records[id] + ")"})
			}
			for _, id := range sortedKeys(c.recordEvents) {
				add(protocol.CompletionItem{Label: id, Kind: protocol.CompletionItemKindVariable, Detail: "record (event " + c.recordEvents[id] + ")"})
			}
		} else {
			o := idx.objects[c.object]
			props(o)
			assocs(o)
		}
		for _, name := range stdlib.Names() {
			fn := stdlib.Lookup(name)
			add(protocol.CompletionItem{Label: name, Kind: protocol.CompletionItemKindFunction, Detail: fn.Sig, Documentation: markdown(fn.Doc)})
		}
		keywords([]string{"now", "today", "and", "or", "not", "in", "contains", "starts_with", "ends_with", "matches", "is"})
	}
	return items
}

// fieldCompletions offers the fields of the path before a dot: the
// properties of an associated type, of a test record, or the fields of an
// action output.
func fieldCompletions(idx *index, c compContext, add func(protocol.CompletionItem), sym func(*symbol, protocol.CompletionItemKind, string), props func(*objectSyms)) {
	if len(c.qualifier) != 1 {
		return
	}
	q := c.qualifier[0]
	if t, ok := c.records[q]; ok {
		props(idx.objects[t])
		return
	}
	if ev, ok := c.recordEvents[q]; ok {
		if e := idx.events[ev]; e != nil {
			props(idx.objects[e.object])
		}
		return
	}
	if o := idx.objects[c.object]; o != nil {
		if a, ok := o.assocs[q]; ok {
			props(idx.objects[a.target])
			return
		}
	}
	for _, fl := range idx.flows {
		out, ok := fl.outputs[q]
		if !ok || fl.object != c.object {
			continue
		}
		switch out.target {
		case "webhook":
			for _, w := range []string{"status", "body", "headers"} {
				add(protocol.CompletionItem{Label: w, Kind: protocol.CompletionItemKindField, Detail: "webhook result"})
			}
		case "code":
			if st, ok := out.node.(*ast.Step); ok {
				if cs, ok := st.Body.(*ast.CodeStep); ok {
					for _, o := range cs.Outputs {
						add(protocol.CompletionItem{Label: o.Name.Name, Kind: protocol.CompletionItemKindField, Detail: text(idx.srcs[out.file], o.Type)})
					}
				}
			}
		default:
			add(protocol.CompletionItem{Label: "id", Kind: protocol.CompletionItemKindField, Detail: "string"})
			props(idx.objects[out.target])
		}
		return
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func sortedSyms[V any](m map[string]V, sym func(V) *symbol) []*symbol {
	var out []*symbol
	for _, k := range sortedKeys(m) {
		out = append(out, sym(m[k]))
	}
	return out
}
