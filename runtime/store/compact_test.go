package store

import (
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The bbolt store's own tests: its schema versions and migrations. What
// every Store must do is in package storetest (see store_test.go).

func open(t *testing.T, dir string) *Bolt {
	t.Helper()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSchemaVersion(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	s.Close()
	s = open(t, dir) // again: nothing to migrate
	defer s.Close()
	if v, err := s.Schema(); err != nil || v != SchemaVersion {
		t.Errorf("schema = %d, %v; want %d", v, err, SchemaVersion)
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	if err := s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bMeta).Put([]byte("schema"), u64(SchemaVersion+1)) }); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(dir); err == nil {
		t.Fatal("Open of a newer schema succeeded")
	}
}

// TestMigrateFromSchema1 writes action log entries the way schema 1 did
// (no time index), opens the database, and compacts: the entries are
// indexed at the time of the migration, so retention keeps them longer,
// never less, and then deletes them from both logs.
func TestMigrateFromSchema1(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bEvents, bLogTime} {
			if err := tx.DeleteBucket(b); err != nil {
				return err
			}
		}
		log, byRec := tx.Bucket(bLog), tx.Bucket(bLogRecord)
		for seq := uint64(1); seq <= 3; seq++ {
			if err := log.Put(append([]byte("w\x00"), u64(seq)...), join([]byte("contact/c1"), []byte("old"))); err != nil {
				return err
			}
			if err := byRec.Put(append([]byte("contact/c1\x00"), u64(seq)...), []byte("w")); err != nil {
				return err
			}
		}
		if _, err := log.NextSequence(); err != nil {
			return err
		}
		return tx.Bucket(bMeta).Put([]byte("schema"), u64(1))
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	before := time.Now()
	s = open(t, dir)
	defer s.Close()
	if v, _ := s.Schema(); v != SchemaVersion {
		t.Fatalf("schema = %d after migration, want %d", v, SchemaVersion)
	}
	if log, _ := s.Log("w", 0, 10); len(log) != 3 || string(log[2].Data) != "old" || log[2].Record != "contact/c1" {
		t.Fatalf("log after migration = %+v", log)
	}
	if got, err := s.Compact(before.Add(-time.Hour), time.Time{}); err != nil || got.Log != 0 {
		t.Fatalf("compacting before the migration deleted %+v, %v; want none", got, err)
	}
	if got, err := s.Compact(time.Now().Add(time.Hour), time.Time{}); err != nil || got.Log != 3 {
		t.Fatalf("compacting after the migration deleted %+v, %v; want 3", got, err)
	}
	log, _ := s.Log("w", 0, 10)
	rlog, _ := s.RecordLog("contact", "c1", 10)
	if len(log)+len(rlog) != 0 {
		t.Fatalf("after compaction: log %+v, record log %+v", log, rlog)
	}
}
