package payload

import (
	"net/http"
	"strings"
	"time"

	"github.com/hookflow/hookflow/internal/signature"
)

// encodeSuperOffice renders SuperOffice's WebhookPayload: one record, named
// "contact.changed"-style, signed over the body with the secret.
func encodeSuperOffice(m *Message, secrets []string, _ time.Time) (*Request, error) {
	r := m.Records[0]
	entity, action, _ := strings.Cut(m.EventType, ".")
	entity = strings.ToLower(entity)
	event := entity + "." + strings.ToLower(vendorAction(action, "created", "changed", "deleted"))
	id := m.deliveryUUID().String()
	body, err := marshal(withProperties(m.Hook.Properties, map[string]any{
		"EventId":              id,
		"Timestamp":            m.OccurredAt.UTC().Format(time.RFC3339Nano),
		"Changes":              changedFields(r),
		"Event":                event,
		"PrimaryKey":           integer(primaryKey(r.Data, entity)),
		"Entity":               entity,
		"ContextIdentifier":    m.Tenant,
		"ChangedByAssociateId": integer(m.Actor),
		"WebhookName":          m.Hook.Name,
		"FieldValues":          r.Data,
	}))
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	h.Set("X-SuperOffice-Event", event)
	h.Set("X-SuperOffice-EventId", id)
	// Like SuperOffice, sign only when the hook has a secret.
	if s := currentSecret(secrets); s != "" {
		h.Set("X-SuperOffice-Signature", signature.SuperOffice(s, body))
	}
	return &Request{Body: body, ContentType: "application/json; charset=utf-8", Header: h}, nil
}

// primaryKey finds a record's id: "id", else SuperOffice's column name for
// it ("contact_id" for a contact).
func primaryKey(data map[string]any, entity string) any {
	if v, ok := data["id"]; ok {
		return v
	}
	return data[entity+"_id"]
}
