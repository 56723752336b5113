// Package lsp is wf's language server: `wf lsp` speaks the Language Server
// Protocol over stdio to an editor, with diagnostics as the user types,
// hover, completion, go to definition, find references, document symbols,
// formatting (package format's canonical layout), semantic tokens and
// quick fixes for misspelt names.
//
// A program is every .wf file of one folder, compiled together (so names
// resolve across files): open documents from the editor's buffers, the
// others from disk. A change re-parses only the declarations it touched
// (reparse.go) and then re-checks the program; the features work from the
// syntax trees of the declarations that parse (index.go, which resolves
// names as the compiler does) and, where a declaration is being written
// and does not parse, from its tokens (context.go), so hover and
// completion keep working while the user types. Positions are converted
// between wf's and LSP's in one place (position.go).
//
// The prelude (object types contact, company, deal, ticket) has no file in
// the user's folder. Go to definition on a prelude property returns a
// location in a copy of the prelude that the server writes once to its
// cache directory (Options.CacheDir); the server treats that file as the
// prelude, read-only, if the editor opens it.
//
// Protocol types come from go.lsp.dev/protocol and JSON-RPC 2.0 with LSP's
// Content-Length framing from go.lsp.dev/jsonrpc2, its companion: together
// the most complete typed LSP model on the module proxy (semantic tokens,
// code actions and the 3.16 types), maintained as a pair. The newer
// jsonrpc2 v1 changed its API and no protocol release builds with it;
// github.com/tliron/glsp is not on the proxy; sourcegraph/go-lsp has no
// release and predates semantic tokens. Where a v0.12.0 type is incomplete
// (the semantic tokens options, a content change's optional range) this
// package declares the wire shape itself.
//
// This package is not a compiler: it calls package compiler for
// diagnostics and never lowers or runs anything.
package lsp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"

	"github.com/wflang/wf/lang/parser"
	"github.com/wflang/wf/stdlib"
)

// Options configure a server.
type Options struct {
	// CacheDir is where the server writes its copy of the prelude; empty
	// means the user's cache directory (os.UserCacheDir()/wf).
	CacheDir string
	// Log receives a line per problem the server cannot report to the
	// client; nil discards them.
	Log io.Writer
}

// Serve runs a server over rwc (stdin and stdout for `wf lsp`) until the
// client sends exit or the stream ends. It returns nil after a shutdown
// request and an exit notification, as the protocol asks for exit code 0.
func Serve(ctx context.Context, rwc io.ReadWriteCloser, opts Options) error {
	s := newServer(opts)
	conn := jsonrpc2.NewConn(jsonrpc2.NewStream(rwc))
	s.conn = conn
	conn.Go(ctx, s.handle)
	select {
	case <-conn.Done():
	case <-ctx.Done():
		conn.Close()
		<-conn.Done()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.exited && s.shutdown {
		return nil
	}
	if s.exited {
		return errors.New("exit without shutdown")
	}
	if err := conn.Err(); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return errors.New("the client closed the connection without exit")
}

// server is the state of one session.
type server struct {
	opts Options
	conn jsonrpc2.Conn

	mu       sync.Mutex
	progs    map[string]*program // by folder
	prelude  *file
	shutdown bool
	exited   bool
}

func newServer(opts Options) *server {
	s := &server{opts: opts, progs: map[string]*program{}}
	f, _ := parser.ParseFile(stdlib.PreludeFile, stdlib.Prelude)
	s.prelude = &file{name: stdlib.PreludeFile, src: stdlib.Prelude, lines: newLineIndex(stdlib.Prelude), ast: f}
	return s
}

func (s *server) logf(format string, args ...any) {
	if s.opts.Log != nil {
		fmt.Fprintf(s.opts.Log, "wf lsp: "+format+"\n", args...)
	}
}

// handle is the jsonrpc2 handler. The connection calls it for one message
// at a time, in order, so changes apply in the order the client sent them.
func (s *server) handle(ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	method := req.Method()
	if s.shutdown && method != protocol.MethodExit {
		return reply(ctx, nil, fmt.Errorf("%w: the server is shutting down", jsonrpc2.ErrInvalidRequest))
	}
	h, ok := handlers[method]
	if !ok {
		return jsonrpc2.MethodNotFoundHandler(ctx, reply, req)
	}
	result, err := h(s, ctx, req.Params())
	if method == protocol.MethodExit {
		s.exited = true
		if rerr := reply(ctx, nil, nil); rerr != nil {
			return rerr
		}
		return s.conn.Close()
	}
	return reply(ctx, result, err)
}

type handlerFunc func(s *server, ctx context.Context, params json.RawMessage) (any, error)

// on adapts a typed handler.
func on[P any](f func(s *server, ctx context.Context, p *P) (any, error)) handlerFunc {
	return func(s *server, ctx context.Context, raw json.RawMessage) (any, error) {
		p := new(P)
		if len(raw) > 0 {
			if err := json.Unmarshal(raw, p); err != nil {
				return nil, fmt.Errorf("%w: %v", jsonrpc2.ErrInvalidParams, err)
			}
		}
		return f(s, ctx, p)
	}
}

var handlers map[string]handlerFunc

func init() {
	handlers = map[string]handlerFunc{
		protocol.MethodInitialize:                     on((*server).initialize),
		protocol.MethodInitialized:                    func(*server, context.Context, json.RawMessage) (any, error) { return nil, nil },
		protocol.MethodShutdown:                       func(s *server, _ context.Context, _ json.RawMessage) (any, error) { s.shutdown = true; return nil, nil },
		protocol.MethodExit:                           func(*server, context.Context, json.RawMessage) (any, error) { return nil, nil },
		protocol.MethodTextDocumentDidOpen:            on((*server).didOpen),
		protocol.MethodTextDocumentDidChange:          on((*server).didChange),
		protocol.MethodTextDocumentDidClose:           on((*server).didClose),
		protocol.MethodTextDocumentDidSave:            func(*server, context.Context, json.RawMessage) (any, error) { return nil, nil },
		protocol.MethodWorkspaceDidChangeWatchedFiles: on((*server).didChangeWatchedFiles),
		protocol.MethodTextDocumentHover:              on((*server).hover),
		protocol.MethodTextDocumentCompletion:         on((*server).completion),
		protocol.MethodTextDocumentDefinition:         on((*server).definition),
		protocol.MethodTextDocumentReferences:         on((*server).references),
		protocol.MethodTextDocumentDocumentSymbol:     on((*server).documentSymbol),
		protocol.MethodTextDocumentFormatting:         on((*server).formatting),
		protocol.MethodSemanticTokensFull:             on((*server).semanticTokensFull),
		protocol.MethodTextDocumentCodeAction:         on((*server).codeAction),
	}
}

// semanticTokensOptions is the wire shape of the semantic tokens
// capability (protocol v0.12.0's type lacks the legend).
type semanticTokensOptions struct {
	Legend protocol.SemanticTokensLegend `json:"legend"`
	Full   bool                          `json:"full"`
}

func (s *server) initialize(ctx context.Context, p *protocol.InitializeParams) (any, error) {
	var folders []string
	for _, f := range p.WorkspaceFolders {
		folders = append(folders, uriPath(protocol.DocumentURI(f.URI)))
	}
	if len(folders) == 0 && p.RootURI != "" {
		folders = append(folders, uriPath(p.RootURI))
	}
	for _, dir := range folders {
		if dir != "" {
			s.program(dir)
		}
	}
	caps := protocol.ServerCapabilities{
		TextDocumentSync: protocol.TextDocumentSyncOptions{
			OpenClose: true,
			Change:    protocol.TextDocumentSyncKindIncremental,
		},
		HoverProvider:              true,
		CompletionProvider:         &protocol.CompletionOptions{TriggerCharacters: []string{"."}},
		DefinitionProvider:         true,
		ReferencesProvider:         true,
		DocumentSymbolProvider:     true,
		CodeActionProvider:         true,
		SemanticTokensProvider:     semanticTokensOptions{Legend: legend, Full: true},
		DocumentFormattingProvider: true,
	}
	return protocol.InitializeResult{
		Capabilities: caps,
		ServerInfo:   &protocol.ServerInfo{Name: "wf"},
	}, nil
}

// preludeURI returns the URI of the server's copy of the prelude, writing
// it on first use, or "" when it cannot be written.
func (s *server) preludeURI() protocol.DocumentURI {
	if s.prelude.uri != "" {
		return s.prelude.uri
	}
	dir := s.opts.CacheDir
	if dir == "" {
		d, err := os.UserCacheDir()
		if err != nil {
			s.logf("no cache directory for the prelude: %v", err)
			return ""
		}
		dir = filepath.Join(d, "wf")
	}
	name := filepath.Join(dir, "prelude.wf")
	if b, err := os.ReadFile(name); err != nil || string(b) != stdlib.Prelude {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			s.logf("writing the prelude: %v", err)
			return ""
		}
		if err := os.WriteFile(name, []byte(stdlib.Prelude), 0o644); err != nil {
			s.logf("writing the prelude: %v", err)
			return ""
		}
	}
	s.prelude.uri = pathURI(name)
	return s.prelude.uri
}

// fileOf returns the file a URI names, the prelude included, and its
// program (nil for the prelude).
func (s *server) fileOf(uri protocol.DocumentURI) (*file, *program) {
	if s.prelude.uri != "" && uri == s.prelude.uri {
		return s.prelude, nil
	}
	name := uriPath(uri)
	if p, ok := s.progs[programDir(uri)]; ok {
		if f, ok := p.files[name]; ok {
			return f, p
		}
	}
	return nil, nil
}
