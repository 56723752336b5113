package ast

import (
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"
)

// Fprint writes a readable dump of the tree rooted at n: one node per line,
// indented by depth, with its type, span (line:col-line:col) and scalar
// fields. It is the format of the parser's golden files.
func Fprint(w io.Writer, n Node) error {
	p := printer{w: w}
	p.node(reflect.ValueOf(n), 0)
	return p.err
}

type printer struct {
	w   io.Writer
	err error
}

func (p *printer) printf(depth int, format string, args ...any) {
	if p.err != nil {
		return
	}
	_, p.err = fmt.Fprintf(p.w, "%s%s\n", strings.Repeat("  ", depth), fmt.Sprintf(format, args...))
}

var spanType = reflect.TypeFor[Span]()

func (p *printer) node(v reflect.Value, depth int) {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	t := v.Type()
	header := t.Name()
	if sv := v.FieldByName("Span"); sv.IsValid() && sv.Type() == spanType {
		s := sv.Interface().(Span)
		header += fmt.Sprintf(" %d:%d-%d:%d", s.Pos.Line, s.Pos.Column, s.EndPos.Line, s.EndPos.Column)
	}
	var scalars []string
	type child struct {
		name string
		v    reflect.Value
	}
	var children []child
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		fv := v.Field(i)
		if f.Type == spanType || !f.IsExported() || f.Name == "Comments" || f.Name == "Src" {
			continue
		}
		switch {
		case f.Type == reflect.TypeFor[time.Duration]():
			scalars = append(scalars, fmt.Sprintf("%s=%s", f.Name, fv.Interface()))
		case f.Type == reflect.TypeFor[time.Time]():
			scalars = append(scalars, fmt.Sprintf("%s=%s", f.Name, fv.Interface().(time.Time).Format(time.RFC3339)))
		case f.Type == reflect.TypeFor[Position]():
			pos := fv.Interface().(Position)
			scalars = append(scalars, fmt.Sprintf("%s=%d:%d", f.Name, pos.Line, pos.Column))
		case fv.Kind() == reflect.String || fv.Kind() == reflect.Float64 || fv.Kind() == reflect.Bool || fv.Kind() == reflect.Int:
			if !fv.IsZero() {
				scalars = append(scalars, fmt.Sprintf("%s=%#v", f.Name, fv.Interface()))
			}
		case fv.Kind() == reflect.Slice && fv.Type().Elem().Kind() == reflect.String:
			if fv.Len() > 0 {
				scalars = append(scalars, fmt.Sprintf("%s=%q", f.Name, fv.Interface()))
			}
		case fv.Kind() == reflect.Slice:
			for j := 0; j < fv.Len(); j++ {
				children = append(children, child{fmt.Sprintf("%s[%d]", f.Name, j), fv.Index(j)})
			}
		case fv.Kind() == reflect.Pointer || fv.Kind() == reflect.Interface:
			if !fv.IsNil() {
				children = append(children, child{f.Name, fv})
			}
		}
	}
	if len(scalars) > 0 {
		header += " " + strings.Join(scalars, " ")
	}
	p.printf(depth, "%s", header)
	for _, c := range children {
		p.printf(depth+1, "%s:", c.name)
		p.node(c.v, depth+2)
	}
}
