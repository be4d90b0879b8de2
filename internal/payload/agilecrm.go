package payload

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hookflow/hookflow/models"
)

// agileEntities renames entities to the names Agile CRM's events use: its
// deals are "Opportunity is Created".
var agileEntities = map[string]string{"Deal": "Opportunity"}

// AgileCRM is Agile CRM's {"eventName", "eventData"}.
const AgileCRM models.Format = "agilecrm"

// agileCRMDoc is Agile CRM's webhook guide: the two fields and four examples.
const agileCRMDoc = "https://github.com/agilecrm/webhooks"

func init() {
	register(&Format{
		Name:                AgileCRM,
		Vendor:              "Agile CRM",
		Doc:                 agileCRMDoc,
		OneRecordPerRequest: true,
		encode:              encodeAgileCRM,
		Catalog: &Catalog{
			Doc: agileCRMDoc,
			Note: "Agile CRM's Contact and Deal modules, sent as \"<Entity> is <Action>\" with deals named Opportunity; " +
				"its guide shows these four. Name deal events Deal.* or Opportunity.*: both are sent as Opportunity.",
			Events: eventList([][2]string{
				{"Contact.Created", "A contact was created (Agile CRM: Contact is Created)."},
				{"Contact.Updated", "A contact was updated (Agile CRM: Contact is Updated)."},
				{"Opportunity.Created", "A deal was created (Agile CRM: Opportunity is Created)."},
				{"Opportunity.Updated", "A deal was updated (Agile CRM: Opportunity is Updated)."},
			}),
		},
		// Agile CRM's four examples, each from the trigger that sends it.
		Examples: []Example{
			{EventType: "Contact.Created", OccurredAt: agileExampleTime, Body: `{"records": [` + agileContact + `]}`},
			{Name: "contact-updated", EventType: "Contact.Updated", OccurredAt: agileExampleTime, Body: `{"records": [{
				"id": 5667649732214784, "type": "PERSON", "created_time": 1455855737, "updated_time": 1455856605,
				"properties": [{"type": "SYSTEM", "name": "last_name", "subtype": null, "value": "Delta Updated"},
					{"type": "SYSTEM", "name": "email", "subtype": "", "value": "john@alien.comm  "}]}]}`},
			{Name: "deal-created", EventType: "Deal.Created", OccurredAt: agileExampleTime, Body: `{"records": [` + agileDeal(95) + `]}`},
			{Name: "deal-updated", EventType: "Deal.Updated", OccurredAt: agileExampleTime, Body: `{"records": [` + agileDeal(99) + `]}`},
		},
	})
}

// The records of Agile CRM's examples.
var (
	agileExampleTime = time.Date(2016, 2, 19, 4, 22, 17, 0, time.UTC)
	agileContact     = `{"id": 5667649732214784, "type": "PERSON", "created_time": 1455855737, "properties": [
		{"type": "SYSTEM", "name": "first_name", "subtype": null, "value": "John"},
		{"type": "SYSTEM", "name": "last_name", "subtype": null, "value": "Delta"},
		{"type": "SYSTEM", "name": "email", "subtype": "", "value": "john@alien.comm  "}]}`
)

func agileDeal(probability int) string {
	return `{"colorName": "GREY", "id": 5721670354468864, "name": "deal plane", "contact_ids": ["5667649732214784"],
		"expected_value": 50000, "milestone": "Proposal", "probability": ` + strconv.Itoa(probability) + `, "close_date": null,
		"owner_id": "6263975862861824", "pipeline_id": 5730082031140864}`
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
