package dashboard

import (
	"time"

	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/runtime/engine"
)

// Source is what the pages read: a running node (runtime/server
// implements it over its store and engine, and runtime/cluster over the
// whole database and its partitions' engines). Every method may be
// called from several requests at once.
type Source interface {
	// Now is the node's clock.
	Now() time.Time
	// Overview lists the running version's workflows and the outcome of
	// the last reload.
	Overview() Overview
	// Workflow describes one workflow of the running version; ok is false
	// when there is none of that name.
	Workflow(name string) (w WorkflowView, ok bool, err error)
	// Record describes one stored record; ok is false when there is none.
	Record(typ, id string) (r RecordView, ok bool, err error)
	// Deliveries lists the outgoing webhook deliveries in progress and
	// the recent results.
	Deliveries() (DeliveriesView, error)
	// Types are the object types of the running version, for the record
	// lookup form.
	Types() []string
}

// ClusterSource is the Source of a node of a cluster (runtime/cluster):
// the dashboard then has a Cluster page.
type ClusterSource interface {
	Source
	Cluster() (ClusterView, error)
}

// ClusterView is the Cluster page: the nodes and their partitions, as
// the database's lease table says.
type ClusterView struct {
	Node       string // this node's name
	Version    int64  // the sequence number of the version the node runs
	Partitions int    // how many partitions records fall into
	Owned      []int  // this node's partitions
	Unowned    int    // partitions no node holds now (free, or the lease expired)
	Inbox      int64  // changes accepted and not yet applied, on all partitions
	Nodes      []ClusterNode
}

// ClusterNode is one node of a cluster.
type ClusterNode struct {
	ID         string
	Addr       string // where its API listens, as it was started
	Heartbeat  time.Time
	Live       bool // its last heartbeat is within a lease's lifetime
	Partitions int  // the partitions it holds
	Self       bool // the node serving this page
}

// Overview is the workflows page.
type Overview struct {
	Loaded time.Time // when the running version was loaded
	// ReloadFailed says the last reload failed and the running version
	// was kept; Diagnostics are that reload's (or a good reload's
	// warnings).
	ReloadFailed bool
	Diagnostics  []Diagnostic
	Workflows    []WorkflowInfo
	// Left counts in-flight enrollments whose step is in no loaded
	// version, OnOld the records finishing on an old version.
	Left, OnOld int
}

// WorkflowInfo is one workflow of the running version.
type WorkflowInfo struct {
	Name    string
	Object  string
	File    string
	Version string // the content hash
	Status  string // "enabled" or "disabled"
	Current int    // enrollments running or waiting
}

// Diagnostic is a compiler diagnostic.
type Diagnostic struct {
	File      string
	Line, Col int
	Severity  string // "error", "warning"
	Code      string
	Message   string
	Hint      string
}

// Totals count a workflow's enrollments, ended and current.
type Totals struct {
	Enrolled   int // every enrollment
	Current    int // running or waiting now
	Completed  int // ran off the last step or hit stop
	Converted  int // met the goal
	Unenrolled int // unenroll or suppress clause, or the record was deleted
	Failed     int
}

// WorkflowView is the page of one workflow.
type WorkflowView struct {
	Info     WorkflowInfo
	Loaded   time.Time
	Program  *bytecode.Program
	Workflow *bytecode.Workflow
	// AtStep counts the current enrollments by step id; Elsewhere those
	// at steps this version does not have (finishing on an old one).
	AtStep    map[string]int
	Elsewhere int
	Totals    Totals
	// Enrollments are current enrollments, by record, up to a limit;
	// More counts those left out.
	Enrollments []Enrollment
	More        int
	Diagnostics []Diagnostic // of the workflow's file in a failed reload
}

// Enrollment is one stored enrollment.
type Enrollment struct {
	Seq        uint64
	Workflow   string
	Type, ID   string
	Version    string
	Status     string
	Step       string
	Started    time.Time
	Ended      time.Time
	Due        time.Time // the pending timer: the end of a delay, the next webhook attempt
	Delivering bool      // a webhook attempt or a code run has no answer yet
	Attempt    int       // webhook attempts made at Step
	First      time.Time // the first of them
	History    []engine.HistoryEvent
}

// RecordView is the page of one record.
type RecordView struct {
	Type, ID    string
	Props       []Prop
	Links       []Link
	Enrollments []Enrollment
	Log         []LogEntry
	// Explanations say, for each workflow on the record's type, why the
	// record was or was not enrolled (as wf explain does).
	Explanations []engine.Explanation
	ExplainError string
	// ExplainNote, when set, says why there are no explanations here
	// (on a cluster: another node's engine holds the record).
	ExplainNote string
}

// Prop is a property value.
type Prop struct{ Name, Value string }

// Link is an associated record.
type Link struct{ Type, ID string }

// LogEntry is an action log entry with its workflow.
type LogEntry struct {
	Seq      uint64
	Workflow string
	engine.LogEntry
}

// DeliveriesView is the webhook deliveries page.
type DeliveriesView struct {
	InFlight []Delivery // an attempt is out, no answer yet
	Retrying []Delivery // waiting for the next attempt (Next)
	// Failed and Delivered are finished deliveries, newest first, up to
	// a limit; FailedTotal and DeliveredTotal count them all since the
	// node started reading the action log.
	Failed         []Delivery
	Delivered      []Delivery
	FailedTotal    int
	DeliveredTotal int
}

// Delivery is one webhook delivery: an enrollment at a webhook step.
type Delivery struct {
	Workflow string
	Record   string // "type/id"
	Step     string
	Attempt  int
	First    time.Time // the first attempt
	At       time.Time // the last event
	Next     time.Time // the next attempt, when retrying
	Status   int       // the last HTTP status, 0 when none came
	Reason   string
}
