package devserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"

	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
)

// serverLogger adapts Temporal's logger interface to slog. Temporal logs a lot
// at Info (every shard, task queue and membership change), so only Warn and
// above are passed on.
//
// It goes quiet once muted: on shutdown Temporal's internal clients log dial
// errors, and some keep retrying after Stop (they are never closed upstream).
// Muting keeps that noise out, and keeps a logger that writes to a
// testing.T from being called after its test.
type serverLogger struct {
	l     *slog.Logger
	muted *atomic.Bool
}

var _ log.Logger = serverLogger{}

func (serverLogger) Debug(string, ...tag.Tag) {}
func (serverLogger) Info(string, ...tag.Tag)  {}

func (s serverLogger) Warn(msg string, tags ...tag.Tag)   { s.log(slog.LevelWarn, msg, tags) }
func (s serverLogger) Error(msg string, tags ...tag.Tag)  { s.log(slog.LevelError, msg, tags) }
func (s serverLogger) DPanic(msg string, tags ...tag.Tag) { s.log(slog.LevelError, msg, tags) }

// Panic and Fatal panic instead of exiting (Temporal's zap logger would call
// os.Exit on Fatal). Temporal calls them when it cannot go on, mostly while
// wiring its services, e.g. when a listener cannot bind. Start recovers such
// panics and turns them into an error instead of killing the host process.
func (s serverLogger) Panic(msg string, tags ...tag.Tag) {
	s.log(slog.LevelError, msg, tags)
	panic(fatalError(msg, tags))
}

func (s serverLogger) Fatal(msg string, tags ...tag.Tag) {
	s.log(slog.LevelError, msg, tags)
	panic(fatalError(msg, tags))
}

func (s serverLogger) log(level slog.Level, msg string, tags []tag.Tag) {
	ctx := context.Background()
	if s.muted.Load() || !s.l.Enabled(ctx, level) {
		return
	}
	attrs := make([]slog.Attr, len(tags))
	for i, t := range tags {
		attrs[i] = slog.Any(t.Key(), t.Value())
	}
	s.l.LogAttrs(ctx, level, msg, attrs...)
}

// fatalError describes a Fatal or Panic log call, tags included, since the
// tags carry the cause (for example the address that could not be bound).
func fatalError(msg string, tags []tag.Tag) error {
	var b strings.Builder
	b.WriteString("temporal: " + msg)
	for _, t := range tags {
		fmt.Fprintf(&b, " %s=%v", t.Key(), t.Value())
	}
	return errors.New(b.String())
}
