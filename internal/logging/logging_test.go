package logging_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/hookflow/hookflow/internal/logging"
)

func TestHandlerAddsTheRequestID(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(logging.Handler{Handler: slog.NewJSONHandler(&buf, nil)}).With("component", "api")
	ctx := logging.WithRequestID(context.Background(), "req-1")
	log.InfoContext(ctx, "with")
	log.Info("without")
	dec := json.NewDecoder(&buf)
	var with, without map[string]any
	if err := dec.Decode(&with); err != nil {
		t.Fatal(err)
	}
	if err := dec.Decode(&without); err != nil {
		t.Fatal(err)
	}
	if with["request_id"] != "req-1" || with["component"] != "api" {
		t.Errorf("line with a request context = %v", with)
	}
	if _, ok := without["request_id"]; ok {
		t.Errorf("line without a request context = %v", without)
	}
}
