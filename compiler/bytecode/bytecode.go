// Package bytecode defines the compiled form of a set of .wf files: the
// Program that the compiler produces, the runtime loads, `wf disasm` prints
// and `wf compile -o` writes.
//
// # The expression machine
//
// Every expression of a program (a trigger filter, a goal, a step's value)
// is a run of instructions in Program.Code, described by an Expr: its first
// and one-past-last instruction, the maximum depth of its operand stack
// (computed by the compiler, at most MaxStack) and the properties it reads.
// The VM evaluates one Expr at a time over a fixed operand stack of
// value.Value and leaves exactly one value on it: the result.
//
// An instruction is a uint32: the opcode in the low 8 bits and one unsigned
// operand in the high 24 bits. Jump operands are absolute indexes into Code.
// CALL packs the function index in bits 8..23 and the argument count in
// bits 24..31.
//
// Properties are read by slot: each object type's properties are numbered in
// declaration order (prelude first, then `extend` blocks in file order), and a
// record stores its values in a slice indexed by slot, so a read is an index,
// not a map lookup.
//
// Comparisons follow the language: any comparison with an empty operand is
// false (so is its `!=`), and so are comparisons between kinds that cannot be
// ordered. In a boolean context (JMPF, ANDJ, ORJ, NOT, the result of a
// filter) only the boolean true counts as true.
//
// # The step table
//
// A workflow's steps are flattened into Workflow.Steps. Each step has a
// stable ID (its `step name:` label, or its structural path such as "3" or
// "3.then.1"), an index of the step to run next (-1: the enrollment ends),
// and for branching steps the index each arm continues at. An enrollment's
// program counter is a step ID, so it survives recompilation as long as that
// ID still exists. Steps that wait are marked Suspends.
//
// Version is bumped whenever the encoding or the meaning of an opcode changes.
package bytecode

import (
	"github.com/wflang/wf/value"
)

// Version of the bytecode format and instruction set.
const Version = 1

// MaxStack bounds the operand stack of any one expression.
const MaxStack = 64

// Op is an opcode.
type Op uint8

// Instr is one instruction: opcode in the low 8 bits, operand in the high 24.
type Instr uint32

// Make builds an instruction.
func Make(op Op, arg int) Instr { return Instr(uint32(op) | uint32(arg)<<8) }

// Op returns the opcode.
func (i Instr) Op() Op { return Op(i & 0xff) }

// Arg returns the operand.
func (i Instr) Arg() int { return int(i >> 8) }

// MakeCall builds a CALL of function fn with argc arguments.
func MakeCall(fn, argc int) Instr { return Instr(uint32(CALL) | uint32(fn)<<8 | uint32(argc)<<24) }

// CallArgs splits a CALL operand into function index and argument count.
func (i Instr) CallArgs() (fn, argc int) { return int(i>>8) & 0xffff, int(i >> 24) }

// Opcodes, with their stack pictures (before -- after).
const (
	NOP Op = iota //        --

	CONST  //  CONST k        -- Consts[k]
	PROP   //  PROP s         -- record.Props[s]
	ASSOC  //  ASSOC p        -- Paths[p] read on the first associated record (empty if none)
	EVENT  //  EVENT s        -- event.Props[s] (event filters, wait-for-event)
	OUTPUT //  OUTPUT o       -- Outputs[o] of an earlier action step (hook.body.tier)
	REF    //  REF r          -- Refs[r]: a named record's property (test expectations)
	NOW    //  NOW            -- now (datetime)
	TODAY  //  TODAY          -- today's date in the workflow's time zone

	POP    // x POP            --
	JMP    //   JMP a          --                 pc = a
	JMPF   // x JMPF a         --                 if x is not true: pc = a
	ANDJ   // x ANDJ a         -- false (jumped)  if x is not true: replace x with false, pc = a; else pop x
	ORJ    // x ORJ a          -- true (jumped)   if x is true: pc = a; else pop x
	TOBOOL // x TOBOOL        -- bool            true iff x is true

	NOT // x NOT              -- bool
	NEG // x NEG              -- -x              (number, duration)

	EQ // x y EQ              -- bool            empty on either side: false
	NE // x y NE              -- bool            empty on either side: false
	LT // x y LT              -- bool
	LE // x y LE              -- bool
	GT // x y GT              -- bool
	GE // x y GE              -- bool

	EQNUM // x y EQNUM        -- bool            both numbers (else false)
	LTNUM // x y LTNUM        -- bool
	LENUM // x y LENUM        -- bool
	GTNUM // x y GTNUM        -- bool
	GENUM // x y GENUM        -- bool
	EQSTR // x y EQSTR        -- bool            both strings (else false)
	NESTR // x y NESTR        -- bool

	INLIST    // x INLIST l       -- bool        x equals a member of Lists[l]
	NOTINLIST // x NOTINLIST l    -- bool        x is known and equals no member of Lists[l]
	IN        // x y IN           -- bool        y a list value holding x, or a string containing x
	NOTIN     // x y NOTIN        -- bool
	CONTAINS  // x y CONTAINS     -- bool        string x contains y; list x has member y
	STARTS    // x y STARTS       -- bool        string x starts with y
	ENDS      // x y ENDS         -- bool        string x ends with y
	MATCHES   // x MATCHES r      -- bool        string x matches Regexps[r]
	ISEMPTY   // x ISEMPTY        -- bool
	ISKNOWN   // x ISKNOWN        -- bool

	ADD // x y ADD             -- x+y  number+number; datetime/date + duration; duration+duration
	SUB // x y SUB             -- x-y  as ADD, and datetime-datetime or date-date = duration
	MUL // x y MUL             -- x*y  numbers; duration*number
	DIV // x y DIV             -- x/y  numbers (division by zero: empty)
	MOD // x y MOD             -- x%y  numbers (modulo zero: empty)

	CONCAT // x1..xn CONCAT n  -- string  the values formatted and joined (templates)
	CALL   // x1..xn CALL f,n  -- result  stdlib function Funcs[f] on n arguments

	numOps
)

var opNames = [...]string{
	NOP: "NOP", CONST: "CONST", PROP: "PROP", ASSOC: "ASSOC", EVENT: "EVENT", OUTPUT: "OUTPUT",
	REF: "REF", NOW: "NOW", TODAY: "TODAY", POP: "POP", JMP: "JMP", JMPF: "JMPF", ANDJ: "ANDJ",
	ORJ: "ORJ", TOBOOL: "TOBOOL", NOT: "NOT", NEG: "NEG", EQ: "EQ", NE: "NE", LT: "LT", LE: "LE",
	GT: "GT", GE: "GE", EQNUM: "EQNUM", LTNUM: "LTNUM", LENUM: "LENUM", GTNUM: "GTNUM",
	GENUM: "GENUM", EQSTR: "EQSTR", NESTR: "NESTR", INLIST: "INLIST", NOTINLIST: "NOTINLIST",
	IN: "IN", NOTIN: "NOTIN", CONTAINS: "CONTAINS", STARTS: "STARTS", ENDS: "ENDS",
	MATCHES: "MATCHES", ISEMPTY: "ISEMPTY", ISKNOWN: "ISKNOWN", ADD: "ADD", SUB: "SUB",
	MUL: "MUL", DIV: "DIV", MOD: "MOD", CONCAT: "CONCAT", CALL: "CALL",
}

func (op Op) String() string {
	if int(op) < len(opNames) && opNames[op] != "" {
		return opNames[op]
	}
	return "OP?"
}

// StackEffect is the change in stack depth an instruction makes (for the
// compiler's max-depth computation; jumps are counted on the fall-through path).
func StackEffect(i Instr) int {
	switch i.Op() {
	case CONST, PROP, ASSOC, EVENT, OUTPUT, REF, NOW, TODAY:
		return +1
	case POP, JMPF, ANDJ, ORJ: // ANDJ/ORJ pop on fall-through
		return -1
	case EQ, NE, LT, LE, GT, GE, EQNUM, LTNUM, LENUM, GTNUM, GENUM, EQSTR, NESTR,
		IN, NOTIN, CONTAINS, STARTS, ENDS, ADD, SUB, MUL, DIV, MOD:
		return -1
	case CONCAT:
		return 1 - i.Arg()
	case CALL:
		_, n := i.CallArgs()
		return 1 - n
	}
	return 0
}

// Program is everything compiled from a set of files.
type Program struct {
	Version   int
	Types     []*ObjectType // prelude types first, then user types, in declaration order
	Events    []*EventType
	Hooks     []*HookType
	Consts    []value.Value
	Lists     [][]value.Value // constant lists for INLIST / NOTINLIST and step arguments
	Regexps   []string        // patterns for MATCHES (compiled once at load)
	Funcs     []string        // stdlib function names for CALL
	Paths     []AssocPath     // association reads for ASSOC
	Outputs   []OutputPath    // action-output reads for OUTPUT
	Refs      []RecordRef     // named-record reads for REF (tests)
	Code      []Instr
	Exprs     []Expr
	Workflows []*Workflow
	Tests     []*Test
}

// ObjectType is an object type with its properties in slot order.
type ObjectType struct {
	Name   string
	Props  []Prop
	Assocs []Assoc
}

// Prop is a property declaration; its index in the slice is its slot.
type Prop struct {
	Name   string
	Type   value.Type
	Unique bool
}

// Assoc is an association from one object type to another.
type Assoc struct {
	Name   string // the name used in paths, e.g. "company"
	Target int    // index into Program.Types
	Many   bool
}

// EventType is a custom event type.
type EventType struct {
	Name   string
	Object int // index into Program.Types
	Props  []Prop
}

// HookType is an incoming webhook declaration.
type HookType struct {
	Name     string
	Object   int // type matched
	MatchKey int // unique property slot matched on
	MatchVal int // Expr over the body (body paths read via OUTPUT paths rooted at "body")
	Props    []HookProp
}

// HookProp maps the body to one typed property of the hook's occurrence.
type HookProp struct {
	Name string
	Type value.Type
	Expr int
}

// AssocPath is a property read through an association: `company.name`.
type AssocPath struct {
	Assoc int // index into the record type's Assocs
	Type  int // the associated type
	Slot  int // slot in the associated type
}

// OutputPath is a read of an action's output: `hook.body.tier` is
// {Name: "hook", Path: ["body", "tier"]}.
type OutputPath struct {
	Name string
	Path []string
}

// RecordRef is a read of a property of a record named in a test: `c1.score`.
type RecordRef struct {
	Record string // record id
	Type   int
	Slot   int
}

// Expr is one compiled expression: Code[Start:End].
type Expr struct {
	Start, End int
	MaxStack   int
	Type       value.Type // static result type
	Reads      []int      // slots of the record's own properties it reads, sorted
	ReadsAssoc bool       // whether it reads through associations (ASSOC)
	Text       string     // its source text, for explain and disasm
	Line, Col  int
}

// NoExpr marks an absent expression in an int field.
const NoExpr = -1

// Workflow is one compiled workflow.
type Workflow struct {
	Name           string
	File           string
	Line           int
	Hash           string // hex SHA-256 of the workflow's canonical compiled form; changes iff behaviour may
	Object         int    // index into Program.Types
	Triggers       []Trigger
	EnrollExisting bool
	Reenroll       []int // property slots whose change re-enrolls
	ReenrollEvents []int // event types that enroll on every occurrence
	ReenrollHooks  []int // hook types that enroll on every call
	Unenroll       int   // Expr or NoExpr
	Goal           int   // Expr or NoExpr
	Suppress       int   // Expr or NoExpr
	Timezone       string
	Window         *Window
	Steps          []Step
	Entry          int   // index of the first step, -1 if none
	Reads          []int // union of the slots read by triggers, unenroll, goal and suppress, sorted
	Placeholders   int   // number of placeholder steps (a workflow with any cannot be enabled)
}

// TriggerKind says what enrolls a record.
type TriggerKind uint8

const (
	TriggerFilter   TriggerKind = iota // enroll when <expr>
	TriggerEvent                       // enroll when event E [where <expr>]
	TriggerWebhook                     // enroll when webhook W
	TriggerSchedule                    // enroll every …
	TriggerDate                        // enroll on date <expr>
)

var triggerNames = [...]string{"filter", "event", "webhook", "schedule", "date"}

func (k TriggerKind) String() string { return triggerNames[k] }

// Trigger is one `enroll …` clause.
type Trigger struct {
	Kind  TriggerKind
	Expr  int // filter / where / date expression, or NoExpr
	Event int // TriggerEvent: event type index
	Hook  int // TriggerWebhook: hook type index
	// Assoc is, for an event or webhook trigger whose occurrence is on
	// another object type than the workflow's, the index of the
	// association (in the workflow type's Assocs) whose records enroll;
	// -1 when the occurrence's own record enrolls.
	Assoc int
	// TriggerSchedule: days (0=Sunday..6) it fires on, a day of the month
	// (MonthDay > 0 instead of Days), and the time of day in seconds.
	Days     []int
	MonthDay int
	At       int // seconds after midnight; -1 when not given
	Text     string
	Line     int
	Col      int
}

// Window is a `run on` execution window: days (0=Sunday..6) and a time range
// in seconds after midnight, in the workflow's time zone.
type Window struct {
	Days     []int
	From, To int
}

// StepKind says what a step does.
type StepKind uint8

const (
	StepSet StepKind = iota
	StepIncrement
	StepClear
	StepCopy
	StepDelay      // Dur (milliseconds) or Expr (a duration)
	StepDelayUntil // Expr (date/datetime); At seconds after midnight or -1
	StepWaitEvent
	StepWaitUntil
	StepIf
	StepBranch
	StepSplit
	StepAssign
	StepCreateTask
	StepCreate
	StepNotify
	StepSendEmail
	StepWebhook
	StepCode
	StepEnrollIn
	StepPlaceholder
	StepStop
)

var stepNames = [...]string{"set", "increment", "clear", "copy", "delay", "delay until",
	"wait for event", "wait until", "if", "branch", "split", "assign", "create task", "create",
	"notify", "send email", "webhook", "code", "enroll in", "placeholder", "stop"}

func (k StepKind) String() string { return stepNames[k] }

// Step is one entry of a workflow's step table.
type Step struct {
	ID       string
	Kind     StepKind
	Line     int
	Col      int
	Next     int // index of the step that follows, -1 when the enrollment ends
	Suspends bool

	Target  Target   // set, increment, copy (destination), assign, clear (first of Targets)
	Targets []Target // clear
	Expr    int      // set/increment/copy value, delay/wait expression, if/branch subject, …
	At      int      // delay until: time of day in seconds, or -1
	Timeout int      // wait steps: Expr of the limit, or NoExpr (wait as long as it takes)
	Event   int      // wait for event: event type

	Arms []Arm // if: one per condition; branch: one per value list; split: one per percentage
	Else int   // if/branch: where control goes when no arm matches; waits: timeout branch; -1 = Next

	Name  string   // create: object type; code: language; webhook: method; output name (`as`)
	Args  []int    // further expressions: notify (to, message), create (field values), task (title, due), webhook (url, secret, timeout, rate)
	Slots []int    // create: the slots of Args; assign: -
	Strs  []string // strategies, email templates, secrets, sign scheme, code source, workflow names
	List  int      // assign: the Lists index of the candidates, or -1

	As      string // webhook, code, create: the output name given with `as`, or ""
	Outputs []Prop // code: the declared outputs (`outputs (tier: string)`), in order
}

// Target is a property written by a step: a slot of the enrolled record, or
// through an association (Assoc >= 0: index into the record type's Assocs).
type Target struct {
	Assoc int
	Type  int
	Slot  int
}

// Arm is one branch of an if, branch or split step.
type Arm struct {
	Expr    int   // if: condition
	Values  []int // branch: Consts indexes that select this arm
	Percent float64
	Next    int // first step of the arm's block; the step after the branch when the block is empty
}

// Test is a compiled `test` block.
type Test struct {
	Name  string
	File  string
	Line  int
	Stmts []TestStmt
}

// TestStmtKind says what a test statement does.
type TestStmtKind uint8

const (
	TestAt TestStmtKind = iota
	TestAdvance
	TestUpsert
	TestDelete
	TestEvent
	TestAssociate
	TestHook
	TestEnroll
	TestExpect           // Expr must be true
	TestExpectEnrollment // Name: state; Workflow; Step
	TestExpectWebhook
	TestExpectEmail
	TestExpectCreated
	TestEnable // Workflow: enable it (the test starts it disabled)
)

// TestStmt is one statement of a test block.
type TestStmt struct {
	Kind     TestStmtKind
	Line     int
	Col      int
	Text     string
	Time     int64 // TestAt: Unix ms; TestAdvance: ms
	Type     int   // object type (upsert, delete, associate, created)
	Record   string
	Fields   []Field // upsert / event / hook values (constant)
	Event    int
	Hook     int
	ToType   int
	To       string
	Label    string
	Workflow string
	State    string // enrolled, converted, unenrolled, completed
	Not      bool
	Step     string
	Expr     int // TestExpect condition; TestExpectCreated where-filter (over Type); NoExpr
	Count    int // -1 when not given
	Str      string
}

// Field is a constant property value in a test statement.
type Field struct {
	Name  string
	Slot  int
	Value value.Value
}
