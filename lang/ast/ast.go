// Package ast declares the syntax tree of .wf source.
//
// The declaration and statement types double as the participle grammar:
// their struct tags are the productions, and participle fills each node's
// Pos and EndPos (start, and exclusive end) as it parses. The leaves of one
// or a few tokens (Name, PropPath, Text, TimeOfDay, RecordRef, RawSource)
// parse themselves (parse.go), and expressions are built by package
// parser's precedence parser; both set their spans the same way. The
// interfaces Decl, Item, StepBody and TestStmt are parsed by package
// parser, which picks the member type from the leading keywords.
// The tree is plain data: names are not resolved and nothing is typed here;
// that is package compiler's job.
package ast

import (
	"strconv"
	"time"

	"github.com/alecthomas/participle/v2/lexer"
)

// Position is a place in a source file: file name, byte offset, 1-based
// line and 1-based column (in runes).
type Position = lexer.Position

// Span is the source range of a node: Pos is its first character, EndPos
// the position just after its last one.
type Span struct {
	Pos    Position
	EndPos Position
}

// Start returns the position of the node's first character.
func (s Span) Start() Position { return s.Pos }

// End returns the position just after the node's last character.
func (s Span) End() Position { return s.EndPos }

// Node is any syntax tree node.
type Node interface {
	Start() Position
	End() Position
}

// Str is a string literal in the grammar (not an expression): its value is
// unquoted on capture. An identifier captured into a Str is kept as is.
type Str string

// Capture implements participle.Capture.
func (s *Str) Capture(values []string) error {
	v := values[0]
	if len(v) >= 2 && v[0] == '"' {
		u, err := strconv.Unquote(v)
		if err != nil {
			return err
		}
		v = u
	}
	*s = Str(v)
	return nil
}

// File is one parsed .wf file.
type File struct {
	Span
	Name     string
	Src      string // the source text; node offsets index into it
	Decls    []Decl
	Comments []lexer.Token // every comment, in source order, for the formatter
}

// Name is an identifier at a position: one Ident token (see parse.go).
type Name struct {
	Span
	Name string
}

// Text is a plain string literal at a position: one String token,
// unquoted; templates are not parsed (see parse.go).
type Text struct {
	Span
	Value Str
}

// TimeOfDay is a literal like 09:00: one Time token (see parse.go).
type TimeOfDay struct {
	Span
	Text string
}

// Clock returns the hour, minute and second of the time of day.
func (t *TimeOfDay) Clock() (h, m, s int) {
	fmt := "15:04"
	if len(t.Text) > 5 {
		fmt = "15:04:05"
	}
	v, err := time.Parse(fmt, t.Text)
	if err != nil {
		return 0, 0, 0
	}
	return v.Hour(), v.Minute(), v.Second()
}

// PropPath is a dotted property path written as a target: `owner`,
// `company.domain_contact`; Ident ( "." Ident )* (see parse.go).
type PropPath struct {
	Span
	Parts []string
}

// ---- Declarations ----

// Decl is a top-level declaration: *ObjectDecl, *ExtendDecl, *EventDecl,
// *WebhookDecl, *WorkflowDecl or *TestDecl.
type Decl interface {
	Node
	declNode()
}

// ObjectDecl declares an object type: `object subscription { … }`.
type ObjectDecl struct {
	Span
	Name    *Name     `parser:"'object' @@ '{'"`
	Members []*Member `parser:"@@* '}'"`
}

// ExtendDecl adds members to an existing object type: `extend contact { … }`.
type ExtendDecl struct {
	Span
	Name    *Name     `parser:"'extend' @@ '{'"`
	Members []*Member `parser:"@@* '}'"`
}

// Member is a property or an association list inside an object or extend.
type Member struct {
	Span
	Assocs []*AssocDecl `parser:"  'assoc' @@ ( ',' @@ )*"`
	Prop   *PropDecl    `parser:"| @@"`
}

// PropDecl declares a typed property: `plan: enum("free", "pro") unique`.
type PropDecl struct {
	Span
	Name   *Name     `parser:"@@ ':'"`
	Type   *TypeExpr `parser:"@@"`
	Unique bool      `parser:"@'unique'?"`
}

// TypeExpr is a property type: `string`, `url`, `enum("a", "b")`, `set("x")`.
type TypeExpr struct {
	Span
	Name    string  `parser:"@Ident"`
	Options []*Text `parser:"( '(' ( ')' | @@ ( (?= ',' String) ',' @@ )* ','? ')' ) )?"`
}

// AssocDecl declares an association: `contact many`, `company one`.
type AssocDecl struct {
	Span
	Name        *Name  `parser:"@@"`
	Cardinality string `parser:"@( 'many' | 'one' )?"`
}

// EventDecl declares a custom event type: `event form_submitted on contact { … }`.
type EventDecl struct {
	Span
	Name   *Name       `parser:"'event' @@"`
	Object *Name       `parser:"'on' @@ '{'"`
	Props  []*PropDecl `parser:"@@* '}'"`
}

// WebhookDecl declares an incoming webhook.
type WebhookDecl struct {
	Span
	Name     *Name       `parser:"'webhook' @@ '{'"`
	Object   *Name       `parser:"'match' @@"`
	MatchKey *Name       `parser:"'by' @@ '='"`
	MatchVal Expr        `parser:"@@"`
	Props    []*HookProp `parser:"( 'props' '{' @@* '}' )? '}'"`
}

// HookProp maps part of an incoming webhook body to a typed property.
type HookProp struct {
	Span
	Name  *Name     `parser:"@@ ':'"`
	Type  *TypeExpr `parser:"@@ '='"`
	Value Expr      `parser:"@@"`
}

// WorkflowDecl declares a workflow: settings and steps, in any order of
// settings, steps run in source order.
type WorkflowDecl struct {
	Span
	Name  *Name  `parser:"'workflow' @@ '{'"`
	Items []Item `parser:"@@* '}'"`
}

// TestDecl is a test block: `test "name" { … }`.
type TestDecl struct {
	Span
	Name  *Text      `parser:"'test' @@ '{'"`
	Stmts []TestStmt `parser:"@@* '}'"`
}

func (*ObjectDecl) declNode()   {}
func (*ExtendDecl) declNode()   {}
func (*EventDecl) declNode()    {}
func (*WebhookDecl) declNode()  {}
func (*WorkflowDecl) declNode() {}
func (*TestDecl) declNode()     {}

// ---- Workflow items: settings and steps ----

// Item is a workflow setting (the types below ending in Setting or Trigger)
// or a *Step.
type Item interface {
	Node
	itemNode()
}

// OnSetting names the workflow's object type: `on contact`.
type OnSetting struct {
	Span
	Object *Name `parser:"'on' @@"`
}

// FilterTrigger: `enroll when <expr>`.
type FilterTrigger struct {
	Span
	Cond Expr `parser:"'enroll' 'when' @@"`
}

// EventTrigger: `enroll when event E [where <expr>]`.
type EventTrigger struct {
	Span
	Event *Name `parser:"'enroll' 'when' 'event' @@"`
	Where Expr  `parser:"( 'where' @@ )?"`
}

// WebhookTrigger: `enroll when webhook W`.
type WebhookTrigger struct {
	Span
	Hook *Name `parser:"'enroll' 'when' 'webhook' @@"`
}

// ScheduleTrigger: `enroll every monday at 09:00 where <expr>`. Every is a
// list of day names, `day`, `weekday`, or `month` (with OnDay).
type ScheduleTrigger struct {
	Span
	Every []*Name    `parser:"'enroll' 'every' @@ ( ',' @@ )*"`
	OnDay string     `parser:"( 'on' @Number )?"`
	At    *TimeOfDay `parser:"( 'at' @@ )?"`
	Where Expr       `parser:"( 'where' @@ )?"`
}

// DateTrigger: `enroll on date renews_on - 7d [at 09:00]`.
type DateTrigger struct {
	Span
	Date Expr       `parser:"'enroll' 'on' 'date' @@"`
	At   *TimeOfDay `parser:"( 'at' @@ )?"`
}

// EnrollExisting: `enroll existing`.
type EnrollExisting struct {
	Span
	Existing bool `parser:"'enroll' @'existing'"`
}

// ReenrollSetting: `reenroll on change a, b`, `reenroll on event e`,
// `reenroll on webhook w`.
type ReenrollSetting struct {
	Span
	Kind  string  `parser:"'reenroll' 'on' @( 'change' | 'event' | 'webhook' )"`
	Names []*Name `parser:"@@ ( ',' @@ )*"`
}

// UnenrollSetting: `unenroll when <expr>`.
type UnenrollSetting struct {
	Span
	Cond Expr `parser:"'unenroll' 'when' @@"`
}

// GoalSetting: `goal <expr>`.
type GoalSetting struct {
	Span
	Cond Expr `parser:"'goal' @@"`
}

// SuppressSetting: `suppress when <expr>`.
type SuppressSetting struct {
	Span
	Cond Expr `parser:"'suppress' 'when' @@"`
}

// TimezoneSetting: `timezone "Europe/Amsterdam"`.
type TimezoneSetting struct {
	Span
	Zone *Text `parser:"'timezone' @@"`
}

// RunWindow: `run on mon..fri 09:00..17:00`.
type RunWindow struct {
	Span
	Days []*DayRange `parser:"'run' 'on' @@ ( ',' @@ )*"`
	From *TimeOfDay  `parser:"@@ '..'"`
	To   *TimeOfDay  `parser:"@@"`
}

// DayRange is `mon` or `mon..fri`.
type DayRange struct {
	Span
	From *Name `parser:"@@"`
	To   *Name `parser:"( '..' @@ )?"`
}

// Step is one step, with an optional stable label: `step welcome: send email "w1"`.
type Step struct {
	Span
	Label *Name    `parser:"( 'step' @@ ':' )?"`
	Body  StepBody `parser:"@@"`
}

// Block is a brace-delimited list of steps.
type Block struct {
	Span
	Steps []*Step `parser:"'{' @@* '}'"`
}

func (*OnSetting) itemNode()       {}
func (*FilterTrigger) itemNode()   {}
func (*EventTrigger) itemNode()    {}
func (*WebhookTrigger) itemNode()  {}
func (*ScheduleTrigger) itemNode() {}
func (*DateTrigger) itemNode()     {}
func (*EnrollExisting) itemNode()  {}
func (*ReenrollSetting) itemNode() {}
func (*UnenrollSetting) itemNode() {}
func (*GoalSetting) itemNode()     {}
func (*SuppressSetting) itemNode() {}
func (*TimezoneSetting) itemNode() {}
func (*RunWindow) itemNode()       {}
func (*Step) itemNode()            {}

// ---- Step bodies ----

// StepBody is what a step does; one of the *…Step types below.
type StepBody interface {
	Node
	stepNode()
}

// SetStep: `set p = <expr>`.
type SetStep struct {
	Span
	Target *PropPath `parser:"'set' @@ '='"`
	Value  Expr      `parser:"@@"`
}

// IncrementStep: `increment p by <expr>` (or `decrement`).
type IncrementStep struct {
	Span
	Op     string    `parser:"@( 'increment' | 'decrement' )"`
	Target *PropPath `parser:"@@"`
	By     Expr      `parser:"( 'by' @@ )?"`
}

// ClearStep: `clear p, q`.
type ClearStep struct {
	Span
	Targets []*PropPath `parser:"'clear' @@ ( ',' @@ )*"`
}

// CopyStep: `copy <expr> to p`.
type CopyStep struct {
	Span
	From Expr      `parser:"'copy' @@"`
	To   *PropPath `parser:"'to' @@"`
}

// DelayStep: `delay 2d`, `delay until <expr> [at 09:00]`.
type DelayStep struct {
	Span
	Until bool       `parser:"'delay' @'until'?"`
	X     Expr       `parser:"@@"`
	At    *TimeOfDay `parser:"( 'at' @@ )?"`
}

// WaitEventStep: `wait for event E [where <expr>] [up to D] [else {…}]`.
type WaitEventStep struct {
	Span
	Event   *Name  `parser:"'wait' 'for' 'event' @@"`
	Where   Expr   `parser:"( 'where' @@ )?"`
	Timeout Expr   `parser:"( 'up' 'to' @@ )?"`
	Else    *Block `parser:"( 'else' @@ )?"`
}

// WaitUntilStep: `wait until <expr> [up to D] [else {…}]`.
type WaitUntilStep struct {
	Span
	Cond    Expr   `parser:"'wait' 'until' @@"`
	Timeout Expr   `parser:"( 'up' 'to' @@ )?"`
	Else    *Block `parser:"( 'else' @@ )?"`
}

// IfStep: `if c {…} else if c {…} else {…}`.
type IfStep struct {
	Span
	Cond   Expr      `parser:"'if' @@"`
	Then   *Block    `parser:"@@"`
	ElseIf []*ElseIf `parser:"( (?= 'else' 'if') @@ )*"`
	Else   *Block    `parser:"( 'else' @@ )?"`
}

// ElseIf is one `else if c {…}` arm.
type ElseIf struct {
	Span
	Cond Expr   `parser:"'else' 'if' @@"`
	Then *Block `parser:"@@"`
}

// BranchStep: `branch on <expr> { "a" => {…} else => {…} }`.
type BranchStep struct {
	Span
	On   Expr         `parser:"'branch' 'on' @@ '{'"`
	Arms []*BranchArm `parser:"@@*"`
	Else *Block       `parser:"( 'else' '=>' @@ )? '}'"`
}

// BranchArm is `<value>[, <value>] => {…}`.
type BranchArm struct {
	Span
	Values []Expr `parser:"@@ ( ',' @@ )* '=>'"`
	Body   *Block `parser:"@@"`
}

// SplitStep: `split { 25% => {…} 75% => {…} }`.
type SplitStep struct {
	Span
	Arms []*SplitArm `parser:"'split' '{' @@+ '}'"`
}

// SplitArm is `25% => {…}`.
type SplitArm struct {
	Span
	Percent string `parser:"@Number '%' '=>'"`
	Body    *Block `parser:"@@"`
}

// AssignStep: `assign owner round_robin ["ann", "bob"]`.
type AssignStep struct {
	Span
	Target   *PropPath `parser:"'assign' @@"`
	Strategy string    `parser:"@( 'round_robin' | 'random' | 'balanced' )?"`
	Value    Expr      `parser:"@@"`
}

// CreateTaskStep: `create task "title" [for owner] [due 1d]`.
type CreateTaskStep struct {
	Span
	Title Expr      `parser:"'create' 'task' @@"`
	For   *PropPath `parser:"( 'for' @@ )?"`
	Due   Expr      `parser:"( 'due' @@ )?"`
}

// CreateStep: `create deal { dealname: "x" } [as d]`.
type CreateStep struct {
	Span
	Object *Name      `parser:"'create' @@"`
	Fields *ObjectLit `parser:"@@"`
	As     *Name      `parser:"( 'as' @@ )?"`
}

// NotifyStep: `notify "to@example.com" "message"`.
type NotifyStep struct {
	Span
	To      Expr `parser:"'notify' @@"`
	Message Expr `parser:"@@"`
}

// SendEmailStep: `send email "template" [to <expr>]`.
type SendEmailStep struct {
	Span
	Template Expr `parser:"'send' 'email' @@"`
	To       Expr `parser:"( 'to' @@ )?"`
}

// WebhookStep: `webhook post URL [sign [scheme] <secret>] [timeout D] [rate N] [as h]`.
type WebhookStep struct {
	Span
	Method  string `parser:"'webhook' @'post'"`
	URL     Expr   `parser:"@@"`
	Sign    *Sign  `parser:"@@?"`
	Timeout Expr   `parser:"( 'timeout' @@ )?"`
	Rate    Expr   `parser:"( 'rate' @@ )?"`
	As      *Name  `parser:"( 'as' @@ )?"`
}

// Sign is a webhook signature: `sign secret("K")`, `sign v3 secret("K")`.
type Sign struct {
	Span
	Scheme string `parser:"'sign' @( 'hubspot' | 'v3' | 'standard' )?"`
	Secret Expr   `parser:"@@"`
}

// CodeStep runs custom code: `code js [secrets (…)] [outputs (…)] [as n] `src“
// or `code go "name" [as n]`.
type CodeStep struct {
	Span
	Lang    string     `parser:"'code' @( 'js' | 'go' )"`
	GoName  *Text      `parser:"@@?"`
	Secrets []*Text    `parser:"( 'secrets' '(' ( @@ ( ',' @@ )* )? ')' )?"`
	Outputs []*Field   `parser:"( 'outputs' '(' ( @@ ( ',' @@ )* )? ')' )?"`
	Timeout Expr       `parser:"( 'timeout' @@ )?"`
	As      *Name      `parser:"( 'as' @@ )?"`
	Source  *RawSource `parser:"@@?"`
}

// Field is `name: type` in a code step's outputs.
type Field struct {
	Span
	Name *Name     `parser:"@@ ':'"`
	Type *TypeExpr `parser:"@@"`
}

// RawSource is a backtick-quoted code literal: one RawString token (see
// parse.go). Text excludes the backticks; the span includes them.
type RawSource struct {
	Span
	Text string
}

// EnrollInStep: `enroll in other_workflow`.
type EnrollInStep struct {
	Span
	Workflow *Name `parser:"'enroll' 'in' @@"`
}

// PlaceholderStep: `placeholder "what is still to decide"`.
type PlaceholderStep struct {
	Span
	Note *Text `parser:"'placeholder' @@"`
}

// StopStep: `stop`.
type StopStep struct {
	Span
	Stop bool `parser:"@'stop'"`
}

func (*SetStep) stepNode()         {}
func (*IncrementStep) stepNode()   {}
func (*ClearStep) stepNode()       {}
func (*CopyStep) stepNode()        {}
func (*DelayStep) stepNode()       {}
func (*WaitEventStep) stepNode()   {}
func (*WaitUntilStep) stepNode()   {}
func (*IfStep) stepNode()          {}
func (*BranchStep) stepNode()      {}
func (*SplitStep) stepNode()       {}
func (*AssignStep) stepNode()      {}
func (*CreateTaskStep) stepNode()  {}
func (*CreateStep) stepNode()      {}
func (*NotifyStep) stepNode()      {}
func (*SendEmailStep) stepNode()   {}
func (*WebhookStep) stepNode()     {}
func (*CodeStep) stepNode()        {}
func (*EnrollInStep) stepNode()    {}
func (*PlaceholderStep) stepNode() {}
func (*StopStep) stepNode()        {}

// ObjectLit is `{ name: <expr>, … }` (commas optional).
type ObjectLit struct {
	Span
	Fields []*FieldValue `parser:"'{' ( @@ ','? )* '}'"`
}

// FieldValue is `name: <expr>` in an object literal, or `name: { … }`, a
// nested object literal (Object set, Value nil), as a test's `hook` body
// gives a JSON-like request body.
type FieldValue struct {
	Span
	Name   *Name      `parser:"@@ ':'"`
	Object *ObjectLit `parser:"( @@"`
	Value  Expr       `parser:"| @@ )"`
}

// ---- Test blocks ----

// TestStmt is a statement of a test block; one of the types below.
type TestStmt interface {
	Node
	testNode()
}

// RecordRef names a record in a test: `c1` or `"c-1"`; one Ident or
// String token (see parse.go).
type RecordRef struct {
	Span
	ID Str
}

// AtStmt sets the virtual clock: `at 2026-01-05T08:00:00Z`.
type AtStmt struct {
	Span
	Time string `parser:"'at' @DateTime"`
}

// AdvanceStmt moves the virtual clock forward: `advance 2d`.
type AdvanceStmt struct {
	Span
	By Expr `parser:"'advance' @@"`
}

// UpsertStmt: `upsert contact c1 { … }`.
type UpsertStmt struct {
	Span
	Object *Name      `parser:"'upsert' @@"`
	Record *RecordRef `parser:"@@"`
	Fields *ObjectLit `parser:"@@"`
}

// DeleteStmt: `delete contact c1`.
type DeleteStmt struct {
	Span
	Object *Name      `parser:"'delete' @@"`
	Record *RecordRef `parser:"@@"`
}

// EventStmt: `event form_submitted c1 { … }`.
type EventStmt struct {
	Span
	Event  *Name      `parser:"'event' @@"`
	Record *RecordRef `parser:"@@"`
	Fields *ObjectLit `parser:"@@?"`
}

// AssociateStmt: `associate contact c1 to company co1 [as "primary"]`.
type AssociateStmt struct {
	Span
	Object   *Name      `parser:"'associate' @@"`
	Record   *RecordRef `parser:"@@"`
	ToObject *Name      `parser:"'to' @@"`
	To       *RecordRef `parser:"@@"`
	Label    *Text      `parser:"( 'as' @@ )?"`
}

// HookStmt calls an incoming webhook: `hook order_paid { … }`.
type HookStmt struct {
	Span
	Hook *Name      `parser:"'hook' @@"`
	Body *ObjectLit `parser:"@@"`
}

// EnrollStmt enrolls a record by hand: `enroll c1 in welcome`.
type EnrollStmt struct {
	Span
	Record   *RecordRef `parser:"'enroll' @@"`
	Workflow *Name      `parser:"'in' @@"`
}

// EnableStmt enables a workflow: `enable welcome`. A workflow that a test
// enables starts that test disabled, so records can exist before it is
// enabled (and `enroll existing` enrolls those that match then).
type EnableStmt struct {
	Span
	Workflow *Name `parser:"'enable' @@"`
}

// ExpectEnrollment: `expect [not] enrolled c1 in wf [at "step"]`; the state is
// one of enrolled, converted, unenrolled, completed.
type ExpectEnrollment struct {
	Span
	Not      bool       `parser:"'expect' @'not'?"`
	State    string     `parser:"@( 'enrolled' | 'converted' | 'unenrolled' | 'completed' )"`
	Record   *RecordRef `parser:"@@"`
	Workflow *Name      `parser:"( 'in' | 'from' ) @@"`
	AtStep   *Text      `parser:"( 'at' @@ )?"`
}

// ExpectWebhook: `expect webhook "url" count 1`.
type ExpectWebhook struct {
	Span
	URL   Expr `parser:"'expect' 'webhook' @@"`
	Count Expr `parser:"( 'count' @@ )?"`
}

// ExpectEmail: `expect email "template" [to c1] [count N]`.
type ExpectEmail struct {
	Span
	Template Expr       `parser:"'expect' 'email' @@"`
	To       *RecordRef `parser:"( 'to' @@ )?"`
	Count    Expr       `parser:"( 'count' @@ )?"`
}

// ExpectCreated: `expect created deal [where <expr>] [count N]`.
type ExpectCreated struct {
	Span
	Object *Name `parser:"'expect' 'created' @@"`
	Where  Expr  `parser:"( 'where' @@ )?"`
	Count  Expr  `parser:"( 'count' @@ )?"`
}

// ExpectExpr: `expect c1.score == 10`; the first path element is a record id.
type ExpectExpr struct {
	Span
	Cond Expr `parser:"'expect' @@"`
}

func (*AtStmt) testNode()           {}
func (*AdvanceStmt) testNode()      {}
func (*UpsertStmt) testNode()       {}
func (*DeleteStmt) testNode()       {}
func (*EventStmt) testNode()        {}
func (*AssociateStmt) testNode()    {}
func (*HookStmt) testNode()         {}
func (*EnrollStmt) testNode()       {}
func (*EnableStmt) testNode()       {}
func (*ExpectEnrollment) testNode() {}
func (*ExpectWebhook) testNode()    {}
func (*ExpectEmail) testNode()      {}
func (*ExpectCreated) testNode()    {}
func (*ExpectExpr) testNode()       {}

// ---- Recovery ----

// Bad stands for a workflow item, step or test statement that did not
// parse: the parser reported the syntax error and resumed at the next
// statement, so that the rest of the declaration is still in the tree. Its
// span covers the tokens skipped. A tree with a Bad node came from source
// with syntax errors and must not be compiled into a program.
type Bad struct {
	Span
}

func (*Bad) itemNode() {}
func (*Bad) stepNode() {}
func (*Bad) testNode() {}
