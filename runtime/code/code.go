// Package code runs the code steps of workflows for the engine: `code js`
// through runtime/jscode, and `code go "name"` through Go functions the
// embedding service registers. Runner.Hook is an engine.Options.Code.
//
// Secrets come from a Secrets lookup (the environment, a secrets file, or
// the service's own store). A step sees only the secrets it declares; their
// values are redacted from console output and errors, and never traced.
package code

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/wflang/wf/runtime/engine"
	"github.com/wflang/wf/runtime/jscode"
)

// Func is a Go function a `code go "name"` step runs: it gets the record's
// properties (JSON values) and returns the step's outputs.
type Func func(ctx context.Context, record map[string]any) (map[string]any, error)

// Secrets looks a secret up by name.
type Secrets func(name string) (string, bool)

// EnvSecrets reads secrets from the environment.
func EnvSecrets() Secrets { return os.LookupEnv }

// FileSecrets reads secrets from a file: a JSON object of strings, or
// NAME=VALUE lines (blank lines and lines starting with # skipped).
func FileSecrets(path string) (Secrets, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	if t := strings.TrimSpace(string(data)); strings.HasPrefix(t, "{") {
		if err := json.Unmarshal(data, &m); err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
	} else {
		sc := bufio.NewScanner(strings.NewReader(string(data)))
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				return nil, fmt.Errorf("%s:%d: want NAME=VALUE", path, n) // the line itself may hold a secret: not shown
			}
			m[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return func(name string) (string, bool) { v, ok := m[name]; return v, ok }, nil
}

// Runner runs code steps. Register Go functions before the engine runs.
type Runner struct {
	JS      jscode.Runner
	Secrets Secrets       // nil: no secrets
	Timeout time.Duration // the limit of Go functions (their context); 0: jscode.DefaultTimeout

	mu    sync.RWMutex
	funcs map[string]Func
}

// Register makes fn the function `code go "name"` runs.
func (r *Runner) Register(name string, fn Func) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.funcs == nil {
		r.funcs = map[string]Func{}
	}
	r.funcs[name] = fn
}

// Hook returns an engine.Options.Code that runs steps with r.
func (r *Runner) Hook() func(engine.CodeCall) engine.CodeResult {
	return func(c engine.CodeCall) engine.CodeResult {
		return r.Run(context.Background(), c)
	}
}

// Run runs one code step.
func (r *Runner) Run(ctx context.Context, c engine.CodeCall) engine.CodeResult {
	switch c.Lang {
	case "js":
		secrets := map[string]string{}
		for _, name := range c.Secrets {
			if r.Secrets == nil {
				return engine.CodeResult{Err: fmt.Errorf("secret %s is not set", name)}
			}
			v, ok := r.Secrets(name)
			if !ok {
				return engine.CodeResult{Err: fmt.Errorf("secret %s is not set", name)}
			}
			secrets[name] = v
		}
		res, err := r.JS.Run(ctx, c.Source, c.Props, secrets, c.Timeout)
		return engine.CodeResult{Outputs: res.Outputs, Logs: res.Logs, Err: err}
	case "go":
		r.mu.RLock()
		fn := r.funcs[c.Source]
		r.mu.RUnlock()
		if fn == nil {
			return engine.CodeResult{Err: fmt.Errorf("no Go function %q is registered", c.Source)}
		}
		limit := c.Timeout
		if limit <= 0 {
			limit = r.Timeout
		}
		if limit <= 0 {
			limit = jscode.DefaultTimeout
		}
		ctx, cancel := context.WithTimeout(ctx, limit)
		defer cancel()
		out, err := fn(ctx, c.Props)
		return engine.CodeResult{Outputs: out, Err: err}
	}
	return engine.CodeResult{Err: fmt.Errorf("unknown code language %q", c.Lang)}
}
