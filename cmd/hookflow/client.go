package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hookflow/hookflow/api"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
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

// runE adapts the body of a client command, which gets a ready client.
func (o *clientOptions) runE(run func(cmd *cobra.Command, c *apiClient, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		c, err := o.client()
		if err != nil {
			return err
		}
		return run(cmd, c, args)
	}
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

// resourceCommand gets (or, by method, deletes) the resource at prefix + ID
// and prints the answer through print, or as JSON with --json.
func resourceCommand(o *clientOptions, use, short, method, prefix string, print func(w io.Writer, raw []byte, id string) error) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: o.runE(func(cmd *cobra.Command, c *apiClient, args []string) error {
			raw, err := c.do(cmd.Context(), method, prefix+url.PathEscape(args[0]), nil)
			switch {
			case err != nil:
				return err
			case o.json && len(raw) == 0: // 204: nothing to print
				return nil
			case o.json:
				return printJSON(cmd.OutOrStdout(), raw)
			}
			return print(cmd.OutOrStdout(), raw, args[0])
		}),
	}
}

// requestBody is the JSON body a command sends: the object in file (- reads
// standard input) when given, with the flags the user set on top. fields
// maps flag names to body fields; the values of jsonFlags are sent as JSON.
func requestBody(cmd *cobra.Command, file string, fields map[string]string, jsonFlags ...string) (map[string]any, error) {
	body := map[string]any{}
	if file != "" {
		b, err := readFileOrStdin(cmd.InOrStdin(), file)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, &body); err != nil {
			return nil, fmt.Errorf("--file %s: not a JSON object: %w", file, err)
		}
	}
	var err error
	cmd.Flags().Visit(func(f *pflag.Flag) { // the flags set on the command line
		field, ok := fields[f.Name]
		switch s, isSlice := f.Value.(pflag.SliceValue); {
		case !ok:
		case slices.Contains(jsonFlags, f.Name) && !json.Valid([]byte(f.Value.String())):
			err = fmt.Errorf("--%s: not valid JSON", f.Name)
		case slices.Contains(jsonFlags, f.Name):
			body[field] = json.RawMessage(f.Value.String())
		case isSlice:
			body[field] = s.GetSlice()
		default:
			body[field] = f.Value.String()
		}
	})
	return body, err
}

func readFileOrStdin(in io.Reader, file string) ([]byte, error) {
	if file == "-" {
		return io.ReadAll(in)
	}
	return os.ReadFile(file)
}

// post sends body to path and prints the answer through print, or as JSON with --json.
func post(cmd *cobra.Command, o *clientOptions, c *apiClient, path string, body any, print func(io.Writer, []byte) error, header ...string) error {
	raw, err := c.do(cmd.Context(), http.MethodPost, path, body, header...)
	if err != nil || o.json {
		return jsonOr(cmd.OutOrStdout(), raw, err)
	}
	return print(cmd.OutOrStdout(), raw)
}

// pager holds the paging flags of a list command.
type pager struct {
	limit  int
	cursor string
}

func (p *pager) flags(cmd *cobra.Command) {
	cmd.Flags().IntVar(&p.limit, "limit", 0, "page size, 1 to 500 (default 50)")
	cmd.Flags().StringVar(&p.cursor, "cursor", "", "next_cursor of the previous page")
}

// query is the query string of a page, filtered by filter=value when value is set.
func (p *pager) query(filter, value string) string {
	q := url.Values{}
	for k, v := range map[string]string{filter: value, "cursor": p.cursor} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if p.limit > 0 {
		q.Set("limit", strconv.Itoa(p.limit))
	}
	return q.Encode()
}

// printPage gets a page of a list and prints it: the JSON with --json, else
// through print, then, on stderr so tables stay clean in pipes, how to get
// the next page.
func printPage[T any](cmd *cobra.Command, o *clientOptions, c *apiClient, path string, print func(io.Writer, []T) error) error {
	var page struct {
		Data       []T    `json:"data"`
		NextCursor string `json:"next_cursor"`
	}
	raw, err := c.get(cmd.Context(), path, &page)
	if err != nil || o.json {
		return jsonOr(cmd.OutOrStdout(), raw, err)
	}
	if err := print(cmd.OutOrStdout(), page.Data); err != nil {
		return err
	}
	if page.NextCursor != "" {
		_, err = fmt.Fprintf(cmd.ErrOrStderr(), "More: add --cursor %s\n", page.NextCursor)
	}
	return err
}

// jsonOr ends a command that may print --json: the error if any, else the raw answer.
func jsonOr(w io.Writer, raw []byte, err error) error {
	if err != nil {
		return err
	}
	return printJSON(w, raw)
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

// show writes a JSON value on one line for a person: lists comma-separated,
// objects of strings as "name: value" pairs, other objects as compact JSON,
// times to the second.
func show(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return stamp(t)
		}
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = show(e)
		}
		return strings.Join(parts, ", ")
	case map[string]any:
		var pairs []string
		for _, k := range slices.Sorted(maps.Keys(v)) {
			s, ok := v[k].(string)
			if !ok {
				b, _ := json.Marshal(v)
				return string(b)
			}
			pairs = append(pairs, k+": "+s)
		}
		return strings.Join(pairs, ", ")
	}
	return fmt.Sprint(v)
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
