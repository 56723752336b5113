package lsp

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wflang/wf/lang/format"
	"github.com/wflang/wf/stdlib"
)

const eventsSrc = `extend contact {
  seats: number
}

event form_submitted on contact {
  form_id: string
  plan: enum("free", "pro")
}
`

const welcomeSrc = `workflow welcome {
  on contact
  enroll when lifecyclestage == "lead" and lower(email) ends_with "@acme.com"
  enroll when event form_submitted where form_id == "demo"
  set hs_lead_status = "new"
  notify "ops@example.com" "Ça va 😀 {{firstname}}"
  step hello: send email "welcome-1"
  wait for event form_submitted up to 3d
  increment score by 10
}

test "welcome" {
  upsert contact c1 { email: "a@acme.com", lifecyclestage: "lead" }
  expect c1.score == 10
}
`

type wireLocation struct {
	URI   string    `json:"uri"`
	Range wireRange `json:"range"`
}

// TestSession drives the server through a whole editing session over a
// pipe, as an editor does.
func TestSession(t *testing.T) {
	dir := t.TempDir()
	cache := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "events.wf"), []byte(eventsSrc), 0o644); err != nil {
		t.Fatal(err)
	}
	aURI := string(pathURI(filepath.Join(dir, "welcome.wf")))
	bURI := string(pathURI(filepath.Join(dir, "events.wf")))
	c := startServer(t, Options{CacheDir: cache})

	// initialize
	var init struct {
		Capabilities struct {
			TextDocumentSync struct {
				Change int `json:"change"`
			} `json:"textDocumentSync"`
			SemanticTokensProvider struct {
				Legend struct {
					TokenTypes []string `json:"tokenTypes"`
				} `json:"legend"`
				Full bool `json:"full"`
			} `json:"semanticTokensProvider"`
			HoverProvider bool `json:"hoverProvider"`
		} `json:"capabilities"`
	}
	c.call("initialize", map[string]any{"processId": 1, "rootUri": string(pathURI(dir)), "capabilities": map[string]any{}}, &init)
	if init.Capabilities.TextDocumentSync.Change != 2 || !init.Capabilities.SemanticTokensProvider.Full || !init.Capabilities.HoverProvider {
		t.Fatalf("capabilities: %+v", init.Capabilities)
	}
	types := init.Capabilities.SemanticTokensProvider.Legend.TokenTypes
	c.notify("initialized", map[string]any{})

	// didOpen: the program (both files) compiles cleanly.
	c.notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{"uri": aURI, "languageId": "wf", "version": 1, "text": welcomeSrc}})
	if ds := c.diagnostics(aURI); len(ds) != 0 {
		t.Fatalf("diagnostics after open: %+v", ds)
	}
	doc := welcomeSrc

	// didChange: a typo.
	typo := posOf(t, doc, "increment score", 0, len("increment "))
	typoEnd := wirePos{typo.Line, typo.Character + len("score")}
	c.notify("textDocument/didChange", map[string]any{
		"textDocument":   map[string]any{"uri": aURI, "version": 2},
		"contentChanges": []any{map[string]any{"range": wireRange{typo, typoEnd}, "text": "scroe"}},
	})
	doc = strings.Replace(doc, "increment score", "increment scroe", 1)
	ds := c.diagnostics(aURI)
	want := []wireDiagnostic{{
		Range: wireRange{typo, typoEnd}, Severity: 1, Code: "unknown-property",
		Message: "unknown property `scroe` of contact (did you mean `score`?)",
	}}
	if d := cmp.Diff(want, ds); d != "" {
		t.Fatalf("diagnostics after the typo (-want +got):\n%s", d)
	}

	// completion at a property position: the properties of contact,
	// the prelude's and those another file adds.
	var list struct {
		Items []struct {
			Label  string `json:"label"`
			Detail string `json:"detail"`
		} `json:"items"`
	}
	c.call("textDocument/completion", map[string]any{"textDocument": map[string]any{"uri": aURI}, "position": posOf(t, doc, "set hs_lead_status", 0, len("set "))}, &list)
	var labels []string
	for _, it := range list.Items {
		labels = append(labels, it.Label)
	}
	for _, w := range []string{"email", "score", "hs_lead_status", "seats"} {
		if !slices.Contains(labels, w) {
			t.Errorf("completion after set: no %q in %v", w, labels)
		}
	}
	if slices.Contains(labels, "lower") || slices.Contains(labels, "workflow") {
		t.Errorf("completion after set offers more than properties: %v", labels)
	}

	// hover on a property and on a stdlib call.
	type hover struct {
		Contents struct {
			Kind  string `json:"kind"`
			Value string `json:"value"`
		} `json:"contents"`
		Range wireRange `json:"range"`
	}
	var h hover
	at := posOf(t, doc, "lifecyclestage ==", 0, 3)
	c.call("textDocument/hover", map[string]any{"textDocument": map[string]any{"uri": aURI}, "position": at}, &h)
	if !strings.Contains(h.Contents.Value, "lifecyclestage: enum(\"subscriber\"") || !strings.Contains(h.Contents.Value, "Property of `contact`") {
		t.Errorf("hover on a property: %q", h.Contents.Value)
	}
	if h.Range.Start != posOf(t, doc, "lifecyclestage ==", 0, 0) {
		t.Errorf("hover range %+v", h.Range)
	}
	c.call("textDocument/hover", map[string]any{"textDocument": map[string]any{"uri": aURI}, "position": posOf(t, doc, "lower(", 0, 2)}, &h)
	if fn := stdlib.Lookup("lower"); !strings.Contains(h.Contents.Value, fn.Sig) || !strings.Contains(h.Contents.Value, fn.Doc) {
		t.Errorf("hover on lower: %q", h.Contents.Value)
	}
	// A name after non-ASCII text on its line, in a template.
	c.call("textDocument/hover", map[string]any{"textDocument": map[string]any{"uri": aURI}, "position": posOf(t, doc, "firstname}}", 0, 4)}, &h)
	if !strings.Contains(h.Contents.Value, "firstname: string") || h.Range.Start != posOf(t, doc, "firstname}}", 0, 0) {
		t.Errorf("hover in a template after non-ASCII text: %q at %+v", h.Contents.Value, h.Range)
	}

	// definition of an event name: in the other file.
	var locs []wireLocation
	c.call("textDocument/definition", map[string]any{"textDocument": map[string]any{"uri": aURI}, "position": posOf(t, doc, "form_submitted", 0, 5)}, &locs)
	wantDef := []wireLocation{{URI: bURI, Range: wireRange{posOf(t, eventsSrc, "form_submitted", 0, 0), posOf(t, eventsSrc, "form_submitted", 0, len("form_submitted"))}}}
	if d := cmp.Diff(wantDef, locs); d != "" {
		t.Errorf("definition of form_submitted (-want +got):\n%s", d)
	}
	// definition of a prelude property: the server's copy of the prelude.
	c.call("textDocument/definition", map[string]any{"textDocument": map[string]any{"uri": aURI}, "position": posOf(t, doc, "email)", 0, 1)}, &locs)
	if len(locs) != 1 || !strings.HasSuffix(locs[0].URI, "/prelude.wf") {
		t.Fatalf("definition of email: %+v", locs)
	}
	prelude, err := os.ReadFile(uriPath(protocolURI(locs[0].URI)))
	if err != nil || string(prelude) != stdlib.Prelude {
		t.Fatalf("prelude copy: %v", err)
	}
	if r := locs[0].Range; r != (wireRange{posOf(t, stdlib.Prelude, "email", 0, 0), posOf(t, stdlib.Prelude, "email", 0, 5)}) {
		t.Errorf("definition of email: range %+v", r)
	}

	// references of the event, declaration included.
	c.call("textDocument/references", map[string]any{"textDocument": map[string]any{"uri": aURI}, "position": posOf(t, doc, "form_submitted", 1, 0), "context": map[string]any{"includeDeclaration": true}}, &locs)
	wantRefs := []wireLocation{
		{URI: bURI, Range: wantDef[0].Range},
		{URI: aURI, Range: wireRange{posOf(t, doc, "form_submitted", 0, 0), posOf(t, doc, "form_submitted", 0, 14)}},
		{URI: aURI, Range: wireRange{posOf(t, doc, "form_submitted", 1, 0), posOf(t, doc, "form_submitted", 1, 14)}},
	}
	if d := cmp.Diff(wantRefs, locs); d != "" {
		t.Errorf("references of form_submitted (-want +got):\n%s", d)
	}

	// documentSymbol: the workflow with its labelled step, and the test.
	var syms []struct {
		Name     string `json:"name"`
		Kind     int    `json:"kind"`
		Children []struct {
			Name string `json:"name"`
		} `json:"children"`
	}
	c.call("textDocument/documentSymbol", map[string]any{"textDocument": map[string]any{"uri": aURI}}, &syms)
	if len(syms) != 2 || syms[0].Name != "welcome" || len(syms[0].Children) != 1 || syms[0].Children[0].Name != "hello" || syms[1].Name != "welcome" {
		t.Errorf("document symbols: %+v", syms)
	}

	// semanticTokens: decode and check some tokens.
	var toks struct {
		Data []int `json:"data"`
	}
	c.call("textDocument/semanticTokens/full", map[string]any{"textDocument": map[string]any{"uri": aURI}}, &toks)
	got := decodeTokens(toks.Data, types)
	for _, w := range []semTok{
		{posOf(t, doc, "workflow", 0, 0), 8, "keyword"},
		{posOf(t, doc, "lower", 0, 0), 5, "function"},
		{posOf(t, doc, "lifecyclestage", 0, 0), 14, "property"},
		{posOf(t, doc, "form_submitted", 0, 0), 14, "event"},
		{posOf(t, doc, "firstname}}", 0, 0), 9, "property"},
		{posOf(t, doc, `"Ça va`, 0, 0), len(utf16Units(`"Ça va 😀 {{`)), "string"},
		{posOf(t, doc, "hello", 0, 0), 5, "enumMember"},
		{posOf(t, doc, "3d", 0, 0), 2, "number"},
	} {
		if !slices.Contains(got, w) {
			t.Errorf("semantic tokens: no %+v", w)
		}
	}

	// codeAction for the typo: replace it.
	var actions []struct {
		Title string `json:"title"`
		Kind  string `json:"kind"`
		Edit  struct {
			Changes map[string][]struct {
				Range   wireRange `json:"range"`
				NewText string    `json:"newText"`
			} `json:"changes"`
		} `json:"edit"`
	}
	c.call("textDocument/codeAction", map[string]any{"textDocument": map[string]any{"uri": aURI}, "range": wireRange{typo, typo}, "context": map[string]any{"diagnostics": []any{}}}, &actions)
	if len(actions) != 1 || actions[0].Kind != "quickfix" {
		t.Fatalf("code actions: %+v", actions)
	}
	edits := actions[0].Edit.Changes[aURI]
	if len(edits) != 1 || edits[0].NewText != "score" || edits[0].Range != (wireRange{typo, typoEnd}) {
		t.Errorf("quick fix: %+v", edits)
	}

	// Apply the fix as the editor would: the diagnostics clear.
	c.notify("textDocument/didChange", map[string]any{
		"textDocument":   map[string]any{"uri": aURI, "version": 3},
		"contentChanges": []any{map[string]any{"range": edits[0].Range, "text": edits[0].NewText}},
	})
	if ds := c.diagnostics(aURI); len(ds) != 0 {
		t.Errorf("diagnostics after the fix: %+v", ds)
	}

	// formatting: mess up a line, then format; the edits give the
	// formatter's layout.
	messy := posOf(t, doc, `set hs_lead_status = "new"`, 0, 0)
	c.notify("textDocument/didChange", map[string]any{
		"textDocument": map[string]any{"uri": aURI, "version": 4},
		"contentChanges": []any{map[string]any{
			"range": wireRange{messy, wirePos{messy.Line, messy.Character + len(`set hs_lead_status = "new"`)}},
			"text":  `set   hs_lead_status="new"  `,
		}},
	})
	doc = strings.Replace(doc, `set hs_lead_status = "new"`, `set   hs_lead_status="new"  `, 1)
	c.diagnostics(aURI)
	var fmtEdits []struct {
		Range   wireRange `json:"range"`
		NewText string    `json:"newText"`
	}
	c.call("textDocument/formatting", map[string]any{"textDocument": map[string]any{"uri": aURI}, "options": map[string]any{"tabSize": 2, "insertSpaces": true}}, &fmtEdits)
	wantFmt, err := format.Source("welcome.wf", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	formatted := doc
	for i := len(fmtEdits) - 1; i >= 0; i-- {
		e := fmtEdits[i]
		formatted = formatted[:offsetAt(formatted, e.Range.Start)] + e.NewText + formatted[offsetAt(formatted, e.Range.End):]
	}
	if formatted == doc || formatted != string(wantFmt) {
		t.Errorf("formatting gave %d edits; the document after them:\n%s\nwant:\n%s", len(fmtEdits), formatted, wantFmt)
	}

	c.call("shutdown", nil, nil)
	c.notify("exit", nil)
	if err := <-c.done; err != nil {
		t.Errorf("Serve after shutdown and exit: %v", err)
	}
}

type semTok struct {
	pos  wirePos
	n    int
	kind string
}

func decodeTokens(data []int, types []string) []semTok {
	var out []semTok
	line, char := 0, 0
	for i := 0; i+4 < len(data); i += 5 {
		if data[i] > 0 {
			line, char = line+data[i], data[i+1]
		} else {
			char += data[i+1]
		}
		out = append(out, semTok{wirePos{line, char}, data[i+2], types[data[i+3]]})
	}
	return out
}

func utf16Units(s string) []uint16 {
	var u []uint16
	for _, r := range s {
		if r >= 0x10000 {
			u = append(u, 0, 0)
		} else {
			u = append(u, 0)
		}
	}
	return u
}

// TestBrokenDeclaration checks that a syntax error in one declaration
// leaves the features working in the others, and in the broken one as far
// as its tokens allow.
func TestBrokenDeclaration(t *testing.T) {
	const src = `workflow good {
  on contact
  enroll when score > 5
}

workflow broken {
  on contact
  enroll when lower(email) == )
  set 
}
`
	dir := t.TempDir()
	uri := string(pathURI(filepath.Join(dir, "b.wf")))
	c := startServer(t, Options{CacheDir: t.TempDir()})
	c.call("initialize", map[string]any{"processId": 1, "rootUri": string(pathURI(dir)), "capabilities": map[string]any{}}, nil)
	c.notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{"uri": uri, "languageId": "wf", "version": 1, "text": src}})
	// Both broken statements are reported: the parser resumes after the
	// first.
	if ds := c.diagnostics(uri); len(ds) != 2 || ds[0].Code != "syntax" || ds[1].Code != "syntax" || ds[1].Range.Start.Line != 9 {
		t.Fatalf("diagnostics: %+v", ds)
	}
	var h struct {
		Contents struct {
			Value string `json:"value"`
		} `json:"contents"`
	}
	c.call("textDocument/hover", map[string]any{"textDocument": map[string]any{"uri": uri}, "position": posOf(t, src, "score", 0, 1)}, &h)
	if !strings.Contains(h.Contents.Value, "score: number") {
		t.Errorf("hover in the good workflow: %q", h.Contents.Value)
	}
	c.call("textDocument/hover", map[string]any{"textDocument": map[string]any{"uri": uri}, "position": posOf(t, src, "lower", 0, 1)}, &h)
	if !strings.Contains(h.Contents.Value, stdlib.Lookup("lower").Sig) {
		t.Errorf("hover on a call in the broken workflow: %q", h.Contents.Value)
	}
	c.call("textDocument/hover", map[string]any{"textDocument": map[string]any{"uri": uri}, "position": posOf(t, src, "email)", 0, 1)}, &h)
	if !strings.Contains(h.Contents.Value, "email: string unique") {
		t.Errorf("hover on a property in the broken workflow: %q", h.Contents.Value)
	}
	var list struct {
		Items []struct {
			Label string `json:"label"`
		} `json:"items"`
	}
	c.call("textDocument/completion", map[string]any{"textDocument": map[string]any{"uri": uri}, "position": posOf(t, src, "set ", 0, 4)}, &list)
	found := false
	for _, it := range list.Items {
		found = found || it.Label == "lifecyclestage"
	}
	if !found {
		t.Errorf("completion in the broken workflow: %+v", list.Items)
	}
	c.call("shutdown", nil, nil)
	c.notify("exit", nil)
	if err := <-c.done; err != nil {
		t.Error(err)
	}
}

// TestBrokenStep checks that a workflow with a broken step keeps its other
// steps for navigation: the parser skips only the broken statements.
func TestBrokenStep(t *testing.T) {
	const src = `extend contact { tier: string }

workflow w {
  on contact
  set = "bronze"
  if score > 1 {
    set = 2
    set tier = "gold"
  }
  set tier = "silver"
}
`
	dir := t.TempDir()
	uri := string(pathURI(filepath.Join(dir, "s.wf")))
	c := startServer(t, Options{CacheDir: t.TempDir()})
	c.call("initialize", map[string]any{"processId": 1, "rootUri": string(pathURI(dir)), "capabilities": map[string]any{}}, nil)
	c.notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{"uri": uri, "languageId": "wf", "version": 1, "text": src}})
	ds := c.diagnostics(uri)
	if len(ds) != 2 || ds[0].Range.Start.Line != 4 || ds[1].Range.Start.Line != 6 {
		t.Fatalf("diagnostics: %+v", ds)
	}
	wantDef := []wireLocation{{URI: uri, Range: wireRange{posOf(t, src, "tier", 0, 0), posOf(t, src, "tier", 0, len("tier"))}}}
	for _, occ := range []int{1, 2} { // in the block, after the broken step; after the block
		var locs []wireLocation
		c.call("textDocument/definition", map[string]any{"textDocument": map[string]any{"uri": uri}, "position": posOf(t, src, "tier", occ, 1)}, &locs)
		if d := cmp.Diff(wantDef, locs); d != "" {
			t.Errorf("definition of tier #%d (-want +got):\n%s", occ, d)
		}
		var h struct {
			Contents struct {
				Value string `json:"value"`
			} `json:"contents"`
		}
		c.call("textDocument/hover", map[string]any{"textDocument": map[string]any{"uri": uri}, "position": posOf(t, src, "tier", occ, 1)}, &h)
		if !strings.Contains(h.Contents.Value, "tier: string") {
			t.Errorf("hover on tier #%d: %q", occ, h.Contents.Value)
		}
	}
	c.call("shutdown", nil, nil)
	c.notify("exit", nil)
	if err := <-c.done; err != nil {
		t.Error(err)
	}
}
