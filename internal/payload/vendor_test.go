package payload

// Each vendor's format and catalog held against the vendor's own tables and
// examples, copied verbatim into testdata/vendors (see its README).

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/models"
)

func vendorFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "vendors", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// catalogEvents lists the events of format f's catalog.
func catalogEvents(t *testing.T, f models.Format) map[string]EventType {
	t.Helper()
	out := map[string]EventType{}
	for _, e := range Formats.Lookup(f).Catalog.Events {
		out[e.Event] = e
	}
	return out
}

// sameJSON reports whether two JSON texts hold the same value.
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := models.UnmarshalExact(a, &x); err != nil {
		t.Fatalf("%v: %s", err, a)
	}
	if err := models.UnmarshalExact(b, &y); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return reflect.DeepEqual(x, y)
}

// mainExample renders format f's first example.
func mainExample(t *testing.T, f models.Format, i int) *Request {
	t.Helper()
	m, secret := exampleMessage(t, Formats.Lookup(f).Examples[i])
	return encode(t, f, m, secret)
}

// clinchPadRow is one row of ClinchPad's activity table.
type clinchPadRow struct {
	typ, description string
	fields           []Field
}

var parenthesis = regexp.MustCompile(`\s*\(([^)]*)\)`)

func clinchPadTable(t *testing.T) []clinchPadRow {
	var rows []clinchPadRow
	for _, line := range strings.Split(vendorFile(t, "clinchpad-activities.txt"), "\n") {
		cells := strings.Split(line, " | ")
		if len(cells) != 3 || !strings.Contains(cells[0], ":") {
			continue // the header, its rule, blank lines
		}
		r := clinchPadRow{typ: cells[0], description: cells[1]}
		if list := strings.TrimSpace(strings.TrimSuffix(cells[2], "|")); list != "" {
			for _, f := range strings.Split(list, ", ") {
				note := parenthesis.FindStringSubmatch(f)
				f = parenthesis.ReplaceAllString(f, "")
				r.fields = append(r.fields, Field{Name: f, Optional: note != nil && note[1] == "if applicable"})
			}
		}
		rows = append(rows, r)
	}
	return rows
}

// TestClinchPadCatalogIsItsTable: all 33 activity types, each with ClinchPad's
// description and fields, and nothing else.
func TestClinchPadCatalogIsItsTable(t *testing.T) {
	rows := clinchPadTable(t)
	if len(rows) != 33 {
		t.Fatalf("read %d rows of ClinchPad's table; its page says there are 33", len(rows))
	}
	got := catalogEvents(t, ClinchPad)
	for _, r := range rows {
		event := strings.Replace(r.typ, ":", ".", 1)
		e, ok := got[event]
		if !ok {
			t.Errorf("ClinchPad's %s is not in the catalog", r.typ)
			continue
		}
		if e.Description != r.description || !slices.Equal(e.Fields, r.fields) {
			t.Errorf("catalog %s = %q %v; ClinchPad's table: %q %v", event, e.Description, e.Fields, r.description, r.fields)
		}
		delete(got, event)
	}
	if len(got) > 0 {
		t.Errorf("catalog lists types ClinchPad's table does not: %v", slices.Sorted(maps.Keys(got)))
	}
}

// TestClinchPadMatchesItsExample: the trigger of the note ClinchPad's page
// shows is delivered as exactly the body the page shows.
func TestClinchPadMatchesItsExample(t *testing.T) {
	got := mainExample(t, ClinchPad, 0).Body
	if want := vendorFile(t, "clinchpad-example.json"); !sameJSON(t, got, []byte(want)) {
		t.Errorf("clinchpad body differs from ClinchPad's example:\n%s\nwant:\n%s", got, want)
	}
}

// clinchPadGroupRecords hold every field of a group of activity types, as a
// CRM would send them for any type of the group, plus the lead, the user and
// one field ClinchPad documents for no type of the group.
var clinchPadGroupRecords = map[string]string{
	"lead": `"old_stage_name": "Offer", "new_stage_name": "Negotiation", "old_lead_name": "Webhook T",
		"lead_assigned_to_name": "Ada Lovelace", "old_lead_assigned_to_name": "Grace Hopper", "lead_size": 12000, "old_lead_size": 9000`,
	"todo": `"todo_name": "Call back", "old_todo_name": "Call", "todo_type": "call", "old_todo_type": "email",
		"todo_date": "2014-01-14", "old_todo_date": "2014-01-13", "todo_time": "10:30", "old_todo_time": "09:00", "todo_done": true`,
	"note":       `"note_content": "Hello world!"`,
	"attachment": `"attachment_filename": "offer.pdf", "attachment_url": "https://files.example/offer.pdf"`,
	"record":     `"record_name": "Budget", "record_value": "12000", "old_record_value": "9000"`,
	"contact":    `"contact_name": "Ada Lovelace"`,
	"product":    `"product_name": "Engine", "product_quantity": 2, "product_price": 6000`,
	"zone":       `"zone_name": "EMEA"`,
	"source":     `"source_name": "Website"`,
	"email":      `"subject": "Re: our offer"`,
}

// TestClinchPadSendsEachTypesFields renders every activity type from a record
// holding every field of its group: the activity carries exactly the type's
// fields, and the group's golden file (clinchpad-fields-<group>.golden)
// holds one request per type.
func TestClinchPadSendsEachTypesFields(t *testing.T) {
	groups := map[string][]clinchPadRow{}
	for _, r := range clinchPadTable(t) {
		g, _, _ := strings.Cut(r.typ, ":")
		groups[g] = append(groups[g], r)
	}
	for _, g := range slices.Sorted(maps.Keys(groups)) {
		t.Run(g, func(t *testing.T) {
			fields, ok := clinchPadGroupRecords[g]
			if !ok {
				t.Fatalf("no record for ClinchPad's %s activities", g)
			}
			var golden bytes.Buffer
			for _, r := range groups[g] {
				m, secret := exampleMessage(t, Example{EventType: strings.Replace(r.typ, ":", ".", 1), OccurredAt: exampleTime,
					Body: `{"records": [{"_id": "52cfbf76cce8b40f0f000005", ` + fields + `, "internal_flag": true,
						"user": {"_id": "52cf8c0acce8b4c375000001", "name": "Webhook Testing"},
						"lead": {"_id": "52cfa124cce8b4d113000056", "name": "Webhook T"}}]}`})
				req := encode(t, ClinchPad, m, secret)
				var body struct {
					Activity map[string]any `json:"activity"`
					Lead     map[string]any `json:"lead"`
				}
				if err := json.Unmarshal(req.Body, &body); err != nil {
					t.Fatal(err)
				}
				want := []string{"_id", "created_at", "type", "user"}
				for _, f := range r.fields {
					want = append(want, f.Name)
				}
				slices.Sort(want)
				if got := slices.Sorted(maps.Keys(body.Activity)); !slices.Equal(got, want) || body.Activity["type"] != r.typ ||
					body.Lead["_id"] != "52cfa124cce8b4d113000056" {
					t.Errorf("%s: activity %v, lead %v; want the activity's keys %q", r.typ, body.Activity, body.Lead, want)
				}
				golden.Write(render(req))
			}
			checkGolden(t, "clinchpad-fields-"+g, golden.Bytes())
		})
	}
}

// TestClinchPadRecordShapes covers the record being the lead itself (no
// "lead" object), an optional field the record lacks, and a type ClinchPad
// does not document.
func TestClinchPadRecordShapes(t *testing.T) {
	tests := []struct {
		name, event, record string
		wantActivity        map[string]any // besides _id, created_at, type, user
		wantLead            string
	}{
		{"the record is the lead", "lead.size_changed", `{"_id": "L1", "name": "Webhook T", "lead_size": 12000}`,
			map[string]any{"lead_size": json.Number("12000")}, `{"_id": "L1", "name": "Webhook T", "lead_size": 12000}`},
		{"an optional field left out", "product.added", `{"product_name": "Engine", "product_quantity": 2, "lead": {"_id": "L1"}}`,
			map[string]any{"product_name": "Engine", "product_quantity": json.Number("2")}, `{"_id": "L1"}`},
		{"an undocumented type keeps the activity's fields", "call.logged", `{"duration": 60, "lead": {"_id": "L1"}}`,
			map[string]any{"duration": json.Number("60")}, `{"_id": "L1"}`},
		{"an undocumented type on a lead", "Contact.Update", `{"_id": "L1", "email1": "a@x.example"}`,
			map[string]any{}, `{"_id": "L1", "email1": "a@x.example"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, secret := exampleMessage(t, Example{EventType: tt.event, OccurredAt: exampleTime, Actor: "5", Body: `{"records": [` + tt.record + `]}`})
			var body struct {
				Activity map[string]any  `json:"activity"`
				Lead     json.RawMessage `json:"lead"`
			}
			if err := models.UnmarshalExact(encode(t, ClinchPad, m, secret).Body, &body); err != nil {
				t.Fatal(err)
			}
			if u, _ := body.Activity["user"].(map[string]any); u["_id"] != "5" || len(body.Activity["_id"].(string)) != 24 {
				t.Errorf("activity %v: want a derived ObjectId and the actor as user", body.Activity)
			}
			for _, k := range []string{"_id", "created_at", "type", "user"} {
				delete(body.Activity, k)
			}
			if !reflect.DeepEqual(body.Activity, tt.wantActivity) || !sameJSON(t, body.Lead, []byte(tt.wantLead)) {
				t.Errorf("activity fields %v, lead %s; want %v, %s", body.Activity, body.Lead, tt.wantActivity, tt.wantLead)
			}
		})
	}
}

// TestPipelinerCatalogIsItsTable: every Entity.Action of Pipeliner's table,
// and nothing else.
func TestPipelinerCatalogIsItsTable(t *testing.T) {
	event := regexp.MustCompile(`^[A-Za-z]+\.[A-Za-z]+$`)
	want := map[string]bool{}
	for _, word := range strings.Fields(vendorFile(t, "pipeliner-events.txt")) {
		if event.MatchString(word) {
			want[word] = true
		}
	}
	if len(want) < 50 {
		t.Fatalf("read only %d events from Pipeliner's table", len(want))
	}
	got := slices.Sorted(maps.Keys(catalogEvents(t, Pipeliner)))
	if w := slices.Sorted(maps.Keys(want)); !slices.Equal(got, w) {
		t.Errorf("catalog = %q\nPipeliner's table = %q", got, w)
	}
}

// onePageTable reads OnePageCRM's request types and, per type, the reasons
// its table allows ("Deal only: …").
func onePageTable(t *testing.T) map[string][]string {
	doc := vendorFile(t, "onepage-params-and-reasons.txt")
	types, reasons, _ := strings.Cut(doc, "Reasons | Description |")
	out := map[string][]string{}
	for _, line := range strings.Split(types[strings.Index(types, "Request Type |"):], "\n")[1:] {
		if name, ok := strings.CutSuffix(line, " |"); ok {
			out[upperFirst(name)] = nil
		}
	}
	lines := strings.Split(strings.TrimSpace(reasons), "\n")
	for i := 0; i+1 < len(lines); i += 2 {
		reason := strings.TrimSuffix(lines[i], " |")
		only, _, restricted := strings.Cut(lines[i+1], " only:")
		for typ := range out {
			if !restricted || typ == only {
				out[typ] = append(out[typ], reason)
			}
		}
	}
	return out
}

// TestOnePageCatalogIsItsTable: every type with every reason its table
// allows it, nothing else, each sent as the table spells type and reason.
func TestOnePageCatalogIsItsTable(t *testing.T) {
	table := onePageTable(t)
	if len(table) != 4 || len(table["Deal"]) != 7 || len(table["Contact"]) != 4 {
		t.Fatalf("read OnePageCRM's table as %v", table)
	}
	var want []string
	for typ, reasons := range table {
		for _, r := range reasons {
			want = append(want, typ+"."+r)
		}
	}
	slices.Sort(want)
	if got := slices.Sorted(maps.Keys(catalogEvents(t, OnePage))); !slices.Equal(got, want) {
		t.Errorf("catalog = %q\nOnePageCRM's table = %q", got, want)
	}
	for _, event := range want {
		typ, reason, _ := strings.Cut(event, ".")
		for _, sent := range []string{event, strings.ToLower(event)} { // a CRM may spell it in any case
			m := testMessage(t, OnePage)
			m.EventType = sent
			form, err := parsePHPForm(string(encode(t, OnePage, m, goldenSecret).Body))
			if err != nil {
				t.Fatal(err)
			}
			if form["type"] != typ || form["reason"] != reason {
				t.Errorf("%s is sent as type %v, reason %v; want %s, %s", sent, form["type"], form["reason"], typ, reason)
			}
		}
	}
}

// TestAgileCRMMatchesItsExamples: the triggers of Agile CRM's four examples
// are delivered as exactly the bodies its guide shows, and the catalog holds
// exactly the events they name.
func TestAgileCRMMatchesItsExamples(t *testing.T) {
	f := Formats.Lookup(AgileCRM)
	names := map[string]bool{}
	for i := range f.Examples {
		want := vendorFile(t, "agilecrm-example-"+string(rune('1'+i))+".json")
		got := mainExample(t, AgileCRM, i).Body
		if !sameJSON(t, got, []byte(want)) {
			t.Errorf("example %d: body differs from Agile CRM's:\n%s\nwant:\n%s", i+1, got, want)
		}
		var doc struct{ EventName string }
		if err := json.Unmarshal([]byte(want), &doc); err != nil {
			t.Fatal(err)
		}
		names[doc.EventName] = true
	}
	if len(f.Examples) != 4 {
		t.Errorf("%d examples; Agile CRM's guide has 4", len(f.Examples))
	}
	for event := range catalogEvents(t, AgileCRM) {
		m := testMessage(t, AgileCRM)
		m.EventType = event
		var body struct{ EventName string }
		if err := json.Unmarshal(encode(t, AgileCRM, m, "").Body, &body); err != nil {
			t.Fatal(err)
		}
		if !names[body.EventName] {
			t.Errorf("catalog event %s is sent as %q, which Agile CRM's examples do not name", event, body.EventName)
		}
		delete(names, body.EventName)
	}
	if len(names) > 0 {
		t.Errorf("Agile CRM's examples name events the catalog lacks: %v", names)
	}
}

// TestSuperOfficeCatalogHasItsPagesEvents: the event names SuperOffice's
// SaveWebhook page uses (its Events description and sample answer) are in
// the catalog.
func TestSuperOfficeCatalogHasItsPagesEvents(t *testing.T) {
	got := catalogEvents(t, SuperOffice)
	for _, e := range []string{"contact.created", "sale.changed", "sale.sold", "sale.lost"} {
		if _, ok := got[e]; !ok {
			t.Errorf("SuperOffice's %s is not in the catalog", e)
		}
	}
}
