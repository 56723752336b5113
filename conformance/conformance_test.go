// Package conformance holds wf's specification by example: one .wf file
// per area of SPEC section 2, whose test blocks demonstrate each rule, and
// errors/*.wf.err files that must not compile. README.md maps every rule
// to the tests that show it. This file runs them all as Go tests.
package conformance

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/wflang/wf/compiler"
	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/internal/errtest"
	"github.com/wflang/wf/runtime/store"
	"github.com/wflang/wf/runtime/store/pgstore"
	"github.com/wflang/wf/runtime/store/storetest"
	"github.com/wflang/wf/runtime/wftest"
)

// load compiles every .wf file of the folder together, as
// `wf test conformance/...` does.
func load(t *testing.T) *bytecode.Program {
	t.Helper()
	p, diags, err := compiler.CompileFiles(".")
	if err != nil {
		t.Fatal(err)
	}
	if diags.HasErrors() {
		t.Fatalf("the conformance files do not compile:\n%v", diags)
	}
	return p
}

// TestBlocks runs every test block in memory, as `wf test` does; a failed
// expect fails the Go test.
func TestBlocks(t *testing.T) {
	p := load(t)
	if len(p.Tests) == 0 {
		t.Fatal("no test blocks")
	}
	report(t, wftest.Run(p, wftest.Options{}))
}

// TestBlocksDurable runs every test block durably (wftest.Options.Store),
// over the embedded store and over PostgreSQL: after each statement that
// changes state the engine commits to the store and is rebuilt from it,
// so the blocks pass only if the store keeps everything their
// expectations depend on. The PostgreSQL run skips without
// $WF_TEST_POSTGRES.
func TestBlocksDurable(t *testing.T) {
	p := load(t)
	t.Run("bolt", func(t *testing.T) {
		report(t, wftest.Run(p, wftest.Options{Store: func() (store.Store, error) {
			return store.Open(t.TempDir())
		}}))
	})
	t.Run("postgres", func(t *testing.T) {
		// One schema for the whole run, emptied before each block:
		// a schema and its migration per block would cost more than the
		// blocks.
		st, err := pgstore.Open(context.Background(), storetest.PostgresURL(t))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		report(t, wftest.Run(p, wftest.Options{Store: func() (store.Store, error) {
			if err := emptyPostgres(st); err != nil {
				return nil, err
			}
			return keepOpen{st}, nil
		}}))
	})
}

// emptyPostgres deletes the state of a pgstore, keeping its schema.
func emptyPostgres(st *pgstore.Store) error {
	ctx := context.Background()
	_, err := st.Pool().Exec(ctx, `TRUNCATE wf_records, wf_enrollments, wf_timers, wf_log, wf_outbox, wf_client_ids, wf_events RESTART IDENTITY`)
	if err == nil {
		_, err = st.Pool().Exec(ctx, `DELETE FROM wf_meta WHERE key <> 'schema'`)
	}
	return err
}

// keepOpen is a store whose Close leaves it open, for the next block.
type keepOpen struct{ store.Store }

func (keepOpen) Close() error { return nil }

// report makes each test block a subtest, failing with its failures.
func report(t *testing.T, results []wftest.Result) {
	for _, res := range results {
		t.Run(res.File+"/"+res.Name, func(t *testing.T) {
			for _, f := range res.Failures {
				t.Errorf("%s:%d:%d: %s", res.File, f.Line, f.Col, f.Message)
			}
		})
	}
}

// TestFilesStateTheirRules checks that each file opens with a comment
// listing the rules it demonstrates.
func TestFilesStateTheirRules(t *testing.T) {
	files, _ := filepath.Glob("*.wf")
	errs, _ := filepath.Glob("errors/*.wf.err")
	for _, name := range append(files, errs...) {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(src), "// ") {
			t.Errorf("%s does not open with a comment stating its rules", name)
		}
		if !strings.HasSuffix(name, ".err") && !strings.Contains(string(src), "Rules shown here:") {
			t.Errorf("%s: its opening comment has no \"Rules shown here:\" list", name)
		}
	}
}

// readmeRef is a test named in README.md: `file.wf: "name"`.
var readmeRef = regexp.MustCompile("`([a-z_/]+\\.wf(?:\\.err)?)(?:: \"([^\"]+)\")?`")

// TestReadmeNamesRealTests checks every `file: "test"` reference in
// README.md against the compiled tests, and that every test is listed.
func TestReadmeNamesRealTests(t *testing.T) {
	p := load(t)
	have := map[string]bool{}
	for _, tst := range p.Tests {
		have[tst.File+": "+tst.Name] = true
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, m := range readmeRef.FindAllStringSubmatch(string(readme), -1) {
		if _, err := os.Stat(m[1]); err != nil {
			t.Errorf("README.md names %s, which does not exist", m[1])
			continue
		}
		if m[2] == "" {
			continue
		}
		key := m[1] + ": " + m[2]
		listed[key] = true
		if !have[key] {
			t.Errorf("README.md names test %q in %s, which has no such test", m[2], m[1])
		}
	}
	for key := range have {
		if !listed[key] {
			t.Errorf("test %s is not listed in README.md", key)
		}
	}
}

// TestCompileErrors compiles each errors/*.wf.err file on its own and
// matches its diagnostics against the `// ERROR "regexp"` comments on the
// lines they are reported at, as go/types' tests do: every diagnostic must
// be expected, and every expectation met.
func TestCompileErrors(t *testing.T) {
	files, _ := filepath.Glob("errors/*.wf.err")
	if len(files) == 0 {
		t.Fatal("no errors/*.wf.err files")
	}
	for _, name := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			src, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			_, diags := compiler.CompileSource(name, string(src))
			errtest.Check(t, name, string(src), diags)
		})
	}
}
