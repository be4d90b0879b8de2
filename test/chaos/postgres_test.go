package chaos

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// pgCluster is a private PostgreSQL server: its own data dir and port, so a
// test can crash and restart it without disturbing the machine's shared one.
// It runs as a child of the test binary and dies with it.
type pgCluster struct {
	bin  string // directory of Debian's initdb, postgres and pg_isready
	dir  string // data/ and the Unix socket
	port int
	cred *syscall.Credential // the postgres user when the test runs as root
	proc *proc
}

// startPostgres initialises and starts a private cluster with trust auth.
func startPostgres(t *testing.T) *pgCluster {
	t.Helper()
	c := &pgCluster{bin: postgresBinDir(t), port: freePort(t)}
	dir, err := os.MkdirTemp("", "hookflow-chaos-pg-")
	if err != nil {
		t.Fatal(err)
	}
	c.dir = dir
	t.Cleanup(func() { os.RemoveAll(dir) }) // registered first, so it runs after the server is killed
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root.
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root, PostgreSQL needs the postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	initdb := c.command("initdb", "-D", c.data(), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C")
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	c.start(t)
	return c
}

// requirePostgresEnv makes the test fail, not skip, without PostgreSQL's
// server binaries. .ci/run sets it, so CI always runs the test.
const requirePostgresEnv = "HOOKFLOW_REQUIRE_POSTGRES"

// postgresBinDir finds the newest PostgreSQL server installed by Debian.
// Without one the test skips, saying how to run it, so that go test ./...
// passes with only Go installed.
func postgresBinDir(t *testing.T) string {
	t.Helper()
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	if len(found) == 0 {
		missing := "PostgreSQL server binaries not found (/usr/lib/postgresql/<version>/bin/postgres); " +
			"this test runs a private PostgreSQL: apt-get install -y postgresql, then go test ./test/chaos -run " + t.Name()
		if os.Getenv(requirePostgresEnv) == "1" {
			t.Fatalf("%s; required, as %s=1 is set", missing, requirePostgresEnv)
		}
		t.Skipf("%s. Skipped; %s=1 (which .ci/run sets) makes this a failure", missing, requirePostgresEnv)
	}
	version := func(path string) int {
		v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(path))))
		return v
	}
	slices.SortFunc(found, func(a, b string) int { return version(a) - version(b) })
	return filepath.Dir(found[len(found)-1])
}

func (c *pgCluster) data() string { return filepath.Join(c.dir, "data") }

// url is hookflow's HOOKFLOW_DATABASE_URL for the cluster.
func (c *pgCluster) url() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// command runs one of the cluster's binaries as its owner.
func (c *pgCluster) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	cmd.Env = cleanEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	return cmd
}

// start runs the server and waits until it accepts connections.
func (c *pgCluster) start(t *testing.T) {
	t.Helper()
	p := startProc(t, "postgres", c.command("postgres", "-D", c.data(), "-p", strconv.Itoa(c.port),
		"-k", c.dir, "-c", "listen_addresses=127.0.0.1"))
	c.proc = p
	t.Cleanup(func() { // before startProc's SIGKILL: SIGQUIT ends the backends too
		if !p.exited() {
			_ = p.cmd.Process.Signal(syscall.SIGQUIT)
			p.wait(30 * time.Second)
		}
	})
	waitFor(t, "PostgreSQL to accept connections", time.Minute, func() bool {
		if c.proc.exited() {
			t.Fatalf("postgres exited: %v\n%s", c.proc.err, c.proc.tail(20))
		}
		return c.command("pg_isready", "-q", "-h", "127.0.0.1", "-p", strconv.Itoa(c.port)).Run() == nil
	})
}

// crash stops the server the way a crash would: an immediate shutdown
// (SIGQUIT) ends every backend at once, and the next start replays the WAL.
func (c *pgCluster) crash(t *testing.T) {
	t.Helper()
	c.shutdown(t, syscall.SIGQUIT)
}

// restart is what `pg_ctl restart` does: a fast shutdown (SIGINT), which
// ends every session with "terminating connection due to administrator
// command", then a start.
func (c *pgCluster) restart(t *testing.T) {
	t.Helper()
	c.shutdown(t, syscall.SIGINT)
	c.start(t)
}

// shutdown sends sig to the server and waits until it is gone.
func (c *pgCluster) shutdown(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := c.proc.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	if !c.proc.wait(time.Minute) {
		t.Fatalf("postgres still running a minute after %s", sig)
	}
}
