// Package compiler turns parsed .wf files into a *bytecode.Program: it
// resolves names (object types with their property slots, events, incoming
// webhooks, workflows, action outputs, test records), checks types and the
// language's limits, and lowers expressions, workflows and test blocks to
// the instruction set and step table of package bytecode.
//
// The compiler reports every problem it finds, each with a source range, a
// stable code and, where one is obvious, a hint; it does not stop at the
// first. It is not a runtime: it never evaluates anything but constant
// subexpressions (folding), and it does not read files other than the ones
// it is given (CompileFiles) and the stdlib prelude.
package compiler

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/lang/ast"
	"github.com/wflang/wf/lang/diag"
	"github.com/wflang/wf/lang/parser"
	"github.com/wflang/wf/stdlib"
)

// Compile resolves, checks and lowers the files, after the stdlib prelude
// (which it parses itself). It returns the program, or nil when there is an
// error or the trees hold an ast.Bad (a syntax error, which the parser
// reported), and every diagnostic, sorted.
func Compile(files []*ast.File) (*bytecode.Program, diag.List) {
	prelude, pdiags := parsedPrelude()
	c := newCompiler()
	c.diags = append(c.diags, pdiags...)
	c.run(append([]*ast.File{prelude}, files...))
	c.diags.Sort()
	if c.diags.HasErrors() || c.bad {
		// A tree with an ast.Bad has a syntax error, which the caller
		// has from the parser.
		return nil, c.diags
	}
	return c.prog, c.diags
}

// CompileSource parses one file from source and compiles it.
func CompileSource(name, src string) (*bytecode.Program, diag.List) {
	f, pdiags := parser.ParseFile(name, src)
	prog, diags := Compile([]*ast.File{f})
	diags = append(diags, pdiags...)
	diags.Sort()
	if diags.HasErrors() {
		return nil, diags
	}
	return prog, diags
}

// CompileFiles compiles .wf files named by paths: a file, a directory (the
// .wf files in it) or `dir/...` (the .wf files below dir). Files are
// processed in sorted path order. The diagnostics are those of parsing and
// checking; the error reports only I/O problems, such as a missing file.
func CompileFiles(paths ...string) (*bytecode.Program, diag.List, error) {
	names, err := ExpandPaths(paths)
	if err != nil {
		return nil, nil, err
	}
	var (
		files []*ast.File
		all   diag.List
	)
	for _, name := range names {
		src, err := os.ReadFile(name)
		if err != nil {
			return nil, nil, err
		}
		f, diags := parser.ParseFile(name, string(src))
		files = append(files, f)
		all = append(all, diags...)
	}
	prog, diags := Compile(files)
	all = append(all, diags...)
	all.Sort()
	if all.HasErrors() {
		return nil, all, nil
	}
	return prog, all, nil
}

// ExpandPaths lists the .wf files that paths name, in the syntax every wf
// command takes: files, directories (the .wf files in them) and dir/...
// (the .wf files below dir), sorted and without duplicates. A file named
// explicitly is taken whatever its name.
func ExpandPaths(paths []string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	add := func(name string) {
		name = filepath.Clean(name)
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	for _, p := range paths {
		dir, recursive := strings.CutSuffix(p, "/...")
		if recursive && dir == "" {
			dir = "/"
		}
		info, err := os.Stat(dir)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			if recursive {
				return nil, fmt.Errorf("%s is not a directory", dir)
			}
			add(p)
			continue
		}
		err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && path != dir && !recursive {
				return filepath.SkipDir
			}
			if !d.IsDir() && strings.HasSuffix(path, ".wf") {
				add(path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		return nil, fmt.Errorf("no .wf files in %s", strings.Join(paths, " "))
	}
	return out, nil
}

// The prelude is parsed once; its tree is only read afterwards.
var parsedPrelude = sync.OnceValues(func() (*ast.File, diag.List) {
	return parser.ParseFile(stdlib.PreludeFile, stdlib.Prelude)
})

// run compiles the files in order: declarations of every kind first, in
// dependency order, then workflows and tests.
func (c *compiler) run(files []*ast.File) {
	type declIn struct {
		file *ast.File
		decl ast.Decl
	}
	var objects, extends, events, hooks, flows, tests []declIn
	for _, f := range files {
		for _, d := range f.Decls {
			di := declIn{f, d}
			switch d.(type) {
			case *ast.ObjectDecl:
				objects = append(objects, di)
			case *ast.ExtendDecl:
				extends = append(extends, di)
			case *ast.EventDecl:
				events = append(events, di)
			case *ast.WebhookDecl:
				hooks = append(hooks, di)
			case *ast.WorkflowDecl:
				flows = append(flows, di)
			case *ast.TestDecl:
				tests = append(tests, di)
			}
		}
	}
	each := func(ds []declIn, f func(ast.Decl)) {
		for _, d := range ds {
			c.file = d.file
			f(d.decl)
		}
	}
	each(objects, func(d ast.Decl) { c.declareObject(d.(*ast.ObjectDecl)) })
	each(objects, func(d ast.Decl) {
		o := d.(*ast.ObjectDecl)
		c.addMembers(c.objectDecls[o], o.Members)
	})
	each(extends, func(d ast.Decl) { c.extend(d.(*ast.ExtendDecl)) })
	each(events, func(d ast.Decl) { c.event(d.(*ast.EventDecl)) })
	each(hooks, func(d ast.Decl) { c.hook(d.(*ast.WebhookDecl)) })
	each(flows, func(d ast.Decl) { c.declareWorkflow(d.(*ast.WorkflowDecl)) })
	each(flows, func(d ast.Decl) { c.workflow(d.(*ast.WorkflowDecl)) })
	each(tests, func(d ast.Decl) { c.test(d.(*ast.TestDecl)) })
	for _, w := range c.prog.Workflows {
		w.Hash = hashWorkflow(c.prog, w)
	}
}
