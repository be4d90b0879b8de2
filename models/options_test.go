package models

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name    string
		options string
		want    []string // fields with a problem, in report order
	}{
		{"spec §5 example", `{"entity": {"Contact": {"filter": {"email1": ["a@x.com", "b@x.com"], "score": 50},
			"filter-op": {"score": "gte"}, "on-field-change": ["email1"], "load-only": ["id", "email1", "primary_account.name"]}},
			"custom_entity_api_name": ["Project"], "skip_keys": ["gmail_sync"], "chunk_size": 100, "chunk_delay": 300}`, nil},
		{"Pipeliner's example, comments dropped", `{"entity": {"Contact": {"expand": ["primary_account", "primary_contact", "task_relations.task"],
			"load-only": ["id", "primary_account", "primary_contact.first_name", "task_relations.task"],
			"filter": {"email1": ["test@example.com", "test@example.net"], "email2": "test@example.com"},
			"filter-op": {"email1": "eq"}, "on-field-change": ["email1"]},
			"Account": {"filter": {"owner_id": ["9900cce6-bcd6-412a-bcd1-1904556c949a"]}}},
			"related_entity": {"expand": ["contact"], "load-only": ["id", "contact"]},
			"skip_keys": ["gmail_sync", "custom_integration"], "chunk_size": 100, "chunk_delay": 300}`, nil},
		{"empty", `{}`, nil},
		{"expand without load-only", `{"entity": {"Contact": {"expand": ["primary_account"]}}}`, nil},
		{"expand removed by load-only, or not a path", `{"entity": {"Contact": {"expand": ["primary_account", "owner", "a..b"],
			"load-only": ["id", "owner.name"]}}}`, []string{"options.entity.Contact.expand[0]", "options.entity.Contact.expand[2]"}},
		{"related entity selects nothing", `{"related_entity": {"filter": {"a": 1}, "filter-op": {"a": "eq"}, "on-field-change": ["a"],
			"load-only": ["id", "x."], "expand": ["y"]}}`, []string{"options.related_entity.filter", "options.related_entity.filter-op",
			"options.related_entity.on-field-change", "options.related_entity.load-only[1]", "options.related_entity.expand[0]"}},
		{"every operator with fitting values", `{"entity": {"Contact": {
			"filter": {"a": null, "b": [1, "x", true, null], "c": 1, "d": "x", "e": [1, 2], "f": "x", "g": "%x_", "h": true},
			"filter-op": {"a": "eq", "b": "ne", "c": "lt", "d": "lte", "e": "gt", "f": "gte", "g": "like", "h": "contains"}}}}`, nil},
		{"chunking out of range", `{"chunk_size": 101, "chunk_delay": -1}`, []string{"options.chunk_size", "options.chunk_delay"}},
		{"bad skip key and custom entity", `{"skip_keys": [""], "custom_entity_api_name": ["a b"]}`,
			[]string{"options.skip_keys[0]", "options.custom_entity_api_name[0]"}},
		{"entity names differing in case", `{"entity": {"Contact": {}, "Deal": {}, "contact": {}, "CONTACT": {}}}`,
			[]string{"options.entity.Contact", "options.entity.contact"}},
		{"bad entity name", `{"entity": {"Con tact": {}, "": {}}}`, []string{"options.entity.", "options.entity.Con tact"}},
		{"bad paths", `{"entity": {"Contact": {"filter": {"a..b": 1}, "on-field-change": ["x."], "load-only": ["", "ok"]}}}`,
			[]string{"options.entity.Contact.filter.a..b", "options.entity.Contact.on-field-change[0]", "options.entity.Contact.load-only[0]"}},
		{"object value", `{"entity": {"Contact": {"filter": {"a": {"b": 1}}}}}`, []string{"options.entity.Contact.filter.a"}},
		{"empty list", `{"entity": {"Contact": {"filter": {"a": []}}}}`, []string{"options.entity.Contact.filter.a"}},
		{"nested list", `{"entity": {"Contact": {"filter": {"a": [[1]]}}}}`, []string{"options.entity.Contact.filter.a"}},
		{"unknown operator and op without filter", `{"entity": {"Contact": {"filter": {"a": 1}, "filter-op": {"a": "in", "b": "eq"}}}}`,
			[]string{"options.entity.Contact.filter-op.a", "options.entity.Contact.filter-op.b"}},
		{"like needs text", `{"entity": {"Contact": {"filter": {"a": 5, "b": ["x", null]}, "filter-op": {"a": "like", "b": "like"}}}}`,
			[]string{"options.entity.Contact.filter.a", "options.entity.Contact.filter.b"}},
		{"ordering needs numbers or text", `{"entity": {"Contact": {"filter": {"a": null, "b": true, "c": [1, null]},
			"filter-op": {"a": "lt", "b": "gte", "c": "gt"}}}}`,
			[]string{"options.entity.Contact.filter.a", "options.entity.Contact.filter.b", "options.entity.Contact.filter.c"}},
		{"contains needs a value", `{"entity": {"Contact": {"filter": {"a": null}, "filter-op": {"a": "contains"}}}}`,
			[]string{"options.entity.Contact.filter.a"}},
		{"too many fields", `{"entity": {"Contact": {"load-only": [` + strings.Repeat(`"a",`, MaxOptionPaths) + `"a"]}}}`,
			[]string{"options.entity.Contact.load-only"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var o Options
			if err := json.Unmarshal([]byte(tt.options), &o); err != nil {
				t.Fatal(err)
			}
			var v ValidationError
			o.validate(&v)
			var got []string
			for _, f := range v.Fields {
				got = append(got, f.Field)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("validate() flagged %q; want %q (%v)", got, tt.want, v.Fields)
			}
		})
	}
}

// TestOptionsValidateExactNumbers covers options decoded with UseNumber, as
// the API may do to keep large ids exact.
func TestOptionsValidateExactNumbers(t *testing.T) {
	var o Options
	if err := UnmarshalExact([]byte(`{"entity": {"Contact": {"filter": {"id": 9007199254740993, "score": [1.5, 2]},
		"filter-op": {"score": "gte"}}}}`), &o); err != nil {
		t.Fatal(err)
	}
	var v ValidationError
	if o.validate(&v); v.Err() != nil {
		t.Errorf("validate() = %v; want nil", v.Err())
	}
	o.Entity["Contact"].FilterOp["id"] = OpLike
	if o.validate(&v); len(v.Fields) != 1 || v.Fields[0].Field != "options.entity.Contact.filter.id" {
		t.Errorf("like on a number: validate() = %v; want one problem on filter.id", v.Fields)
	}
}

func TestHookValidateReportsOptions(t *testing.T) {
	h := Hook{HookSpec: HookSpec{Events: JSON[[]string]{V: []string{"Contact.*"}}, TargetURL: "https://example.com/h",
		Type: HookTypeWebhook, Format: "standard"}, State: StateActive}
	h.Options.V.Entity = map[string]EntityOptions{"Contact": {Filter: map[string]any{"score": true}, FilterOp: map[string]FilterOp{"score": OpGt}}}
	err := h.Validate(testFormats{})
	if err == nil || !strings.Contains(err.Error(), "options.entity.Contact.filter.score: gt orders numbers or text") {
		t.Errorf("Validate() = %v; want the filter problem", err)
	}
}
