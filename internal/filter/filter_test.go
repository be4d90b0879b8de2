package filter

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/models"
)

// decodeBody decodes an event body the way the worker does (json.Number).
func decodeBody(t testing.TB, js string) *models.EventBody {
	t.Helper()
	var b models.EventBody
	if err := models.UnmarshalExact([]byte(js), &b); err != nil {
		t.Fatalf("body %s: %v", js, err)
	}
	return &b
}

// decodeOptions decodes hook options the way the store does (float64 numbers).
func decodeOptions(t testing.TB, js string) models.Options {
	t.Helper()
	var o models.Options
	if err := json.Unmarshal([]byte(js), &o); err != nil {
		t.Fatalf("options %s: %v", js, err)
	}
	return o
}

// applied is Apply for options and events within the budget.
func applied(o models.Options, entity, customEntity string, body *models.EventBody) []models.Record {
	rs, _, err := Apply(o, entity, customEntity, body)
	if err != nil {
		panic(err)
	}
	return rs
}

func indexes(recs []models.Record) []int {
	out := []int{}
	for _, r := range recs {
		out = append(out, r.Index)
	}
	return out
}

func TestApplyFilter(t *testing.T) {
	tests := []struct {
		name    string
		filter  string // EntityOptions of Contact
		records string
		want    []int
	}{
		// eq, the default operator
		{"eq string", `{"filter": {"email1": "a@x.com"}}`,
			`[{"email1": "a@x.com"}, {"email1": "b@x.com"}, {"email1": "A@x.com"}]`, []int{0}},
		{"eq explicit", `{"filter": {"email1": "a@x.com"}, "filter-op": {"email1": "eq"}}`,
			`[{"email1": "a@x.com"}, {"email1": "b@x.com"}]`, []int{0}},
		{"eq number against json.Number", `{"filter": {"score": 50}}`,
			`[{"score": 50}, {"score": 50.0}, {"score": 5e1}, {"score": 51}, {"score": "50"}]`, []int{0, 1, 2}},
		{"eq string filter never matches a number", `{"filter": {"score": "50"}}`,
			`[{"score": 50}, {"score": "50"}]`, []int{1}},
		{"eq bool", `{"filter": {"is_active": true}}`,
			`[{"is_active": true}, {"is_active": false}, {"is_active": "true"}, {"is_active": 1}]`, []int{0}},
		{"eq null matches missing and null", `{"filter": {"phone": null}}`,
			`[{"phone": null}, {}, {"phone": ""}, {"phone": 0}]`, []int{0, 1}},
		{"eq value never matches missing or null", `{"filter": {"phone": "1"}}`,
			`[{"phone": null}, {}, {"phone": "1"}]`, []int{2}},
		{"eq list is any-of", `{"filter": {"email1": ["a@x.com", "b@x.com"]}}`,
			`[{"email1": "a@x.com"}, {"email1": "c@x.com"}, {"email1": "b@x.com"}]`, []int{0, 2}},
		{"eq list with null", `{"filter": {"email1": ["a@x.com", null]}}`,
			`[{"email1": "a@x.com"}, {"email1": "c@x.com"}, {}]`, []int{0, 2}},
		{"eq list mixing types", `{"filter": {"code": [7, "7"]}}`,
			`[{"code": 7}, {"code": "7"}, {"code": 8}]`, []int{0, 1}},
		{"eq never matches an object or array", `{"filter": {"tags": "vip"}}`,
			`[{"tags": ["vip"]}, {"tags": {"vip": true}}, {"tags": "vip"}]`, []int{2}},

		// ne is the negation of eq
		{"ne", `{"filter": {"status": "Lost"}, "filter-op": {"status": "ne"}}`,
			`[{"status": "Lost"}, {"status": "Won"}, {"status": "lost"}]`, []int{1, 2}},
		{"ne passes missing and null", `{"filter": {"status": "Lost"}, "filter-op": {"status": "ne"}}`,
			`[{}, {"status": null}]`, []int{0, 1}},
		{"ne passes a type mismatch", `{"filter": {"score": 50}, "filter-op": {"score": "ne"}}`,
			`[{"score": "50"}, {"score": 50}, {"score": 50.00}]`, []int{0}},
		{"ne list is none-of", `{"filter": {"status": ["Lost", "Won"]}, "filter-op": {"status": "ne"}}`,
			`[{"status": "Lost"}, {"status": "Open"}, {"status": "Won"}, {}]`, []int{1, 3}},
		{"ne null means present", `{"filter": {"phone": null}, "filter-op": {"phone": "ne"}}`,
			`[{"phone": null}, {}, {"phone": ""}, {"phone": 0}]`, []int{2, 3}},

		// ordering
		{"gte number", `{"filter": {"score": 50}, "filter-op": {"score": "gte"}}`,
			`[{"score": 49.99}, {"score": 50}, {"score": 1e3}, {"score": -1}]`, []int{1, 2}},
		{"gt number", `{"filter": {"score": 50}, "filter-op": {"score": "gt"}}`,
			`[{"score": 50}, {"score": 50.5}]`, []int{1}},
		{"lt number", `{"filter": {"score": 50}, "filter-op": {"score": "lt"}}`,
			`[{"score": 50}, {"score": 49}, {"score": -50}]`, []int{1, 2}},
		{"lte number", `{"filter": {"score": 50}, "filter-op": {"score": "lte"}}`,
			`[{"score": 50}, {"score": 51}, {"score": 0}]`, []int{0, 2}},
		{"ordering never matches null, missing or other types",
			`{"filter": {"score": 50}, "filter-op": {"score": "lt"}}`,
			`[{}, {"score": null}, {"score": "10"}, {"score": false}, {"score": [1]}]`, []int{}},
		{"ordering strings byte-wise", `{"filter": {"closing_date": "2026-01-01"}, "filter-op": {"closing_date": "lt"}}`,
			`[{"closing_date": "2025-12-31"}, {"closing_date": "2026-01-01"}, {"closing_date": "2026-03-01"}]`, []int{0}},
		{"ordering with a list is any-of", `{"filter": {"score": [10, 90]}, "filter-op": {"score": "gt"}}`,
			`[{"score": 5}, {"score": 50}]`, []int{1}},

		// like
		{"like percent", `{"filter": {"email1": "%@example.com"}, "filter-op": {"email1": "like"}}`,
			`[{"email1": "a@example.com"}, {"email1": "a@example.org"}, {"email1": "@EXAMPLE.COM"}]`, []int{0, 2}},
		{"like underscore is one character", `{"filter": {"code": "A_C"}, "filter-op": {"code": "like"}}`,
			`[{"code": "ABC"}, {"code": "AC"}, {"code": "ABBC"}, {"code": "aéc"}]`, []int{0, 3}},
		{"like is anchored", `{"filter": {"name": "acme"}, "filter-op": {"name": "like"}}`,
			`[{"name": "Acme"}, {"name": "Acme Inc"}]`, []int{0}},
		{"like escapes", `{"filter": {"name": "100\\%\\_\\\\%"}, "filter-op": {"name": "like"}}`,
			`[{"name": "100%_\\ sure"}, {"name": "1000_\\"}, {"name": "100%x\\"}]`, []int{0}},
		{"like treats regexp characters literally", `{"filter": {"name": "a.c(%"}, "filter-op": {"name": "like"}}`,
			`[{"name": "a.c(d"}, {"name": "abc(d"}]`, []int{0}},
		{"like spans lines", `{"filter": {"note": "first%last"}, "filter-op": {"note": "like"}}`,
			`[{"note": "first\nlast"}]`, []int{0}},
		{"like only matches strings", `{"filter": {"score": "5%"}, "filter-op": {"score": "like"}}`,
			`[{"score": 50}, {"score": "50"}, {}]`, []int{1}},

		// contains
		{"contains substring is case-sensitive", `{"filter": {"name": "Corp"}, "filter-op": {"name": "contains"}}`,
			`[{"name": "Acme Corp"}, {"name": "Acme corp"}, {"name": "Corporate"}]`, []int{0, 2}},
		{"contains array membership", `{"filter": {"tags": "vip"}, "filter-op": {"tags": "contains"}}`,
			`[{"tags": ["new", "vip"]}, {"tags": ["vipx"]}, {"tags": []}, {"tags": null}, {}]`, []int{0}},
		{"contains array numbers by value", `{"filter": {"ids": 7}, "filter-op": {"ids": "contains"}}`,
			`[{"ids": [1, 7.0]}, {"ids": ["7"]}, {"ids": 7}]`, []int{0}},
		{"contains list is any-of", `{"filter": {"tags": ["vip", "hot"]}, "filter-op": {"tags": "contains"}}`,
			`[{"tags": ["hot"]}, {"tags": ["cold"]}, {"tags": "hotline"}]`, []int{0, 2}},
		{"contains never matches objects", `{"filter": {"owner": "x"}, "filter-op": {"owner": "contains"}}`,
			`[{"owner": {"x": 1}}]`, []int{}},

		// paths and combinations
		{"nested path", `{"filter": {"primary_account.name": "Acme"}}`,
			`[{"primary_account": {"name": "Acme"}}, {"primary_account": {"name": "Other"}},
			  {"primary_account": null}, {"primary_account": "Acme"}, {"primary_account.name": "Acme"}]`, []int{0}},
		{"path does not index arrays", `{"filter": {"emails.address": "a@x.com"}}`,
			`[{"emails": [{"address": "a@x.com"}]}]`, []int{}},
		{"deep path", `{"filter": {"a.b.c": 1}}`,
			`[{"a": {"b": {"c": 1}}}, {"a": {"b": {"c": 2}}}, {"a": {"b": 1}}]`, []int{0}},
		{"all fields must pass", `{"filter": {"email1": ["a@x.com", "b@x.com"], "score": 50}, "filter-op": {"score": "gte"}}`,
			`[{"email1": "a@x.com", "score": 60}, {"email1": "a@x.com", "score": 40},
			  {"email1": "c@x.com", "score": 60}, {"email1": "b@x.com", "score": 50}]`, []int{0, 3}},
		{"unknown operator matches nothing", `{"filter": {"name": "a"}, "filter-op": {"name": "startswith"}}`,
			`[{"name": "a"}, {"name": "ab"}]`, []int{}},
		{"null record", `{"filter": {"phone": null}}`, `[null, {"phone": 1}]`, []int{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := decodeOptions(t, `{"entity": {"Contact": `+tt.filter+`}}`)
			b := decodeBody(t, `{"records": `+tt.records+`}`)
			if got := indexes(applied(o, "Contact", "", b)); !slices.Equal(got, tt.want) {
				t.Errorf("Apply() passed records %v; want %v", got, tt.want)
			}
		})
	}
}

// TestApplyExactIntegers checks ids beyond 2^53 compare exactly when both sides
// are json.Number, as they are when the API decodes options with UseNumber.
func TestApplyExactIntegers(t *testing.T) {
	b := decodeBody(t, `{"records": [{"id": 9007199254740993}, {"id": 9007199254740992}]}`)
	for _, tt := range []struct {
		id   json.Number
		want []int
	}{
		{"9007199254740993", []int{0}},
		{"9007199254740992", []int{1}},
	} {
		o := models.Options{Entity: map[string]models.EntityOptions{"Contact": {Filter: map[string]any{"id": tt.id}}}}
		if got := indexes(applied(o, "Contact", "", b)); !slices.Equal(got, tt.want) {
			t.Errorf("id eq %s passed %v; want %v", tt.id, got, tt.want)
		}
	}
	// Go-built options may hold ints; they compare like JSON numbers.
	o := models.Options{Entity: map[string]models.EntityOptions{"Contact": {
		Filter: map[string]any{"id": int64(9007199254740992)}, FilterOp: map[string]models.FilterOp{"id": models.OpGte}}}}
	if got := indexes(applied(o, "Contact", "", b)); !slices.Equal(got, []int{0, 1}) {
		t.Errorf("id gte int64 passed %v; want [0 1]", got)
	}
}

func TestApplyOnFieldChange(t *testing.T) {
	tests := []struct {
		name    string
		fields  string // on-field-change
		records string
		changes string // EventBody.changes, "" for none
		prev    string // EventBody.previous, "" for none
		want    []int
	}{
		{"changes list", `["email1"]`, `[{}, {}, {}]`, `[["email1"], ["phone"], []]`, "", []int{0}},
		{"any of the fields", `["email1", "phone"]`, `[{}, {}, {}]`, `[["phone"], ["owner"], ["email1", "x"]]`, "", []int{0, 2}},
		{"changed parent covers a nested field", `["primary_account.name"]`, `[{}, {}, {}]`,
			`[["primary_account"], ["primary_account.name"], ["primary_account_id"]]`, "", []int{0, 1}},
		{"changed nested field covers its parent", `["primary_account"]`, `[{}, {}]`,
			`[["primary_account.name"], ["primary"]]`, "", []int{0}},
		{"changes win over previous", `["email1"]`, `[{"email1": "new"}]`, `[["phone"]]`, `[{"email1": "old"}]`, []int{}},
		{"null changes entry is unknown", `["email1"]`, `[{}, {}]`, `[null, ["phone"]]`, "", []int{0}},
		{"changes shorter than records", `["email1"]`, `[{}, {}]`, `[["phone"]]`, "", []int{1}},
		{"no change information passes", `["email1"]`, `[{"email1": "a"}]`, "", "", []int{0}},

		{"previous diff", `["email1"]`, `[{"email1": "new"}, {"email1": "same"}]`, "",
			`[{"email1": "old"}, {"email1": "same"}]`, []int{0}},
		{"previous numbers compare by value", `["amount"]`, `[{"amount": 10}, {"amount": 10}]`, "",
			`[{"amount": 10.0}, {"amount": 11}]`, []int{1}},
		{"previous not mentioning the field: unchanged", `["email1"]`, `[{"email1": "a", "phone": "2"}]`, "",
			`[{"phone": "1"}]`, []int{}},
		{"previous field removed", `["email1"]`, `[{}, {}]`, "",
			`[{"email1": "a"}, {"email1": null}]`, []int{0}},
		{"previous null to value", `["email1"]`, `[{"email1": "a"}]`, "", `[{"email1": null}]`, []int{0}},
		{"previous nested field", `["primary_account.name"]`,
			`[{"primary_account": {"id": 1, "name": "New"}}, {"primary_account": {"id": 2, "name": "Same"}}]`, "",
			`[{"primary_account": {"name": "Old"}}, {"primary_account": {"id": 1, "name": "Same"}}]`, []int{0}},
		{"previous parent replaced", `["primary_account.name"]`,
			`[{"primary_account": {"name": "A"}}, {"primary_account": null}, {"primary_account": 5}]`, "",
			`[{"primary_account": null}, {"primary_account": {"name": "A"}}, {"primary_account": 5}]`, []int{0, 1}},
		{"previous partial object compares mentioned keys", `["primary_account"]`,
			`[{"primary_account": {"id": 1, "name": "A"}}, {"primary_account": {"id": 1, "name": "B"}}]`, "",
			`[{"primary_account": {"name": "A"}}, {"primary_account": {"name": "A"}}]`, []int{1}},
		{"previous arrays compare whole", `["tags"]`,
			`[{"tags": ["a", "b"]}, {"tags": ["a"]}, {"tags": [{"k": 1}]}]`, "",
			`[{"tags": ["a"]}, {"tags": ["a"]}, {"tags": [{"k": 1.0}]}]`, []int{0}},
		{"previous arrays of objects", `["tags"]`, `[{"tags": [{"k": 1}]}, {"tags": [{"k": 1}]}]`, "",
			`[{"tags": [{"k": 1, "x": null}]}, {"tags": [{"k": 2}]}]`, []int{1}},
		{"empty previous mentions nothing", `["email1"]`, `[{"email1": "a"}]`, "", `[{}]`, []int{}},
		{"null previous entry is unknown", `["email1"]`, `[{"email1": "a"}]`, "", `[null]`, []int{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := decodeOptions(t, `{"entity": {"Contact": {"on-field-change": `+tt.fields+`}}}`)
			js := `{"records": ` + tt.records
			if tt.changes != "" {
				js += `, "changes": ` + tt.changes
			}
			if tt.prev != "" {
				js += `, "previous": ` + tt.prev
			}
			b := decodeBody(t, js+`}`)
			if got := indexes(applied(o, "Contact", "", b)); !slices.Equal(got, tt.want) {
				t.Errorf("Apply() passed records %v; want %v", got, tt.want)
			}
		})
	}
}

func TestApplyLoadOnly(t *testing.T) {
	tests := []struct {
		name     string
		loadOnly string
		record   string
		want     string
	}{
		{"top-level fields", `["id", "email1"]`, `{"id": 1, "email1": "a@x.com", "phone": "1"}`, `{"id": 1, "email1": "a@x.com"}`},
		{"nested field builds the shape", `["id", "primary_account.name"]`,
			`{"id": 1, "primary_account": {"id": 7, "name": "Acme"}}`, `{"id": 1, "primary_account": {"name": "Acme"}}`},
		{"two nested fields share a parent", `["a.x", "a.y"]`, `{"a": {"x": 1, "y": 2, "z": 3}}`, `{"a": {"x": 1, "y": 2}}`},
		{"parent wins over its fields", `["a.x", "a"]`, `{"a": {"x": 1, "y": 2}}`, `{"a": {"x": 1, "y": 2}}`},
		{"missing fields are absent", `["id", "phone", "owner.name"]`, `{"id": 1}`, `{"id": 1}`},
		{"nested field of a non-object is absent", `["owner.name", "tags.name"]`,
			`{"owner": null, "tags": [{"name": "x"}]}`, `{}`},
		{"empty parent is dropped", `["owner.name"]`, `{"owner": {"id": 1}}`, `{}`},
		{"null is kept", `["phone"]`, `{"phone": null}`, `{"phone": null}`},
		{"whole values are kept", `["tags", "owner"]`, `{"tags": [1, {"a": 2}], "owner": {"id": 1}}`,
			`{"tags": [1, {"a": 2}], "owner": {"id": 1}}`},
		{"empty list keeps everything", `[]`, `{"id": 1, "x": 2}`, `{"id": 1, "x": 2}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := decodeOptions(t, `{"entity": {"Contact": {"load-only": `+tt.loadOnly+`}}}`)
			raw := `{"records": [` + tt.record + `], "changes": [["id"]], "previous": [{"id": 0}]}`
			b := decodeBody(t, raw)
			got := applied(o, "Contact", "", b)
			if len(got) != 1 {
				t.Fatalf("Apply() returned %d records; want 1", len(got))
			}
			gotJSON, _ := json.Marshal(got[0].Data)
			var want any
			_ = json.Unmarshal([]byte(tt.want), &want)
			wantJSON, _ := json.Marshal(want)
			if string(gotJSON) != string(wantJSON) {
				t.Errorf("Data = %s; want %s", gotJSON, wantJSON)
			}
			if r := got[0]; r.Index != 0 || !slices.Equal(r.Changes, []string{"id"}) || r.Previous["id"] != json.Number("0") {
				t.Errorf("record = %+v; want Index, Changes and Previous kept", r)
			}
			if after, _ := json.Marshal(b); string(after) != mustCompact(t, raw) {
				t.Errorf("body changed to %s", after)
			}
		})
	}
}

func mustCompact(t *testing.T, js string) string {
	t.Helper()
	b := decodeBody(t, js)
	out, _ := json.Marshal(b)
	return string(out)
}

func TestApplyEntityOptions(t *testing.T) {
	o := decodeOptions(t, `{"entity": {
		"contact": {"filter": {"id": 1}},
		"Project": {"filter": {"id": 2}},
		"CustomEntity": {"filter": {"id": 3}}}}`)
	b := decodeBody(t, `{"records": [{"id": 1}, {"id": 2}, {"id": 3}, {"id": 4}]}`)
	tests := []struct {
		entity, custom string
		want           []int
	}{
		{"Contact", "", []int{0}},
		{"CONTACT", "", []int{0}},
		{"CustomEntity", "project", []int{1}},
		{"customentity", "Project", []int{1}},
		{"CustomEntity", "Other", []int{2}},
		{"CustomEntity", "", []int{2}},
		{"Account", "Project", []int{0, 1, 2, 3}}, // custom entity only counts for CustomEntity events
		{"Project", "", []int{1}},
	}
	for _, tt := range tests {
		if got := indexes(applied(o, tt.entity, tt.custom, b)); !slices.Equal(got, tt.want) {
			t.Errorf("Apply(%q, %q) passed %v; want %v", tt.entity, tt.custom, got, tt.want)
		}
	}
}

func TestApplyCaseCollisionIsStable(t *testing.T) {
	o := models.Options{Entity: map[string]models.EntityOptions{
		"contact": {Filter: map[string]any{"id": 1.0}},
		"CONTACT": {Filter: map[string]any{"id": 2.0}},
		"Contact": {Filter: map[string]any{"id": 3.0}},
	}}
	b := decodeBody(t, `{"records": [{"id": 1}, {"id": 2}, {"id": 3}]}`)
	for range 20 {
		if got := indexes(applied(o, "Contact", "", b)); !slices.Equal(got, []int{2}) {
			t.Fatalf("exact key: passed %v; want [2]", got)
		}
		if got := indexes(applied(o, "cOntact", "", b)); !slices.Equal(got, []int{1}) { // "CONTACT" sorts first
			t.Fatalf("folded key: passed %v; want [1]", got)
		}
	}
}

func TestApplyWithoutOptionsSharesRecords(t *testing.T) {
	b := decodeBody(t, `{"records": [{"id": 1}, {"id": 2}], "changes": [["id"]]}`)
	for _, o := range []models.Options{
		{},
		{Entity: map[string]models.EntityOptions{"Account": {LoadOnly: []string{"id"}}}},
		{Entity: map[string]models.EntityOptions{"Contact": {}}},
	} {
		got := applied(o, "Contact", "", b)
		if len(got) != 2 || got[1].Index != 1 || got[0].Changes[0] != "id" || got[1].Changes != nil {
			t.Fatalf("Apply(%+v) = %+v; want both records with their changes", o, got)
		}
		if fmt.Sprintf("%p", got[0].Data) != fmt.Sprintf("%p", b.Records[0]) {
			t.Errorf("Apply(%+v) copied the record; want it shared", o)
		}
	}
	if got := applied(models.Options{}, "Contact", "", nil); got != nil {
		t.Errorf("Apply(nil body) = %v; want nil", got)
	}
}

func TestAccepts(t *testing.T) {
	o := models.Options{SkipKeys: []string{"gmail_sync", "erp"}, CustomEntityAPIName: []string{"Project", "Invoice"}}
	tests := []struct {
		name                          string
		o                             models.Options
		entity, customEntity, skipKey string
		want                          bool
	}{
		{"plain event", o, "Contact", "", "", true},
		{"skip key", o, "Contact", "", "gmail_sync", false},
		{"skip keys match exactly", o, "Contact", "", "GMAIL_SYNC", true},
		{"other skip key", o, "Contact", "", "outlook", true},
		{"empty skip key skips nothing", models.Options{SkipKeys: []string{""}}, "Contact", "", "", true},
		{"listed custom entity", o, "CustomEntity", "project", "", true},
		{"custom entity event is case-insensitive", o, "customentity", "INVOICE", "", true},
		{"unlisted custom entity", o, "CustomEntity", "Ticket", "", false},
		{"custom event without a name", o, "CustomEntity", "", "", false},
		{"skip key wins over a listed custom entity", o, "CustomEntity", "Project", "erp", false},
		{"no list takes every custom entity", models.Options{}, "CustomEntity", "Ticket", "", true},
		{"list ignored for standard entities", o, "Contact", "Ticket", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Accepts(tt.o, tt.entity, tt.customEntity, tt.skipKey); got != tt.want {
				t.Errorf("Accepts(%q, %q, %q) = %v; want %v", tt.entity, tt.customEntity, tt.skipKey, got, tt.want)
			}
		})
	}
}

// TestApplyDeepNesting guards against comparisons that grow exponentially
// with nesting: at depth 60 such a diff would never finish.
func TestApplyDeepNesting(t *testing.T) {
	nested := strings.Repeat(`[{"a": `, 60) + `1` + strings.Repeat(`}]`, 60)
	b := decodeBody(t, `{"records": [{"a": `+nested+`}], "previous": [{"a": `+nested+`}]}`)
	o := decodeOptions(t, `{"entity": {"Contact": {"on-field-change": ["a"], "filter": {"a": "x"}, "filter-op": {"a": "ne"}}}}`)
	if got := applied(o, "Contact", "", b); len(got) != 0 {
		t.Errorf("Apply() passed %v; want nothing, a did not change", indexes(got))
	}
}

func TestTrimAppliesOnlyLoadOnly(t *testing.T) {
	o := models.Options{Entity: map[string]models.EntityOptions{"contact": {
		Filter:   map[string]any{"score": float64(90)},
		LoadOnly: []string{"id", "owner.name"},
	}}}
	in := []models.Record{{Index: 3, Data: map[string]any{"id": 1, "score": 10, "owner": map[string]any{"name": "Ada", "id": 7}}}}
	got := Trim(o, "Contact", "", in)
	if len(got) != 1 || got[0].Index != 3 {
		t.Fatalf("Trim = %+v: it must keep every record given, filters or not", got)
	}
	want := map[string]any{"id": 1, "owner": map[string]any{"name": "Ada"}}
	if !reflect.DeepEqual(got[0].Data, want) {
		t.Errorf("Trim data = %v, want %v", got[0].Data, want)
	}
	if _, ok := in[0].Data["score"]; !ok {
		t.Error("Trim modified its input")
	}
	if same := Trim(models.Options{}, "Contact", "", in); &same[0] != &in[0] {
		t.Error("Trim without load-only should return the records as they are")
	}
}

// TestApplyRelatedEntity checks load-only for an event's secondary entity,
// which the CRM nests in each record under related_entity: the entity's
// load-only keeps it, related_entity's trims it, and the body is untouched.
func TestApplyRelatedEntity(t *testing.T) {
	const record = `{"id": 1, "name": "Acme", "related_entity": {"id": 9, "name": "offer.pdf", "contact": {"id": 3}, "size": 2048}}`
	tests := []struct {
		name, options, want string
	}{
		{"Pipeliner's example", `{"entity": {"Account": {"load-only": ["id"]}}, "related_entity": {"expand": ["contact"], "load-only": ["id", "contact"]}}`,
			`{"id": 1, "related_entity": {"id": 9, "contact": {"id": 3}}}`},
		{"only the entity's load-only", `{"entity": {"Account": {"load-only": ["id"]}}}`,
			`{"id": 1, "related_entity": {"id": 9, "name": "offer.pdf", "contact": {"id": 3}, "size": 2048}}`},
		{"only the related entity's load-only", `{"related_entity": {"load-only": ["name"]}}`,
			`{"id": 1, "name": "Acme", "related_entity": {"name": "offer.pdf"}}`},
		{"related options without a related entity", `{"related_entity": {"load-only": ["name"]}}`, ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := `{"records": [` + record + `]}`
			if tt.want == "" {
				raw = `{"records": [{"id": 1}]}`
				tt.want = `{"id": 1}`
			}
			b := decodeBody(t, raw)
			o := decodeOptions(t, tt.options)
			for name, got := range map[string][]models.Record{
				"Apply": applied(o, "Account", "", b),
				"Trim":  Trim(o, "Account", "", []models.Record{b.At(0)}),
			} {
				if g, w := mustJSON(t, got[0].Data), mustCompactValue(t, tt.want); g != w {
					t.Errorf("%s: Data = %s; want %s", name, g, w)
				}
			}
			if after := mustJSON(t, b); after != mustCompact(t, raw) {
				t.Errorf("body changed to %s", after)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustCompactValue(t *testing.T, js string) string {
	t.Helper()
	var v any
	if err := models.UnmarshalExact([]byte(js), &v); err != nil {
		t.Fatal(err)
	}
	return mustJSON(t, v)
}
