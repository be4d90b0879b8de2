package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// hook is the part of the API's hook the CLI shows.
type hook struct {
	ID           int64             `json:"id"`
	Tenant       string            `json:"tenant"`
	Name         string            `json:"name"`
	Events       []string          `json:"events"`
	TargetURL    string            `json:"target_url"`
	Secret       string            `json:"secret"`
	State        string            `json:"state"`
	Format       string            `json:"format"`
	Headers      map[string]string `json:"headers"`
	ErrorsEmail  string            `json:"errors_email"`
	Options      json.RawMessage   `json:"options"`
	Registered   time.Time         `json:"registered"`
	RegisteredBy string            `json:"registered_by"`
	Updated      time.Time         `json:"updated"`
	UpdatedBy    string            `json:"updated_by"`
	ErrorCount   int               `json:"error_count"`
	LastError    string            `json:"last_error"`
}

func hooksCommand() *cobra.Command {
	o := &clientOptions{}
	cmd := clientGroup("hooks", "List, create, show and delete hooks on a running hookflow", o)
	cmd.AddCommand(hooksListCommand(o), hooksCreateCommand(o), hooksGetCommand(o), hooksDeleteCommand(o))
	return cmd
}

func hooksListCommand(o *clientOptions) *cobra.Command {
	var state, cursor string
	var limit int
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List hooks, oldest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			q := url.Values{}
			setIf(q, "state", state)
			setIf(q, "cursor", cursor)
			if limit > 0 {
				q.Set("limit", strconv.Itoa(limit))
			}
			var page struct {
				Data       []hook `json:"data"`
				NextCursor string `json:"next_cursor"`
			}
			raw, err := c.get(cmd.Context(), "/v1/hooks?"+q.Encode(), &page)
			if err != nil || o.json {
				return jsonOr(cmd.OutOrStdout(), raw, err)
			}
			rows := make([][]string, len(page.Data))
			for i, h := range page.Data {
				rows[i] = []string{strconv.FormatInt(h.ID, 10), clip(orDash(h.Name), 24), h.State, h.Format,
					clip(strings.Join(h.Events, ","), 32), h.TargetURL}
			}
			if err := table(cmd.OutOrStdout(), []string{"ID", "NAME", "STATE", "FORMAT", "EVENTS", "TARGET"}, rows); err != nil {
				return err
			}
			return nextPage(cmd.ErrOrStderr(), page.NextCursor)
		},
	}
	cmd.Flags().StringVar(&state, "state", "", "only hooks in this state: Active, Stopped or TooManyErrors")
	pageFlags(cmd, &limit, &cursor)
	return cmd
}

func hooksCreateCommand(o *clientOptions) *cobra.Command {
	var file, name, target, secret, format, email string
	var events, headers []string
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a hook",
		Long: "Create a hook: which events it wants (--events) and where they go (--url). The answer shows\n" +
			"the signing secret in full, the only time it is shown: store it. --file takes the whole JSON\n" +
			"body of POST /v1/hooks (- reads standard input); flags given besides override its fields.",
		Example: "  hookflow hooks create --events 'contact.*' --url https://crm-sync.example.com/hooks --name 'CRM sync'\n" +
			"  hookflow hooks create --file hook.json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			body := map[string]any{}
			if file != "" {
				if err := readJSONFile(cmd.InOrStdin(), file, &body); err != nil {
					return err
				}
			}
			f := cmd.Flags()
			setFlag(f.Changed("name"), body, "name", name)
			setFlag(f.Changed("events"), body, "events", events)
			setFlag(f.Changed("url"), body, "target_url", target)
			setFlag(f.Changed("secret"), body, "secret", secret)
			setFlag(f.Changed("format"), body, "format", format)
			setFlag(f.Changed("errors-email"), body, "errors_email", email)
			if f.Changed("header") {
				hs := map[string]string{}
				for _, h := range headers {
					k, v, ok := strings.Cut(h, "=")
					if !ok {
						return fmt.Errorf("--header %q: must be Name=value", h)
					}
					hs[k] = v
				}
				body["headers"] = hs
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			raw, err := c.do(cmd.Context(), http.MethodPost, "/v1/hooks", body)
			if err != nil || o.json {
				return jsonOr(cmd.OutOrStdout(), raw, err)
			}
			var h hook
			if err := json.Unmarshal(raw, &h); err != nil {
				return err
			}
			if err := printHook(cmd.OutOrStdout(), &h); err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), "\nThe secret is shown in full only now: store it (hookflow hooks get shows it masked).")
			return err
		},
	}
	f := cmd.Flags()
	f.StringVarP(&file, "file", "f", "", "JSON body of the hook; - reads standard input")
	f.StringSliceVarP(&events, "events", "e", nil, "event patterns: contact.created, contact.*, * (repeat or comma-separate)")
	f.StringVar(&target, "url", "", "target URL the deliveries are POSTed to")
	f.StringVar(&name, "name", "", "name of the hook")
	f.StringVar(&secret, "secret", "", "signing secret (default: a generated whsec_… secret)")
	f.StringVar(&format, "format", "", "wire format: standard, superoffice, pipeliner, onepage, clinchpad, agilecrm (default standard)")
	f.StringArrayVar(&headers, "header", nil, "custom header Name=value sent with every delivery (repeatable)")
	f.StringVar(&email, "errors-email", "", "address mailed when the hook turns TooManyErrors")
	return cmd
}

func hooksGetCommand(o *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "get ID",
		Short: "Show a hook (secret masked)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			var h hook
			raw, err := c.get(cmd.Context(), "/v1/hooks/"+url.PathEscape(args[0]), &h)
			if err != nil || o.json {
				return jsonOr(cmd.OutOrStdout(), raw, err)
			}
			return printHook(cmd.OutOrStdout(), &h)
		},
	}
}

func hooksDeleteCommand(o *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "delete ID",
		Short: "Delete a hook",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			if _, err := c.do(cmd.Context(), http.MethodDelete, "/v1/hooks/"+url.PathEscape(args[0]), nil); err != nil {
				return err
			}
			if o.json {
				return nil // 204: the API answers nothing
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "Deleted hook %s.\n", args[0])
			return err
		},
	}
}

func printHook(w io.Writer, h *hook) error {
	var headers []string
	for _, k := range slices.Sorted(maps.Keys(h.Headers)) {
		headers = append(headers, k+": "+h.Headers[k])
	}
	options := string(h.Options)
	if options == "{}" {
		options = ""
	}
	return fields(w,
		"ID", strconv.FormatInt(h.ID, 10),
		"Name", h.Name,
		"Tenant", h.Tenant,
		"State", h.State,
		"Events", strings.Join(h.Events, ", "),
		"Target", h.TargetURL,
		"Format", h.Format,
		"Secret", h.Secret,
		"Headers", strings.Join(headers, ", "),
		"Options", options,
		"Errors email", h.ErrorsEmail,
		"Registered", stamp(h.Registered)+" by "+h.RegisteredBy,
		"Updated", stamp(h.Updated)+" by "+h.UpdatedBy,
		"Errors", strconv.Itoa(h.ErrorCount),
		"Last error", h.LastError,
	)
}

// jsonOr ends a command that may print --json: the error if any, else the raw answer.
func jsonOr(w io.Writer, raw []byte, err error) error {
	if err != nil {
		return err
	}
	return printJSON(w, raw)
}

func pageFlags(cmd *cobra.Command, limit *int, cursor *string) {
	cmd.Flags().IntVar(limit, "limit", 0, "page size, 1 to 500 (default 50)")
	cmd.Flags().StringVar(cursor, "cursor", "", "next_cursor of the previous page")
}

// nextPage tells, on stderr so tables stay clean for pipes, how to get the next page.
func nextPage(w io.Writer, cursor string) error {
	if cursor == "" {
		return nil
	}
	_, err := fmt.Fprintf(w, "More: add --cursor %s\n", cursor)
	return err
}

func setIf(q url.Values, k, v string) {
	if v != "" {
		q.Set(k, v)
	}
}

func setFlag(changed bool, body map[string]any, field string, v any) {
	if changed {
		body[field] = v
	}
}

// readJSONFile decodes the JSON object in file (- for in) into v.
func readJSONFile(in io.Reader, file string, v any) error {
	b, err := readFileOrStdin(in, file)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("--file %s: not a JSON object: %w", file, err)
	}
	return nil
}

func readFileOrStdin(in io.Reader, file string) ([]byte, error) {
	if file == "-" {
		return io.ReadAll(in)
	}
	return os.ReadFile(file)
}
