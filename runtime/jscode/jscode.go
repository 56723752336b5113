// Package jscode runs the JavaScript of `code js` steps on goja, a
// JavaScript engine written in Go.
//
// The script is the body of a function: it reads `record` (the enrolled
// record's properties as an object) and `secrets` (only the secrets the
// step declares, by name), may call console.log/info/warn/error, and
// returns an object whose fields are the step's outputs.
//
// # Sandbox and limits
//
//   - No file, network, process or module access: goja provides only the
//     ECMAScript standard library, and the runtime is given nothing else
//     (no require, no fetch, no timers).
//   - Time: a watchdog calls goja's Interrupt when the limit passes
//     (DefaultTimeout, 20 s, or the step's timeout), so an endless loop
//     stops with an error there; each run has its own goja runtime, so a
//     stopped script cannot harm other runs.
//   - Memory: goja has no heap limit, so the bound is indirect and not
//     exact: the source is capped (MaxSource), the call stack depth is
//     capped (MaxCallStack, so runaway recursion fails fast), the returned
//     outputs are capped once encoded as JSON (MaxOutput) and so is console
//     output (MaxLog). A script that builds one huge string or array inside
//     the time limit can still allocate a lot before it is interrupted;
//     a host that needs a hard bound runs code steps in a separate process
//     with an OS memory limit.
//   - Secrets are given only to the script; every console line and error
//     message has the secrets' values replaced by "[secret]".
package jscode

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dop251/goja"
)

// Defaults of Runner.
const (
	DefaultTimeout      = 20 * time.Second
	DefaultMaxSource    = 64 << 10
	DefaultMaxOutput    = 64 << 10
	DefaultMaxLog       = 16 << 10
	DefaultMaxCallStack = 512
)

// ErrTimeout is wrapped by the error of a script stopped at its limit.
var ErrTimeout = errors.New("time limit exceeded")

// Runner runs scripts. The zero value uses the defaults.
type Runner struct {
	Timeout      time.Duration
	MaxSource    int
	MaxOutput    int
	MaxLog       int
	MaxCallStack int
}

// Result is what a script produced.
type Result struct {
	Outputs map[string]any // JSON values (numbers are float64)
	Logs    []string
}

// Run runs src with record and secrets. timeout, if positive, replaces
// the runner's limit.
func (r Runner) Run(ctx context.Context, src string, record map[string]any, secrets map[string]string, timeout time.Duration) (res Result, err error) {
	if timeout <= 0 {
		timeout = r.Timeout
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	maxSrc, maxOut, maxLog, maxStack := pick(r.MaxSource, DefaultMaxSource), pick(r.MaxOutput, DefaultMaxOutput), pick(r.MaxLog, DefaultMaxLog), pick(r.MaxCallStack, DefaultMaxCallStack)
	defer func() {
		if err != nil {
			err = errors.New(redact(err.Error(), secrets))
			if strings.Contains(err.Error(), ErrTimeout.Error()) {
				err = fmt.Errorf("%w after %s", ErrTimeout, timeout)
			}
		}
	}()
	if len(src) > maxSrc {
		return res, fmt.Errorf("source is %d bytes, more than the limit of %d", len(src), maxSrc)
	}
	vm := goja.New()
	vm.SetMaxCallStackSize(maxStack)
	logged := 0
	logf := func(level string) func(goja.FunctionCall) goja.Value {
		return func(c goja.FunctionCall) goja.Value {
			parts := make([]string, len(c.Arguments))
			for i, a := range c.Arguments {
				parts[i] = a.String()
			}
			line := redact(strings.Join(parts, " "), secrets)
			if level != "log" {
				line = level + ": " + line
			}
			if logged+len(line) > maxLog {
				if logged <= maxLog {
					res.Logs = append(res.Logs, "(console output truncated)")
					logged = maxLog + 1
				}
				return goja.Undefined()
			}
			logged += len(line)
			res.Logs = append(res.Logs, line)
			return goja.Undefined()
		}
	}
	console := vm.NewObject()
	for _, l := range []string{"log", "info", "warn", "error", "debug"} {
		if err := console.Set(l, logf(l)); err != nil {
			return res, err
		}
	}
	if record == nil {
		record = map[string]any{}
	}
	sec := map[string]any{}
	for k, v := range secrets {
		sec[k] = v
	}
	for name, v := range map[string]any{"console": console, "record": record, "secrets": sec} {
		if err := vm.Set(name, v); err != nil {
			return res, err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			vm.Interrupt(ErrTimeout)
		case <-done:
		}
	}()
	v, err := vm.RunString("(function(){\n" + src + "\n})()")
	if err != nil {
		var ie *goja.InterruptedError
		if errors.As(err, &ie) {
			return res, ErrTimeout
		}
		var so *goja.StackOverflowError
		if errors.As(err, &so) {
			return res, fmt.Errorf("call stack deeper than %d calls", maxStack)
		}
		var ex *goja.Exception
		if errors.As(err, &ex) {
			return res, fmt.Errorf("uncaught %s", ex.Value().String())
		}
		return res, err
	}
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return res, nil
	}
	data, err := json.Marshal(v.Export())
	if err != nil {
		return res, fmt.Errorf("the returned value is not JSON: %v", err)
	}
	if len(data) > maxOut {
		return res, fmt.Errorf("the returned outputs are %d bytes as JSON, more than the limit of %d", len(data), maxOut)
	}
	var out any
	if err := json.Unmarshal(data, &out); err != nil {
		return res, err
	}
	m, ok := out.(map[string]any)
	if !ok {
		return res, fmt.Errorf("the script must return an object of outputs, not %s", string(data[:min(len(data), 40)]))
	}
	res.Outputs = m
	return res, nil
}

func pick(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// redact replaces every secret value in s.
func redact(s string, secrets map[string]string) string {
	for _, v := range secrets {
		if len(v) >= 3 {
			s = strings.ReplaceAll(s, v, "[secret]")
		}
	}
	return s
}
