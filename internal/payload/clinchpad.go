package payload

import (
	"encoding/binary"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/hookflow/hookflow/models"
)

// ClinchPad is ClinchPad's activity notification: the activity, the lead it
// happened to, and the handshake key.
const ClinchPad models.Format = "clinchpad"

// clinchPadDoc is ClinchPad's webhook page: the example payload and the table
// of its 33 activity types.
const clinchPadDoc = "https://clinchpad.com/api/docs/webhooks"

func init() {
	register(&Format{
		Name:                ClinchPad,
		Vendor:              "ClinchPad",
		Doc:                 clinchPadDoc,
		OneRecordPerRequest: true,
		encode:              encodeClinchPad,
		Catalog: &Catalog{
			Doc: clinchPadDoc,
			Note: "ClinchPad's 33 activity types, named entity:action there (note:created) and entity.action here (note.created); " +
				"the clinchpad format sends each type's fields from the record into the activity.",
			Events: clinchPadActivities,
		},
		Examples: []Example{{
			// ClinchPad's own example: a note added to a lead.
			EventType: "note.created", OccurredAt: time.Date(2014, 1, 10, 9, 37, 58, 0, time.UTC), Secret: "gfhkd1asfsa",
			Body: `{"records": [{"_id": "52cfbf76cce8b40f0f000005", "note_content": "Hello world!",
				"user": {"_id": "52cf8c0acce8b4c375000001", "name": "Webhook Testing", "photo_url": "https://s3.amazonaws.com/..."},
				"lead": {"_id": "52cfa124cce8b4d113000056", "name": "Webhook T",
					"stage": {"_id": "52cf8c0bcce8b4c37500000c", "name": "Offer"},
					"pipe": {"_id": "52cf8c0bcce8b4c375000008", "name": "Default"}}}]}`,
		}},
	})
}

// clinchPadActivities is ClinchPad's table of activity types, with the fields
// each adds to the activity; a field ending in "?" is sent "if applicable".
var clinchPadActivities = []EventType{
	activity("lead.created", "A lead was created"),
	activity("lead.moved", "A lead was moved from one stage to another", "old_stage_name", "new_stage_name"),
	activity("lead.name_changed", "A lead's name was changed", "old_lead_name"),
	activity("lead.won", "A lead was marked as won"),
	activity("lead.lost", "A lead was marked as lost"),
	activity("lead.assigned", "A lead was assigned to a user", "lead_assigned_to_name"),
	activity("lead.unassigned", "A lead was unassigned from a user", "old_lead_assigned_to_name"),
	activity("lead.size_changed", "The value of the lead was changed", "lead_size", "old_lead_size?"),
	activity("lead.restored", "Lead was restored from archived leads"),
	activity("todo.created", "A todo was created", "todo_name", "todo_type", "todo_date?", "todo_time?"),
	activity("todo.name_changed", "Name of a todo was changed", "todo_name", "old_todo_name"),
	activity("todo.type_changed", "Type of a todo was changed", "todo_name", "todo_type", "old_todo_type"),
	activity("todo.date_changed", "Date of a todo was changed", "todo_name", "todo_date", "old_todo_date?"),
	activity("todo.time_changed", "Time of a todo was changed", "todo_name", "todo_time", "old_todo_time?"),
	activity("todo.done_changed", "Status of a todo was changed", "todo_name", "todo_done"),
	activity("todo.deleted", "A Todo was deleted", "todo_name"),
	activity("note.created", "A note was added to a lead", "note_content"),
	activity("note.updated", "A note was updated", "note_content"),
	activity("note.deleted", "A note was deleted", "note_content"),
	activity("attachment.created", "A file was added to a lead", "attachment_filename", "attachment_url"),
	activity("attachment.deleted", "A file was deleted", "attachment_filename"),
	activity("record.created", "A field was added to a lead", "record_name", "record_value"),
	activity("record.updated", "A field value was updated", "record_name", "record_value", "old_record_value?"),
	activity("record.deleted", "A field was deleted", "record_name", "record_value"),
	activity("contact.added", "A contact was added to a lead", "contact_name"),
	activity("contact.removed", "A contact was removed from a lead", "contact_name"),
	activity("product.added", "A product was added to a lead", "product_name", "product_quantity", "product_price?"),
	activity("product.removed", "A product was removed from a lead", "product_name", "product_quantity"),
	activity("zone.added", "A zone was added to a lead", "zone_name"),
	activity("zone.removed", "A zone was removed from a lead", "zone_name"),
	activity("source.added", "A source was added to a lead", "source_name"),
	activity("source.removed", "A source was removed from a lead", "source_name"),
	activity("email.received", "A email was added to a lead", "subject"),
}

func activity(event, description string, fields ...string) EventType {
	e := EventType{Event: event, Description: description}
	for _, f := range fields {
		name, optional := strings.CutSuffix(f, "?")
		e.Fields = append(e.Fields, Field{Name: name, Optional: optional})
	}
	return e
}

// clinchPadFields maps an activity type ("note:created") to its fields.
var clinchPadFields = func() map[string][]Field {
	m := make(map[string][]Field, len(clinchPadActivities))
	for _, a := range clinchPadActivities {
		m[strings.Replace(a.Event, ".", ":", 1)] = a.Fields
	}
	return m
}()

// The keys of an activity-shaped record that are not activity fields.
const (
	clinchPadLead = "lead"
	clinchPadUser = "user"
	clinchPadID   = "_id"
)

// encodeClinchPad renders ClinchPad's activity notification. The record is
// either the activity — it holds the lead as a "lead" object, and may hold
// the activity's "_id" and "user" — or, without a "lead" object, the lead
// itself. Either way the activity carries the type's documented fields found
// in the record (for a type ClinchPad does not document, every other field
// of an activity-shaped record).
func encodeClinchPad(m *Message, secrets []string, _ time.Time) (*Request, error) {
	entity, action, _ := strings.Cut(m.EventType, ".")
	typ := strings.ToLower(entity) + ":" + strings.ToLower(vendorAction(action, "created", "updated", "deleted"))
	r := m.Records[0].Data
	var user any // null when neither the record nor the CRM says who acted
	if m.Actor != "" {
		user = map[string]any{"_id": m.Actor, "name": m.Actor}
	}
	act := map[string]any{"_id": m.objectID(), "created_at": m.OccurredAt.UTC().Format(time.RFC3339), "type": typ, "user": user}
	lead, isActivity := r[clinchPadLead].(map[string]any)
	if isActivity {
		if id, ok := r[clinchPadID]; ok && id != nil {
			act["_id"] = id
		}
		if u, ok := r[clinchPadUser].(map[string]any); ok {
			act["user"] = u
		}
	} else {
		lead = r
	}
	fields, documented := clinchPadFields[typ]
	for _, f := range fields {
		if v, ok := r[f.Name]; ok {
			act[f.Name] = v
		}
	}
	if !documented && isActivity {
		for k, v := range r {
			if _, own := act[k]; !own && k != clinchPadLead && k != clinchPadUser {
				act[k] = v
			}
		}
	}
	body := map[string]any{"activity": act, "lead": lead}
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
