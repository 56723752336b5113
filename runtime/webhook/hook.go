package webhook

import (
	"context"
	"net/http"

	"github.com/wflang/wf/runtime/engine"
)

// Hook returns an engine.Options.Webhook that delivers each attempt with
// c and asks the engine, through Policy.Next on the engine's clock
// (call.Now), to retry when the attempt failed and the policy allows.
func (c *Client) Hook() func(engine.WebhookCall) engine.WebhookResult {
	return func(call engine.WebhookCall) engine.WebhookResult {
		r := c.Deliver(context.Background(), Request{
			URL: call.URL, Body: call.Body, Scheme: call.Scheme, Secret: call.Secret,
			ID: call.Key, Attempt: call.Attempt, Timeout: call.Timeout, Rate: call.Rate,
		})
		return c.result(call, r)
	}
}

func (c *Client) result(call engine.WebhookCall, r Response) engine.WebhookResult {
	out := engine.WebhookResult{Status: r.Status, Body: r.Body, Headers: flat(r.Header)}
	if r.Err != nil {
		out.Err = r.Err.Error()
	}
	if at, ok := c.cfg.Policy.Next(call.Attempt, call.First, call.Now, r.Status, r.Err, r.RetryAfter); ok {
		out.Retry = at
	} else if !Final(r.Status, r.Err) && out.Err == "" && (r.Status < 200 || r.Status > 299) {
		out.Err = "retries exhausted"
	} else if !Final(r.Status, r.Err) {
		out.Err += "; retries exhausted"
	}
	return out
}

func flat(h http.Header) map[string]string {
	if h == nil {
		return nil
	}
	m := make(map[string]string, len(h))
	for k, v := range h {
		if len(v) > 0 {
			m[k] = v[0]
		}
	}
	return m
}
