package ingest

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/wflang/wf/compiler"
	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/value"
)

// ignoreRaw leaves Change.Raw (tested on its own) out of comparisons.
var ignoreRaw = cmpopts.IgnoreFields(Change{}, "Raw")

// Each decoded change keeps its own JSON, whatever the input's shape.
func TestDecodeRaw(t *testing.T) {
	d := NewDecoder(program(t))
	for _, in := range []string{
		"{\"op\":\"delete\",\"type\":\"subscription\",\"id\":\"s1\"}\n\n{\"op\":\"delete\",\"type\":\"subscription\",\"id\":\"s2\"}\n",
		"[{\"op\":\"delete\",\"type\":\"subscription\",\"id\":\"s1\"},\n {\"op\":\"delete\",\"type\":\"subscription\",\"id\":\"s2\"}]",
	} {
		got, err := d.Decode([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		var raws []string
		for _, ch := range got {
			raws = append(raws, string(ch.Raw))
		}
		want := []string{`{"op":"delete","type":"subscription","id":"s1"}`, `{"op":"delete","type":"subscription","id":"s2"}`}
		if diff := cmp.Diff(want, raws); diff != "" {
			t.Errorf("Raw of %q (-want +got):\n%s", in, diff)
		}
	}
}

const schema = `
object subscription {
  sub_id: string unique
  plan: enum("free", "pro")
  seats: number
  renews_on: date
  tags: set("beta", "vip")
  assoc contact many
}
event form_submitted on contact {
  form_id: string
  page_url: url
  amount: number
  submitted_at: datetime
}
`

func program(t testing.TB) *bytecode.Program {
	t.Helper()
	p, diags := compiler.CompileSource("schema.wf", schema)
	if diags.HasErrors() {
		t.Fatalf("compile:\n%v", diags)
	}
	return p
}

func typeIdx(p *bytecode.Program, name string) int {
	for i, t := range p.Types {
		if t.Name == name {
			return i
		}
	}
	panic(name)
}

func slot(p *bytecode.Program, typ, prop string) int {
	for i, pr := range p.Types[typeIdx(p, typ)].Props {
		if pr.Name == prop {
			return i
		}
	}
	panic(prop)
}

func TestDecodeShapes(t *testing.T) {
	p := program(t)
	d := NewDecoder(p)
	contact, company, sub := typeIdx(p, "contact"), typeIdx(p, "company"), typeIdx(p, "subscription")
	jsonl := `{"op":"upsert","type":"contact","id":"c1","props":{"score":"42","country":null,"Email":"a@x.com"}}

{"op":"upsert","type":"subscription","id":7,"props":{"plan":"pro","tags":["vip","beta"],"renews_on":"2026-02-10"}}
{"op":"delete","type":"contact","id":"c2","at":1767600000000}
{"op":"event","event":"form_submitted","type":"contact","id":"c1","at":"2026-01-05T08:00:00Z","props":{"FORM_ID":"demo","amount":5}}
{"op":"associate","type":"contact","id":"c1","to":"company","to_id":"co1","label":"primary"}
`
	got, err := d.Decode([]byte(jsonl))
	if err != nil {
		t.Fatal(err)
	}
	evProps := make([]value.Value, 4)
	evProps[0], evProps[2] = value.Str("demo"), value.Num(5)
	want := []Change{
		{Op: Upsert, Type: contact, ID: "c1", Line: 1, Props: []Prop{
			{Slot: slot(p, "contact", "email"), Value: value.Str("a@x.com")},
			{Slot: slot(p, "contact", "country")},
			{Slot: slot(p, "contact", "score"), Value: value.Num(42)},
		}},
		{Op: Upsert, Type: sub, ID: "7", Line: 3, Props: []Prop{
			{Slot: slot(p, "subscription", "plan"), Value: value.Str("pro")},
			{Slot: slot(p, "subscription", "renews_on"), Value: value.DateOf(time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC))},
			{Slot: slot(p, "subscription", "tags"), Value: value.SetOf([]string{"beta", "vip"})},
		}},
		{Op: Delete, Type: contact, ID: "c2", Line: 4, At: time.UnixMilli(1767600000000).UTC()},
		{Op: Event, Type: contact, ID: "c1", Line: 5, Event: 0, At: time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC), EventProps: evProps},
		{Op: Associate, Type: contact, ID: "c1", Line: 6, ToType: company, ToID: "co1", Label: "primary"},
	}
	if diff := cmp.Diff(want, got, ignoreRaw); diff != "" {
		t.Errorf("Decode (-want +got):\n%s", diff)
	}

	// The same changes as a JSON array and one as a pretty-printed object.
	var arr strings.Builder
	arr.WriteString("[\n")
	for i, line := range strings.Split(strings.TrimSpace(strings.ReplaceAll(jsonl, "\n\n", "\n")), "\n") {
		if i > 0 {
			arr.WriteString(",\n")
		}
		arr.WriteString("  " + line)
	}
	arr.WriteString("\n]")
	got, err = d.Decode([]byte(arr.String()))
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		want[i].Line = i + 2
	}
	if diff := cmp.Diff(want, got, ignoreRaw); diff != "" {
		t.Errorf("Decode of an array (-want +got):\n%s", diff)
	}
	got, err = d.Decode([]byte("\n{\n  \"op\": \"delete\",\n  \"type\": \"contact\",\n  \"id\": \"c2\"\n}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Change{{Op: Delete, Type: contact, ID: "c2", Line: 2}}, got, ignoreRaw); diff != "" {
		t.Errorf("Decode of one object (-want +got):\n%s", diff)
	}
}

func TestDecodeErrors(t *testing.T) {
	d := NewDecoder(program(t))
	long := strings.Repeat("x", 257)
	var many strings.Builder
	for i := range 51 {
		if i > 0 {
			many.WriteString(",")
		}
		many.WriteString(`"p` + value.FormatNumber(float64(i)) + `":1`)
	}
	for _, c := range []struct{ in, want string }{
		{`{"op":"upsert","type":"contact","id":"c1","props":{"score":"x"}}`, `line 1: contact.score: expected a number, got string "x"`},
		{`{"op":"upsert","type":"contact","id":"c1","props":{"scroe":1}}`, `line 1: contact.scroe: unknown property of contact; did you mean "score"?`},
		{`{"op":"upsert","type":"contcat","id":"c1"}`, `line 1: type: unknown object type "contcat"; did you mean "contact"?`},
		{`{"op":"upsert","type":"contact","id":"c1","props":{"score":1,"SCORE":2}}`, `line 1: contact.score: given twice (as "SCORE" and "score")`},
		{`{"op":"upsert","type":"contact"}`, `line 1: id: missing`},
		{`{"op":"upsert","type":"contact","id":""}`, `line 1: id: must not be empty`},
		{`{"op":"upsert","type":"contact","id":1.5}`, `line 1: id: expected a string or an integer, got number 1.5`},
		{`{"op":"upsert","type":"contact","id":"c1","props":[1]}`, `line 1: props: expected an object, got an array`},
		{`{"op":"upsert","type":"contact","id":"c1","to":"company"}`, `line 1: to: not allowed in an upsert change`},
		{`{"op":"upsert","typ":"contact","id":"c1"}`, `line 1: typ: unknown field; did you mean "type"?`},
		{`{"op":"merge","type":"contact","id":"c1"}`, `line 1: op: unknown op "merge"; want upsert, delete, event, associate or hook`},
		{`{"type":"contact","id":"c1"}`, `line 1: op: missing`},
		{`[1]`, `line 1: expected a change object, got number 1`},
		{`{"op":"event","event":"form_submited","id":"c1"}`, `line 1: event: unknown event type "form_submited"; did you mean "form_submitted"?`},
		{`{"op":"event","event":"form_submitted","type":"company","id":"c1"}`, `line 1: type: event form_submitted happens on contact, not company`},
		{`{"op":"event","event":"form_submitted","id":"c1","at":"yesterday"}`, `line 1: at: expected a datetime`},
		{`{"op":"event","event":"form_submitted","id":"c1","props":{"form_id":"` + long + `"}}`, `line 1: form_submitted.form_id: 257 characters; a string value may have at most 256`},
		{`{"op":"event","event":"form_submitted","id":"c1","props":{"page_url":"` + long + `"}}`, ``},
		{`{"op":"event","event":"form_submitted","id":"c1","props":{` + many.String() + `}}`, `line 1: props: 51 properties; an event occurrence may have at most 50`},
		{`{"op":"event","event":"form_submitted","id":"c1","props":{"form_id":"a","Form_Id":"b"}}`, `line 1: form_submitted.form_id: given twice (as "Form_Id" and "form_id"); event property names are case-insensitive`},
		{`{"op":"event","event":"form_submitted","match":{"email":"a@x.com"}}`, ``},
		{`{"op":"event","event":"form_submitted","match":{"emial":"a@x.com"}}`, `line 1: match: "emial" is not a unique property of contact; did you mean "email"?`},
		{`{"op":"event","event":"form_submitted","match":{"score":1}}`, `line 1: match: "score" is not a unique property of contact`},
		{`{"op":"event","event":"form_submitted","match":{"email":"a","phone":"b"}}`, `line 1: match: expected an object with one unique property of contact (email), got an object`},
		{`{"op":"event","event":"form_submitted","match":{"email":null}}`, `line 1: match: email: null matches no record`},
		{`{"op":"event","event":"form_submitted","id":"c1","match":{"email":"a@x.com"}}`, `line 1: match: give "id" or "match", not both`},
		{`{"op":"associate","type":"contact","id":"c1","to":"compnay","to_id":"co1"}`, `line 1: to: unknown object type "compnay"; did you mean "company"?`},
		{`{"op":"associate","type":"contact","id":"c1","to":"company"}`, `line 1: to_id: missing`},
		{`{"op":"upsert","type":"subscription","id":"s1","props":{"plan":"gold"}}`, `line 1: subscription.plan: `},
		{`{"op":`, `line 1: bad JSON`},
	} {
		_, err := d.Decode([]byte(c.in))
		if c.want == "" {
			if err != nil {
				t.Errorf("Decode(%.60s…) = %v, want no error", c.in, err)
			}
			continue
		}
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("Decode(%.60s…)\n got error %v\nwant prefix %s", c.in, err, c.want)
		}
	}
}

func TestDecodeKeepsGoodLines(t *testing.T) {
	d := NewDecoder(program(t))
	in := `{"op":"upsert","type":"contact","id":"c1"}
{"op":"upsert","type":"contact","id":"c2","props":{"score":"x"}}
not json
{"op":"delete","type":"contact","id":"c3"}`
	got, err := d.Decode([]byte(in))
	var ids []string
	for _, ch := range got {
		ids = append(ids, ch.ID)
	}
	if diff := cmp.Diff([]string{"c1", "c3"}, ids); diff != "" {
		t.Errorf("decoded ids (-want +got):\n%s", diff)
	}
	errs, ok := err.(Errors)
	if !ok || len(errs) != 2 || errs[0].Line != 2 || errs[1].Line != 3 {
		t.Fatalf("errors = %v, want one on line 2 and one on line 3", err)
	}
	if !strings.HasPrefix(errs[1].Error(), "line 3: bad JSON") {
		t.Errorf("line 3 error = %q", errs[1])
	}
}

func FuzzDecode(f *testing.F) {
	p := program(f)
	d := NewDecoder(p)
	for _, seed := range []string{
		`{"op":"upsert","type":"contact","id":"c1","props":{"score":5,"country":null}}`,
		`{"op":"delete","type":"contact","id":"c1"}`,
		`{"op":"event","event":"form_submitted","type":"contact","id":"c1","at":"2026-01-05T08:00:00Z","props":{"form_id":"demo"}}`,
		`{"op":"associate","type":"contact","id":"c1","to":"company","to_id":"co1","label":"primary"}`,
		`[{"op":"delete","type":"contact","id":"c1"},{"op":"upsert","type":"subscription","id":2,"props":{"tags":"vip;beta"}}]`,
		"{\n\"op\":\"delete\"}\n",
		`{"op":"upsert","type":"contact","id":"c1","props":{"createdate":1767600000000}}`,
		"[",
		"",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		chs, err := d.Decode(data)
		for _, ch := range chs {
			if ch.Type < 0 || ch.Type >= len(p.Types) || ch.ID == "" {
				t.Fatalf("decoded a change with type %d, id %q", ch.Type, ch.ID)
			}
			for _, pr := range ch.Props {
				if pr.Slot < 0 || pr.Slot >= len(p.Types[ch.Type].Props) {
					t.Fatalf("decoded slot %d of %s", pr.Slot, p.Types[ch.Type].Name)
				}
			}
		}
		if errs, ok := err.(Errors); ok {
			for _, e := range errs {
				if e.Msg == "" {
					t.Fatalf("an error without a message: %+v", e)
				}
			}
		} else if err != nil {
			t.Fatalf("error of type %T", err)
		}
	})
}

func TestClientID(t *testing.T) {
	d := NewDecoder(program(t))
	chs, err := d.Decode([]byte(`{"op":"upsert","type":"contact","id":"c1","client_id":"k-1","props":{}}
{"op":"delete","type":"contact","id":"c1","client_id":7}`))
	if len(chs) != 1 || chs[0].ClientID != "k-1" {
		t.Fatalf("changes = %+v", chs)
	}
	if err == nil || !strings.Contains(err.Error(), "line 2: client_id:") {
		t.Fatalf("err = %v, want a client_id error on line 2", err)
	}
}
