package stdlib

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/wflang/wf/value"
)

// String, list and conversion builtins.

func init() {
	str1 := func(name, doc string, f func(string) string) {
		register(&Func{
			Name: name, Sig: name + "(s string) string", Doc: doc, Pure: true,
			Check: fixed(name, value.StringType, 1, 1, strArg),
			Call: func(_ *Context, a []value.Value) value.Value {
				if a[0].K != value.String {
					return value.Value{}
				}
				return value.Str(f(a[0].S))
			},
		})
	}
	str1("lower", "Returns s in lower case.", strings.ToLower)
	str1("upper", "Returns s in upper case.", strings.ToUpper)
	str1("trim", "Returns s without leading and trailing white space.", strings.TrimSpace)
	str1("titlecase", `Returns s with the first letter of each word in upper case and the others in lower case: "ADA o'neil-smith" is "Ada O'neil-Smith".`, titlecase)

	register(&Func{
		Name: "len", Sig: "len(x string | list) number", Pure: true,
		Doc:   "Returns the number of characters of a string, or the number of members of a list or set.",
		Check: fixed("len", value.NumberType, 1, 1, class{"a string, list or set", func(t value.Type) bool { return strArg.ok(t) || listArg.ok(t) }}),
		Call: func(_ *Context, a []value.Value) value.Value {
			if a[0].K != value.String && a[0].K != value.List {
				return value.Value{}
			}
			return value.Num(float64(a[0].Len()))
		},
	})

	register(&Func{
		Name: "substring", Sig: "substring(s string, start number[, length number]) string", Pure: true,
		Doc: "Returns the characters of s from start (0 is the first; a negative start counts from the end) " +
			"up to length characters, or to the end; a range past the end is cut short.",
		Check: fixed("substring", value.StringType, 2, 3, strArg, numArg, numArg),
		Call:  substring,
	})

	register(&Func{
		Name: "replace", Sig: "replace(s string, old string, new string) string", Pure: true,
		Doc:   "Returns s with every occurrence of old replaced by new (s itself when old is empty).",
		Check: fixed("replace", value.StringType, 3, 3, strArg),
		Call: func(_ *Context, a []value.Value) value.Value {
			if a[0].K != value.String || a[1].K != value.String || a[2].K != value.String {
				return value.Value{}
			}
			if a[1].S == "" {
				return a[0]
			}
			return value.Str(strings.ReplaceAll(a[0].S, a[1].S, a[2].S))
		},
	})

	register(&Func{
		Name: "split", Sig: "split(s string, sep string) list", Pure: true,
		Doc:        `Splits s at each sep into a list, trimming white space around members and dropping empty ones: split("a, b,,c", ",") is ["a", "b", "c"].`,
		Check:      fixed("split", value.ListType, 2, 2, strArg),
		CheckConst: nonEmptyString("split", 1, "separator"),
		Call:       split,
	})

	register(&Func{
		Name: "join", Sig: "join(l list, sep string) string", Pure: true,
		Doc:   `Joins the members of a list or set with sep between them: join(["a", "b"], "; ") is "a; b".`,
		Check: fixed("join", value.StringType, 2, 2, listArg, strArg),
		Call: func(_ *Context, a []value.Value) value.Value {
			if a[0].K != value.List || a[1].K != value.String {
				return value.Value{}
			}
			return value.Str(strings.ReplaceAll(a[0].S, value.Sep, a[1].S))
		},
	})

	register(&Func{
		Name: "coalesce", Sig: "coalesce(x, y, …) T", Pure: true,
		Doc:   "Returns its first argument that is known (not empty), or empty if none is. The arguments must have the same type.",
		Check: checkCoalesce,
		Call: func(_ *Context, a []value.Value) value.Value {
			for _, v := range a {
				if v.K != value.Empty {
					return v
				}
			}
			return value.Value{}
		},
	})

	register(&Func{
		Name: "to_number", Sig: "to_number(x string | bool) number", Pure: true,
		Doc:   `Converts a decimal string (" 42 ", "-1.5e3") to a number, true to 1 and false to 0; any other string gives empty.`,
		Check: fixed("to_number", value.NumberType, 1, 1, scalarArg),
		Call: func(_ *Context, a []value.Value) value.Value {
			switch v := a[0]; v.K {
			case value.Number:
				return v
			case value.Bool:
				return value.Num(v.N)
			case value.String:
				if f, ok := value.ParseNumber(v.S); ok {
					return value.Num(f)
				}
			}
			return value.Value{}
		},
	})

	register(&Func{
		Name: "to_string", Sig: "to_string(x) string", Pure: true,
		Doc: "Formats any value as a string, as templates do: numbers without a needless fraction, datetimes in RFC 3339 (UTC), " +
			`dates as 2006-01-02, lists joined by ", ".`,
		Check: fixed("to_string", value.StringType, 1, 1, anyArg),
		Call: func(_ *Context, a []value.Value) value.Value {
			if a[0].K == value.Empty || a[0].K == value.String {
				return a[0]
			}
			return value.Str(a[0].String())
		},
	})

	register(&Func{
		Name: "email_domain", Sig: "email_domain(email string) string", Pure: true,
		Doc:   `Returns the domain of an email address in lower case: email_domain("Ann@Acme.COM") is "acme.com"; empty when there is no "@".`,
		Check: fixed("email_domain", value.StringType, 1, 1, strArg),
		Call: func(_ *Context, a []value.Value) value.Value {
			if a[0].K != value.String {
				return value.Value{}
			}
			s := strings.TrimSpace(a[0].S)
			i := strings.LastIndexByte(s, '@')
			if i <= 0 || i == len(s)-1 {
				return value.Value{}
			}
			return value.Str(strings.ToLower(s[i+1:]))
		},
	})

	register(&Func{
		Name: "is_email", Sig: "is_email(s string) bool", Pure: true,
		Doc: "Reports whether s looks like an email address: a local part, one @, and a domain of at least two " +
			"dot-separated labels of letters, digits and hyphens ending in a top-level domain of two or more letters.",
		Check: fixed("is_email", value.BoolType, 1, 1, strArg),
		Call: func(_ *Context, a []value.Value) value.Value {
			if a[0].K != value.String {
				return value.Value{}
			}
			return value.BoolOf(isEmail(a[0].S))
		},
	})

	register(&Func{
		Name: "secret", Sig: "secret(name string) string",
		Doc:        `Returns the secret called name from the server's secret store (for signing webhooks: sign secret("HOOK_SECRET")); empty when it is not set.`,
		Check:      fixed("secret", value.StringType, 1, 1, strArg),
		CheckConst: secretName,
		Call: func(ctx *Context, a []value.Value) value.Value {
			if a[0].K != value.String || ctx == nil || ctx.Secrets == nil {
				return value.Value{}
			}
			if s, ok := ctx.Secrets(a[0].S); ok {
				return value.Str(s)
			}
			return value.Value{}
		},
	})
}

// titlecase upper-cases the first letter of each word and lower-cases the
// rest. A word is a run of letters, digits and apostrophes.
func titlecase(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	start := true
	for _, r := range s {
		inWord := unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'' || r == '’'
		switch {
		case !inWord:
			b.WriteRune(r)
		case start:
			b.WriteRune(unicode.ToTitle(r))
		default:
			b.WriteRune(unicode.ToLower(r))
		}
		start = !inWord
	}
	return b.String()
}

func substring(_ *Context, a []value.Value) value.Value {
	if a[0].K != value.String {
		return value.Value{}
	}
	s := a[0].S
	start, ok := integer(a[1])
	if !ok {
		return value.Value{}
	}
	n := utf8.RuneCountInString(s)
	if start < 0 {
		start = max(0, n+start)
	}
	start = min(start, n)
	length := n - start
	if len(a) == 3 {
		l, ok := integer(a[2])
		if !ok || l < 0 {
			return value.Value{}
		}
		length = min(l, length)
	}
	from := runeOffset(s, start)
	to := from + runeOffset(s[from:], length)
	return value.Str(s[from:to])
}

// runeOffset returns the byte offset of the n-th rune of s (len(s) if s has
// fewer).
func runeOffset(s string, n int) int {
	for i := range s {
		if n == 0 {
			return i
		}
		n--
	}
	return len(s)
}

func split(_ *Context, a []value.Value) value.Value {
	if a[0].K != value.String || a[1].K != value.String || a[1].S == "" {
		return value.Value{}
	}
	s, sep := a[0].S, a[1].S
	var b strings.Builder
	b.Grow(len(s))
	for len(s) > 0 {
		m := s
		if i := strings.Index(s, sep); i >= 0 {
			m, s = s[:i], s[i+len(sep):]
		} else {
			s = ""
		}
		if m = strings.TrimSpace(m); m == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(value.Sep)
		}
		b.WriteString(m)
	}
	return value.Value{K: value.List, S: b.String()}
}

func checkCoalesce(args []value.Type) (value.Type, error) {
	if err := checkArgs("coalesce", args, 2, variadic, anyArg); err != nil {
		return value.AnyType, err
	}
	result, from := value.AnyType, 0
	for i, t := range args {
		u, ok := unify(result, t)
		if !ok {
			return value.AnyType, fmt.Errorf("coalesce: argument %d has type %s, but argument %d has type %s", i+1, t.Kind, from+1, result.Kind)
		}
		if result.Kind == value.TAny {
			from = i
		}
		result = u
	}
	return result, nil
}

// unify returns the type that values of types a and b both have: the type
// itself when they are the same, string for two string-like types, list for
// two sets or lists with different options.
func unify(a, b value.Type) (value.Type, bool) {
	switch {
	case a.Kind == value.TAny:
		return b, true
	case b.Kind == value.TAny:
		return a, true
	case value.Assignable(a, b) && value.Assignable(b, a) && a.Kind == b.Kind:
		return a, true
	case a.IsStringLike() && b.IsStringLike():
		return value.StringType, true
	case listArg.ok(a) && listArg.ok(b):
		return value.ListType, true
	}
	return value.AnyType, false
}

// isEmail reports whether s is a plausible email address (see is_email).
func isEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	if at <= 0 || at > 64 || strings.IndexByte(s[at+1:], '@') >= 0 {
		return false
	}
	local, domain := s[:at], s[at+1:]
	if local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return false
	}
	for _, r := range local {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(".!#$%&'*+/=?^_`{|}~-", r)) {
			return false
		}
	}
	if len(domain) > 253 {
		return false
	}
	labels, last := 0, ""
	for domain != "" {
		label := domain
		if i := strings.IndexByte(domain, '.'); i >= 0 {
			label, domain = domain[:i], domain[i+1:]
			if domain == "" {
				return false // a trailing dot
			}
		} else {
			domain = ""
		}
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-') {
				return false
			}
		}
		labels++
		last = label
	}
	if labels < 2 || utf8.RuneCountInString(last) < 2 {
		return false
	}
	for _, r := range last {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

// nonEmptyString returns a CheckConst that rejects an empty string constant
// as argument i.
func nonEmptyString(name string, i int, what string) func(int, value.Value) error {
	return func(j int, v value.Value) error {
		if j == i && v.K == value.String && v.S == "" {
			return fmt.Errorf("%s: the %s must not be empty", name, what)
		}
		return nil
	}
}

// secretName checks a constant secret name: letters, digits and _, not
// starting with a digit.
func secretName(i int, v value.Value) error {
	if i != 0 || v.K != value.String {
		return nil
	}
	ok := v.S != ""
	for j, r := range v.S {
		if !(r == '_' || r < utf8.RuneSelf && unicode.IsLetter(r) || j > 0 && '0' <= r && r <= '9') {
			ok = false
		}
	}
	if !ok {
		return fmt.Errorf("secret: %q is not a secret name (letters, digits and _, like \"HOOK_SECRET\")", v.S)
	}
	return nil
}
