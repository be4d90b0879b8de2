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

func init() {
	register(&Format{
		Name:           Pipeliner,
		Vendor:         "Pipeliner",
		Doc:            "https://developers.pipelinersales.com/api-docs/core-api-concepts/webhooks-real-time-updates",
		HeaderPrefixes: []string{"WebHook-"}, // WebHook-Signature
		Scheme:         "pipeliner",
		encode:         encodePipeliner,
		verify:         bodyHMAC("WebHook-Signature", signature.Pipeliner),
		Catalog: &Catalog{
			Doc:  "https://developers.pipelinersales.com/api-docs/core-api-concepts/webhooks-real-time-updates",
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
			}),
		},
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
