package payload

import (
	"net/http"
	"strings"
	"time"

	"github.com/hookflow/hookflow/internal/signature"
	"github.com/hookflow/hookflow/models"
)

// SuperOffice is SuperOffice's WebhookPayload.
const SuperOffice models.Format = "superoffice"

func init() {
	register(&Format{
		Name:                SuperOffice,
		Vendor:              "SuperOffice",
		Doc:                 "https://docs.superoffice.com/en/automation/webhook/dev/index.html",
		OneRecordPerRequest: true,
		HeaderPrefixes:      []string{"X-SuperOffice-"}, // -Signature, -Event, -EventId, -Retry
		Scheme:              "superoffice",
		encode:              encodeSuperOffice,
		verify:              bodyHMAC("X-SuperOffice-Signature", signature.SuperOffice),
		Examples:            []Example{exampleContactUpdate},
		Catalog: &Catalog{
			Doc:  "https://docs.superoffice.com/en/automation/webhook/event-details.html",
			Note: "entity.event names from SuperOffice's event details table and per-entity reference pages; activity covers appointments and documents as activities.",
			Events: eventList([][2]string{
				{"activity.created", "An activity (appointment, task or document) was created."},
				{"activity.changed", "An activity was changed."},
				{"activity.deleted", "An activity was deleted."},
				{"associate.created", "An associate (user) was created."},
				{"associate.changed", "An associate was changed."},
				{"associate.deleted", "An associate was deleted."},
				{"contact.created", "A contact (company) was created."},
				{"contact.changed", "A contact was changed."},
				{"contact.deleted", "A contact was permanently deleted by the system."},
				{"contact.softdeleted", "A contact was deleted in the user interface."},
				{"chatsession.created", "A chat session was created."},
				{"chatsession.changed", "A chat session was changed."},
				{"chatsession.message", "A message was posted in a chat session."},
				{"document.created", "A document was created."},
				{"document.changed", "A document was changed."},
				{"document.deleted", "A document was deleted."},
				{"document.edited", "A document's content was edited."},
				{"person.created", "A person was created."},
				{"person.changed", "A person was changed."},
				{"person.deleted", "A person was permanently deleted by the system."},
				{"person.softdeleted", "A person was deleted in the user interface."},
				{"person.consented", "A person's consent was added or changed."},
				{"person.unconsented", "A person's consent was removed or withdrawn."},
				{"project.created", "A project was created."},
				{"project.changed", "A project was changed."},
				{"project.deleted", "A project was deleted."},
				{"projectmember.created", "A project member was added."},
				{"projectmember.changed", "A project member was changed."},
				{"projectmember.deleted", "A project member was removed."},
				{"quote.approved", "A quote was approved."},
				{"quote.rejected", "A quote was rejected."},
				{"quote.sent", "A quote was sent."},
				{"quote.ordered", "A quote was ordered."},
				{"relation.created", "A relation was created."},
				{"relation.changed", "A relation was changed."},
				{"relation.deleted", "A relation was deleted."},
				{"sale.created", "A sale was created."},
				{"sale.changed", "A sale was changed."},
				{"sale.deleted", "A sale was deleted."},
				{"sale.completed", "A sale was completed."},
				{"sale.lost", "A sale was lost."},
				{"sale.sold", "A sale was sold."},
				{"salestakeholder.created", "A sale stakeholder was added."},
				{"salestakeholder.changed", "A sale stakeholder was changed."},
				{"salestakeholder.deleted", "A sale stakeholder was removed."},
				{"ticket.created", "A ticket was created."},
				{"ticket.changed", "A ticket was changed."},
			}),
		},
	})
}

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
