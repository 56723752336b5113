package ast

import "reflect"

// Inspect traverses the tree rooted at n in depth-first source order,
// calling f for each node; when f returns false the node's children are
// skipped. It reaches every node type of this package, including the
// expression nodes inside templates.
func Inspect(n Node, f func(Node) bool) {
	if n == nil || isNil(n) || !f(n) {
		return
	}
	v := reflect.ValueOf(n)
	for v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return
	}
	for i := 0; i < v.NumField(); i++ {
		inspectValue(v.Field(i), f)
	}
}

var nodeType = reflect.TypeFor[Node]()

func inspectValue(v reflect.Value, f func(Node) bool) {
	switch v.Kind() {
	case reflect.Slice:
		if v.Type().Elem().Implements(nodeType) || v.Type().Elem().Kind() == reflect.Interface {
			for j := 0; j < v.Len(); j++ {
				inspectValue(v.Index(j), f)
			}
		}
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() || !v.CanInterface() {
			return
		}
		if n, ok := v.Interface().(Node); ok {
			Inspect(n, f)
		}
	}
}

func isNil(n Node) bool {
	v := reflect.ValueOf(n)
	return v.Kind() == reflect.Pointer && v.IsNil()
}
