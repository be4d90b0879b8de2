package chaos

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// proc is one running process.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string        // file holding its output
	done chan struct{} // closed when the process has exited
	err  error         // its exit status, once done is closed
}

// tail returns the last n lines of the process's output.
func (p *proc) tail(n int) string {
	b, _ := os.ReadFile(p.log)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// startHookflow starts the hookflow binary with args and env on top of a
// clean environment. It is killed when the test ends, and its output is
// logged if the test failed.
func startHookflow(t *testing.T, name string, env []string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(hookflowBin, args...)
	cmd.Env = append(cleanEnv(), env...)
	return startProc(t, name, cmd)
}

// startProc starts cmd; the process dies with the test binary, even if a
// timeout panic skips the cleanups.
func startProc(t *testing.T, name string, cmd *exec.Cmd) *proc {
	t.Helper()
	out, err := os.CreateTemp(t.TempDir(), "output-")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close() // the child has its own copy
	p := &proc{name: name, cmd: cmd, log: out.Name(), done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = out, out
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.kill(t)
		if t.Failed() {
			t.Logf("%s output (last lines):\n%s", name, p.tail(40))
		}
	})
	return p
}

// cleanEnv is the test's environment without HOOKFLOW_* and TEMPORAL_*
// settings, and with no Temporal profile file (hookflow would read the
// user's), so only what a test sets configures the processes it starts.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HOOKFLOW_") && !strings.HasPrefix(kv, "TEMPORAL_") {
			env = append(env, kv)
		}
	}
	return append(env, "TEMPORAL_CONFIG_FILE="+os.DevNull)
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	if !p.wait(30 * time.Second) {
		t.Errorf("%s survived SIGKILL for 30s", p.name)
	}
}

// wait reports whether the process exited within d.
func (p *proc) wait(d time.Duration) bool {
	select {
	case <-p.done:
		return true
	case <-time.After(d):
		return false
	}
}

// stop sends SIGTERM and fails the test unless the process exits cleanly within d.
func (p *proc) stop(t *testing.T, d time.Duration) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM %s: %v", p.name, err)
	}
	if !p.wait(d) {
		t.Fatalf("%s still running %s after SIGTERM", p.name, d)
	}
	if p.err != nil {
		t.Errorf("%s exited with %v after SIGTERM", p.name, p.err)
	}
}

// handedOut holds every port freePort has returned: a port is free again
// once its process is down for a restart, and must not go to another one.
var handedOut = struct {
	sync.Mutex
	ports map[int]bool
}{ports: map[int]bool{}}

// freePort returns a free loopback port below the kernel's ephemeral range,
// so that neither an outgoing connection nor a port-0 listener (Temporal's
// internal services pick theirs that way) can take it while a process that
// owns it is down for a restart. It never returns the same port twice.
func freePort(t *testing.T) int {
	t.Helper()
	low := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		_, _ = fmt.Sscan(string(b), &low) // unreadable: keep Linux's default
	}
	low = max(low, 11000)
	handedOut.Lock()
	defer handedOut.Unlock()
	for range 1000 {
		port := 10000 + rand.IntN(low-10000)
		if handedOut.ports[port] {
			continue
		}
		if l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			l.Close()
			handedOut.ports[port] = true
			return port
		}
	}
	t.Fatal("no free port below the ephemeral range")
	return 0
}

// waitFor polls cond every 100ms until it holds; it fails the test after
// timeout, naming what it waited for.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %s waiting for %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitListening waits until something accepts TCP connections on port.
func waitListening(t *testing.T, p *proc, port int, timeout time.Duration) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%s to listen on port %d", p.name, port), timeout, func() bool {
		if p.exited() {
			t.Fatalf("%s exited: %v", p.name, p.err)
		}
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err != nil {
			return false
		}
		c.Close()
		return true
	})
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// waitReady waits until the API behind c answers /readyz with 200: its
// database and Temporal are reachable.
func waitReady(t *testing.T, p *proc, c *apiClient, timeout time.Duration) {
	t.Helper()
	waitFor(t, p.name+" to be ready", timeout, func() bool {
		if p.exited() {
			t.Fatalf("%s exited: %v", p.name, p.err)
		}
		code, err := c.do(http.MethodGet, "/readyz", nil, nil)
		return err == nil && code == http.StatusOK
	})
}

// isConnError reports whether err means the request got no answer because
// the connection was refused, reset or closed: what a client sees from a
// process that is down or stopping. A timeout is not one: it is a hang.
func isConnError(err error) bool {
	if err == nil || isTimeout(err) {
		return false
	}
	var opErr *net.OpError // refused, reset
	return errors.As(err, &opErr) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		strings.Contains(err.Error(), "server closed idle connection")
}

// isTimeout reports whether err is a request that outlived its client timeout.
func isTimeout(err error) bool {
	var netErr net.Error
	return errors.As(err, &netErr) && netErr.Timeout()
}
