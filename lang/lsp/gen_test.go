package lsp

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// genSource deterministically generates a valid .wf file of about the
// given number of lines: extend, event and webhook declarations,
// workflows with settings, nested steps, templates and comments, and
// tests.
func genSource(lines int) string {
	r := rand.New(rand.NewPCG(7, 11))
	var b strings.Builder
	b.WriteString(`// Generated for the language server's tests.
extend contact {
  plan: enum("free", "pro", "enterprise")
  seats: number
  renews_on: date
}

event form_submitted on contact {
  form_id: string
  page_url: url
}

webhook order_paid {
  match contact by email = body.email
  props {
    amount: number = body.total
  }
}

`)
	num := func() string { return []string{"score", "seats"}[r.IntN(2)] }
	str := func() string { return []string{"country", "email", "owner", "firstname"}[r.IntN(4)] }
	cond := func() string {
		switch r.IntN(7) {
		case 0:
			return fmt.Sprintf(`lifecyclestage == "lead" and %s > %d`, num(), r.IntN(100))
		case 1:
			return fmt.Sprintf(`%s in ["NL", "DE", "BE"] or %s is empty`, str(), str())
		case 2:
			return fmt.Sprintf(`not (%s >= %d) and lower(%s) ends_with "@acme.com"`, num(), r.IntN(100), str())
		case 3:
			return fmt.Sprintf("%s > %d or empty", num(), r.IntN(100))
		case 4:
			return fmt.Sprintf("company.name is not empty and %s > %d", num(), r.IntN(9))
		case 5:
			return fmt.Sprintf("renews_on < today + %dd", 1+r.IntN(30))
		default:
			return fmt.Sprintf(`%s contains "x" or %s starts_with "a" and plan != "pro"`, str(), str())
		}
	}
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
	label := 0
	step = func(depth int) string {
		k := r.IntN(12)
		if depth > 1 && k >= 8 {
			k = r.IntN(8)
		}
		switch k {
		case 0:
			return fmt.Sprintf(`set %s = "v%d"`, str(), r.IntN(9))
		case 1:
			return fmt.Sprintf("increment %s by %d", num(), 1+r.IntN(20))
		case 2:
			return fmt.Sprintf("delay %dd", 1+r.IntN(9))
		case 3:
			return fmt.Sprintf(`send email "tmpl-%d"`, r.IntN(50))
		case 4:
			return fmt.Sprintf(`notify "sales@example.com" "Lead {{firstname}} scored {{%s}}"`, num())
		case 5:
			label++
			return fmt.Sprintf(`step s%d: create task "Call {{email}}" for owner due %dd`, label, 1+r.IntN(5))
		case 6:
			return "clear " + str()
		case 7:
			return fmt.Sprintf("wait until %s up to %dd", cond(), 1+r.IntN(7))
		case 8:
			return fmt.Sprintf("if %s %s else %s", cond(), block(depth, 2), block(depth, 1))
		case 9:
			return fmt.Sprintf("branch on plan {\n%s  \"pro\" => %s\n%s  else => %s\n%s}",
				strings.Repeat("  ", depth+1), block(depth+1, 1), strings.Repeat("  ", depth+1), block(depth+1, 1), strings.Repeat("  ", depth+1))
		case 10:
			return fmt.Sprintf("wait for event form_submitted where form_id == \"f%d\" up to 3d else %s", r.IntN(9), block(depth, 1))
		default:
			return fmt.Sprintf("split { 50%% => %s 50%% => %s }", block(depth, 1), block(depth, 1))
		}
	}
	n := 0
	for strings.Count(b.String(), "\n") < lines {
		n++
		fmt.Fprintf(&b, "// Workflow %d.\nworkflow flow_%d {\n  on contact\n", n, n)
		fmt.Fprintf(&b, "  enroll when %s\n", cond())
		if r.IntN(2) == 0 {
			fmt.Fprintf(&b, "  enroll when event form_submitted where form_id == \"demo\" and %s > 1\n", num())
		}
		if r.IntN(3) == 0 {
			b.WriteString("  enroll when webhook order_paid\n")
		}
		fmt.Fprintf(&b, "  reenroll on change %s, %s\n", num(), str())
		fmt.Fprintf(&b, "  goal %s\n", cond())
		for range 4 + r.IntN(6) {
			b.WriteString("  " + step(0) + "\n")
		}
		if n > 1 && r.IntN(4) == 0 {
			fmt.Fprintf(&b, "  enroll in flow_%d\n", 1+r.IntN(n-1))
		}
		b.WriteString("}\n\n")
		if n%5 == 0 {
			fmt.Fprintf(&b, "test \"flow %d\" {\n  at 2026-01-05T08:00:00Z\n  upsert contact c1 { email: \"a@acme.com\", score: 60 }\n  advance 1d\n  expect c1.score >= 0\n}\n\n", n)
		}
	}
	return b.String()
}
