package payload

import (
	"encoding/binary"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/hookflow/hookflow/models"
)

// ClinchPad is ClinchPad's activity notification.
const ClinchPad models.Format = "clinchpad"

func init() {
	register(&Format{
		Name:                ClinchPad,
		Vendor:              "ClinchPad",
		Doc:                 "https://clinchpad.com/api/docs/webhooks",
		OneRecordPerRequest: true,
		encode:              encodeClinchPad,
		Catalog: &Catalog{
			Doc:  "https://clinchpad.com/api/docs/webhooks",
			Note: "ClinchPad documents 33 activity types named entity:action (note:created); hookflow names them entity.action and the clinchpad format sends them as entity:action. Only the types confirmed so far are listed.",
			Events: eventList([][2]string{
				{"lead.created", "A lead was created (ClinchPad activity type lead:created)."},
				{"note.created", "A note was added to a lead (ClinchPad activity type note:created)."},
			}),
		},
	})
}

// encodeClinchPad renders ClinchPad's activity notification: the activity,
// the record under its entity's name ("lead") and the handshake key.
func encodeClinchPad(m *Message, secrets []string, _ time.Time) (*Request, error) {
	entity, action, _ := strings.Cut(m.EventType, ".")
	entity = strings.ToLower(entity)
	recordKey := entity
	if recordKey == "activity" || recordKey == "handshake_key" {
		recordKey = "record" // never let a record hide the activity or the key
	}
	var user any // null when the CRM did not say who acted
	if m.Actor != "" {
		user = map[string]any{"_id": m.Actor, "name": m.Actor}
	}
	body := map[string]any{
		"activity": map[string]any{
			"_id":        m.objectID(),
			"created_at": m.OccurredAt.UTC().Format(time.RFC3339),
			"type":       entity + ":" + strings.ToLower(vendorAction(action, "created", "updated", "deleted")),
			"user":       user,
		},
		recordKey: m.Records[0].Data,
	}
	// ClinchPad sends the key only when one was set; receivers compare it
	// with their copy, so it is the secret itself.
	if s := currentSecret(secrets); s != "" {
		body["handshake_key"] = s
	}
	b, err := marshal(withProperties(m.Hook.Properties, body))
	if err != nil {
		return nil, err
	}
	return &Request{Body: b, ContentType: "application/json", Header: http.Header{}}, nil
}

// objectID is a MongoDB ObjectId, the shape of ClinchPad's ids: the event
// time, then 8 bytes of the delivery's UUID so it is stable across retries.
func (m *Message) objectID() string {
	var b [12]byte
	binary.BigEndian.PutUint32(b[:4], uint32(m.OccurredAt.Unix()))
	u := m.deliveryUUID()
	copy(b[4:], u[:8])
	return hex.EncodeToString(b[:])
}
