package payload

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hookflow/hookflow/internal/signature"
	"github.com/hookflow/hookflow/models"
)

// Pipeliner is Pipeliner's webhook notification.
const Pipeliner models.Format = "pipeliner"

// pipelinerDoc is Pipeliner's webhook page: events, options and signature.
const pipelinerDoc = "https://developers.pipelinersales.com/api-docs/core-api-concepts/webhooks-real-time-updates"

func init() {
	register(&Format{
		Name:           Pipeliner,
		Vendor:         "Pipeliner",
		Doc:            pipelinerDoc,
		HeaderPrefixes: []string{"WebHook-"}, // WebHook-Signature
		Scheme:         "pipeliner",
		encode:         encodePipeliner,
		verify:         bodyHMAC("WebHook-Signature", signature.Pipeliner),
		Catalog: &Catalog{
			Doc:  pipelinerDoc,
			Note: "Entity.Action names from Pipeliner's table of webhook events; a hook may also subscribe to Entity.* or *.",
			Events: eventList([][2]string{
				{"Account.Create", "An account was created."},
				{"Account.Update", "An account was updated."},
				{"Account.Delete", "An account was deleted."},
				{"Account.DocumentLinked", "A document was linked to an account."},
				{"Account.OwnerChanged", "An account changed owner."},
				{"Contact.Create", "A contact was created."},
				{"Contact.Update", "A contact was updated."},
				{"Contact.Delete", "A contact was deleted."},
				{"Contact.DocumentLinked", "A document was linked to a contact."},
				{"Contact.OwnerChanged", "A contact changed owner."},
				{"Opportunity.Create", "An opportunity was created."},
				{"Opportunity.Update", "An opportunity was updated."},
				{"Opportunity.Delete", "An opportunity was deleted."},
				{"Opportunity.DocumentLinked", "A document was linked to an opportunity."},
				{"Opportunity.OwnerChanged", "An opportunity changed owner."},
				{"Opportunity.Move", "An opportunity's sales step changed."},
				{"Opportunity.Lost", "An opportunity was archived or lost."},
				{"Opportunity.Won", "An opportunity was won."},
				{"Opportunity.Qualify", "An opportunity was created from a qualified lead."},
				{"Lead.Create", "A lead was created."},
				{"Lead.Update", "A lead was updated."},
				{"Lead.Delete", "A lead was deleted."},
				{"Lead.DocumentLinked", "A document was linked to a lead."},
				{"Lead.OwnerChanged", "A lead changed owner."},
				{"Lead.Lost", "A lead was archived or lost."},
				{"Lead.BackToLead", "An opportunity was reverted to a lead."},
				{"Task.Create", "A task was created."},
				{"Task.Update", "A task was updated."},
				{"Task.Delete", "A task was deleted."},
				{"Task.DocumentLinked", "A document was linked to a task."},
				{"Task.OwnerChanged", "A task changed owner."},
				{"Task.Comment", "A task was commented on."},
				{"Email.Create", "An email was created."},
				{"Email.Update", "An email was updated."},
				{"Email.Delete", "An email was deleted."},
				{"Email.DocumentLinked", "A document was linked to an email."},
				{"Appointment.Create", "An appointment was created."},
				{"Appointment.Update", "An appointment was updated."},
				{"Appointment.Delete", "An appointment was deleted."},
				{"Appointment.DocumentLinked", "A document was linked to an appointment."},
				{"Appointment.OwnerChanged", "An appointment changed owner."},
				{"Appointment.Comment", "An appointment was commented on."},
				{"Product.Create", "A product was created."},
				{"Product.Update", "A product was updated."},
				{"Product.Delete", "A product was deleted."},
				{"OpptyProductRelation.Create", "A product line item was added to an opportunity."},
				{"OpptyProductRelation.Update", "A product line item was updated."},
				{"OpptyProductRelation.Delete", "A product line item was removed."},
				{"CustomEntity.Create", "A custom entity record was created; the trigger's custom_entity names the entity (options.custom_entity_api_name filters on it)."},
				{"CustomEntity.Update", "A custom entity record was updated."},
				{"CustomEntity.Delete", "A custom entity record was deleted."},
				{"CustomEntity.DocumentLinked", "A document was linked to a custom entity record."},
				{"CustomEntity.OwnerChanged", "A custom entity record changed owner."},
			}),
		},
		Examples: []Example{{
			// Pipeliner's example: the accounts just created, signed with
			// the signature UUID its document shows.
			EventType: "Account.Create", OccurredAt: exampleTime, Actor: "5", Properties: exampleProperties,
			Secret: "01234567-abcd-dcba-ffff-000000000000",
			Body: `{"records": [{"id": "9b2d4a60-3f8e-4c1a-a1d2-0c5e6f7a8b9c", "name": "Analytical Engines", "owner_id": 5, "email1": "info@engines.example"},
				{"id": "c0ffee00-1d2e-4f5a-8b9c-0d1e2f3a4b5c", "name": "Difference Works", "owner_id": 5, "email1": null}]}`,
		}},
	})
}

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
