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

// pagesPerClass is how many pages of each size class Pin keeps mapped. One
// was too few for a statement journal: a transaction that journals eight
// pages of 4 KiB takes 33 blocks of 2 KiB, and a page holds 31, so every
// admission batch still mapped a second page and unmapped it at commit
// (9 % of BenchmarkAdmitEvents' CPU; docs/bench/issue13.md, tenth pass).
const pagesPerClass = 4

// Pin holds one block in each of pagesPerClass pages of every size class
// for the life of the process, so those pages are never unmapped and later
// blocks reuse their free slots; a class maps another page only while they
// are all full. It costs 44 pages (2.75 MiB) of address space, about 2 MiB
// of it touched at once (each free slot's list links). Safe to call more
// than once.
var Pin = sync.OnceFunc(func() {
	tls := libc.NewTLS()
	defer tls.Close()
	for class := minClass; class <= maxClass; class++ {
		// Blocks come from the free slots first, then from new pages in
		// turn: allocate until pagesPerClass pages hold one, keep a block
		// of each page, free the rest.
		var spare []uintptr
		pages := map[uintptr]bool{}
		for len(pages) < pagesPerClass {
			b := libc.Xmalloc(tls, 1<<class)
			if b == 0 {
				break // out of memory: pin what there is
			}
			if pg := pageOf(b); !pages[pg] {
				pages[pg] = true
				pinned = append(pinned, b)
				continue
			}
			spare = append(spare, b)
		}
		for _, b := range spare {
			libc.Xfree(tls, b)
		}
	}
})

// pageOf is the page of modernc.org/memory holding block b: its pages are
// 64 KiB, aligned on their size.
func pageOf(b uintptr) uintptr { return b &^ (1<<16 - 1) }

// pinned are the blocks Pin holds (never freed).
var pinned []uintptr
