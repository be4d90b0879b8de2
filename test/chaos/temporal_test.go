package chaos

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookflow/hookflow/internal/receiverauth/authtest"
	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"google.golang.org/protobuf/types/known/durationpb"
)

// serverName is the name the cluster's certificate is issued for (besides 127.0.0.1).
const serverName = "temporal.hookflow.test"

// clusterPKI is where the cluster's PEM files are: a CA every side
// trusts, the server's certificate (its services present it to each other
// too) and hookflow's client certificate.
type clusterPKI struct {
	ca, serverCert, serverKey, clientCert, clientKey string
}

func newClusterPKI(t *testing.T) clusterPKI {
	t.Helper()
	ca := authtest.NewCA(t)
	serverCert, serverKey := ca.Server(t, serverName)
	clientCert, clientKey := ca.Client(t, "hookflow")
	dir := t.TempDir()
	write := func(name, data string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	return clusterPKI{ca: write("ca.pem", ca.PEM), serverCert: write("server.pem", serverCert), serverKey: write("server.key", serverKey),
		clientCert: write("client.pem", clientCert), clientKey: write("client.key", clientKey)}
}

// temporalTools are the Temporal server and its SQL tool, built from the
// go.temporal.io/server version go.mod pins (its `tool` lines), once per run.
var temporalTools = sync.OnceValues(func() (tools [2]string, err error) {
	root, err := moduleRoot()
	if err != nil {
		return tools, err
	}
	for i, name := range []string{"server", "sql"} {
		// go tool -n builds the tool into the build cache (once) and prints its path.
		cmd := exec.Command("go", "tool", "-n", name)
		cmd.Dir = root
		out, err := cmd.Output()
		if err != nil {
			return tools, fmt.Errorf("go tool -n %s: %w", name, err)
		}
		tools[i] = strings.TrimSpace(string(out))
	}
	return tools, nil
})

// temporalCluster is a Temporal server run as operators run it: the
// temporal-server binary, configured by the environment variables of its
// embedded config template (those of the temporalio/server image), with
// PostgreSQL persistence and visibility set up by temporal-sql-tool, four
// history shards, hookflow's dynamic config, and a frontend that requires
// mutual TLS. It survives restarts on the same ports and databases.
type temporalCluster struct {
	bin  string
	env  []string
	port int // the frontend's gRPC port
	pki  clusterPKI
	proc *proc
}

// newTemporalCluster creates Temporal's databases on pg and their schemas
// with deploy/temporal/setup-schema.sh, as docker-compose.yml does, and
// prepares the server; start runs it.
func newTemporalCluster(t *testing.T, pg *pgCluster, p clusterPKI) *temporalCluster {
	t.Helper()
	began := time.Now()
	tools, err := temporalTools()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("temporal-server and temporal-sql-tool built in %s", time.Since(began).Round(time.Second))
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	// The deployment's own schema script, with the tool under its released name.
	bin := t.TempDir()
	if err := os.Symlink(tools[1], filepath.Join(bin, "temporal-sql-tool")); err != nil {
		t.Fatal(err)
	}
	setup := exec.Command("sh", filepath.Join(root, "deploy", "temporal", "setup-schema.sh"))
	setup.Env = append(cleanEnv(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"SQL_PLUGIN=postgres12", "SQL_HOST=127.0.0.1", "SQL_PORT="+strconv.Itoa(pg.port), "SQL_USER=postgres")
	if out, err := setup.CombinedOutput(); err != nil {
		t.Fatalf("deploy/temporal/setup-schema.sh: %v\n%s", err, out)
	}
	tc := &temporalCluster{bin: tools[0], port: freePort(t), pki: p}
	port := func() string { return strconv.Itoa(freePort(t)) }
	tc.env = append(cleanEnv(),
		"DB=postgres12", "POSTGRES_SEEDS=127.0.0.1", "DB_PORT="+strconv.Itoa(pg.port), "POSTGRES_USER=postgres", "POSTGRES_PWD=",
		"NUM_HISTORY_SHARDS=4", "BIND_ON_IP=127.0.0.1", "LOG_LEVEL=error",
		"DYNAMIC_CONFIG_FILE_PATH="+filepath.Join(root, "deploy", "temporal", "dynamicconfig.yaml"),
		"FRONTEND_GRPC_PORT="+strconv.Itoa(tc.port), "FRONTEND_HTTP_PORT="+port(), "FRONTEND_MEMBERSHIP_PORT="+port(),
		"HISTORY_GRPC_PORT="+port(), "HISTORY_MEMBERSHIP_PORT="+port(),
		"MATCHING_GRPC_PORT="+port(), "MATCHING_MEMBERSHIP_PORT="+port(),
		"WORKER_GRPC_PORT="+port(), "WORKER_MEMBERSHIP_PORT="+port(),
		// Every connection is TLS and every client must present a
		// certificate from the CA: hookflow's, and the server's own between
		// its services.
		"TEMPORAL_TLS_REQUIRE_CLIENT_AUTH=true",
		"TEMPORAL_TLS_SERVER_CERT="+p.serverCert, "TEMPORAL_TLS_SERVER_KEY="+p.serverKey, "TEMPORAL_TLS_SERVER_CA_CERT="+p.ca,
		"TEMPORAL_TLS_FRONTEND_CERT="+p.serverCert, "TEMPORAL_TLS_FRONTEND_KEY="+p.serverKey,
		"TEMPORAL_TLS_CLIENT1_CA_CERT="+p.ca, "TEMPORAL_TLS_CLIENT2_CA_CERT="+p.ca,
		"TEMPORAL_TLS_INTERNODE_SERVER_NAME="+serverName, "TEMPORAL_TLS_FRONTEND_SERVER_NAME="+serverName,
	)
	return tc
}

// address is the frontend's host:port.
func (tc *temporalCluster) address() string { return fmt.Sprintf("127.0.0.1:%d", tc.port) }

// start runs the server and waits until its frontend listens.
func (tc *temporalCluster) start(t *testing.T) {
	t.Helper()
	cmd := exec.Command(tc.bin, "start")
	cmd.Env = tc.env
	tc.proc = startProc(t, "temporal-server", cmd)
	waitListening(t, tc.proc, tc.port, 2*time.Minute)
}

// clientEnv is what hookflow needs to reach the cluster, as Temporal's own
// variables: address, namespace and mutual TLS.
func (tc *temporalCluster) clientEnv(namespace string) []string {
	return []string{
		"TEMPORAL_ADDRESS=" + tc.address(), "TEMPORAL_NAMESPACE=" + namespace,
		"TEMPORAL_TLS_SERVER_CA_CERT_PATH=" + tc.pki.ca, "TEMPORAL_TLS_SERVER_NAME=" + serverName,
		"TEMPORAL_TLS_CLIENT_CERT_PATH=" + tc.pki.clientCert, "TEMPORAL_TLS_CLIENT_KEY_PATH=" + tc.pki.clientKey,
	}
}

// profile writes the same settings as a temporal.toml profile, as
// `temporal config set` would, and returns the variables that select it.
func (tc *temporalCluster) profile(t *testing.T, namespace string) []string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "temporal.toml")
	toml := fmt.Sprintf(`[profile.cluster]
address = %q
namespace = %q
[profile.cluster.tls]
server_ca_cert_path = %q
server_name = %q
client_cert_path = %q
client_key_path = %q
`, tc.address(), namespace, tc.pki.ca, serverName, tc.pki.clientCert, tc.pki.clientKey)
	if err := os.WriteFile(file, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{"TEMPORAL_CONFIG_FILE=" + file, "TEMPORAL_PROFILE=cluster"}
}

// dial connects the test itself to namespace, over mutual TLS.
func (tc *temporalCluster) dial(t *testing.T, namespace string) client.Client {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(tc.pki.clientCert, tc.pki.clientKey)
	if err != nil {
		t.Fatal(err)
	}
	caPEM, err := os.ReadFile(tc.pki.ca)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := client.DialContext(ctx, client.Options{
		HostPort: tc.address(), Namespace: namespace,
		ConnectionOptions: client.ConnectionOptions{TLS: &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: roots, ServerName: serverName}},
		Logger:            sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
	})
	if err != nil {
		t.Fatalf("dial Temporal at %s: %v", tc.address(), err)
	}
	t.Cleanup(c.Close)
	return c
}

// registerNamespace creates the namespace, as an operator would before
// starting hookflow.
func registerNamespace(t *testing.T, c client.Client, namespace string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := c.WorkflowService().RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace: namespace, WorkflowExecutionRetentionPeriod: durationpb.New(24 * time.Hour),
	})
	if err != nil {
		t.Fatalf("register namespace %s: %v", namespace, err)
	}
}

// backlog is what waits on a task queue for a worker: tasks of both kinds
// and the age of the oldest, as DescribeTaskQueue estimates them.
type backlog struct {
	tasks  int64
	oldest time.Duration
}

func taskQueueBacklog(ctx context.Context, c client.Client, namespace, queue string) (backlog, error) {
	var b backlog
	for _, typ := range []enumspb.TaskQueueType{enumspb.TASK_QUEUE_TYPE_WORKFLOW, enumspb.TASK_QUEUE_TYPE_ACTIVITY} {
		resp, err := c.WorkflowService().DescribeTaskQueue(ctx, &workflowservice.DescribeTaskQueueRequest{
			Namespace: namespace, TaskQueue: &taskqueuepb.TaskQueue{Name: queue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
			TaskQueueType: typ, ReportStats: true,
		})
		if err != nil {
			return b, err
		}
		b.tasks += resp.GetStats().GetApproximateBacklogCount()
		b.oldest = max(b.oldest, resp.GetStats().GetApproximateBacklogAge().AsDuration())
	}
	return b, nil
}

// watchDrain follows the task queue's backlog until every acknowledged
// event is delivered, and fails the test when the backlog stops draining:
// tasks waiting while neither the backlog shrinks nor a delivery arrives
// for stall. It returns the largest backlog seen.
func watchDrain(t *testing.T, c client.Client, namespace, queue string, rcv *receiver, want int, stall, timeout time.Duration) backlog {
	t.Helper()
	var peak backlog
	last, lastDelivered, progressAt := int64(-1), -1, time.Now()
	deadline := time.Now().Add(timeout)
	for rcv.delivered() < want {
		if time.Now().After(deadline) {
			t.Fatalf("after %s, %d of %d events delivered (backlog peak %d tasks, oldest %s)", timeout, rcv.delivered(), want, peak.tasks, peak.oldest)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		b, err := taskQueueBacklog(ctx, c, namespace, queue)
		cancel()
		delivered := rcv.delivered()
		if err == nil {
			peak.tasks, peak.oldest = max(peak.tasks, b.tasks), max(peak.oldest, b.oldest)
			if b.tasks < last || delivered > lastDelivered || b.tasks == 0 {
				progressAt = time.Now()
			}
			if time.Since(progressAt) > stall {
				t.Fatalf("the backlog stopped draining: %d tasks waiting (oldest %s) and no delivery for %s; %d of %d delivered",
					b.tasks, b.oldest.Round(time.Second), stall, delivered, want)
			}
			last = b.tasks
		}
		lastDelivered = delivered
		time.Sleep(time.Second)
	}
	return peak
}
