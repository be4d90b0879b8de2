package payload

import (
	"net/http"
	"strings"
	"time"

	"github.com/hookflow/hookflow/models"
)

// agileEntities renames entities to the names Agile CRM's events use: its
// deals are "Opportunity is Created".
var agileEntities = map[string]string{"Deal": "Opportunity"}

// AgileCRM is Agile CRM's {"eventName", "eventData"}.
const AgileCRM models.Format = "agilecrm"

func init() {
	register(&Format{
		Name:                AgileCRM,
		Vendor:              "Agile CRM",
		Doc:                 "https://github.com/agilecrm/webhooks",
		OneRecordPerRequest: true,
		encode:              encodeAgileCRM,
		Catalog: &Catalog{
			Doc:  "https://github.com/agilecrm/webhooks",
			Note: "Agile CRM sends its Contact and Deal modules as \"<Entity> is <Action>\", deals as Opportunity; its guide shows these four.",
			Events: eventList([][2]string{
				{"Contact.Created", "A contact was created (Agile CRM: Contact is Created)."},
				{"Contact.Updated", "A contact was updated (Agile CRM: Contact is Updated)."},
				{"Opportunity.Created", "A deal was created (Agile CRM: Opportunity is Created)."},
				{"Opportunity.Updated", "A deal was updated (Agile CRM: Opportunity is Updated)."},
			}),
		},
	})
}

// encodeAgileCRM renders Agile CRM's {"eventName", "eventData"}. Agile CRM
// signs nothing; receivers authenticate with the hook's custom headers.
func encodeAgileCRM(m *Message, _ []string, _ time.Time) (*Request, error) {
	entity, action, _ := strings.Cut(m.EventType, ".")
	entity = upperFirst(entity)
	if alias, ok := agileEntities[entity]; ok {
		entity = alias
	}
	body, err := marshal(withProperties(m.Hook.Properties, map[string]any{
		"eventName": entity + " is " + upperFirst(vendorAction(action, "Created", "Updated", "Deleted")),
		"eventData": m.Records[0].Data,
	}))
	if err != nil {
		return nil, err
	}
	return &Request{Body: body, ContentType: "application/json", Header: http.Header{}}, nil
}
