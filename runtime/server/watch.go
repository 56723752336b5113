package server

import (
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/wflang/wf/compiler"
)

// Debounce is how long the watcher waits after the last file event before
// it compiles: an editor's save is often several events (write a temporary
// file, rename it over the old one).
const Debounce = 100 * time.Millisecond

// Watch watches dir and every directory below it, and after each burst of
// changes to .wf files (debounced) compiles everything below dir and
// reloads the node: the new program when it compiles, else the
// diagnostics, keeping the running version. Editors that save by writing
// a new file and renaming it over the old one are seen as a create. It
// returns when stop is closed.
func (n *Node) Watch(dir string, stop <-chan struct{}) error {
	return WatchDir(dir, stop, n.done, n.log, func() { n.ReloadDir(dir) })
}

// WatchDir watches dir and every directory below it and calls changed
// after each burst of changes to .wf files (debounced), until stop or
// done is closed.
func WatchDir(dir string, stop, done <-chan struct{}, log *slog.Logger, changed func()) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	defer w.Close()
	addTree := func(root string) {
		_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				if err := w.Add(path); err != nil {
					log.Warn("watch", "dir", path, "err", err)
				}
			}
			return nil
		})
	}
	addTree(dir)
	debounce := time.NewTimer(time.Hour)
	debounce.Stop()
	for {
		select {
		case <-stop:
			return nil
		case <-done:
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if ev.Has(fsnotify.Create) {
				if fi, err := os.Stat(ev.Name); err == nil && fi.IsDir() {
					addTree(ev.Name)
					debounce.Reset(Debounce)
					continue
				}
			}
			if strings.HasSuffix(ev.Name, ".wf") || ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
				debounce.Reset(Debounce)
			}
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			log.Warn("watch", "err", err)
		case <-debounce.C:
			changed()
		}
	}
}

// ReloadDir compiles every .wf file below dir and reloads the node with
// the result.
func (n *Node) ReloadDir(dir string) {
	start := time.Now()
	prog, diags, err := compiler.CompileFiles(dir + "/...")
	if err != nil {
		n.log.Error("reload: reading the sources", "err", err)
		return
	}
	if prog == nil {
		for _, d := range diags {
			n.log.Error("reload: keeping the running version", "diagnostic", d.String())
		}
	}
	if err := n.Reload(prog, diags); err != nil {
		n.log.Error("reload failed", "err", err)
		return
	}
	n.log.Info("reload: new version live", "since_compile_start", time.Since(start))
}
