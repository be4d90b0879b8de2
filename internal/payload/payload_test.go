package payload

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/internal/golden"
	"github.com/hookflow/hookflow/models"
)

// The fixed inputs of the golden files. The secret is the Standard Webhooks
// libraries' example secret.
var (
	goldenNow    = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	goldenSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
)

// testMessage is the delivery every golden file renders: a contact update,
// carrying one record in one-record formats and two otherwise.
func testMessage(t testing.TB, f models.Format) *Message {
	m := &Message{
		DeliveryID: 4711,
		Tenant:     "Cust54321",
		EventID:    "evt_01JQ7Z5N2V3W",
		EventType:  "Contact.Update",
		OccurredAt: time.Date(2026, 3, 14, 15, 9, 25, 123456000, time.UTC),
		Actor:      "5",
		Records: []models.Record{{
			Index: 0,
			Data: record(t, `{"id": 1042, "first_name": "Ada", "last_name": "Lovelace", "email1": "ada@example.com",
				"opt_in": true, "fax": null, "tags": ["vip", "newsletter"],
				"company": {"id": 7, "name": "Analytical Engines & Co"},
				"phones": [{"type": "work", "number": "+44 20 7946 0000"}]}`),
			Changes:  []string{"email1"},
			Previous: record(t, `{"email1": "ada@old.example"}`),
		}},
		Chunk: Chunk{Index: 0, Count: 1},
		Hook:  Hook{ID: 42, Name: "Billing sync", Properties: map[string]any{"region": "eu-west"}},
	}
	if !OneRecordPerRequest(f) {
		m.Records = append(m.Records, models.Record{Index: 1, Data: record(t, `{"id": 1043, "first_name": "Grace", "last_name": "Hopper", "email1": "grace@example.com"}`)})
	}
	return m
}

// record decodes a record the way the event store does, numbers exact.
func record(t testing.TB, s string) map[string]any {
	var r map[string]any
	if err := models.UnmarshalExact([]byte(s), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func encode(t testing.TB, f models.Format, m *Message, secrets ...string) *Request {
	t.Helper()
	r, err := Encode(f, m, secrets, goldenNow)
	if err != nil {
		t.Fatalf("Encode(%s) error: %v", f, err)
	}
	return r
}

// render writes a request as text: its headers sorted, a blank line, the body.
func render(r *Request) []byte {
	h := r.Header.Clone()
	h.Set("Content-Type", r.ContentType)
	var b bytes.Buffer
	for _, k := range slices.Sorted(maps.Keys(h)) {
		for _, v := range h[k] {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	fmt.Fprintf(&b, "\n%s\n", r.Body)
	return b.Bytes()
}

// goldenName names an example's golden file and its block in docs/formats.md.
func goldenName(f *Format, ex Example) string {
	if ex.Name == "" {
		return string(f.Name)
	}
	return string(f.Name) + "-" + ex.Name
}

func goldenPath(name string) string { return filepath.Join("testdata", name+".golden") }

// exampleMessage is the delivery an example describes, for hook 42 "Billing
// sync" of tenant Cust54321, and the secret that signs it.
func exampleMessage(t testing.TB, ex Example) (*Message, string) {
	var b models.EventBody
	if err := models.UnmarshalExact([]byte(ex.Body), &b); err != nil {
		t.Fatalf("example %s %s: %v", ex.EventType, ex.Name, err)
	}
	m := &Message{DeliveryID: 4711, Tenant: "Cust54321", EventID: "evt_01JQ7Z5N2V3W", EventType: ex.EventType,
		OccurredAt: ex.OccurredAt, Actor: ex.Actor, Chunk: Chunk{Index: 0, Count: 1},
		Hook: Hook{ID: 42, Name: "Billing sync", Properties: ex.Properties}}
	for i := range b.Records {
		m.Records = append(m.Records, b.At(i))
	}
	secret := ex.Secret
	if secret == "" {
		secret = goldenSecret
	}
	return m, secret
}

// TestGolden renders every example of every format and compares it with its
// golden file.
func TestGolden(t *testing.T) {
	for _, f := range Formats.All() {
		if len(f.Examples) == 0 {
			t.Errorf("format %s has no example", f.Name)
		}
		for _, ex := range f.Examples {
			name := goldenName(f, ex)
			t.Run(name, func(t *testing.T) {
				m, secret := exampleMessage(t, ex)
				checkGolden(t, name, render(encode(t, f.Name, m, secret)))
			})
		}
	}
}

// checkGolden compares got with testdata/<name>.golden, or rewrites it with
// HOOKFLOW_UPDATE=1 (internal/golden).
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	if golden.Update() {
		if err := os.WriteFile(goldenPath(name), got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(goldenPath(name))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("request differs from %s (%s)\ngot:\n%s\nwant:\n%s", goldenPath(name), golden.Hint("./internal/payload"), got, want)
	}
}

const docPath = "../../docs/formats.md"

// docExample matches an example block of docs/formats.md: the golden file
// named, verbatim in an http code fence.
var docExample = regexp.MustCompile("(?s)(<!-- golden ([\\w-]+) -->\n```http\n)(.*?)(```\n<!-- end golden -->)")

// TestDocExamples keeps docs/formats.md true: each example request it shows
// is its golden file, byte for byte, and every format's main example is shown.
func TestDocExamples(t *testing.T) {
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	updated := docExample.ReplaceAllFunc(doc, func(block []byte) []byte {
		m := docExample.FindSubmatch(block)
		name := string(m[2])
		seen[name] = true
		want, err := os.ReadFile(goldenPath(name))
		if err != nil {
			t.Errorf("docs/formats.md shows example %q: %v", name, err)
			return block
		}
		if !bytes.Equal(m[3], want) && !golden.Update() {
			t.Errorf("docs/formats.md example %s differs from %s (%s)", name, goldenPath(name), golden.Hint("./internal/payload"))
		}
		return slices.Concat(m[1], want, m[4])
	})
	for _, f := range Formats.All() {
		if len(f.Examples) > 0 && !seen[goldenName(f, f.Examples[0])] {
			t.Errorf("docs/formats.md has no example block for %s", f.Name)
		}
		if !bytes.Contains(doc, []byte(f.Doc)) {
			t.Errorf("docs/formats.md does not name %s, the page the %s format follows", f.Doc, f.Name)
		}
	}
	if golden.Update() && !bytes.Equal(doc, updated) {
		if err := os.WriteFile(docPath, updated, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// reservedInDocs reads the keys each format's section of docs/formats.md
// lists as reserved ("Reserved keys: `id`, `type`.").
func reservedInDocs(t *testing.T) map[models.Format][]string {
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	list := regexp.MustCompile("Reserved (?:keys|fields): ((?:`[^`]+`,\\s+)*`[^`]+`)\\.")
	name := regexp.MustCompile("`([^`]+)`")
	out := map[models.Format][]string{}
	for _, section := range strings.Split(string(doc), "\n## ")[1:] {
		heading, body, _ := strings.Cut(section, "\n")
		if m := list.FindStringSubmatch(body); m != nil {
			for _, k := range name.FindAllStringSubmatch(m[1], -1) {
				out[models.Format(heading)] = append(out[models.Format(heading)], k[1])
			}
		}
	}
	return out
}

// TestReservedKeys checks that a property can never replace a key the format
// sets: a hook whose properties name every such key gets the same body as a
// hook with none, and the keys are the ones docs/formats.md lists.
func TestReservedKeys(t *testing.T) {
	want := reservedInDocs(t)
	for _, f := range formatNames() {
		t.Run(string(f), func(t *testing.T) {
			m := testMessage(t, f)
			m.Hook.Properties = nil
			r := encode(t, f, m, goldenSecret)
			plain, keys := r.Body, topLevelKeys(t, r)
			if !slices.Equal(keys, slices.Sorted(slices.Values(want[f]))) {
				t.Errorf("top-level keys = %q; docs/formats.md lists %q", keys, want[f])
			}
			m.Hook.Properties = map[string]any{}
			for _, k := range keys {
				m.Hook.Properties[k] = "forged"
			}
			if forged := encode(t, f, m, goldenSecret).Body; !bytes.Equal(forged, plain) {
				t.Errorf("properties replaced reserved keys:\n%s\nwant:\n%s", forged, plain)
			}
			m.Hook.Properties["region"] = "eu-west"
			if got := encode(t, f, m, goldenSecret).Body; !bytes.Contains(got, []byte("eu-west")) {
				t.Errorf("property region missing from body:\n%s", got)
			}
		})
	}
}

func topLevelKeys(t *testing.T, r *Request) []string {
	body := r.Body
	if r.ContentType == "application/x-www-form-urlencoded" {
		form, err := parsePHPForm(string(body))
		if err != nil {
			t.Fatal(err)
		}
		return slices.Sorted(maps.Keys(form))
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	return slices.Sorted(maps.Keys(m))
}

// TestRetriesAreIdentical checks the at-least-once contract: a retry, sent
// later, carries the same body and ids, so receivers can dedupe.
func TestRetriesAreIdentical(t *testing.T) {
	for _, f := range formatNames() {
		t.Run(string(f), func(t *testing.T) {
			m := testMessage(t, f)
			first, err := Encode(f, m, []string{goldenSecret}, goldenNow)
			if err != nil {
				t.Fatal(err)
			}
			retry, err := Encode(f, m, []string{goldenSecret}, goldenNow.Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(first.Body, retry.Body) {
				t.Errorf("retry body differs:\n%s\n%s", first.Body, retry.Body)
			}
			for _, h := range []string{"Webhook-Id", "X-Superoffice-Eventid"} {
				if first.Header.Get(h) != retry.Header.Get(h) {
					t.Errorf("retry %s = %q; want %q", h, retry.Header.Get(h), first.Header.Get(h))
				}
			}
		})
	}
}

// TestDeliveryUUID checks the ids vendor formats carry: a version 5 UUID, one
// per delivery.
func TestDeliveryUUID(t *testing.T) {
	m := testMessage(t, SuperOffice)
	a := m.deliveryUUID()
	m.DeliveryID++
	if b := m.deliveryUUID(); a == b || a.Version() != 5 || b.Version() != 5 {
		t.Errorf("deliveryUUID() = %s then %s; want two distinct version 5 UUIDs", a, b)
	}
}

func TestEncodeOneRecordFormatsRejectChunks(t *testing.T) {
	for _, f := range formatNames() {
		if !OneRecordPerRequest(f) {
			continue
		}
		m := testMessage(t, Standard) // two records
		if _, err := Encode(f, m, []string{goldenSecret}, goldenNow); err == nil {
			t.Errorf("Encode(%s) with 2 records: want an error", f)
		}
	}
	if _, err := Encode("soap", testMessage(t, Standard), nil, goldenNow); err == nil {
		t.Error("Encode(soap): want an error")
	}
}

// TestEventNames checks how each vendor format spells an event type.
func TestEventNames(t *testing.T) {
	tests := []struct {
		eventType                                string
		superOffice, pipeliner, onePageType      string
		onePageReason, clinchPad, agileEventName string
	}{
		{"Contact.Update", "contact.changed", "Contact.Update", "Contact", "Updated", "contact:updated", "Contact is Updated"},
		{"contact.created", "contact.created", "Contact.Create", "Contact", "Created", "contact:created", "Contact is Created"},
		{"Account.Create", "account.created", "Account.Create", "Account", "Created", "account:created", "Account is Created"},
		{"person.changed", "person.changed", "Person.Update", "Person", "Updated", "person:updated", "Person is Updated"},
		{"Deal.Delete", "deal.deleted", "Deal.Delete", "Deal", "Deleted", "deal:deleted", "Opportunity is Deleted"},
		{"sale.Sold", "sale.sold", "Sale.Sold", "Sale", "Sold", "sale:sold", "Sale is Sold"},
		{"Opportunity.OwnerChanged", "opportunity.ownerchanged", "Opportunity.OwnerChanged", "Opportunity", "OwnerChanged", "opportunity:ownerchanged", "Opportunity is OwnerChanged"},
		{"opptyProductRelation.update", "opptyproductrelation.changed", "OpptyProductRelation.Update", "OpptyProductRelation", "Updated", "opptyproductrelation:updated", "OpptyProductRelation is Updated"},
	}
	for _, tt := range tests {
		t.Run(tt.eventType, func(t *testing.T) {
			got := func(f models.Format, key string) string {
				m := testMessage(t, f)
				m.EventType = tt.eventType
				r := encode(t, f, m, goldenSecret)
				if f == OnePage {
					form, err := parsePHPForm(string(r.Body))
					if err != nil {
						t.Fatal(err)
					}
					return form[key].(string)
				}
				var body map[string]any
				if err := json.Unmarshal(r.Body, &body); err != nil {
					t.Fatal(err)
				}
				if f == ClinchPad {
					return body["activity"].(map[string]any)["type"].(string)
				}
				return body[key].(string)
			}
			for _, c := range []struct {
				f         models.Format
				key, want string
			}{
				{SuperOffice, "Event", tt.superOffice},
				{Pipeliner, "event", tt.pipeliner},
				{OnePage, "type", tt.onePageType},
				{OnePage, "reason", tt.onePageReason},
				{ClinchPad, "type", tt.clinchPad},
				{AgileCRM, "eventName", tt.agileEventName},
			} {
				if g := got(c.f, c.key); g != c.want {
					t.Errorf("%s %s = %q; want %q", c.f, c.key, g, c.want)
				}
			}
		})
	}
}

func TestAppendForm(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"scalars", map[string]any{"b": "x y", "a": json.Number("1.50")}, "a=1.50&b=x+y"},
		{"escaping", map[string]any{"q": "a&b=c/ü"}, "q=a%26b%3Dc%2F%C3%BC"},
		{"null and booleans", map[string]any{"n": nil, "t": true, "f": false}, "f=false&n=&t=true"},
		{"nested map", map[string]any{"data": map[string]any{"contact": map[string]any{"first_name": "Ada"}}}, "data%5Bcontact%5D%5Bfirst_name%5D=Ada"},
		{"list of scalars", map[string]any{"tags": []any{"a", "b"}}, "tags%5B%5D=a&tags%5B%5D=b"},
		{"list of maps is indexed", map[string]any{"p": []any{map[string]any{"t": "w", "n": "1"}, map[string]any{"t": "h"}}}, "p%5B0%5D%5Bn%5D=1&p%5B0%5D%5Bt%5D=w&p%5B1%5D%5Bt%5D=h"},
		{"mixed list is indexed", map[string]any{"m": []any{"a", []any{"b"}}}, "m%5B0%5D=a&m%5B1%5D%5B%5D=b"},
		{"empty map and list are left out", map[string]any{"e": map[string]any{}, "l": []any{}, "k": "v"}, "k=v"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(appendForm(nil, "", tt.v)); got != tt.want {
				t.Errorf("appendForm() = %s; want %s", got, tt.want)
			}
		})
	}
}

func TestChangedFields(t *testing.T) {
	data := map[string]any{"id": json.Number("1"), "email1": "new@x", "name": "Ada"}
	tests := []struct {
		name string
		r    models.Record
		want []string
	}{
		{"as the CRM said", models.Record{Data: data, Changes: []string{"name"}}, []string{"name"}},
		{"diffed with a full previous", models.Record{Data: data, Previous: map[string]any{"id": json.Number("1"), "email1": "old@x", "name": "Ada", "gone": "1"}}, []string{"email1", "gone"}},
		{"diffed with a partial previous", models.Record{Data: data, Previous: map[string]any{"email1": "new@x", "name": "Bea"}}, []string{"name"}},
		{"previous equal", models.Record{Data: data, Previous: map[string]any{"name": "Ada"}}, []string{}},
		{"unknown: every field", models.Record{Data: data}, []string{"email1", "id", "name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := changedFields(tt.r); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("changedFields() = %q; want %q", got, tt.want)
			}
		})
	}
}

// TestSuperOfficeTypedFields checks PrimaryKey and ChangedByAssociateId stay
// integers for SuperOffice's typed receivers whatever the CRM sent.
func TestSuperOfficeTypedFields(t *testing.T) {
	tests := []struct {
		name             string
		data             string
		actor            string
		wantPK, wantUser string
	}{
		{"id and numeric actor", `{"id": 18}`, "5", "18", "5"},
		{"SuperOffice column name", `{"contact_id": 18}`, "5", "18", "5"},
		{"numeric string id", `{"id": "18"}`, "", "18", "0"},
		{"zero-padded actor", `{"id": 18}`, "007", "18", "7"},
		{"no id, named actor", `{"name": "x"}`, "jdoe", "0", `"jdoe"`},
		{"uuid id passes through", `{"id": "6f1c"}`, "5", `"6f1c"`, "5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := testMessage(t, SuperOffice)
			m.Records[0].Data = record(t, tt.data)
			m.Actor = tt.actor
			var body map[string]json.RawMessage
			if err := json.Unmarshal(encode(t, SuperOffice, m, goldenSecret).Body, &body); err != nil {
				t.Fatal(err)
			}
			if pk, user := string(body["PrimaryKey"]), string(body["ChangedByAssociateId"]); pk != tt.wantPK || user != tt.wantUser {
				t.Errorf("PrimaryKey, ChangedByAssociateId = %s, %s; want %s, %s", pk, user, tt.wantPK, tt.wantUser)
			}
		})
	}
}

// TestNoSecretNoSignature mirrors the vendors: without a secret there is no
// signature header and no key in the body.
func TestNoSecretNoSignature(t *testing.T) {
	for _, f := range []models.Format{SuperOffice, Pipeliner, ClinchPad} {
		r := encode(t, f, testMessage(t, f))
		if r.Header.Get("X-SuperOffice-Signature") != "" || r.Header.Get("WebHook-Signature") != "" || strings.Contains(string(r.Body), "handshake_key") {
			t.Errorf("%s without a secret still signs: %v %s", f, r.Header, r.Body)
		}
	}
}

// TestHeadersAreReserved checks that no custom header can override a header
// a format sets: hooks that try are rejected when saved.
func TestHeadersAreReserved(t *testing.T) {
	for _, f := range formatNames() {
		r := encode(t, f, testMessage(t, f), goldenSecret)
		for _, name := range append(slices.Collect(maps.Keys(r.Header)), "Content-Type") {
			h := models.Hook{HookSpec: models.HookSpec{
				Events: models.JSON[[]string]{V: []string{"*"}}, TargetURL: "https://example.com", Type: models.HookTypeWebhook, Format: f,
				Headers: models.JSON[map[string]string]{V: map[string]string{name: "forged"}},
			}, State: models.StateActive}
			if err := h.Validate(Formats); err == nil || !strings.Contains(err.Error(), "headers."+name) {
				t.Errorf("%s: a hook may set custom header %s (Validate() = %v)", f, name, err)
			}
		}
	}
}

// formatNames lists the registered formats.
func formatNames() []models.Format {
	var out []models.Format
	for _, f := range Formats.All() {
		out = append(out, f.Name)
	}
	return out
}
