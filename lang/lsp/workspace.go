package lsp

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.lsp.dev/protocol"

	"github.com/wflang/wf/compiler"
	"github.com/wflang/wf/lang/ast"
	"github.com/wflang/wf/lang/diag"
	"github.com/wflang/wf/lang/parser"
)

// file is one .wf file of a program: an open document (the editor's
// buffer) or a file on disk.
type file struct {
	name    string // the file name in positions: a path, or the URI when it has none
	uri     protocol.DocumentURI
	src     string
	lines   *lineIndex
	ast     *ast.File
	syntax  diag.List // the parse's diagnostics
	open    bool
	version int32
}

// program is the .wf files of one folder, compiled together.
type program struct {
	dir   string
	files map[string]*file // by name
	// diags is the last check's diagnostics (parse and compile) by file
	// name; published is what the client was last sent.
	diags     map[string][]diag.Diagnostic
	published map[string][]diag.Diagnostic
	idx       *index // nil when stale
}

// uriPath returns the file path of a file: URI, or the URI itself for
// another scheme (an unsaved buffer).
func uriPath(uri protocol.DocumentURI) string {
	u, err := url.Parse(string(uri))
	if err != nil || u.Scheme != "file" {
		return string(uri)
	}
	p := u.Path
	if len(p) >= 3 && p[0] == '/' && p[2] == ':' { // /C:/x on Windows
		p = p[1:]
	}
	return filepath.Clean(filepath.FromSlash(p))
}

func pathURI(path string) protocol.DocumentURI {
	p := filepath.ToSlash(path)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return protocol.DocumentURI((&url.URL{Scheme: "file", Path: p}).String())
}

// programDir is the folder whose program holds the document: its
// directory, or the URI itself for a document that is not a file.
func programDir(uri protocol.DocumentURI) string {
	name := uriPath(uri)
	if name == string(uri) {
		return name
	}
	return filepath.Dir(name)
}

// program returns the program of a folder, loading its .wf files from
// disk the first time.
func (s *server) program(dir string) *program {
	if p, ok := s.progs[dir]; ok {
		return p
	}
	p := &program{dir: dir, files: map[string]*file{}, diags: map[string][]diag.Diagnostic{}, published: map[string][]diag.Diagnostic{}}
	s.progs[dir] = p
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".wf") {
			continue
		}
		name := filepath.Join(dir, e.Name())
		if b, err := os.ReadFile(name); err == nil {
			p.files[name] = newFile(name, pathURI(name), string(b))
		}
	}
	return p
}

func newFile(name string, uri protocol.DocumentURI, src string) *file {
	f := &file{name: name, uri: uri}
	f.setSource(src)
	return f
}

// setSource replaces the whole text and parses it.
func (f *file) setSource(src string) {
	f.src = src
	f.lines = newLineIndex(src)
	f.ast, f.syntax = parser.ParseFile(f.name, src)
}

// edit applies one change: the text between from and to (LSP positions)
// becomes text. It re-parses the declarations the change touched, or the
// whole file when that is not enough.
func (f *file) edit(r protocol.Range, text string) {
	s, e := f.lines.offset(r.Start), f.lines.offset(r.End)
	if e < s {
		s, e = e, s
	}
	old := f.src
	src := old[:s] + text + old[e:]
	f.src = src
	f.lines = newLineIndex(src)
	if diags, ok := reparse(f.ast, f.syntax, old, src, s, e, text); ok {
		f.syntax = diags
		return
	}
	f.ast, f.syntax = parser.ParseFile(f.name, src)
}

func (s *server) didOpen(ctx context.Context, p *protocol.DidOpenTextDocumentParams) (any, error) {
	uri := p.TextDocument.URI
	if s.prelude.uri != "" && uri == s.prelude.uri {
		return nil, nil
	}
	prog := s.program(programDir(uri))
	name := uriPath(uri)
	f, ok := prog.files[name]
	if !ok {
		f = &file{name: name, uri: uri}
		prog.files[name] = f
	}
	f.uri, f.open, f.version = uri, true, p.TextDocument.Version
	if !ok || f.src != p.TextDocument.Text {
		f.setSource(p.TextDocument.Text)
	}
	s.check(ctx, prog, f)
	return nil, nil
}

// didChangeParams is DidChangeTextDocumentParams with the range of a change
// optional, as on the wire (protocol v0.12.0 cannot tell a change without
// one, which replaces the whole text, from an insertion at 0:0).
type didChangeParams struct {
	TextDocument   protocol.VersionedTextDocumentIdentifier `json:"textDocument"`
	ContentChanges []struct {
		Range *protocol.Range `json:"range,omitempty"`
		Text  string          `json:"text"`
	} `json:"contentChanges"`
}

func (s *server) didChange(ctx context.Context, p *didChangeParams) (any, error) {
	f, prog := s.fileOf(p.TextDocument.URI)
	if f == nil || prog == nil {
		return nil, nil
	}
	for _, c := range p.ContentChanges {
		if c.Range == nil {
			f.setSource(c.Text)
			continue
		}
		f.edit(*c.Range, c.Text)
	}
	f.version = p.TextDocument.Version
	s.check(ctx, prog, f)
	return nil, nil
}

func (s *server) didClose(ctx context.Context, p *protocol.DidCloseTextDocumentParams) (any, error) {
	f, prog := s.fileOf(p.TextDocument.URI)
	if f == nil || prog == nil {
		return nil, nil
	}
	f.open = false
	if b, err := os.ReadFile(f.name); err == nil {
		if string(b) != f.src {
			f.setSource(string(b))
		}
	} else {
		delete(prog.files, f.name)
		s.publish(ctx, f.uri, nil, nil)
		delete(prog.published, f.name)
	}
	s.check(ctx, prog, nil)
	return nil, nil
}

func (s *server) didChangeWatchedFiles(ctx context.Context, p *protocol.DidChangeWatchedFilesParams) (any, error) {
	changed := map[*program]bool{}
	for _, ev := range p.Changes {
		name := uriPath(ev.URI)
		if !strings.HasSuffix(name, ".wf") {
			continue
		}
		prog, ok := s.progs[filepath.Dir(name)]
		if !ok {
			continue
		}
		if f, ok := prog.files[name]; ok && f.open {
			continue // the editor's buffer wins
		}
		b, err := os.ReadFile(name)
		if err != nil {
			if f, ok := prog.files[name]; ok {
				delete(prog.files, name)
				s.publish(ctx, f.uri, nil, nil)
				delete(prog.published, name)
			}
		} else if f, ok := prog.files[name]; ok {
			f.setSource(string(b))
		} else {
			prog.files[name] = newFile(name, ev.URI, string(b))
		}
		changed[prog] = true
	}
	for prog := range changed {
		s.check(ctx, prog, nil)
	}
	return nil, nil
}

// sortedFiles returns the program's files in name order, as the compiler
// reads a folder.
func (p *program) sortedFiles() []*file {
	files := make([]*file, 0, len(p.files))
	for _, f := range p.files {
		files = append(files, f)
	}
	slices.SortFunc(files, func(a, b *file) int { return strings.Compare(a.name, b.name) })
	return files
}

// check compiles the program and publishes the diagnostics of every file
// whose diagnostics changed, and of changed (the file just edited) in any
// case, so the client sees one publication per version.
func (s *server) check(ctx context.Context, p *program, changed *file) {
	p.idx = nil
	files := p.sortedFiles()
	trees := make([]*ast.File, len(files))
	all := diag.List{}
	for i, f := range files {
		trees[i] = f.ast
		all = append(all, f.syntax...)
	}
	_, cdiags := compiler.Compile(trees)
	all = append(all, cdiags...)
	all.Sort()
	p.diags = map[string][]diag.Diagnostic{}
	for _, d := range all {
		p.diags[d.Pos.Filename] = append(p.diags[d.Pos.Filename], d)
	}
	for _, f := range files {
		ds := p.diags[f.name]
		if f != changed && slices.Equal(ds, p.published[f.name]) {
			continue
		}
		p.published[f.name] = ds
		s.publish(ctx, f.uri, f, ds)
	}
}

// publish sends a file's diagnostics.
func (s *server) publish(ctx context.Context, uri protocol.DocumentURI, f *file, ds []diag.Diagnostic) {
	params := &protocol.PublishDiagnosticsParams{URI: uri, Diagnostics: []protocol.Diagnostic{}}
	if f != nil {
		params.Version = uint32(f.version)
		for _, d := range ds {
			params.Diagnostics = append(params.Diagnostics, toProtocol(f.lines, d))
		}
	}
	if err := s.conn.Notify(ctx, protocol.MethodTextDocumentPublishDiagnostics, params); err != nil {
		s.logf("publishing diagnostics: %v", err)
	}
}

func toProtocol(lines *lineIndex, d diag.Diagnostic) protocol.Diagnostic {
	pd := protocol.Diagnostic{
		Range:    lines.rangeOf(d.Pos, d.End),
		Severity: protocol.DiagnosticSeverityError,
		Code:     d.Code,
		Source:   "wf",
		Message:  d.Message,
	}
	if d.Severity == diag.Warning {
		pd.Severity = protocol.DiagnosticSeverityWarning
	}
	if d.Hint != "" {
		pd.Message += " (" + d.Hint + ")"
	}
	return pd
}

// index returns the program's resolved names, building them if a change
// made them stale.
func (p *program) index(prelude *ast.File) *index {
	if p.idx == nil {
		files := []*ast.File{prelude}
		for _, f := range p.sortedFiles() {
			files = append(files, f.ast)
		}
		p.idx = buildIndex(files)
	}
	return p.idx
}
