package templates

import (
	"strings"
	"testing"

	"github.com/wflang/wf/compiler"
	"github.com/wflang/wf/lang/format"
	"github.com/wflang/wf/runtime/wftest"
)

var want = []string{"deal_follow_up", "lead_nurturing", "onboarding", "reengagement",
	"renewal_reminder", "ticket_sla", "webhook_sync"}

// TestTemplates instantiates every template under a new name, compiles it
// and runs its test blocks: all must pass.
func TestTemplates(t *testing.T) {
	list := List()
	var names []string
	for _, tpl := range list {
		names = append(names, tpl.Name)
	}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("templates %v, want %v", names, want)
	}
	for _, tpl := range list {
		t.Run(tpl.Name, func(t *testing.T) {
			if tpl.Summary == "" {
				t.Error("no summary")
			}
			src, err := tpl.Instantiate("my_flow")
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(src, tpl.Name) {
				t.Errorf("the instance still names %s", tpl.Name)
			}
			if !strings.Contains(src, "workflow my_flow {") {
				t.Errorf("the instance declares no workflow my_flow:\n%s", src)
			}
			if out, err := format.Source(tpl.Name+".wf", []byte(tpl.Source)); err != nil || string(out) != tpl.Source {
				t.Errorf("not in wf fmt's layout: %v", err)
			}
			prog, diags := compiler.CompileSource(tpl.Name+".wf", src)
			if prog == nil {
				t.Fatalf("does not compile:\n%v", diags)
			}
			for _, d := range diags {
				t.Errorf("diagnostic: %s", d)
			}
			results := wftest.Run(prog, wftest.Options{})
			if len(results) == 0 {
				t.Fatal("no test blocks")
			}
			for _, r := range results {
				if !r.Passed {
					t.Errorf("test %q failed: %+v", r.Name, r.Failures)
				}
			}
		})
	}
}

// TestSideBySide compiles two instances of every template together: the
// properties they add must not clash.
func TestSideBySide(t *testing.T) {
	var all strings.Builder
	for _, tpl := range List() {
		for _, name := range []string{"first_" + tpl.Name, "second_" + tpl.Name} {
			src, err := tpl.Instantiate(name)
			if err != nil {
				t.Fatal(err)
			}
			all.WriteString(src)
			all.WriteString("\n")
		}
	}
	if prog, diags := compiler.CompileSource("all.wf", all.String()); prog == nil {
		t.Fatalf("instances clash:\n%v", diags)
	}
}

func TestInstantiateRejectsBadNames(t *testing.T) {
	tpl, ok := Lookup("onboarding")
	if !ok {
		t.Fatal("no onboarding template")
	}
	for _, name := range []string{"", "My", "9lives", "a-b", "x y"} {
		if _, err := tpl.Instantiate(name); err == nil {
			t.Errorf("Instantiate(%q) succeeded", name)
		}
	}
}
