package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hookflow/hookflow/api"
	"github.com/spf13/cobra"
)

// The client commands (hooks, events, deliveries) talk to a running hookflow
// over its HTTP API.

const defaultServer = "http://127.0.0.1:8080"

// clientOptions are the flags every client command shares.
type clientOptions struct {
	server, apiKey, tenant string
	json                   bool
}

// clientGroup returns a command grouping client subcommands, with the shared
// flags: --server and --api-key fall back to HOOKFLOW_SERVER and HOOKFLOW_API_KEY.
func clientGroup(use, short string, o *clientOptions) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short, GroupID: groupClient, Args: cobra.NoArgs}
	f := cmd.PersistentFlags()
	f.StringVar(&o.server, "server", "", "URL of the hookflow API [HOOKFLOW_SERVER] (default "+defaultServer+")")
	f.StringVar(&o.apiKey, "api-key", "", "API key sent as a bearer token [HOOKFLOW_API_KEY]")
	f.StringVar(&o.tenant, "tenant", "", "tenant an all-tenant key acts for (X-Hookflow-Tenant)")
	f.BoolVar(&o.json, "json", false, "print the API's JSON answer instead of a table")
	return cmd
}

// apiClient is a hookflow API client for one command run.
type apiClient struct {
	base, key, tenant string
	http              *http.Client
}

func (o *clientOptions) client() (*apiClient, error) {
	server := firstOf(o.server, os.Getenv("HOOKFLOW_SERVER"), defaultServer)
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--server %q: must be an http(s) URL such as %s", server, defaultServer)
	}
	return &apiClient{base: strings.TrimRight(server, "/"), key: firstOf(o.apiKey, os.Getenv("HOOKFLOW_API_KEY")), tenant: o.tenant,
		http: &http.Client{Timeout: 30 * time.Second}}, nil
}

func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// do sends a request with body (JSON-encoded unless it is already []byte)
// and returns the answer's body; an error answer becomes an *apiError.
func (c *apiClient) do(ctx context.Context, method, path string, body any, header ...string) ([]byte, error) {
	var r io.Reader
	if body != nil {
		b, ok := body.([]byte)
		if !ok {
			var err error
			if b, err = json.Marshal(body); err != nil {
				return nil, err
			}
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	if c.tenant != "" {
		req.Header.Set(api.TenantHeader, c.tenant)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is said below, once
		}
		return nil, fmt.Errorf("cannot reach hookflow at %s (is it running? set --server or HOOKFLOW_SERVER): %w", c.base, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("read the answer of %s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		return nil, newAPIError(resp, b)
	}
	return b, nil
}

// get decodes the answer of a GET into out and returns its raw JSON.
func (c *apiClient) get(ctx context.Context, path string, out any) ([]byte, error) {
	b, err := c.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	return b, json.Unmarshal(b, out)
}

// apiError is an error answer of the API, printed on one line:
// the status, the code, the message and any field problems it does not name.
type apiError struct {
	status  int
	code    string
	message string
	details []fieldProblem
}

type fieldProblem struct {
	Field   string `json:"field"`
	Problem string `json:"problem"`
}

func newAPIError(resp *http.Response, body []byte) error {
	var e struct {
		Error struct {
			Code    string         `json:"code"`
			Message string         `json:"message"`
			Details []fieldProblem `json:"details"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error.Code == "" { // not hookflow's answer: a proxy's, perhaps
		return &apiError{status: resp.StatusCode, code: "http_error", message: resp.Status + " from " + resp.Request.URL.Redacted()}
	}
	return &apiError{status: resp.StatusCode, code: e.Error.Code, message: e.Error.Message, details: e.Error.Details}
}

func (e *apiError) Error() string {
	msg := fmt.Sprintf("%d %s: %s", e.status, e.code, e.message)
	for _, d := range e.details {
		if p := d.Field + ": " + d.Problem; !strings.Contains(e.message, p) {
			msg += "; " + p
		}
	}
	return msg
}

// printJSON writes an answer as indented JSON, for --json.
func printJSON(w io.Writer, raw []byte) error {
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return err
	}
	b.WriteByte('\n')
	_, err := w.Write(b.Bytes())
	return err
}

// table writes rows under a header, in aligned columns.
func table(w io.Writer, header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// fields writes name/value pairs as two aligned columns.
func fields(w io.Writer, pairs ...string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for i := 0; i+1 < len(pairs); i += 2 {
		fmt.Fprintf(tw, "%s\t%s\n", pairs[i], orDash(pairs[i+1]))
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// stamp shows a time in UTC, to the second.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// clip shortens s to n characters for a table cell.
func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
