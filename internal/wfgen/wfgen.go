// Package wfgen generates large, realistic, valid .wf programs for the
// benchmarks of the parser, compiler, formatter and language server, so
// that they all measure the same input.
package wfgen

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Program deterministically generates a valid .wf program of about the
// given number of lines: object, extend, event and webhook declarations,
// workflows with varied settings, nested steps and expressions, and tests.
func Program(lines int) string {
	r := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	b.WriteString(`extend contact {
  plan: enum("free", "pro", "enterprise")
  seats: number
  renews_on: date
}

extend deal {
  order_id: string unique
}

event form_submitted on contact {
  form_id: string
  page_url: url
}

`)
	num := func() string { return []string{"score", "seats"}[r.IntN(2)] }
	str := func() string { return []string{"country", "email", "owner", "firstname"}[r.IntN(4)] }
	cond := func() string {
		switch r.IntN(8) {
		case 0:
			return fmt.Sprintf(`lifecyclestage == "lead" and %s > %d`, num(), r.IntN(100))
		case 1:
			return fmt.Sprintf(`%s in ["NL", "DE", "BE"] or %s is empty`, str(), str())
		case 2:
			return fmt.Sprintf(`not (%s >= %d) and lower(%s) ends_with "@acme.com"`, num(), r.IntN(100), str())
		case 3:
			return fmt.Sprintf("%s > %d or empty", num(), r.IntN(100))
		case 4:
			return fmt.Sprintf("company.name is not empty and %s not in [1, 2, 3]", num())
		case 5:
			return fmt.Sprintf("%s * 2 + %d > %s - 1", num(), r.IntN(10), num())
		case 6:
			return fmt.Sprintf("renews_on < today + %dd", 1+r.IntN(30))
		default:
			return fmt.Sprintf(`%s contains "x" or %s starts_with "a" and plan != "pro"`, str(), str())
		}
	}
	var label int
	var step func(depth int) string
	block := func(depth, n int) string {
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
		label++
		switch k {
		case 0:
			return fmt.Sprintf(`set %s = "v%d"`, str(), r.IntN(9))
		case 1:
			return fmt.Sprintf("increment %s by %d", num(), 1+r.IntN(20))
		case 2:
			return fmt.Sprintf("delay %dd", 1+r.IntN(9))
		case 3:
			return fmt.Sprintf(`send email "tpl-%d"`, r.IntN(100))
		case 4:
			return "copy email to company.domain_contact"
		case 5:
			return fmt.Sprintf(`create task "Call {{firstname}} about %s" for owner due %dd`, str(), 1+r.IntN(5))
		case 6:
			return fmt.Sprintf(`notify "sales@example.com" "New lead {{email}} scored {{%s}}"`, num())
		case 7:
			return fmt.Sprintf("delay until renews_on - %dd at 09:00", r.IntN(14))
		case 8:
			return fmt.Sprintf(`step s%d: assign owner round_robin ["ann", "bob", "eve"]`, label)
		case 9:
			return fmt.Sprintf("clear %s, %s", str(), str())
		case 10:
			return fmt.Sprintf("if %s %s else if %s %s else %s", cond(), block(depth, 2), cond(), block(depth, 1), block(depth, 1))
		case 11:
			return fmt.Sprintf(`wait for event form_submitted where form_id == "demo" up to %dd else %s`, 1+r.IntN(7), block(depth, 1))
		case 12:
			ind := strings.Repeat("  ", depth)
			return fmt.Sprintf("branch on plan {\n%s    \"pro\", \"enterprise\" => %s\n%s    else => %s\n%s  }",
				ind, block(depth+1, 1), ind, block(depth+1, 1), ind)
		case 13:
			return fmt.Sprintf(`webhook post "https://hooks.example.com/{{email}}" sign v3 secret("K") timeout 10s as h%d`, label)
		case 14:
			return fmt.Sprintf(`create deal { dealname: "{{company.name}} upgrade", amount: %d * seats }`, 100*(1+r.IntN(9)))
		default:
			return `split { 50% => { send email "a" } 50% => { send email "b" } }`
		}
	}
	lastFlow := ""
	for i := 0; strings.Count(b.String(), "\n") < lines; i++ {
		switch i % 8 {
		case 0:
			fmt.Fprintf(&b, "// Object type number %d.\nobject obj%d {\n  key: string unique\n  plan: enum(\"free\", \"pro\", \"enterprise\")\n  seats: number\n  renews_on: date\n  assoc contact many, company one\n}\n\n", i, i)
		case 1:
			fmt.Fprintf(&b, "event evt%d on contact {\n  form_id: string\n  page_url: url\n  amount: number\n}\n\n", i)
		case 2:
			fmt.Fprintf(&b, "webhook hook%d {\n  match deal by order_id = body.order.id\n  props {\n    amount: number = body.order.total\n    paid_at: datetime = body.paid_at\n  }\n}\n\n", i)
		case 7:
			fmt.Fprintf(&b, "test \"case %d\" {\n  at 2026-01-05T08:00:00Z\n  upsert contact c1 { email: \"a@acme.com\", score: %d }\n  advance 2d\n  expect c1.score == %d\n  expect enrolled c1 in %s\n}\n\n", i, r.IntN(100), r.IntN(100), lastFlow)
		default:
			lastFlow = fmt.Sprintf("wf%d", i)
			fmt.Fprintf(&b, "workflow %s {\n  on contact\n  enroll when %s\n  enroll when event form_submitted where form_id == \"demo\"\n", lastFlow, cond())
			if i%2 == 0 {
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

// Workflows deterministically generates n workflows on contact over props
// custom number properties q0…q(props-1): workflow i enrolls when property
// q(i mod props) crosses a threshold, so a change to one property can
// affect only the about n/props workflows that read it. Each workflow sets
// a property, waits a day and increments score; some re-enroll on change
// and some have a goal. It is the engine benchmarks' program, at any size.
func Workflows(n, props int) string {
	var b strings.Builder
	b.WriteString("extend contact {\n")
	for i := range props {
		fmt.Fprintf(&b, "  q%d: number\n", i)
	}
	b.WriteString("}\n")
	for i := range n {
		p := i % props
		fmt.Fprintf(&b, "\nworkflow g%d {\n  on contact\n  enroll when q%d > %d and not (country == \"XX\")\n", i, p, 50+i%40)
		if i%2 == 0 {
			fmt.Fprintf(&b, "  reenroll on change q%d\n", p)
		}
		if i%3 == 0 {
			fmt.Fprintf(&b, "  goal q%d > 1000\n", p)
		}
		fmt.Fprintf(&b, "  set hs_lead_status = \"open\"\n  delay 1d\n  increment score by 1\n}\n")
	}
	return b.String()
}
