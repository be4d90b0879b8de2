package main

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hookflow/hookflow/internal/seal"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// server is a hookflow (and, in serve mode, a Temporal) this run started.
type server struct {
	api     string
	apis    []string // with -apis: every API, the load goes round them
	procs   []*exec.Cmd
	pid     int // the hookflow process whose RSS is reported
	dir     string
	cleanup []func()

	hookflowPIDs []int  // every hookflow process, for CPU figures
	apiPIDs      []int  // with -apis: those that are APIs
	temporalPID  int    // the Temporal server this run started, if any
	database     string // serve mode: the run's own database
	queue        string // serve mode: the run's own task queue
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// binary returns the hookflow binary to start, building it when not given.
func binary(o options, dir string) (string, error) {
	if o.hookflow != "" {
		return o.hookflow, nil
	}
	out := filepath.Join(dir, "hookflow")
	fmt.Fprintln(os.Stderr, "hookbench: building ./cmd/hookflow …")
	cmd := exec.Command("go", "build", "-o", out, "./cmd/hookflow")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build hookflow (run hookbench from the repository root): %w", err)
	}
	return out, nil
}

// startServer starts hookflow: dev (embedded Temporal, SQLite in a fresh data
// dir) or serve (PostgreSQL, and Temporal at o.temporal or started here).
func startServer(ctx context.Context, o options) (*server, error) {
	dir, err := os.MkdirTemp("", "hookbench-")
	if err != nil {
		return nil, err
	}
	s := &server{dir: dir}
	bin, err := binary(o, dir)
	if err != nil {
		return s, err
	}
	apiPort, err := freePort()
	if err != nil {
		return s, err
	}
	s.api = "http://127.0.0.1:" + strconv.Itoa(apiPort)
	env := append(os.Environ(), "HOOKFLOW_LOG_LEVEL=warn", "HOOKFLOW_ALLOW_PRIVATE_TARGETS=true", "HOOKFLOW_API_KEYS=", "HOOKFLOW_INSECURE_NO_AUTH=true",
		"HOOKFLOW_ENCRYPTION_KEYS="+seal.NewKey()) // each run's database is fresh
	var args []string
	switch o.mode {
	case "dev":
		tport, err := freePort()
		if err != nil {
			return s, err
		}
		args = []string{"dev", "--data-dir", filepath.Join(dir, "data"), "--addr", "127.0.0.1:" + strconv.Itoa(apiPort),
			"--temporal-port", strconv.Itoa(tport), "--ui-port", "0"}
	case "serve":
		if o.databaseURL == "" {
			return s, fmt.Errorf("serve mode needs -database-url")
		}
		db, err := s.freshDatabase(o.databaseURL)
		if err != nil {
			return s, err
		}
		temporal := o.temporal
		if temporal == "" {
			if temporal, err = s.startTemporal(bin, env); err != nil {
				return s, err
			}
		}
		// A task queue of its own: a shared server may still hold an
		// earlier run's tasks (retries to its receiver, gone now).
		s.queue = "hookbench-" + strconv.FormatInt(time.Now().UnixNano(), 36)
		if o.apis > 0 {
			if s.apis, err = s.startRoles(bin, env, o, db, temporal, s.queue); err != nil {
				return s, err
			}
			s.api, s.pid = s.apis[0], s.hookflowPIDs[len(s.hookflowPIDs)-1]
			for _, api := range s.apis {
				if err := waitHTTP(ctx, api+"/readyz", 3*time.Minute); err != nil {
					return s, err
				}
			}
			return s, nil
		}
		args = []string{"serve", "--addr", "127.0.0.1:" + strconv.Itoa(apiPort), "--database-url", db,
			"--temporal-address", temporal, "--task-queue", s.queue}
	default:
		return s, fmt.Errorf("unknown -mode %q: dev or serve", o.mode)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	return s, s.launch(ctx, cmd)
}

// launch starts the server's main process (its output on ours) and waits
// until its API is ready.
func (s *server) launch(ctx context.Context, cmd *exec.Cmd) error {
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	s.procs = append(s.procs, cmd)
	s.pid = cmd.Process.Pid
	s.hookflowPIDs = append(s.hookflowPIDs, s.pid)
	return waitHTTP(ctx, s.api+"/readyz", 3*time.Minute)
}

// freshDatabase creates an empty database on the server of base for one run,
// so runs never see each other's hooks; stop drops it.
func (s *server) freshDatabase(base string) (string, error) {
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", err
	}
	defer admin.Close()
	name := "hookbench_" + strconv.FormatInt(time.Now().UnixNano(), 36)
	s.database = name
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		return "", fmt.Errorf("create benchmark database: %w", err)
	}
	s.cleanup = append(s.cleanup, func() {
		if admin, err := sql.Open("pgx", base); err == nil {
			_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
			admin.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

// startTemporal runs hookflow's embedded Temporal server on its own, as a
// separate process, for serve mode.
func (s *server) startTemporal(bin string, env []string) (string, error) {
	port, err := freePort()
	if err != nil {
		return "", err
	}
	cmd := exec.Command(bin, "temporal", "--data-dir", filepath.Join(s.dir, "temporal"), "--temporal-port", strconv.Itoa(port), "--ui-port", "0")
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return "", err
	}
	s.procs = append(s.procs, cmd)
	s.temporalPID = cmd.Process.Pid
	addr := "127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return "", fmt.Errorf("temporal did not listen on %s", addr)
}

func waitHTTP(ctx context.Context, url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s not ready after %s", url, timeout)
}

func (s *server) stop() {
	for i := len(s.procs) - 1; i >= 0; i-- {
		p := s.procs[i]
		_ = p.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = p.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = p.Process.Kill()
		}
	}
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
	for _, f := range s.cleanup {
		f()
	}
}

// pids are the server's processes, hookflow's first.
func (s *server) pids() []int {
	out := []int{s.pid}
	for _, p := range s.procs {
		if p.Process.Pid != s.pid {
			out = append(out, p.Process.Pid)
		}
	}
	return out
}

// peakRSS reads a process's high-water resident set size from /proc, in MiB.
func peakRSS(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}
