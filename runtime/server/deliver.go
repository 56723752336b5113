package server

import (
	"sync"

	"github.com/wflang/wf/runtime/engine"
)

// hook is one webhook attempt for a worker.
type hook struct {
	call engine.WebhookCall
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

// startWorkers starts the delivery workers (none without Options.Webhook).
func (n *Node) startWorkers() {
	n.hooks.init()
	if n.opts.Webhook == nil {
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

// dispatch hands the attempts the engines of v started to the workers. The
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

// worker delivers attempts, outside the loop, and hands each answer back
// to the loop. An answer the node can no longer take (it stopped) is
// dropped: the enrollment is still delivering in the store, and the next
// start makes the attempt again.
func (n *Node) worker() {
	for {
		h, ok := n.hooks.take()
		if !ok {
			return
		}
		res := n.opts.Webhook(h.call)
		_, err := n.do(1, func(v *version) any {
			n.complete(v, h.call, res)
			return nil
		})
		if err != nil {
			return
		}
	}
}

// complete resumes the enrollment an answer is for, on the current version
// or an old one; an answer nobody waits for any more is dropped.
func (n *Node) complete(v *version, call engine.WebhookCall, res engine.WebhookResult) {
	ok, err := v.eng.CompleteWebhook(call, res)
	if err != nil {
		n.log.Error("webhook answer", "err", err)
	}
	if ok {
		return
	}
	for _, o := range v.olds {
		if !o.keys[call.Record] {
			continue
		}
		n.refreshOld(v, o)
		ok, err := o.eng.CompleteWebhook(call, res)
		if err != nil {
			n.log.Error("webhook answer on an old version", "err", err)
		}
		if ok {
			return
		}
	}
	n.log.Info("webhook answer dropped: no enrollment is delivering it", "workflow", call.Workflow, "record", call.Record, "step", call.Step, "attempt", call.Attempt)
}
