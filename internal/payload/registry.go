package payload

import (
	"net/textproto"
	"slices"
	"strings"
	"time"

	"github.com/hookflow/hookflow/models"
)

// Format is everything hookflow knows of one wire format. Each format's file
// declares one and registers it from init; nothing else in the repository
// lists formats, so a new format is one new file plus its golden files
// (docs/architecture.md, "Adding a wire format").
type Format struct {
	Name   models.Format // what hooks name in "format"
	Vendor string        // the CRM whose receivers it serves, "" for standard
	Doc    string        // the page the format follows, as docs/formats.md cites it
	// OneRecordPerRequest formats send one request per record instead of one per chunk.
	OneRecordPerRequest bool
	// HeaderPrefixes are the header families the format sets; a hook's custom
	// headers may not use them, so no custom header can forge a signature.
	HeaderPrefixes []string
	// Catalog is the event types the vendor documents; nil for standard.
	Catalog *Catalog
	// Examples are the deliveries the golden files hold and docs/formats.md
	// shows, the first the format's main one: the vendor document's own
	// example where it has one.
	Examples []Example

	// Scheme names how receivers check the format's signature
	// ("standard-webhooks"); "" when the format signs nothing.
	Scheme string

	encode encoder
	verify verifier // set with Scheme
}

// encoder renders m; secrets sign it (the current one first), now is the send time.
type encoder func(m *Message, secrets []string, now time.Time) (*Request, error)

// verifier checks a received request by the format's scheme.
type verifier func(scheme string, in VerifyInput) Verdict

// Example is one delivery of a format, described as the trigger that causes it.
type Example struct {
	Name       string // its golden file: testdata/<format>.golden, or testdata/<format>-<name>.golden
	EventType  string
	OccurredAt time.Time
	Actor      string
	Body       string         // the trigger's records, changes and previous (models.EventBody as JSON)
	Secret     string         // the hook's secret; "" for the secret the examples share
	Properties map[string]any // the hook's properties
}

// The example every format without one of its own vendor's shows: a CRM
// user, actor 5, changed a contact's email address.
var (
	exampleTime       = time.Date(2026, 3, 14, 15, 9, 25, 123456000, time.UTC)
	exampleProperties = map[string]any{"region": "eu-west"}
	exampleContact    = `{"id": 1042, "first_name": "Ada", "last_name": "Lovelace", "email1": "ada@example.com",
		"opt_in": true, "fax": null, "tags": ["vip", "newsletter"],
		"company": {"id": 7, "name": "Analytical Engines & Co"},
		"phones": [{"type": "work", "number": "+44 20 7946 0000"}]}`
	exampleContactUpdate = Example{EventType: "Contact.Update", OccurredAt: exampleTime, Actor: "5", Properties: exampleProperties,
		Body: `{"records": [` + exampleContact + `], "changes": [["email1"]], "previous": [{"email1": "ada@old.example"}]}`}
)

// registry is the set of registered formats, sorted: standard (the default)
// first, then by name.
type registry struct{ formats []*Format }

// Formats is every wire format hookflow speaks. It is filled by the format
// files' init functions and never changes afterwards.
var Formats = &registry{}

func register(f *Format) {
	r := Formats
	i, _ := slices.BinarySearchFunc(r.formats, f, func(a, b *Format) int { return compareFormats(a.Name, b.Name) })
	r.formats = slices.Insert(r.formats, i, f)
}

func compareFormats(a, b models.Format) int {
	switch {
	case a == b:
		return 0
	case a == Standard:
		return -1
	case b == Standard:
		return 1
	}
	return strings.Compare(string(a), string(b))
}

// All returns every format, standard first.
func (r *registry) All() []*Format { return slices.Clone(r.formats) }

// Lookup returns the format named f, or nil.
func (r *registry) Lookup(f models.Format) *Format {
	for _, x := range r.formats {
		if x.Name == f {
			return x
		}
	}
	return nil
}

// Known reports whether f is a registered format.
func (r *registry) Known(f models.Format) bool { return r.Lookup(f) != nil }

// Names lists the formats' names, standard first.
func (r *registry) Names() []string {
	out := make([]string, len(r.formats))
	for i, f := range r.formats {
		out[i] = string(f.Name)
	}
	return out
}

// ReservedHeader reports whether a header named name belongs to a family some
// format sets; names compare case-insensitively.
func (r *registry) ReservedHeader(name string) bool {
	name = textproto.CanonicalMIMEHeaderKey(name)
	for _, f := range r.formats {
		for _, p := range f.HeaderPrefixes {
			if strings.HasPrefix(name, textproto.CanonicalMIMEHeaderKey(p)) {
				return true
			}
		}
	}
	return false
}

// OneRecordPerRequest reports whether format f sends one request per record.
func OneRecordPerRequest(f models.Format) bool {
	x := Formats.Lookup(f)
	return x != nil && x.OneRecordPerRequest
}
