// Package payload renders a delivery in each wire format of SPEC §6 and signs
// it the way that format's receivers verify.
package payload

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"time"

	"github.com/hookflow/hookflow/models"
)

// Message is everything one request carries: records already filtered and
// trimmed for the hook.
type Message struct {
	DeliveryID   int64
	Tenant       string
	EventID      string
	EventType    string // as the CRM named it, e.g. "Contact.Update"
	OccurredAt   time.Time
	Actor        string
	CustomEntity string
	Records      []models.Record
	Chunk        Chunk
	Hook         Hook
}

// Chunk places a request among the hook's requests for one event.
type Chunk struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

// Hook is what a format needs to know of the hook it delivers for.
type Hook struct {
	ID         int64
	Name       string
	Properties map[string]any
}

// Request is an encoded delivery.
type Request struct {
	Body        []byte
	ContentType string
	Header      http.Header // authentication and format headers
}

// ID is the delivery id as the receiver sees it: the same on every retry.
func (m *Message) ID() string { return strconv.FormatInt(m.DeliveryID, 10) }

type encoder func(m *Message, secrets []string, now time.Time) (*Request, error)

var encoders = map[models.Format]encoder{
	models.FormatStandard: encodeStandard,
}

// Encode renders m in format f. secrets sign it: the current secret first and,
// during a rotation, the previous one. now is the send time (signed headers
// carry it so receivers can reject replays).
func Encode(f models.Format, m *Message, secrets []string, now time.Time) (*Request, error) {
	enc, ok := encoders[f]
	if !ok {
		return nil, fmt.Errorf("format %q is not supported", f)
	}
	return enc(m, secrets, now)
}

// withProperties merges the hook's properties under body: the format's own
// keys win, so a property can never forge an id, type or signature field.
func withProperties(props map[string]any, body map[string]any) map[string]any {
	out := make(map[string]any, len(props)+len(body))
	maps.Copy(out, props)
	maps.Copy(out, body)
	return out
}

func recordsData(rs []models.Record) []map[string]any {
	out := make([]map[string]any, len(rs))
	for i, r := range rs {
		out[i] = r.Data
	}
	return out
}

func marshal(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode body: %w", err)
	}
	return b, nil
}
