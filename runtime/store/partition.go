package store

import "hash/fnv"

// Partitions is the fixed number of partitions the records of a cluster
// are divided into. Several nodes sharing one database each own a set of
// partitions at a time (under leases); every write about a record belongs
// to its partition. Changing the number would move records between
// partitions, so it is part of the database's schema, not a setting.
const Partitions = 64

// Partition is the partition of the record typ/id: FNV-1a of "typ/id"
// modulo Partitions. It is stable across versions, machines and
// processes.
func Partition(typ, id string) int {
	h := fnv.New32a()
	h.Write([]byte(typ))
	h.Write([]byte{'/'})
	h.Write([]byte(id))
	return int(h.Sum32() % Partitions)
}
