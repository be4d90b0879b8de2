package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/hookflow/hookflow/api"
	"github.com/spf13/cobra"
)

// delivery is the part of the API's delivery the CLI shows.
type delivery struct {
	ID    int64  `json:"id"`
	Event string `json:"event_id"`
	Hook  int64  `json:"hook_id"`
	Chunk struct {
		Index int `json:"index"`
		Count int `json:"count"`
	} `json:"chunk"`
	Status         string    `json:"status"`
	Attempts       int       `json:"attempts"`
	LastStatusCode int       `json:"last_status_code"`
	LastError      string    `json:"last_error"`
	CreatedAt      time.Time `json:"created_at"`
}

func eventsCommand() *cobra.Command {
	o := &clientOptions{}
	cmd := clientGroup("events", "Send triggers to a running hookflow and follow their deliveries", o)
	cmd.AddCommand(eventsSendCommand(o), eventsGetCommand(o))
	return cmd
}

func eventsSendCommand(o *clientOptions) *cobra.Command {
	var file, event, id, data, records, skipKey string
	cmd := &cobra.Command{
		Use:   "send",
		Short: "Report a change, as the CRM would (POST /v1/events)",
		Long: "Send a trigger: the event (--event) and its records (--data for one, --records for a list).\n" +
			"--id makes it idempotent: the same id twice is delivered once. --file takes the whole JSON\n" +
			"body (- reads standard input); flags given besides override its fields.",
		Example: "  hookflow events send --event Contact.Update --id evt-1001 --data '{\"id\": 1, \"email1\": \"ada@example.com\"}'\n" +
			"  hookflow events send --file trigger.json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			body := map[string]any{}
			if file != "" {
				if err := readJSONFile(cmd.InOrStdin(), file, &body); err != nil {
					return err
				}
			}
			f := cmd.Flags()
			setFlag(f.Changed("event"), body, "event", event)
			setFlag(f.Changed("id"), body, "id", id)
			if err := setJSONFlag(f.Changed("data"), body, "data", data); err != nil {
				return err
			}
			if err := setJSONFlag(f.Changed("records"), body, "records", records); err != nil {
				return err
			}
			c, err := o.client()
			if err != nil {
				return err
			}
			var header []string
			if skipKey != "" {
				header = []string{api.SkipKeyHeader, skipKey}
			}
			raw, err := c.do(cmd.Context(), http.MethodPost, "/v1/events", body, header...)
			if err != nil || o.json {
				return jsonOr(cmd.OutOrStdout(), raw, err)
			}
			var a struct {
				EventID    string `json:"event_id"`
				WorkflowID string `json:"workflow_id"`
				Duplicate  bool   `json:"duplicate"`
			}
			if err := json.Unmarshal(raw, &a); err != nil {
				return err
			}
			what := "Accepted event %s (workflow %s).\n"
			if a.Duplicate {
				what = "Event %s was accepted before (workflow %s): nothing new is sent.\n"
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), what+"Follow it: hookflow events get %s\n", a.EventID, a.WorkflowID, a.EventID)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVarP(&file, "file", "f", "", "JSON body of the trigger; - reads standard input")
	f.StringVar(&event, "event", "", "event type, entity.action: Contact.Update, deal.created")
	f.StringVar(&id, "id", "", "idempotency key and event id (default: generated)")
	f.StringVar(&data, "data", "", "one record, as a JSON object")
	f.StringVar(&records, "records", "", "records, as a JSON array of objects")
	f.StringVar(&skipKey, "skip-key", "", "hooks whose options.skip_keys hold this key are not triggered")
	cmd.MarkFlagsMutuallyExclusive("data", "records")
	return cmd
}

func eventsGetCommand(o *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "get ID",
		Short: "Show an event and where each of its deliveries stands",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			var ev struct {
				ID          string     `json:"id"`
				Tenant      string     `json:"tenant"`
				Event       string     `json:"event"`
				ReceivedAt  time.Time  `json:"received_at"`
				RecordCount int        `json:"record_count"`
				WorkflowID  string     `json:"workflow_id"`
				Deliveries  []delivery `json:"deliveries"`
			}
			raw, err := c.get(cmd.Context(), "/v1/events/"+url.PathEscape(args[0]), &ev)
			if err != nil || o.json {
				return jsonOr(cmd.OutOrStdout(), raw, err)
			}
			w := cmd.OutOrStdout()
			if err := fields(w, "ID", ev.ID, "Event", ev.Event, "Tenant", ev.Tenant, "Received", stamp(ev.ReceivedAt),
				"Records", strconv.Itoa(ev.RecordCount), "Workflow", ev.WorkflowID); err != nil {
				return err
			}
			if len(ev.Deliveries) == 0 {
				_, err := fmt.Fprintln(w, "\nNo deliveries (yet): no Active hook matched, or planning has not run.")
				return err
			}
			fmt.Fprintln(w)
			return deliveryTable(w, ev.Deliveries)
		},
	}
}

func deliveriesCommand() *cobra.Command {
	o := &clientOptions{}
	cmd := clientGroup("deliveries", "List a hook's deliveries on a running hookflow", o)
	var hookID int64
	var status, cursor string
	var limit int
	list := &cobra.Command{
		Use:     "list --hook ID",
		Short:   "List a hook's deliveries, newest first",
		Example: "  hookflow deliveries list --hook 1 --status failed",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := o.client()
			if err != nil {
				return err
			}
			q := url.Values{}
			setIf(q, "status", status)
			setIf(q, "cursor", cursor)
			if limit > 0 {
				q.Set("limit", strconv.Itoa(limit))
			}
			var page struct {
				Data       []delivery `json:"data"`
				NextCursor string     `json:"next_cursor"`
			}
			raw, err := c.get(cmd.Context(), fmt.Sprintf("/v1/hooks/%d/deliveries?%s", hookID, q.Encode()), &page)
			if err != nil || o.json {
				return jsonOr(cmd.OutOrStdout(), raw, err)
			}
			if err := deliveryTable(cmd.OutOrStdout(), page.Data); err != nil {
				return err
			}
			return nextPage(cmd.ErrOrStderr(), page.NextCursor)
		},
	}
	list.Flags().Int64Var(&hookID, "hook", 0, "id of the hook (required)")
	list.Flags().StringVar(&status, "status", "", "only deliveries in this status: pending, succeeded, failed or skipped")
	pageFlags(list, &limit, &cursor)
	_ = list.MarkFlagRequired("hook") // fails only for a flag that does not exist
	cmd.AddCommand(list)
	return cmd
}

// setJSONFlag sets field to the JSON a flag of the same name holds.
func setJSONFlag(changed bool, body map[string]any, field, v string) error {
	if !changed {
		return nil
	}
	if !json.Valid([]byte(v)) {
		return fmt.Errorf("--%s: not valid JSON", field)
	}
	body[field] = json.RawMessage(v)
	return nil
}

// deliveryTable shows deliveries with their last answer: a status code, or the error.
func deliveryTable(w io.Writer, ds []delivery) error {
	rows := make([][]string, len(ds))
	for i, d := range ds {
		last := d.LastError
		if d.LastStatusCode != 0 {
			last = strconv.Itoa(d.LastStatusCode)
		}
		rows[i] = []string{strconv.FormatInt(d.ID, 10), clip(d.Event, 24), strconv.FormatInt(d.Hook, 10),
			fmt.Sprintf("%d/%d", d.Chunk.Index+1, d.Chunk.Count), d.Status, strconv.Itoa(d.Attempts), orDash(clip(last, 40)), stamp(d.CreatedAt)}
	}
	return table(w, []string{"ID", "EVENT", "HOOK", "CHUNK", "STATUS", "ATTEMPTS", "LAST", "CREATED"}, rows)
}
