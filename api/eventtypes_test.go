package api_test

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/internal/payload"
)

func TestEventTypes(t *testing.T) {
	h := newHarness(t)
	all := h.do("GET", "/v1/event-types", "")
	if all.Code != 200 {
		t.Fatalf("GET /v1/event-types = %d %s", all.Code, all.Raw)
	}
	bySource := map[string]int{}
	found := map[string]map[string]any{}
	for _, e := range all.Body["data"].([]any) {
		e := e.(map[string]any)
		bySource[e["source"].(string)]++
		found[e["source"].(string)+" "+e["event"].(string)] = e
	}
	for _, s := range []string{"pipeliner", "superoffice", "clinchpad", "onepage", "agilecrm"} {
		if bySource[s] == 0 {
			t.Errorf("no %s event types in %v", s, bySource)
		}
	}
	for key, want := range map[string]string{
		"pipeliner Account.Create":     "Account Create",
		"pipeliner Opportunity.Won":    "Opportunity Won",
		"superoffice contact.created":  "contact created",
		"superoffice person.consented": "person consented",
		"clinchpad note.created":       "note created",
		"onepage Deal.Updated":         "Deal Updated",
	} {
		if e := found[key]; e == nil || e["entity"].(string)+" "+e["action"].(string) != want || e["description"] == "" {
			t.Errorf("%s = %v, want entity and action %s with a description", key, e, want)
		}
	}
	catalogs := 0
	for _, f := range payload.Formats.All() {
		if f.Catalog != nil {
			catalogs++
		}
	}
	if len(all.Body["sources"].([]any)) != catalogs {
		t.Errorf("sources = %v; want one per format with a catalog", all.Body["sources"])
	}

	one := h.do("GET", "/v1/event-types?source=clinchpad", "")
	for _, e := range one.Body["data"].([]any) {
		if s := e.(map[string]any)["source"]; s != "clinchpad" {
			t.Errorf("?source=clinchpad answered an event of %v", s)
		}
	}
	if src := one.Body["sources"].([]any); one.Code != 200 || len(src) != 1 || src[0].(map[string]any)["doc"] != "https://clinchpad.com/api/docs/webhooks" ||
		src[0].(map[string]any)["vendor"] != "ClinchPad" {
		t.Errorf("?source=clinchpad = %d %s", one.Code, one.Raw)
	}
	if a := h.do("GET", "/v1/event-types?source=salesforce", ""); a.Code != 400 || a.errorField() != "source" {
		t.Errorf("?source=salesforce = %d %s", a.Code, a.Raw)
	}
}

// GET /v1/event-types lists every vendor's catalog whole: all 33 ClinchPad
// activity types with their fields and every event of Pipeliner's table
// (internal/payload holds the catalogs against the vendors' own tables).
func TestEventTypesListEveryDocumentedType(t *testing.T) {
	h := newHarness(t)
	all := h.do("GET", "/v1/event-types", "")
	listed := map[string]map[string]any{}
	for _, e := range all.Body["data"].([]any) {
		e := e.(map[string]any)
		listed[e["source"].(string)+" "+e["event"].(string)] = e
	}
	n := 0
	for _, f := range payload.Formats.All() {
		if f.Catalog == nil {
			continue
		}
		for _, e := range f.Catalog.Events {
			n++
			got := listed[string(f.Name)+" "+e.Event]
			if got == nil || got["description"] != e.Description || len(e.Fields) != len(asList(got["fields"])) {
				t.Errorf("%s %s = %v; want %+v", f.Name, e.Event, got, e)
			}
		}
	}
	if n != len(listed) {
		t.Errorf("listed %d event types; the catalogs hold %d", len(listed), n)
	}
	clinchPad := h.do("GET", "/v1/event-types?source=clinchpad", "").Body["data"].([]any)
	if len(clinchPad) != 33 {
		t.Errorf("ClinchPad lists %d activity types; its page documents 33", len(clinchPad))
	}
	if e := listed["clinchpad lead.size_changed"]; !reflect.DeepEqual(e["fields"], []any{
		map[string]any{"name": "lead_size"}, map[string]any{"name": "old_lead_size", "optional": true}}) {
		t.Errorf("clinchpad lead.size_changed fields = %v", e["fields"])
	}
	table, err := os.ReadFile("../internal/payload/testdata/vendors/pipeliner-events.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, word := range strings.Fields(string(table)) {
		if strings.Contains(word, ".") && !strings.HasSuffix(word, ".*") && listed["pipeliner "+word] == nil {
			t.Errorf("Pipeliner's %s is not listed", word)
		}
	}
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}
