package server

import (
	"fmt"
	"sync"

	"github.com/wflang/wf/runtime/engine"
)

// hook is one webhook attempt or code run for a worker.
type hook struct {
	call engine.AsyncCall
}

// hookQueue is an unbounded queue of attempts: the loop adds to it without
// ever blocking, the workers take from it.
type hookQueue struct {
	mu     sync.Mutex
	cond   *sync.Cond
	items  []hook
	closed bool
}

func (q *hookQueue) init() { q.cond = sync.NewCond(&q.mu) }

func (q *hookQueue) put(hs []hook) {
	if len(hs) == 0 {
		return
	}
	q.mu.Lock()
	q.items = append(q.items, hs...)
	q.mu.Unlock()
	q.cond.Broadcast()
}

// take waits for an attempt; false once the queue is closed.
func (q *hookQueue) take() (hook, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.items) == 0 && !q.closed {
		q.cond.Wait()
	}
	if q.closed {
		return hook{}, false
	}
	h := q.items[0]
	q.items[0] = hook{}
	q.items = q.items[1:]
	return h, true
}

func (q *hookQueue) close() {
	if q.cond == nil {
		return
	}
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cond.Broadcast()
}

// startWorkers starts the workers (none without Options.Webhook and
// Options.Code).
func (n *Node) startWorkers() {
	n.hooks.init()
	if n.opts.Webhook == nil && n.opts.Code == nil {
		return
	}
	workers := n.opts.Workers
	if workers <= 0 {
		workers = 8
	}
	for range workers {
		go n.worker()
	}
}

// dispatch hands the attempts and code runs the engines of v started to the workers. The
// loop calls it once the delta that shows them delivering is committed.
func (n *Node) dispatch(v *version) {
	var hs []hook
	for _, c := range v.eng.TakeDeliveries() {
		hs = append(hs, hook{call: c})
	}
	for _, o := range v.olds {
		for _, c := range o.eng.TakeDeliveries() {
			hs = append(hs, hook{call: c})
		}
	}
	n.hooks.put(hs)
}

// worker delivers attempts and runs code, outside the loop, and hands
// each result back to the loop. A result the node can no longer take (it
// stopped) is dropped: the enrollment is still delivering in the store,
// and the next start makes the attempt, or runs the code, again.
func (n *Node) worker() {
	for {
		h, ok := n.hooks.take()
		if !ok {
			return
		}
		var complete func(*engine.Engine) (bool, error)
		var what, workflow, record, step string
		if c := h.call.Webhook; c != nil {
			res := n.opts.Webhook(*c)
			complete = func(e *engine.Engine) (bool, error) { return e.CompleteWebhook(*c, res) }
			what, workflow, record, step = fmt.Sprintf("webhook answer (attempt %d)", c.Attempt), c.Workflow, c.Record, c.Step
		} else if c := h.call.Code; c != nil {
			res := n.opts.Code(*c)
			complete = func(e *engine.Engine) (bool, error) { return e.CompleteCode(*c, res) }
			what, workflow, record, step = "code result", c.Workflow, c.Record, c.Step
		} else {
			continue
		}
		_, err := n.do(1, func(v *version) any {
			n.complete(v, record, complete, func() {
				n.log.Info(what+" dropped: no enrollment is delivering it", "workflow", workflow, "record", record, "step", step)
			})
			return nil
		})
		if err != nil {
			return
		}
	}
}

// complete resumes the enrollment a result is for (record's), on the
// current version or an old one; a result nobody waits for any more is
// dropped.
func (n *Node) complete(v *version, record string, complete func(*engine.Engine) (bool, error), dropped func()) {
	ok, err := complete(v.eng)
	if err != nil {
		n.log.Error("async result", "err", err)
	}
	if ok {
		return
	}
	for _, o := range v.olds {
		if !o.keys[record] {
			continue
		}
		n.refreshOld(v, o)
		ok, err := complete(o.eng)
		if err != nil {
			n.log.Error("async result on an old version", "err", err)
		}
		if ok {
			return
		}
	}
	dropped()
}
