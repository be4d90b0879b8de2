package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/hookflow/hookflow/internal/payload"
	"github.com/spf13/cobra"
)

// A hook is shown from the API's JSON, field by field: label and JSON name.
var (
	hookColumns = [][2]string{{"ID", "id"}, {"NAME", "name"}, {"STATE", "state"}, {"FORMAT", "format"},
		{"EVENTS", "events"}, {"TARGET", "target_url"}}
	hookFields = [][2]string{{"ID", "id"}, {"Name", "name"}, {"Tenant", "tenant"}, {"State", "state"},
		{"Events", "events"}, {"Target", "target_url"}, {"Type", "type"}, {"Format", "format"}, {"Secret", "secret"},
		{"Headers", "headers"}, {"Properties", "properties"}, {"Options", "options"}, {"Insecure SSL", "insecure_ssl"},
		{"Rate limit", "rate_limit"}, {"Ordering", "ordering"}, {"Receiver auth", "receiver_auth"}, {"Errors email", "errors_email"},
		{"Registered", "registered"}, {"Registered by", "registered_by"}, {"Updated", "updated"}, {"Updated by", "updated_by"},
		{"Errors", "error_count"}, {"Failing since", "failing_since"}, {"Last error", "last_error"}}
)

// hookFlags are the flags of hooks create that set one field of the hook
// each, by its JSON name; --header (headers) and --receiver-auth build
// theirs. The fields of hookFileFields come from --file only.
var (
	hookFlags = map[string]string{"name": "name", "events": "events", "url": "target_url",
		"secret": "secret", "format": "format", "errors-email": "errors_email",
		"rate-limit": "rate_limit", "ordering": "ordering"}
	hookFileFields = []string{"type", "properties", "insecure_ssl", "options"}
)

func hooksCommand() *cobra.Command {
	o := &clientOptions{}
	cmd := clientGroup("hooks", "List, create, show and delete hooks on a running hookflow", o)
	cmd.AddCommand(hooksListCommand(o), hooksCreateCommand(o),
		resourceCommand(o, "get ID", "Show a hook (secret masked)", http.MethodGet, "/v1/hooks/", func(w io.Writer, raw []byte, _ string) error {
			return printHook(w, raw)
		}),
		resourceCommand(o, "delete ID", "Delete a hook", http.MethodDelete, "/v1/hooks/", func(w io.Writer, _ []byte, id string) error {
			_, err := fmt.Fprintf(w, "Deleted hook %s.\n", id)
			return err
		}))
	return cmd
}

func hooksListCommand(o *clientOptions) *cobra.Command {
	var state string
	var p pager
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List hooks, oldest first",
		Args:  cobra.NoArgs,
		RunE: o.runE(func(cmd *cobra.Command, c *apiClient, _ []string) error {
			return printPage(cmd, o, c, "/v1/hooks?"+p.query("state", state), func(w io.Writer, hooks []map[string]any) error {
				header := make([]string, len(hookColumns))
				for i, col := range hookColumns {
					header[i] = col[0]
				}
				rows := make([][]string, len(hooks))
				for i, h := range hooks {
					for _, col := range hookColumns {
						rows[i] = append(rows[i], orDash(clip(show(h[col[1]]), 60)))
					}
				}
				return table(w, header, rows)
			})
		}),
	}
	cmd.Flags().StringVar(&state, "state", "", "only hooks in this state: Active, Stopped or TooManyErrors")
	p.flags(cmd)
	return cmd
}

func hooksCreateCommand(o *clientOptions) *cobra.Command {
	var file, auth string
	var headers []string
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a hook",
		Long: "Create a hook: which events it wants (--events) and where they go (--url). The answer shows\n" +
			"the signing secret in full, the only time it is shown: store it. --file takes the whole JSON\n" +
			"body of POST /v1/hooks (- reads standard input); flags given besides override its fields,\n" +
			"and it is how to set " + strings.Join(hookFileFields, ", ") + ", which have no flag.\n" +
			"--receiver-auth sets the credentials deliveries present to the receiver (docs/security.md):\n" +
			"a JSON object, or @file to read it from a file and keep secrets off the command line.",
		Example: "  hookflow hooks create --events 'contact.*' --url https://crm-sync.example.com/hooks --name 'CRM sync'\n" +
			"  hookflow hooks create --file hook.json\n" +
			"  hookflow hooks create --events '*' --url https://gw.example.com/in --receiver-auth @basic-auth.json",
		Args: cobra.NoArgs,
		RunE: o.runE(func(cmd *cobra.Command, c *apiClient, _ []string) error {
			body, err := requestBody(cmd, file, hookFlags, "rate-limit")
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("header") {
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
			if cmd.Flags().Changed("receiver-auth") {
				raw, err := receiverAuthFlag(auth)
				if err != nil {
					return err
				}
				body["receiver_auth"] = raw
			}
			return post(cmd, o, c, "/v1/hooks", body, func(w io.Writer, raw []byte) error {
				if err := printHook(w, raw); err != nil {
					return err
				}
				_, err := fmt.Fprintln(w, "\nThe secret is shown in full only now: store it (hookflow hooks get shows it masked).")
				return err
			})
		}),
	}
	f := cmd.Flags()
	f.StringVarP(&file, "file", "f", "", "JSON body of the hook; - reads standard input")
	f.StringSliceP("events", "e", nil, "event patterns: contact.created, contact.*, * (repeat or comma-separate)")
	f.String("url", "", "target URL the deliveries are POSTed to")
	f.String("name", "", "name of the hook")
	f.String("secret", "", "signing secret (default: a generated whsec_… secret)")
	f.String("format", "", "wire format: "+strings.Join(payload.Formats.Names(), ", ")+" (default standard)")
	f.StringArrayVar(&headers, "header", nil, "custom header Name=value sent with every delivery (repeatable)")
	f.String("errors-email", "", "address mailed when the hook turns TooManyErrors")
	f.Int("rate-limit", 0, "at most this many requests a second to the receiver (default 0: unlimited)")
	f.String("ordering", "", "none (default: in parallel) or fifo (one at a time, in the order of the events)")
	f.StringVar(&auth, "receiver-auth", "", `receiver credentials as JSON ({"type":"basic","username":…,"password":…}), or @file`)
	return cmd
}

// receiverAuthFlag reads --receiver-auth: JSON, or @file holding it.
func receiverAuthFlag(v string) (json.RawMessage, error) {
	b := []byte(v)
	if path, ok := strings.CutPrefix(v, "@"); ok {
		var err error
		if b, err = os.ReadFile(path); err != nil {
			return nil, fmt.Errorf("--receiver-auth: %w", err)
		}
	}
	if !json.Valid(b) {
		return nil, errors.New("--receiver-auth: not valid JSON")
	}
	return json.RawMessage(b), nil
}

// printHook shows the hook in the JSON raw, one field a line.
func printHook(w io.Writer, raw []byte) error {
	var h map[string]any
	if err := json.Unmarshal(raw, &h); err != nil {
		return err
	}
	var pairs []string
	for _, f := range hookFields {
		v := show(h[f[1]])
		if auth, ok := h[f[1]].(map[string]any); ok && f[1] == "receiver_auth" {
			v = show(auth["type"]) // the API shows only the type: credentials are write-only
		}
		if v == "{}" {
			v = "" // options with none set
		}
		pairs = append(pairs, f[0], v)
	}
	return fields(w, pairs...)
}
