package main

import (
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/internal/config"
)

// hookflow dev starts by printing its links: the API, the Temporal UI and
// how to make a request bin, with the key header only when keys are set.
func TestPrintLinks(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := config.Config{DataDir: ".hookflow", TemporalAddress: "127.0.0.1:7233", TemporalNamespace: "default"}
	var open strings.Builder
	printLinks(&open, logger, cfg, "127.0.0.1:8080", "http://127.0.0.1:8233")
	for _, want := range []string{"API          http://127.0.0.1:8080", "Temporal UI  http://127.0.0.1:8233",
		"request bin  curl -s -X POST http://127.0.0.1:8080/v1/bins\n", "view_url"} {
		if !strings.Contains(open.String(), want) {
			t.Errorf("links lack %q:\n%s", want, open.String())
		}
	}
	cfg.APIKeys = []config.APIKey{{Key: "a-key-of-sixteen-chars"}}
	var keyed strings.Builder
	printLinks(&keyed, logger, cfg, "127.0.0.1:8080", "http://127.0.0.1:8233")
	if want := "/v1/bins -H 'Authorization: Bearer <key>'"; !strings.Contains(keyed.String(), want) || strings.Contains(keyed.String(), "a-key-of") {
		t.Errorf("with keys the bin line must show the header, never the key:\n%s", keyed.String())
	}
}
