package payload

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hookflow/hookflow/internal/signature"
)

// encodePipeliner renders a chunk of records under Pipeliner's event name
// ("Account.Create"), signed with WebHook-Signature.
func encodePipeliner(m *Message, secrets []string, _ time.Time) (*Request, error) {
	entity, action, _ := strings.Cut(m.EventType, ".")
	entity = upperFirst(entity)
	body, err := marshal(withProperties(m.Hook.Properties, map[string]any{
		"id":         m.deliveryUUID().String(),
		"event":      entity + "." + upperFirst(vendorAction(action, "Create", "Update", "Delete")),
		"entity":     entity,
		"space_id":   m.Tenant,
		"webhook_id": strconv.FormatInt(m.Hook.ID, 10),
		"timestamp":  m.OccurredAt.UTC().Format(time.RFC3339Nano),
		"chunk":      m.Chunk,
		"data":       recordsData(m.Records),
	}))
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	if s := currentSecret(secrets); s != "" {
		h.Set("WebHook-Signature", signature.Pipeliner(s, body))
	}
	return &Request{Body: body, ContentType: "application/json", Header: h}, nil
}
