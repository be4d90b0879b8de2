// Package golden is the one switch that regenerates what tests compare
// against: the golden files, the docs examples made from them, the recorded
// workflow histories and the docs screenshot. With HOOKFLOW_UPDATE=1 every
// test that owns such a file writes it instead of failing on a difference:
//
//	HOOKFLOW_UPDATE=1 go test ./...          (or: make golden)
//
// then read the diff before committing it. Only tests import this package.
package golden

import "os"

// Env is the switch's environment variable.
const Env = "HOOKFLOW_UPDATE"

// Update reports whether this run rewrites the expected files instead of
// checking them.
func Update() bool { return os.Getenv(Env) == "1" }

// Hint ends a test's message about a difference: how to accept the new
// output when it is deliberate. pkg is the test's package as go test names
// it ("./internal/payload").
func Hint(pkg string) string {
	return "if the change is deliberate, rewrite it with " + Env + "=1 go test " + pkg + " (or make golden, for all) and read the diff"
}
