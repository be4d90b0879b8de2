package payload

import (
	"testing"

	"github.com/hookflow/hookflow/models"
)

func TestCatalogNamesAreEventTypes(t *testing.T) {
	for _, f := range Formats.All() {
		c := f.Catalog
		if c == nil {
			if f.Vendor != "" {
				t.Errorf("vendor format %s has no catalog", f.Name)
			}
			continue
		}
		if c.Doc == "" || c.Note == "" || len(c.Events) == 0 {
			t.Errorf("%s: catalog without a doc, a note or events", f.Name)
		}
		seen := map[string]bool{}
		for _, e := range c.Events {
			if _, err := models.ParseEventType(e.Event); err != nil {
				t.Errorf("%s %q: %v", f.Name, e.Event, err)
			}
			if seen[e.Event] || e.Description == "" {
				t.Errorf("%s %q: listed twice or undescribed", f.Name, e.Event)
			}
			seen[e.Event] = true
		}
	}
}
