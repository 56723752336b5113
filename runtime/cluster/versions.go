package cluster

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wflang/wf/compiler/bytecode"
)

// Hash is the content hash of a program's encoding.
func Hash(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:12])
}

// Publish makes prog the newest version in the database, unless the
// newest already is the same program, and notifies every node. It
// returns the version's sequence number.
func Publish(ctx context.Context, db DB, prog *bytecode.Program, by string) (int64, error) {
	var buf bytes.Buffer
	if err := bytecode.Encode(&buf, prog); err != nil {
		return 0, err
	}
	hash := Hash(buf.Bytes())
	var seq int64
	err := pgx.BeginFunc(ctx, db.Pool(), func(tx pgx.Tx) error {
		// One publisher at a time, so "newest" is well defined.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7413)`); err != nil {
			return err
		}
		var latest string
		err := tx.QueryRow(ctx, `SELECT seq, hash FROM wf_versions ORDER BY seq DESC LIMIT 1`).Scan(&seq, &latest)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if latest == hash {
			return nil
		}
		if err := tx.QueryRow(ctx, `INSERT INTO wf_versions (hash, program, published_by) VALUES ($1, $2, $3) RETURNING seq`,
			hash, buf.Bytes(), by).Scan(&seq); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `SELECT pg_notify('wf_version', $1)`, strconv.FormatInt(seq, 10))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("cluster: publishing the program: %w", err)
	}
	return seq, nil
}

// Latest returns the newest published version (nil when none).
func Latest(ctx context.Context, db DB) (int64, *bytecode.Program, error) {
	var seq int64
	var data []byte
	err := db.Pool().QueryRow(ctx, `SELECT seq, program FROM wf_versions ORDER BY seq DESC LIMIT 1`).Scan(&seq, &data)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil, nil
	}
	if err != nil {
		return 0, nil, fmt.Errorf("cluster: reading the newest version: %w", err)
	}
	prog, err := bytecode.Decode(bytes.NewReader(data))
	if err != nil {
		return 0, nil, fmt.Errorf("cluster: version %d: %w", seq, err)
	}
	return seq, prog, nil
}

// listen follows wf_version (new versions) and wf_inbox (changes queued
// for a partition) on a connection of its own, reconnecting after a
// failure; after each (re)connection it checks for a version it missed.
func (c *Cluster) listen() {
	defer c.wg.Done()
	for c.ctx.Err() == nil {
		if err := c.listenOnce(); err != nil && c.ctx.Err() == nil {
			c.log.Warn("listening for notifications; reconnecting", "err", err)
			select {
			case <-c.ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
}

func (c *Cluster) listenOnce() error {
	conn, err := c.db.Pool().Acquire(c.ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(c.ctx, `LISTEN wf_version; LISTEN wf_inbox; LISTEN wf_switch`); err != nil {
		return err
	}
	defer conn.Exec(context.Background(), `UNLISTEN *`)
	c.checkVersion()
	c.syncSwitches()
	for {
		n, err := conn.Conn().WaitForNotification(c.ctx)
		if err != nil {
			return err
		}
		switch n.Channel {
		case "wf_inbox":
			p, err := strconv.Atoi(n.Payload)
			if err != nil {
				continue
			}
			c.mu.Lock()
			pt := c.parts[p]
			c.mu.Unlock()
			if pt != nil {
				c.poke()
			}
		case "wf_version":
			c.checkVersion()
		case "wf_switch":
			c.syncSwitches()
		}
	}
}

// checkVersion loads the newest version if it is newer than the running one.
func (c *Cluster) checkVersion() {
	ctx, cancel := context.WithTimeout(c.ctx, 30*time.Second)
	defer cancel()
	seq, prog, err := Latest(ctx, c.db)
	if err != nil {
		c.log.Error("new version", "err", err)
		return
	}
	if prog != nil {
		c.reload(seq, prog)
	}
}
