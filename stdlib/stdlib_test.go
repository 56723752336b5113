package stdlib_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wflang/wf/lang/ast"
	"github.com/wflang/wf/lang/parser"
	"github.com/wflang/wf/stdlib"
	"github.com/wflang/wf/value"
)

func TestRegistryComplete(t *testing.T) {
	names := stdlib.Names()
	if len(names) < 30 {
		t.Errorf("only %d builtins registered: %v", len(names), names)
	}
	for _, name := range names {
		f := stdlib.Lookup(name)
		if f == nil {
			t.Errorf("Lookup(%q) = nil, but Names lists it", name)
			continue
		}
		if f.Name != name {
			t.Errorf("Lookup(%q).Name = %q", name, f.Name)
		}
		if !strings.HasPrefix(f.Sig, name+"(") {
			t.Errorf("%s: Sig %q does not start with %q", name, f.Sig, name+"(")
		}
		if f.Doc == "" || !strings.HasSuffix(f.Doc, ".") {
			t.Errorf("%s: Doc %q is missing or not a sentence", name, f.Doc)
		}
		if f.Check == nil || f.Call == nil {
			t.Errorf("%s: Check or Call is nil", name)
		}
	}
	if stdlib.Lookup("no_such_function") != nil {
		t.Error("Lookup of an unknown name is not nil")
	}
}

func TestPreludeParses(t *testing.T) {
	file, diags := parser.ParseFile(stdlib.PreludeFile, stdlib.Prelude)
	if len(diags) > 0 {
		t.Fatalf("prelude does not parse:\n%v", diags)
	}
	want := map[string][]string{
		"contact": {"email", "firstname", "lastname", "lifecyclestage", "hs_lead_status", "owner", "country", "score"},
		"company": {"domain", "name", "industry", "owner", "country"},
		"deal":    {"dealname", "dealstage", "amount", "closedate", "owner", "pipeline"},
		"ticket":  {"subject", "status", "priority", "owner"},
	}
	unique := map[string]string{"contact": "email", "company": "domain"}
	// props[object][property] is the property's type name, "unique" appended
	// when it is unique.
	props := map[string]map[string]string{}
	for _, d := range file.Decls {
		od, ok := d.(*ast.ObjectDecl)
		if !ok {
			t.Errorf("prelude declares a %T; want only objects", d)
			continue
		}
		m := map[string]string{}
		for _, mem := range od.Members {
			if p := mem.Prop; p != nil {
				if _, dup := m[p.Name.Name]; dup {
					t.Errorf("%s.%s is declared twice", od.Name.Name, p.Name.Name)
				}
				m[p.Name.Name] = p.Type.Name
				if p.Unique {
					m[p.Name.Name] += " unique"
				}
			}
		}
		props[od.Name.Name] = m
	}
	for obj, names := range want {
		m, ok := props[obj]
		if !ok {
			t.Errorf("prelude has no object %s", obj)
			continue
		}
		for _, p := range names {
			if _, ok := m[p]; !ok {
				t.Errorf("prelude %s has no property %s", obj, p)
			}
		}
		if u := unique[obj]; u != "" && m[u] != "string unique" {
			t.Errorf("prelude %s.%s is %q, want a unique string", obj, u, m[u])
		}
	}
}

func TestCallDoesNotNeedContext(t *testing.T) {
	// A nil Context means UTC and no secrets.
	got := stdlib.Lookup("hour").Call(nil, []value.Value{value.Time(time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC))})
	if diff := cmp.Diff(value.Num(8), got); diff != "" {
		t.Errorf("hour with a nil Context (-want +got):\n%s", diff)
	}
	if got := stdlib.Lookup("secret").Call(nil, []value.Value{value.Str("X")}); !got.IsEmpty() {
		t.Errorf("secret with a nil Context = %v, want empty", got)
	}
}
