package lsp

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"go.lsp.dev/protocol"
)

// client drives a server over a pipe exactly as an editor does: JSON-RPC
// 2.0 messages framed with Content-Length headers.
type client struct {
	t      testing.TB
	w      io.WriteCloser
	mu     sync.Mutex
	nextID int
	resps  map[int]chan rpcMessage
	notes  chan rpcMessage
	done   chan error // Serve's result
}

type rpcMessage struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      *int            `json:"id,omitempty"`
	Method  string          `json:"method,omitempty"`
	Params  json.RawMessage `json:"params,omitempty"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

type pipeRWC struct {
	io.Reader
	io.Writer
	closers []io.Closer
}

func (p pipeRWC) Close() error {
	for _, c := range p.closers {
		c.Close()
	}
	return nil
}

func startServer(t testing.TB, opts Options) *client {
	c2sR, c2sW := io.Pipe()
	s2cR, s2cW := io.Pipe()
	c := &client{t: t, w: c2sW, resps: map[int]chan rpcMessage{}, notes: make(chan rpcMessage, 1024), done: make(chan error, 1)}
	go func() {
		c.done <- Serve(context.Background(), pipeRWC{c2sR, s2cW, []io.Closer{c2sR, s2cW}}, opts)
	}()
	go c.readLoop(bufio.NewReader(s2cR))
	return c
}

func (c *client) readLoop(r *bufio.Reader) {
	for {
		n := -1
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				close(c.notes)
				return
			}
			line = strings.TrimSpace(line)
			if line == "" {
				break
			}
			if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
				n, _ = strconv.Atoi(v)
			}
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(r, body); err != nil {
			close(c.notes)
			return
		}
		var m rpcMessage
		if err := json.Unmarshal(body, &m); err != nil {
			panic(fmt.Sprintf("bad message from server: %v: %s", err, body))
		}
		if m.Method != "" {
			c.notes <- m
			continue
		}
		c.mu.Lock()
		ch := c.resps[*m.ID]
		c.mu.Unlock()
		ch <- m
	}
}

func (c *client) send(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	if _, err := fmt.Fprintf(c.w, "Content-Length: %d\r\n\r\n%s", len(b), b); err != nil {
		c.t.Fatal(err)
	}
}

// call sends a request and decodes its result into result.
func (c *client) call(method string, params, result any) {
	c.t.Helper()
	c.mu.Lock()
	c.nextID++
	id := c.nextID
	ch := make(chan rpcMessage, 1)
	c.resps[id] = ch
	c.mu.Unlock()
	c.send(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params})
	select {
	case m := <-ch:
		if m.Error != nil {
			c.t.Fatalf("%s: error %d: %s", method, m.Error.Code, m.Error.Message)
		}
		if result != nil {
			if err := json.Unmarshal(m.Result, result); err != nil {
				c.t.Fatalf("%s: decoding %s: %v", method, m.Result, err)
			}
		}
	case <-time.After(10 * time.Second):
		c.t.Fatalf("%s: no response", method)
	}
}

func (c *client) notify(method string, params any) {
	msg := map[string]any{"jsonrpc": "2.0", "method": method}
	if params != nil {
		msg["params"] = params
	}
	c.send(msg)
}

// wireDiagnostic is a published diagnostic as it is on the wire.
type wireDiagnostic struct {
	Range    wireRange `json:"range"`
	Severity int       `json:"severity"`
	Code     string    `json:"code"`
	Message  string    `json:"message"`
}

type wirePos struct {
	Line      int `json:"line"`
	Character int `json:"character"`
}

type wireRange struct {
	Start wirePos `json:"start"`
	End   wirePos `json:"end"`
}

// diagnostics waits for the next publication for uri.
func (c *client) diagnostics(uri string) []wireDiagnostic {
	c.t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case m, ok := <-c.notes:
			if !ok {
				c.t.Fatal("connection closed")
			}
			if m.Method != "textDocument/publishDiagnostics" {
				continue
			}
			var p struct {
				URI         string           `json:"uri"`
				Diagnostics []wireDiagnostic `json:"diagnostics"`
			}
			if err := json.Unmarshal(m.Params, &p); err != nil {
				c.t.Fatal(err)
			}
			if p.URI == uri {
				return p.Diagnostics
			}
		case <-timeout:
			c.t.Fatalf("no diagnostics for %s", uri)
		}
	}
}

// posOf returns the LSP position of the n-th (0-based) occurrence of sub
// in src, plus within characters into it; it counts UTF-16 units itself,
// independently of lineIndex.
func posOf(t testing.TB, src, sub string, n, within int) wirePos {
	t.Helper()
	off := -1
	for i := 0; i <= n; i++ {
		j := strings.Index(src[off+1:], sub)
		if j < 0 {
			t.Fatalf("%q occurs fewer than %d times", sub, n+1)
		}
		off += 1 + j
	}
	return posAt(src, off+within)
}

// posAt is the LSP position of byte offset off in src.
func posAt(src string, off int) wirePos {
	line := strings.Count(src[:off], "\n")
	lineStart := strings.LastIndexByte(src[:off], '\n') + 1
	return wirePos{Line: line, Character: len(utf16.Encode([]rune(src[lineStart:off])))}
}

func protocolURI(s string) protocol.DocumentURI { return protocol.DocumentURI(s) }

// offsetAt is the byte offset of an LSP position in src.
func offsetAt(src string, p wirePos) int {
	off := 0
	for range p.Line {
		off += strings.IndexByte(src[off:], '\n') + 1
	}
	units := 0
	for i, r := range src[off:] {
		if units >= p.Character || r == '\n' {
			return off + i
		}
		units += len(utf16.Encode([]rune{r}))
	}
	return len(src)
}
