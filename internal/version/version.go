// Package version tells which hookflow this is.
package version

import (
	"runtime/debug"
	"sync"
)

// Version is set at build time with -ldflags "-X github.com/hookflow/hookflow/internal/version.Version=v1.2.3";
// otherwise it comes from the module's build info, or "dev".
var Version = ""

// String returns the version.
func String() string { return version() }

// version is read once: every delivery's User-Agent names it, and reading
// the build info parses it anew each time.
var version = sync.OnceValue(func() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
})

// UserAgent is the User-Agent header of every delivery.
func UserAgent() string { return "hookflow/" + String() }
