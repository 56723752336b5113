package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const messyFormatted = "workflow messy {\n  on contact\n  enroll when score > 5 // hot\n  set x = 1\n}\n"

func TestFmt(t *testing.T) {
	code, out, errs := wf("fmt", "testdata/fmt/messy.wf")
	if code != 0 || out != messyFormatted || errs != "" {
		t.Errorf("fmt messy.wf: %d %q %q", code, out, errs)
	}

	code, out, errs = wf("fmt", "-l", "testdata/fmt")
	if code != 0 || out != filepath.Join("testdata", "fmt", "messy.wf")+"\n" || errs != "" {
		t.Errorf("fmt -l: %d %q %q", code, out, errs)
	}

	code, out, _ = wf("fmt", "-d", "testdata/fmt/messy.wf", "testdata/fmt/tidy.wf")
	for _, s := range []string{"--- testdata/fmt/messy.wf\n", "+++ testdata/fmt/messy.wf (formatted)\n",
		"@@ -1,3 +1,5 @@\n", "-workflow messy{on contact\n", "+workflow messy {\n", "+  set x = 1\n"} {
		if code != 0 || !strings.Contains(out, s) {
			t.Errorf("fmt -d: %d, output lacks %q:\n%s", code, s, out)
		}
	}
	if strings.Contains(out, "tidy") {
		t.Errorf("fmt -d shows the formatted file:\n%s", out)
	}

	// -w rewrites only the files that differ, keeping their mode.
	dir := t.TempDir()
	messy := filepath.Join(dir, "messy.wf")
	if err := os.WriteFile(messy, []byte("workflow messy{on contact\nenroll when score>5 // hot\nset x=1}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs = wf("fmt", "-w", dir)
	if code != 0 || out != "" || errs != "" {
		t.Errorf("fmt -w: %d %q %q", code, out, errs)
	}
	got, _ := os.ReadFile(messy)
	if string(got) != messyFormatted {
		t.Errorf("fmt -w wrote %q", got)
	}
	if info, _ := os.Stat(messy); info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v after -w", info.Mode())
	}

	// A file with a syntax error is refused with its diagnostics, exit 2,
	// and left as it is; the other files are still formatted.
	bad := filepath.Join(dir, "bad.wf")
	badSrc := "workflow bad {\n  set x =\n}\n"
	os.WriteFile(bad, []byte(badSrc), 0o644)
	code, out, errs = wf("fmt", "-l", dir)
	if code != 2 || !strings.Contains(errs, "bad.wf:3:1: expected an expression") || out != "" {
		t.Errorf("fmt -l with a bad file: %d %q %q", code, out, errs)
	}
	code, _, _ = wf("fmt", "-w", bad)
	if got, _ := os.ReadFile(bad); code != 2 || string(got) != badSrc {
		t.Errorf("fmt -w bad.wf: %d, file now %q", code, got)
	}

	if code, _, errs := wf("fmt", "testdata/fmt/missing.wf"); code != 2 || !strings.Contains(errs, "missing.wf") {
		t.Errorf("fmt missing: %d %q", code, errs)
	}
	if code, _, errs := wf("fmt", "-w"); code != 2 || !strings.Contains(errs, "-w needs paths") {
		t.Errorf("fmt -w without paths: %d %q", code, errs)
	}
	if code, out, _ := wf("fmt", "-h"); code != 0 || !strings.Contains(out, "usage: wf fmt") {
		t.Errorf("fmt -h: %d %q", code, out)
	}
}

func TestUnifiedDiff(t *testing.T) {
	a := "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n"
	b := "1\n2\nthree\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n"
	want := `--- f
+++ f (formatted)
@@ -1,6 +1,6 @@
 1
 2
-3
+three
 4
 5
 6
@@ -13,3 +13,4 @@
 13
 14
 15
+16
`
	if got := unifiedDiff("f", a, b); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if got := unifiedDiff("f", "x", "x\n"); !strings.Contains(got, "-x\n\\ No newline at end of file\n+x\n") {
		t.Errorf("no newline at the end:\n%s", got)
	}
}
