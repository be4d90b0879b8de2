package catalog_test

import (
	"testing"

	"github.com/hookflow/hookflow/internal/catalog"
	"github.com/hookflow/hookflow/models"
)

func TestCatalogNamesAreEventTypesOfKnownFormats(t *testing.T) {
	for _, s := range catalog.Sources() {
		if !models.Format(s.Name).Valid() || s.Doc == "" || len(s.Events) == 0 {
			t.Errorf("source %q: not a wire format, or no doc or events", s.Name)
		}
		seen := map[string]bool{}
		for _, e := range s.Events {
			if _, err := models.ParseEventType(e.Event); err != nil {
				t.Errorf("%s %q: %v", s.Name, e.Event, err)
			}
			if seen[e.Event] || e.Description == "" {
				t.Errorf("%s %q: listed twice or undescribed", s.Name, e.Event)
			}
			seen[e.Event] = true
		}
	}
}
