package payload

import (
	"net/http"
	"strings"
	"time"
)

// agileEntities renames entities to the names Agile CRM's events use: its
// deals are "Opportunity is Created".
var agileEntities = map[string]string{"Deal": "Opportunity"}

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
