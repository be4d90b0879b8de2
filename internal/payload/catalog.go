package payload

// Catalog is the event types a vendor documents, so integrators can find the
// names their receivers expect (GET /v1/event-types). It informs and never
// restricts: hooks and triggers accept any entity.action.
type Catalog struct {
	Doc    string // the page the list comes from
	Note   string // how the vendor names its events, and what hookflow makes of them
	Events []EventType
}

// EventType is one event a vendor documents.
type EventType struct {
	Event       string // as triggers and hooks name it: "Account.Create", "note.created"
	Description string
	Fields      []Field // what the vendor's payload carries for this event, when it lists that
}

// Field is one field a vendor documents for an event type.
type Field struct {
	Name     string
	Optional bool // the vendor sends it only "if applicable"
}

// eventList makes a catalog's events from {event, description} pairs.
func eventList(pairs [][2]string) []EventType {
	out := make([]EventType, len(pairs))
	for i, p := range pairs {
		out[i] = EventType{Event: p[0], Description: p[1]}
	}
	return out
}
