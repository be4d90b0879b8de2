package pprofhttp_test

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/internal/pprofhttp"
)

func TestServesTheProcessProfiles(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close() // free again for Serve, which listens itself

	pprofhttp.Serve(addr, slog.New(slog.DiscardHandler))

	var body string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get("http://" + addr + "/debug/pprof/cmdline")
		if err != nil {
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("cmdline: %s", resp.Status)
		}
		body = string(b)
		break
	}
	if !strings.Contains(body, filepath.Base(os.Args[0])) {
		t.Fatalf("cmdline = %q, want this test binary's command line", body)
	}
}
