//go:build linux

package sqlitemem

import (
	"testing"

	"golang.org/x/sys/unix"
	"modernc.org/libc"
)

// TestFreedBlockKeepsItsPage checks what Pin is for: after SQLite frees a
// small block, the page it came from is still mapped, so the next malloc of
// that size maps nothing.
func TestFreedBlockKeepsItsPage(t *testing.T) {
	Pin()
	Pin() // once only
	if want := pagesPerClass * (maxClass - minClass + 1); len(pinned) != want {
		t.Fatalf("%d blocks pinned, want %d: %d pages of each size class", len(pinned), want, pagesPerClass)
	}
	tls := libc.NewTLS()
	defer tls.Close()
	for _, size := range []int{24, 1000, 1032, 4096, 16 << 10} {
		p := libc.Xmalloc(tls, libc.Tsize_t(size))
		if p == 0 {
			t.Fatalf("malloc(%d) failed", size)
		}
		libc.Xfree(tls, p)
		if !mapped(p) {
			t.Errorf("malloc(%d) then free: its page at %#x was unmapped", size, p&^0xffff)
		}
	}
}

// TestBurstKeepsItsPages checks the pages beyond the first: a statement
// journal holds dozens of 2 KiB blocks at once (SQLite's 1 KiB chunks with
// their headers) until its transaction ends. After they are freed, every
// page they came from is still mapped.
func TestBurstKeepsItsPages(t *testing.T) {
	Pin()
	tls := libc.NewTLS()
	defer tls.Close()
	const size = 1032         // a journal chunk: 2 KiB class
	n := 3 * (1 << 16) / 2048 // blocks of three pages, with the pinned ones
	blocks := make([]uintptr, n)
	pages := map[uintptr]bool{}
	for i := range blocks {
		if blocks[i] = libc.Xmalloc(tls, size); blocks[i] == 0 {
			t.Fatal("malloc failed")
		}
		pages[pageOf(blocks[i])] = true
	}
	if len(pages) < 2 {
		t.Fatalf("%d blocks came from %d page(s): the test needs a burst larger than a page", n, len(pages))
	}
	for _, b := range blocks {
		libc.Xfree(tls, b)
	}
	for _, b := range blocks {
		if !mapped(b) {
			t.Fatalf("a burst of %d blocks over %d pages, then freed: the page at %#x was unmapped", n, len(pages), pageOf(b))
		}
	}
}

// mapped reports whether the page holding p is mapped: msync fails with
// ENOMEM on an address that is not.
func mapped(p uintptr) bool {
	page := p &^ (uintptr(unix.Getpagesize()) - 1)
	_, _, errno := unix.Syscall(unix.SYS_MSYNC, page, uintptr(unix.Getpagesize()), unix.MS_ASYNC)
	return errno == 0
}
