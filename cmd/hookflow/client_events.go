package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
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
	cmd.AddCommand(eventsSendCommand(o),
		resourceCommand(o, "get ID", "Show an event and where each of its deliveries stands", http.MethodGet, "/v1/events/", printEvent))
	return cmd
}

func eventsSendCommand(o *clientOptions) *cobra.Command {
	var file, skipKey string
	cmd := &cobra.Command{
		Use:   "send",
		Short: "Report a change, as the CRM would (POST /v1/events)",
		Long: "Send a trigger: the event (--event) and its records (--data for one, --records for a list).\n" +
			"--id makes it idempotent: the same id twice is delivered once. --file takes the whole JSON\n" +
			"body (- reads standard input); flags given besides override its fields.",
		Example: "  hookflow events send --event Contact.Update --id evt-1001 --data '{\"id\": 1, \"email1\": \"ada@example.com\"}'\n" +
			"  hookflow events send --file trigger.json",
		Args: cobra.NoArgs,
		RunE: o.runE(func(cmd *cobra.Command, c *apiClient, _ []string) error {
			body, err := requestBody(cmd, file, map[string]string{"event": "event", "id": "id", "data": "data", "records": "records"},
				"data", "records")
			if err != nil {
				return err
			}
			var header []string
			if skipKey != "" {
				header = []string{api.SkipKeyHeader, skipKey}
			}
			return post(cmd, o, c, "/v1/events", body, func(w io.Writer, raw []byte) error {
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
				_, err := fmt.Fprintf(w, what+"Follow it: hookflow events get %s\n", a.EventID, a.WorkflowID, a.EventID)
				return err
			}, header...)
		}),
	}
	f := cmd.Flags()
	f.StringVarP(&file, "file", "f", "", "JSON body of the trigger; - reads standard input")
	f.String("event", "", "event type, entity.action: Contact.Update, deal.created")
	f.String("id", "", "idempotency key and event id (default: generated)")
	f.String("data", "", "one record, as a JSON object")
	f.String("records", "", "records, as a JSON array of objects")
	f.StringVar(&skipKey, "skip-key", "", "hooks whose options.skip_keys hold this key are not triggered")
	cmd.MarkFlagsMutuallyExclusive("data", "records")
	return cmd
}

// printEvent shows the event in the JSON raw and a table of its deliveries.
func printEvent(w io.Writer, raw []byte, _ string) error {
	var ev struct {
		ID          string     `json:"id"`
		Tenant      string     `json:"tenant"`
		Event       string     `json:"event"`
		ReceivedAt  time.Time  `json:"received_at"`
		RecordCount int        `json:"record_count"`
		WorkflowID  string     `json:"workflow_id"`
		Deliveries  []delivery `json:"deliveries"`
	}
	if err := json.Unmarshal(raw, &ev); err != nil {
		return err
	}
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
}

func deliveriesCommand() *cobra.Command {
	o := &clientOptions{}
	cmd := clientGroup("deliveries", "List a hook's deliveries on a running hookflow", o)
	var hookID int64
	var status string
	var p pager
	list := &cobra.Command{
		Use:     "list --hook ID",
		Short:   "List a hook's deliveries, newest first",
		Example: "  hookflow deliveries list --hook 1 --status failed",
		Args:    cobra.NoArgs,
		RunE: o.runE(func(cmd *cobra.Command, c *apiClient, _ []string) error {
			return printPage(cmd, o, c, fmt.Sprintf("/v1/hooks/%d/deliveries?%s", hookID, p.query("status", status)), deliveryTable)
		}),
	}
	list.Flags().Int64Var(&hookID, "hook", 0, "id of the hook (required)")
	list.Flags().StringVar(&status, "status", "", "only deliveries in this status: pending, succeeded, failed or skipped")
	p.flags(list)
	_ = list.MarkFlagRequired("hook") // fails only for a flag that does not exist
	cmd.AddCommand(list)
	return cmd
}

// deliveryTable shows deliveries with their last answer: a status code, or
// the end of the error, where Go's network errors say what went wrong.
func deliveryTable(w io.Writer, ds []delivery) error {
	rows := make([][]string, len(ds))
	for i, d := range ds {
		last := d.LastError
		if r := []rune(last); len(r) > 40 {
			last = "…" + string(r[len(r)-39:])
		}
		if d.LastStatusCode != 0 {
			last = strconv.Itoa(d.LastStatusCode)
		}
		rows[i] = []string{strconv.FormatInt(d.ID, 10), clip(d.Event, 24), strconv.FormatInt(d.Hook, 10),
			fmt.Sprintf("%d/%d", d.Chunk.Index+1, d.Chunk.Count), d.Status, strconv.Itoa(d.Attempts), orDash(last), stamp(d.CreatedAt)}
	}
	return table(w, []string{"ID", "EVENT", "HOOK", "CHUNK", "STATUS", "ATTEMPTS", "LAST", "CREATED"}, rows)
}
