// Package templates holds the workflows that `wf new` starts from: one .wf
// file per common automation (lead nurturing, deal follow-up, ticket SLA,
// re-engagement, a webhook to an external system, onboarding, renewal
// reminders), each with test blocks, each passing `wf check` and `wf test`
// as it is.
//
// A template's workflow is named after its file, and that name also
// prefixes the properties it adds and its tests' names; Instantiate
// replaces it everywhere with the new workflow's name, so several
// workflows made from one template can live side by side.
package templates

import (
	"embed"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

//go:embed *.wf
var files embed.FS

// Template is one starting point for a workflow.
type Template struct {
	Name    string // the template's name, which is also its workflow's name
	Summary string // what it automates, in one line
	Source  string // the .wf text
}

// List returns every template, sorted by name.
func List() []Template {
	entries, err := files.ReadDir(".")
	if err != nil {
		panic(err) // the embedded directory is always there
	}
	var out []Template
	for _, e := range entries {
		src, err := files.ReadFile(e.Name())
		if err != nil {
			panic(err)
		}
		name := strings.TrimSuffix(e.Name(), ".wf")
		out = append(out, Template{Name: name, Summary: summary(string(src)), Source: string(src)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Lookup returns the template with the given name.
func Lookup(name string) (Template, bool) {
	for _, t := range List() {
		if t.Name == name {
			return t, true
		}
	}
	return Template{}, false
}

// summary is the first sentence of the file's leading comment, after the
// title that ends with a colon.
func summary(src string) string {
	var para []string
	for _, line := range strings.Split(src, "\n") {
		text, ok := strings.CutPrefix(line, "//")
		text = strings.TrimSpace(text)
		if !ok || text == "" {
			break
		}
		para = append(para, text)
	}
	s := strings.Join(para, " ")
	if _, after, ok := strings.Cut(s, ": "); ok {
		s = after
	}
	if i := strings.Index(s, ". "); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSuffix(s, ".")
}

var identRE = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// Instantiate returns the template's source with its workflow named name,
// which must be a wf identifier.
func (t Template) Instantiate(name string) (string, error) {
	if !identRE.MatchString(name) {
		return "", fmt.Errorf("invalid workflow name %q: use lower-case letters, digits and _, starting with a letter or _", name)
	}
	return strings.ReplaceAll(t.Source, t.Name, name), nil
}
