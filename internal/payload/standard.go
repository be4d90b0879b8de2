package payload

import (
	"net/http"
	"time"

	"github.com/hookflow/hookflow/internal/signature"
)

// encodeStandard renders the Standard Webhooks format: a JSON envelope with
// the event id, type and records, signed over "id.timestamp.body".
func encodeStandard(m *Message, secrets []string, now time.Time) (*Request, error) {
	body, err := marshal(withProperties(m.Hook.Properties, map[string]any{
		"id":        m.EventID,
		"type":      m.EventType,
		"timestamp": m.OccurredAt.UTC().Format(time.RFC3339Nano),
		"data":      recordsData(m.Records),
		"chunk":     m.Chunk,
	}))
	if err != nil {
		return nil, err
	}
	id, ts, sig := signature.Standard(m.ID(), now, body, secrets...)
	h := http.Header{}
	h.Set("Webhook-Id", id)
	h.Set("Webhook-Timestamp", ts)
	h.Set("Webhook-Signature", sig)
	return &Request{Body: body, ContentType: "application/json", Header: h}, nil
}
