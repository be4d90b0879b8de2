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
	if len(pinned) != maxClass-minClass+1 {
		t.Fatalf("%d blocks pinned, want one per size class (%d)", len(pinned), maxClass-minClass+1)
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

// mapped reports whether the page holding p is mapped: msync fails with
// ENOMEM on an address that is not.
func mapped(p uintptr) bool {
	page := p &^ (uintptr(unix.Getpagesize()) - 1)
	_, _, errno := unix.Syscall(unix.SYS_MSYNC, page, uintptr(unix.Getpagesize()), unix.MS_ASYNC)
	return errno == 0
}
