package api_test

import "testing"

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
	if len(all.Body["sources"].([]any)) != 5 {
		t.Errorf("sources = %v", all.Body["sources"])
	}

	one := h.do("GET", "/v1/event-types?source=clinchpad", "")
	for _, e := range one.Body["data"].([]any) {
		if s := e.(map[string]any)["source"]; s != "clinchpad" {
			t.Errorf("?source=clinchpad answered an event of %v", s)
		}
	}
	if src := one.Body["sources"].([]any); one.Code != 200 || len(src) != 1 || src[0].(map[string]any)["doc"] != "https://clinchpad.com/api/docs/webhooks" {
		t.Errorf("?source=clinchpad = %d %s", one.Code, one.Raw)
	}
	if a := h.do("GET", "/v1/event-types?source=salesforce", ""); a.Code != 400 || a.errorField() != "source" {
		t.Errorf("?source=salesforce = %d %s", a.Code, a.Raw)
	}
}
