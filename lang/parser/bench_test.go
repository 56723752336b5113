package parser

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// genSource deterministically generates a realistic .wf file of about the
// given number of lines: object, extend, event and webhook declarations,
// workflows with varied settings, steps and expressions, and test blocks.
func genSource(lines int) string {
	r := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	props := []string{"score", "seats", "amount", "lifecyclestage", "country", "email", "plan", "owner", "renews_on", "hs_lead_status"}
	prop := func() string { return props[r.IntN(len(props))] }
	str := func() string {
		return []string{`"lead"`, `"customer"`, `"NL"`, `"pro"`, `"Hello {{firstname}}"`, `"{{company.name}} upgrade"`}[r.IntN(6)]
	}
	cond := func() string {
		switch r.IntN(8) {
		case 0:
			return fmt.Sprintf("%s == %s and %s > %d", prop(), str(), prop(), r.IntN(100))
		case 1:
			return fmt.Sprintf("%s in [\"NL\", \"DE\", \"BE\"] or %s is empty", prop(), prop())
		case 2:
			return fmt.Sprintf("not (%s >= %d) and lower(%s) ends_with \"@acme.com\"", prop(), r.IntN(100), prop())
		case 3:
			return fmt.Sprintf("%s > %d or empty", prop(), r.IntN(100))
		case 4:
			return fmt.Sprintf("company.%s is not empty and %s not in [1, 2, 3]", prop(), prop())
		case 5:
			return fmt.Sprintf("%s * 2 + %d > max(%s, %d) - 1", prop(), r.IntN(10), prop(), r.IntN(50))
		case 6:
			return fmt.Sprintf("renews_on < today + %dd", 1+r.IntN(30))
		default:
			return fmt.Sprintf("%s contains \"x\" or %s starts_with \"a\" and %s != %s", prop(), prop(), prop(), str())
		}
	}
	var step func(depth int) string
	block := func(depth int, n int) string {
		ind := strings.Repeat("  ", depth+1)
		var s strings.Builder
		s.WriteString("{\n")
		for range n {
			s.WriteString(ind + "  " + step(depth+1) + "\n")
		}
		s.WriteString(ind + "}")
		return s.String()
	}
	step = func(depth int) string {
		k := r.IntN(16)
		if depth > 1 && k >= 10 {
			k = r.IntN(10)
		}
		switch k {
		case 0:
			return fmt.Sprintf("set %s = %s", prop(), str())
		case 1:
			return fmt.Sprintf("increment %s by %d", prop(), 1+r.IntN(20))
		case 2:
			return fmt.Sprintf("delay %dd", 1+r.IntN(9))
		case 3:
			return fmt.Sprintf("send email \"tpl-%d\"", r.IntN(100))
		case 4:
			return fmt.Sprintf("copy %s to company.%s", prop(), prop())
		case 5:
			return fmt.Sprintf("create task \"Call {{firstname}} about %s\" for owner due %dd", prop(), 1+r.IntN(5))
		case 6:
			return fmt.Sprintf("notify \"sales@example.com\" \"New lead {{email}} scored {{%s}}\"", prop())
		case 7:
			return fmt.Sprintf("delay until renews_on - %dd at 09:00", r.IntN(14))
		case 8:
			return fmt.Sprintf("step s%d: assign owner round_robin [\"ann\", \"bob\", \"eve\"]", r.IntN(1000))
		case 9:
			return fmt.Sprintf("clear %s, %s", prop(), prop())
		case 10:
			return fmt.Sprintf("if %s %s else if %s %s else %s", cond(), block(depth, 2), cond(), block(depth, 1), block(depth, 1))
		case 11:
			return fmt.Sprintf("wait for event form_submitted where form_id == \"demo\" up to %dd else %s", 1+r.IntN(7), block(depth, 1))
		case 12:
			return fmt.Sprintf("branch on plan {\n%s    \"pro\", \"enterprise\" => %s\n%s    else => %s\n%s  }",
				strings.Repeat("  ", depth), block(depth+1, 1), strings.Repeat("  ", depth), block(depth+1, 1), strings.Repeat("  ", depth))
		case 13:
			return fmt.Sprintf("webhook post \"https://hooks.example.com/{{id}}\" sign v3 secret(\"K\") timeout 10s as h%d", r.IntN(9))
		case 14:
			return fmt.Sprintf("create deal { dealname: \"{{company.name}} upgrade\", amount: %d * seats }", 100*(1+r.IntN(9)))
		default:
			return `split { 50% => { send email "a" } 50% => { send email "b" } }`
		}
	}
	n := 0
	for i := 0; strings.Count(b.String(), "\n") < lines; i++ { // quadratic, but only a few hundred times
		switch i % 10 {
		case 0:
			fmt.Fprintf(&b, "// Object type number %d.\nobject obj%d {\n  key: string unique\n  plan: enum(\"free\", \"pro\", \"enterprise\")\n  seats: number\n  renews_on: date\n  assoc contact many, company one\n}\n\n", i, i)
		case 1:
			fmt.Fprintf(&b, "event evt%d on contact {\n  form_id: string\n  page_url: url\n  amount: number\n}\n\n", i)
		case 2:
			fmt.Fprintf(&b, "webhook hook%d {\n  match deal by order_id = body.order.id\n  props {\n    amount: number = body.order.total\n    paid_at: datetime = body.paid_at\n  }\n}\n\n", i)
		case 3:
			fmt.Fprintf(&b, "extend contact {\n  field%d: string\n  tier%d: set(\"a\", \"b\")\n}\n\n", i, i)
		case 9:
			fmt.Fprintf(&b, "test \"case %d\" {\n  at 2026-01-05T08:00:00Z\n  upsert contact c1 { email: \"a@acme.com\", score: %d }\n  advance 2d\n  expect c1.score == %d\n  expect enrolled c1 in wf%d\n}\n\n", i, r.IntN(100), r.IntN(100), i-1)
		default:
			n++
			fmt.Fprintf(&b, "workflow wf%d {\n  on contact\n  enroll when %s\n  enroll when event form_submitted where form_id == \"demo\"\n", i, cond())
			if n%2 == 0 {
				b.WriteString("  reenroll on change lifecyclestage, score\n  run on mon..fri 09:00..17:00\n")
			} else {
				b.WriteString("  enroll every monday at 09:00 where score >= 50\n  timezone \"Europe/Amsterdam\"\n")
			}
			fmt.Fprintf(&b, "  goal %s\n\n", cond())
			for range 6 + r.IntN(6) {
				b.WriteString("  " + step(0) + "\n")
			}
			b.WriteString("}\n\n")
		}
	}
	return b.String()
}

func TestGeneratedSourceParses(t *testing.T) {
	src := genSource(2000)
	f, diags := ParseFile("gen.wf", src)
	if len(diags) > 0 {
		t.Fatalf("generated source does not parse:\n%v", diags)
	}
	if len(f.Decls) < 50 {
		t.Fatalf("only %d declarations", len(f.Decls))
	}
}

func BenchmarkParse2000Lines(b *testing.B) {
	src := genSource(2000)
	lines := strings.Count(src, "\n")
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, diags := ParseFile("gen.wf", src); len(diags) > 0 {
			b.Fatal(diags)
		}
	}
	b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}
