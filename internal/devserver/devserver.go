// Package devserver runs a real Temporal server, and optionally the Temporal
// Web UI, inside the current process: the backend of `hookflow dev` and of
// tests that need Temporal. State lives in SQLite, in a file or in memory.
package devserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hookflow/hookflow/internal/sqlitemem"
	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uioptions "github.com/temporalio/ui-server/v2/server/server_options"
	enums "go.temporal.io/api/enums/v1"
	namespacepb "go.temporal.io/api/namespace/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/server/common/membership/static"
	"go.temporal.io/server/common/primitives"
	"go.temporal.io/server/common/searchattribute/sadefs"
	"go.temporal.io/server/temporal"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/durationpb"
)

// Options configures an embedded Temporal server.
type Options struct {
	IP               string                            // listen address, default "127.0.0.1"
	FrontendPort     int                               // gRPC frontend, e.g. 7233; 0 = pick a free port
	UIPort           int                               // Temporal Web UI HTTP port, e.g. 8233; 0 = no UI
	DatabaseFile     string                            // SQLite file for Temporal's own state, directory created if missing; "" = in-memory (ephemeral)
	Namespace        string                            // created if missing, default "default"
	SearchAttributes map[string]enums.IndexedValueType // custom search attributes registered on the namespace (idempotent)
	Logger           *slog.Logger                      // server logs go here at Warn level and above; nil = discard
	// Retention is how long the namespace keeps closed workflows, set on a new
	// namespace and brought to this value on an existing one (hookflow passes
	// HOOKFLOW_RETENTION, so the UI shows an event's workflow as long as the
	// database keeps the event); 0 = Temporal's default for a new namespace,
	// a day, and an existing one is left as it is.
	Retention time.Duration
}

// Server is a running embedded Temporal server.
type Server struct {
	temporal     temporal.Server
	ui           *uiserver.Server
	frontendAddr string
	uiURL        string
	logger       serverLogger

	stopOnce sync.Once
	stopErr  error
}

// readyTimeout bounds how long Start waits for the server to answer when ctx
// has no earlier deadline. A cold start takes a few seconds.
const readyTimeout = time.Minute

// Start starts the server and returns once the frontend answers, the
// namespace exists and the search attributes are registered (and the UI, if
// any, serves). It fails fast with an error naming the port when the frontend
// or UI port is taken. ctx bounds the wait for readiness.
//
// The frontend's HTTP API and the history, matching and worker services
// listen on free ports picked on the same IP, so several servers can run side
// by side.
func Start(ctx context.Context, o Options) (*Server, error) {
	if o.IP == "" {
		o.IP = "127.0.0.1"
	}
	if o.Namespace == "" {
		o.Namespace = "default"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	dbFile := ""
	if o.DatabaseFile != "" {
		var err error
		if dbFile, err = filepath.Abs(o.DatabaseFile); err != nil {
			return nil, fmt.Errorf("devserver: database file: %w", err)
		}
	}

	// Hold every port until just before its server binds it: this reports a
	// taken frontend or UI port before anything starts (the UI server would
	// exit the process on a taken port) and keeps the picked ports distinct.
	lns, err := reservePorts(o.IP, o.FrontendPort, o.UIPort)
	if err != nil {
		return nil, err
	}
	defer lns.close()

	sqlitemem.Pin() // Temporal's SQLite allocates through it too
	sql := sqlConfig(dbFile)
	if err := prepareDatabase(sql, dbFile, o.Namespace, o.SearchAttributes, o.Retention); err != nil {
		return nil, err
	}

	p := lns.ports()
	s := &Server{
		frontendAddr: hostPort(o.IP, p.frontend),
		logger:       serverLogger{l: o.Logger, muted: new(atomic.Bool)},
	}
	hosts := map[primitives.ServiceName]static.Hosts{
		primitives.FrontendService: static.SingleLocalHost(s.frontendAddr),
		primitives.HistoryService:  static.SingleLocalHost(hostPort(o.IP, p.history)),
		primitives.MatchingService: static.SingleLocalHost(hostPort(o.IP, p.matching)),
		primitives.WorkerService:   static.SingleLocalHost(hostPort(o.IP, p.worker)),
	}
	lns.closeTemporal()
	err = catchPanic(func() (err error) {
		s.temporal, err = temporal.NewServer(
			temporal.ForServices(temporal.DefaultServices),
			temporal.WithConfig(serverConfig(o.IP, p, sql)),
			// Static hosts replace ringpop membership: no gossip ports and
			// no join delay for a single process.
			temporal.WithStaticHosts(hosts),
			temporal.WithDynamicConfigClient(dynamicConfig()),
			temporal.WithLogger(s.logger),
		)
		if err != nil {
			return err
		}
		return s.temporal.Start()
	})
	if err != nil {
		s.logger.muted.Store(true)
		if s.temporal != nil {
			_ = catchPanic(s.temporal.Stop)
		}
		return nil, fmt.Errorf("devserver: start temporal: %w", err)
	}

	if lns.ui != nil {
		uiAddr := lns.ui.Addr().(*net.TCPAddr)
		s.uiURL = "http://" + uiAddr.String()
		if err := catchPanic(func() error {
			s.ui = newUI(uiAddr, s.frontendAddr, o.Namespace)
			return nil
		}); err != nil {
			_ = s.Stop()
			return nil, fmt.Errorf("devserver: create UI server: %w", err)
		}
		lns.ui.Close()
		go func() {
			// Start blocks until Stop. It returns nil on Stop and exits the
			// process on any other error, which the port check above avoids.
			_ = s.ui.Start()
		}()
	}

	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	if err := s.waitReady(ctx, o.Namespace, o.SearchAttributes, o.Retention); err != nil {
		_ = s.Stop()
		return nil, err
	}
	return s, nil
}

// FrontendAddress is the host:port of the gRPC frontend, for SDK clients.
func (s *Server) FrontendAddress() string { return s.frontendAddr }

// UIURL is the base URL of the Temporal Web UI, or "" when it is not served.
func (s *Server) UIURL() string { return s.uiURL }

// Stop stops the UI and then the Temporal services; server logs end when it
// is called. It is safe to call more than once. Stop SDK workers first:
// Temporal drains open requests (worker polls included) for up to a second
// per service before it closes them.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		s.logger.muted.Store(true)
		if s.ui != nil {
			s.ui.Stop()
		}
		s.stopErr = catchPanic(s.temporal.Stop)
	})
	return s.stopErr
}

func (o *Options) validate() error {
	if o.FrontendPort < 0 || o.FrontendPort > 65535 {
		return fmt.Errorf("devserver: invalid frontend port %d", o.FrontendPort)
	}
	if o.UIPort < 0 || o.UIPort > 65535 {
		return fmt.Errorf("devserver: invalid UI port %d", o.UIPort)
	}
	if net.ParseIP(o.IP) == nil {
		return fmt.Errorf("devserver: invalid IP %q", o.IP)
	}
	for name, typ := range o.SearchAttributes {
		if sadefs.IsReserved(name) {
			return fmt.Errorf("devserver: search attribute %s is reserved by Temporal", name)
		}
		if _, ok := enums.IndexedValueType_name[int32(typ)]; !ok || typ == enums.INDEXED_VALUE_TYPE_UNSPECIFIED {
			return fmt.Errorf("devserver: search attribute %s has invalid type %v", name, typ)
		}
	}
	return nil
}

func newUI(addr *net.TCPAddr, frontendAddr, namespace string) *uiserver.Server {
	host := addr.IP.String()
	if addr.IP.To4() == nil {
		host = "[" + host + "]" // the UI server joins host and port itself
	}
	return uiserver.NewServer(uioptions.WithConfigProvider(&uiconfig.Config{
		Host:                host,
		Port:                addr.Port,
		TemporalGRPCAddress: frontendAddr,
		EnableUI:            true,
		DefaultNamespace:    namespace,
		// Served over plain HTTP: a Secure CSRF cookie would never come back
		// and every write action in the UI would fail.
		CORS:     uiconfig.CORS{CookieInsecure: true},
		HideLogs: true,
		// No calls to GitHub for release news.
		DisableNewsFetch: true,
	}))
}

// waitReady waits until the frontend serves the namespace, registers missing
// search attributes, sets the namespace's retention and waits for the UI.
func (s *Server) waitReady(ctx context.Context, namespace string, attrs map[string]enums.IndexedValueType, retention time.Duration) error {
	var c client.Client
	err := retry(ctx, "frontend", func(ctx context.Context) (err error) {
		c, err = client.DialContext(ctx, client.Options{
			HostPort:  s.frontendAddr,
			Namespace: namespace,
			Logger:    sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)),
		})
		return err
	})
	if err != nil {
		return err
	}
	defer c.Close()
	var ns *workflowservice.DescribeNamespaceResponse
	err = retry(ctx, "namespace "+namespace, func(ctx context.Context) (err error) {
		ns, err = c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
		return err
	})
	if err != nil {
		return err
	}
	if retention > 0 && ns.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration() != retention {
		// The namespace was made by an earlier start with another retention.
		_, err := c.WorkflowService().UpdateNamespace(ctx, &workflowservice.UpdateNamespaceRequest{
			Namespace: namespace, Config: &namespacepb.NamespaceConfig{WorkflowExecutionRetentionTtl: durationpb.New(retention)},
		})
		if err != nil {
			return fmt.Errorf("devserver: set the retention of namespace %s: %w", namespace, err)
		}
	}
	if err := RegisterSearchAttributes(ctx, c, namespace, attrs); err != nil {
		return err
	}
	if s.ui != nil {
		return retry(ctx, "UI", func(ctx context.Context) error {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.uiURL+"/healthz", nil)
			if err != nil {
				return err
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("GET /healthz: %s", resp.Status)
			}
			return nil
		})
	}
	return nil
}

// RegisterSearchAttributes adds the attributes the namespace lacks, on this
// server or any other Temporal, and waits until queries can use them.
// Attributes already there are left alone (asking to add them again makes
// the server log a warning per attribute). This server's new namespaces get
// them at creation, so here it only acts when Options gained attributes
// since the database file was made. Where the server does not let this
// client list or add them (Temporal Cloud registers them through its
// control plane), a query on each tells which are missing, and a
// *MissingSearchAttributesError names them.
func RegisterSearchAttributes(ctx context.Context, c client.Client, namespace string, want map[string]enums.IndexedValueType) error {
	if len(want) == 0 {
		return nil
	}
	missing := map[string]enums.IndexedValueType{}
	have, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	switch {
	case refused(err):
		for name, typ := range want {
			if queryable(ctx, c, namespace, name) != nil {
				missing[name] = typ
			}
		}
	case err != nil:
		return fmt.Errorf("devserver: list search attributes: %w", err)
	default:
		for name, typ := range want {
			got, ok := have.GetCustomAttributes()[name]
			if !ok {
				missing[name] = typ
			} else if got != typ {
				return fmt.Errorf("devserver: search attribute %s is registered as %v, not %v", name, got, typ)
			}
		}
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace:        namespace,
		SearchAttributes: missing,
	})
	if err != nil {
		return &MissingSearchAttributesError{Namespace: namespace, Missing: missing, Err: err}
	}
	// The frontend resolves attribute names through its namespace cache,
	// refreshed every 2s: wait until a query on each new attribute passes, so
	// a workflow started right after Start may already use it.
	for name := range missing {
		err := retry(ctx, "search attribute "+name, func(ctx context.Context) error {
			return queryable(ctx, c, namespace, name)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// queryable reports whether a visibility query on the attribute passes:
// it fails while the namespace does not know the attribute.
func queryable(ctx context.Context, c client.Client, namespace, name string) error {
	_, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{
		Namespace: namespace,
		Query:     name + " IS NULL",
	})
	return err
}

// refused reports whether the server answered that this client may not do
// what it asked, as opposed to not answering.
func refused(err error) bool {
	switch serviceerror.ToStatus(err).Code() { // the SDK returns serviceerror types, which status.Code does not read
	case codes.PermissionDenied, codes.Unimplemented, codes.Unauthenticated:
		return true
	}
	return false
}

// MissingSearchAttributesError is a namespace that lacks search attributes
// the server did not let this client add.
type MissingSearchAttributesError struct {
	Namespace string
	Missing   map[string]enums.IndexedValueType
	Err       error // the server's answer to adding them
}

func (e *MissingSearchAttributesError) Error() string {
	return fmt.Sprintf("namespace %s lacks the search attributes %s, and Temporal refused to add them: %v",
		e.Namespace, strings.Join(e.List(), ", "), e.Err)
}

func (e *MissingSearchAttributesError) Unwrap() error { return e.Err }

// List names the missing attributes with their types, as "Name=Type" in
// name order (the form tcld and the Cloud UI take).
func (e *MissingSearchAttributesError) List() []string {
	var out []string
	for _, name := range slices.Sorted(maps.Keys(e.Missing)) {
		out = append(out, name+"="+e.Missing[name].String())
	}
	return out
}

// retry calls f until it succeeds or ctx ends.
func retry(ctx context.Context, what string, f func(context.Context) error) error {
	for {
		err := f(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("devserver: waiting for %s: %w (last error: %v)", what, ctx.Err(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// catchPanic runs f and returns a panic from it as an error. Temporal and the
// UI server panic on setup failures (see serverLogger.Fatal); a dev server
// that cannot start must not take the host process down.
func catchPanic(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = e
			} else {
				err = fmt.Errorf("panic: %v", r)
			}
		}
	}()
	return f()
}

// listeners hold the ports of one server until their services bind them.
type listeners struct {
	frontend, frontendHTTP, history, matching, worker, ui net.Listener
}

func reservePorts(ip string, frontendPort, uiPort int) (*listeners, error) {
	var l listeners
	var err error
	if l.frontend, err = listen(ip, frontendPort, "frontend"); err != nil {
		return nil, err
	}
	if uiPort != 0 {
		if l.ui, err = listen(ip, uiPort, "UI"); err != nil {
			l.close()
			return nil, err
		}
	}
	for _, ln := range []*net.Listener{&l.frontendHTTP, &l.history, &l.matching, &l.worker} {
		if *ln, err = listen(ip, 0, "internal"); err != nil {
			l.close()
			return nil, err
		}
	}
	return &l, nil
}

func listen(ip string, port int, what string) (net.Listener, error) {
	ln, err := net.Listen("tcp", hostPort(ip, port))
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("devserver: %s port %d on %s is already in use", what, port, ip)
		}
		return nil, fmt.Errorf("devserver: %s port %d on %s: %w", what, port, ip, err)
	}
	return ln, nil
}

func (l *listeners) ports() ports {
	port := func(ln net.Listener) int { return ln.Addr().(*net.TCPAddr).Port }
	return ports{
		frontend:     port(l.frontend),
		frontendHTTP: port(l.frontendHTTP),
		history:      port(l.history),
		matching:     port(l.matching),
		worker:       port(l.worker),
	}
}

// closeTemporal frees the Temporal services' ports.
func (l *listeners) closeTemporal() {
	for _, ln := range []net.Listener{l.frontend, l.frontendHTTP, l.history, l.matching, l.worker} {
		if ln != nil {
			ln.Close()
		}
	}
}

func (l *listeners) close() {
	l.closeTemporal()
	if l.ui != nil {
		l.ui.Close()
	}
}
