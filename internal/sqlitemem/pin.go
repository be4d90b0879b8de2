// Package sqlitemem keeps SQLite's small allocations from mapping and
// unmapping memory at every malloc and free.
//
// Both SQLite engines in a hookflow dev process (Temporal's and hookflow's)
// are modernc.org/sqlite, whose malloc is modernc.org/libc's: blocks up to
// 16 KiB come from 64 KiB pages, one size class per page, and a page goes
// back to the OS (munmap) the moment its last block is freed. SQLite's
// short-lived blocks (a statement's journal inside a transaction, the parts
// of a prepared statement) come and go one at a time, so each malloc mapped
// a page and each free unmapped it again: in a profile of hookflow dev at
// 85 events/s, munmap of such pages took 3 % of all CPU, the mmap beside it
// more (docs/benchmarks.md). Blocks above 16 KiB are mapped one by one
// whatever is done here.
package sqlitemem

import (
	"sync"

	"modernc.org/libc"
)

// Size classes of modernc.org/memory: 1<<4 (16 bytes) to 1<<14 (16 KiB).
const minClass, maxClass = 4, 14

// Pin holds one block of each size class for the life of the process, so
// the class's first page is never unmapped and later blocks reuse its free
// slots; a class maps another page only while the first one is full. It
// costs 11 pages (704 KiB) of address space, touched only as SQLite uses
// them. Safe to call more than once.
var Pin = sync.OnceFunc(func() {
	tls := libc.NewTLS()
	defer tls.Close()
	for class := minClass; class <= maxClass; class++ {
		pinned = append(pinned, libc.Xmalloc(tls, 1<<class))
	}
})

// pinned are the blocks Pin holds (never freed).
var pinned []uintptr
