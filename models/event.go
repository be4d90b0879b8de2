package models

import (
	"bytes"
	"encoding/json"
	"time"
)

// Event is one trigger from the CRM. The body is stored here and only ids
// travel through Temporal, so a 5 MiB event keeps workflow histories small.
type Event struct {
	PK           int64 `gorm:"column:pk;primaryKey"`
	ID           string
	Tenant       string
	Type         string
	OccurredAt   time.Time
	ReceivedAt   time.Time
	Actor        string
	CustomEntity string
	SkipKey      string
	RecordCount  int
	Body         []byte // EventBody as JSON
	WorkflowID   string
	// AboutHookID is, for hookflow's own state-change events, the hook whose
	// state changed; 0 for the CRM's triggers.
	AboutHookID int64
}

// EventBody holds the records of an event and what changed in them; the
// slices line up by index.
type EventBody struct {
	Records  []map[string]any `json:"records"`
	Changes  [][]string       `json:"changes,omitempty"`
	Previous []map[string]any `json:"previous,omitempty"`
}

// Record is one record of an event with its change information.
type Record struct {
	Index    int            // position in the event
	Data     map[string]any // the record as the CRM sent it
	Changes  []string       // fields the CRM says changed; nil when unknown
	Previous map[string]any // the record before the change; nil when unknown
}

// At returns record i with its change information.
func (b *EventBody) At(i int) Record {
	r := Record{Index: i, Data: b.Records[i]}
	if i < len(b.Changes) {
		r.Changes = b.Changes[i]
	}
	if i < len(b.Previous) {
		r.Previous = b.Previous[i]
	}
	return r
}

// DecodeBody parses the stored body, keeping numbers exact (json.Number) so
// ids and amounts reach receivers unchanged.
func (e *Event) DecodeBody() (*EventBody, error) {
	var b EventBody
	if err := UnmarshalExact(e.Body, &b); err != nil {
		return nil, err
	}
	return &b, nil
}

// UnmarshalExact decodes JSON with json.Number for numbers.
func UnmarshalExact(data []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	return d.Decode(v)
}
