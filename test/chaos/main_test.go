package chaos

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// hookflowBin is the hookflow binary every test runs, built once by TestMain.
var hookflowBin string

// TestMain builds hookflow once (it embeds the Temporal server, so a build
// costs about a minute) and removes it after the tests.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "hookflow-chaos-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	hookflowBin = filepath.Join(dir, "hookflow")
	root, err := moduleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		return 1
	}
	build := exec.Command("go", "build", "-o", hookflowBin, "./cmd/hookflow")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "chaos: build hookflow: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// moduleRoot is the directory of hookflow's go.mod.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not inside the hookflow module")
	}
	return filepath.Dir(gomod), nil
}
