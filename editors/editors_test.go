// Package editors holds editor support for .wf files: a TextMate grammar
// (textmate/) and a VS Code extension (vscode/) that starts `wf lsp`. This
// test checks the grammar and the extension's manifests.
package editors

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
)

func readJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

// lookaround matches the Oniguruma constructs RE2 lacks.
var lookaround = regexp.MustCompile(`\(\?<?[=!]`)

// rule is one pattern of the grammar with where it sits.
type rule struct {
	where string
	m     map[string]any
}

func rules(where string, v any, out *[]rule) {
	switch v := v.(type) {
	case map[string]any:
		if _, ok := v["match"]; ok {
			*out = append(*out, rule{where, v})
		} else if _, ok := v["begin"]; ok {
			*out = append(*out, rule{where, v})
		}
		for k, c := range v {
			rules(where+"/"+k, c, out)
		}
	case []any:
		for _, c := range v {
			rules(where, c, out)
		}
	}
}

func TestTextMateGrammar(t *testing.T) {
	g := readJSON(t, "textmate/wf.tmLanguage.json")
	if g["scopeName"] != "source.wf" {
		t.Errorf("scopeName %v", g["scopeName"])
	}
	repo, _ := g["repository"].(map[string]any)
	var all []rule
	rules("", g, &all)

	// Every regex compiles with Go's regexp unless it uses lookaround,
	// which RE2 lacks; almost all of them must.
	compiled := map[string]*regexp.Regexp{}
	skipped := 0
	for _, r := range all {
		for _, key := range []string{"match", "begin", "end"} {
			src, ok := r.m[key].(string)
			if !ok {
				continue
			}
			if lookaround.MatchString(src) {
				skipped++
				continue
			}
			re, err := regexp.Compile(src)
			if err != nil {
				t.Errorf("%s %s: %v", r.where, key, err)
				continue
			}
			if name, ok := r.m["name"].(string); ok && key == "match" {
				compiled[name] = re
			}
		}
	}
	if skipped > 2 {
		t.Errorf("%d regexes use lookaround; keep them RE2-compatible", skipped)
	}

	// Every include names a rule of the repository (or an embedded grammar).
	var check func(v any)
	check = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if inc, ok := v["include"].(string); ok && strings.HasPrefix(inc, "#") {
				if _, ok := repo[inc[1:]]; !ok {
					t.Errorf("include %s: no such rule", inc)
				}
			}
			for _, c := range v {
				check(c)
			}
		case []any:
			for _, c := range v {
				check(c)
			}
		}
	}
	check(g)

	// The scopes an editor colours.
	text, _ := os.ReadFile("textmate/wf.tmLanguage.json")
	for _, scope := range []string{
		"comment.line.double-slash.wf", "comment.block.wf", "string.quoted.double.wf",
		"meta.template.expression.wf", "punctuation.section.template.begin.wf",
		"constant.character.escape.wf", "string.quoted.other.raw.code.wf",
		"constant.numeric.duration.wf", "constant.other.date.wf", "constant.other.datetime.wf",
		"constant.other.time.wf", "constant.numeric.wf", "constant.numeric.percentage.wf",
		"constant.language.boolean.wf", "keyword.control.flow.wf", "keyword.other.setting.wf",
		"keyword.other.step.wf", "keyword.other.test.wf", "keyword.operator.word.wf",
		"keyword.operator.comparison.wf", "storage.type.workflow.wf",
		"entity.name.function.workflow.wf", "entity.name.label.wf", "support.function.builtin.wf",
	} {
		if !bytes.Contains(text, []byte(`"`+scope+`"`)) {
			t.Errorf("no scope %s", scope)
		}
	}

	// The literal rules match whole tokens of the language.
	for name, tests := range map[string]map[string]string{
		"constant.numeric.duration.wf": {"delay 3d": "3d", "x 250ms y": "250ms", "1.5h": "1.5h"},
		"constant.other.date.wf":       {"at 2026-01-05 ": "2026-01-05"},
		"constant.other.datetime.wf":   {"at 2026-01-05T08:00:00Z": "2026-01-05T08:00:00Z"},
		"constant.other.time.wf":       {"at 09:00": "09:00", "09:00:30": "09:00:30"},
		"constant.numeric.wf":          {"score > 50": "50"},
		"comment.line.double-slash.wf": {"stop // done": "// done"},
		"keyword.operator.word.wf":     {"a ends_with b": "ends_with"},
	} {
		re := compiled[name]
		if re == nil {
			t.Errorf("no compiled rule %s", name)
			continue
		}
		for in, want := range tests {
			if got := re.FindString(in); got != want {
				t.Errorf("%s on %q: %q, want %q", name, in, got, want)
			}
		}
	}

	// Every keyword of the language is coloured by some keyword rule.
	var keywordREs []*regexp.Regexp
	for name, re := range compiled {
		if strings.HasPrefix(name, "keyword.") || strings.HasPrefix(name, "storage.type") {
			keywordREs = append(keywordREs, re)
		}
	}
	for _, kw := range strings.Fields(`object extend event webhook workflow test on enroll when reenroll
		unenroll goal suppress timezone run existing every change date step set increment decrement by
		clear copy to delay until wait for up else if branch split assign round_robin create task due
		notify send email post sign timeout rate as code secrets outputs placeholder stop at advance upsert
		delete associate hook enable expect enrolled converted unenrolled completed created count where
		and or not in contains starts_with ends_with matches is known empty unique match props assoc`) {
		found := false
		for _, re := range keywordREs {
			if re.FindString(" "+kw+" ") == kw {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("keyword %s is not coloured", kw)
		}
	}
}

func TestVSCodeExtension(t *testing.T) {
	a, err := os.ReadFile("textmate/wf.tmLanguage.json")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("vscode/syntaxes/wf.tmLanguage.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("vscode/syntaxes/wf.tmLanguage.json differs from textmate/wf.tmLanguage.json: copy it over")
	}
	pkg := readJSON(t, "vscode/package.json")
	if pkg["main"] != "./extension.js" {
		t.Errorf("main %v", pkg["main"])
	}
	deps, _ := pkg["dependencies"].(map[string]any)
	if _, ok := deps["vscode-languageclient"]; !ok {
		t.Error("no dependency on vscode-languageclient")
	}
	contributes, _ := pkg["contributes"].(map[string]any)
	langs, _ := contributes["languages"].([]any)
	grammars, _ := contributes["grammars"].([]any)
	if len(langs) != 1 || len(grammars) != 1 {
		t.Fatalf("languages %v, grammars %v", langs, grammars)
	}
	lang := langs[0].(map[string]any)
	if lang["id"] != "wf" || lang["configuration"] != "./language-configuration.json" {
		t.Errorf("language %v", lang)
	}
	if gr := grammars[0].(map[string]any); gr["scopeName"] != "source.wf" || gr["path"] != "./syntaxes/wf.tmLanguage.json" {
		t.Errorf("grammar %v", gr)
	}
	conf := readJSON(t, "vscode/language-configuration.json")
	if c, _ := conf["comments"].(map[string]any); c["lineComment"] != "//" {
		t.Errorf("comments %v", conf["comments"])
	}
	js, err := os.ReadFile("vscode/extension.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"vscode-languageclient/node", "args: ['lsp']", "TransportKind.stdio", "activate", "deactivate"} {
		if !bytes.Contains(js, []byte(s)) {
			t.Errorf("extension.js lacks %q", s)
		}
	}
}
