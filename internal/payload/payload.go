// Package payload is hookflow's registry of wire formats (docs/spec.md §6). Each
// format's file declares everything about it — its name, whether it carries
// one record per request, how it renders, signs and verifies a delivery, the
// event types its vendor documents — and registers it; Encode, Verify and
// Formats serve the rest of hookflow from that registry.
package payload

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/hookflow/hookflow/models"
)

// Message is everything one request carries: records already filtered and
// trimmed for the hook.
type Message struct {
	DeliveryID   int64
	Tenant       string
	EventID      string
	EventType    string // as the CRM named it, e.g. "Contact.Update"
	OccurredAt   time.Time
	Actor        string
	CustomEntity string
	Records      []models.Record
	Chunk        Chunk
	Hook         Hook
}

// Chunk places a request among the hook's requests for one event.
type Chunk struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

// Hook is what a format needs to know of the hook it delivers for.
type Hook struct {
	ID         int64
	Name       string
	Properties map[string]any
}

// Request is an encoded delivery.
type Request struct {
	Body        []byte
	ContentType string
	Header      http.Header // authentication and format headers
}

// ID is the delivery id as the receiver sees it: the same on every retry.
func (m *Message) ID() string { return strconv.FormatInt(m.DeliveryID, 10) }

// Encode renders m in format f. secrets sign it: the current secret first and,
// during a rotation, the previous one. now is the send time (signed headers
// carry it so receivers can reject replays).
func Encode(f models.Format, m *Message, secrets []string, now time.Time) (*Request, error) {
	x := Formats.Lookup(f)
	if x == nil {
		return nil, fmt.Errorf("format %q is not supported", f)
	}
	if x.OneRecordPerRequest && len(m.Records) != 1 {
		return nil, fmt.Errorf("format %q carries one record per request, got %d", f, len(m.Records))
	}
	return x.encode(m, secrets, now)
}

// withProperties merges the hook's properties under body: the format's own
// keys win, so a property can never forge an id, type or signature field.
func withProperties(props map[string]any, body map[string]any) map[string]any {
	out := make(map[string]any, len(props)+len(body))
	maps.Copy(out, props)
	maps.Copy(out, body)
	return out
}

func recordsData(rs []models.Record) []map[string]any {
	out := make([]map[string]any, len(rs))
	for i, r := range rs {
		out[i] = r.Data
	}
	return out
}

func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // bodies go to programs, not into HTML pages: keep "&" as is
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode body: %w", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// currentSecret is the secret that signs formats with room for one signature
// or key only: during a rotation receivers move to the new secret, which
// Standard Webhooks receivers can do gracefully and vendor formats cannot.
func currentSecret(secrets []string) string {
	if len(secrets) == 0 {
		return ""
	}
	return secrets[0]
}

// idSpace namespaces the name-based UUIDs derived from delivery ids.
var idSpace = uuid.MustParse("794de4ed-5a98-435d-89b1-a2970af2abb0")

// deliveryUUID is a UUID (version 5) derived from the event and delivery ids, so
// formats whose receivers dedupe on a GUID get the same one on every retry.
func (m *Message) deliveryUUID() uuid.UUID {
	return uuid.NewSHA1(idSpace, []byte(m.EventID+"/"+m.ID()))
}

// vendorAction spells an action in a vendor's words for create, update and
// delete, however the CRM spelled those ("Update", "changed"), and leaves any
// other action ("Won", "OwnerChanged") as the CRM named it.
func vendorAction(action, create, update, del string) string {
	switch strings.ToLower(action) {
	case "create", "created":
		return create
	case "update", "updated", "change", "changed":
		return update
	case "delete", "deleted":
		return del
	}
	return action
}

// upperFirst capitalizes s and keeps the rest, so "opptyProductRelation"
// becomes "OpptyProductRelation" rather than losing its inner capitals.
func upperFirst(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// changedFields lists the fields a record's change touched: as the CRM said,
// else those whose value differs from the previous version (which may hold
// only the changed fields), else (a creation, or no change information)
// every field.
func changedFields(r models.Record) []string {
	switch {
	case r.Changes != nil:
		return r.Changes
	case r.Previous == nil:
		return slices.Sorted(maps.Keys(r.Data))
	}
	fields := []string{}
	for _, k := range slices.Sorted(maps.Keys(r.Previous)) {
		if !reflect.DeepEqual(r.Data[k], r.Previous[k]) {
			fields = append(fields, k)
		}
	}
	return fields
}

// integer renders v as a JSON integer when it is one, even if the CRM sent it
// as a string, for receivers that bind ids to typed integers (SuperOffice's
// .NET clients); nothing becomes 0, and anything else passes unchanged.
func integer(v any) any {
	switch v := v.(type) {
	case nil:
		return 0
	case string:
		if v == "" {
			return 0
		}
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n // not json.Number(v): "007" and "+7" are not JSON numbers
		}
	}
	return v
}
