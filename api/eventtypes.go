package api

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/hookflow/hookflow/internal/payload"
)

// eventType is one entry of GET /v1/event-types.
type eventType struct {
	Event       string       `json:"event"`
	Entity      string       `json:"entity"`
	Action      string       `json:"action"`
	Source      string       `json:"source"`
	Description string       `json:"description"`
	Fields      []eventField `json:"fields,omitempty"`
}

// eventField is one field a vendor documents for an event type.
type eventField struct {
	Name     string `json:"name"`
	Optional bool   `json:"optional,omitempty"`
}

// eventSource says where the entries of one source come from.
type eventSource struct {
	Source string `json:"source"`
	Vendor string `json:"vendor"`
	Doc    string `json:"doc"`
	Note   string `json:"note"`
}

type eventTypesBody struct {
	Data    []eventType   `json:"data"`
	Sources []eventSource `json:"sources"`
}

// listEventTypes answers the catalog of event types the CRM docs define, all
// or one ?source=. It informs: hooks and triggers accept any entity.action.
func (a *app) listEventTypes(c *gin.Context) {
	want := c.Query("source")
	body := eventTypesBody{Data: []eventType{}, Sources: []eventSource{}}
	var names []string
	for _, f := range payload.Formats.All() {
		s := f.Catalog
		if s == nil {
			continue
		}
		name := string(f.Name)
		names = append(names, name)
		if want != "" && want != name {
			continue
		}
		body.Sources = append(body.Sources, eventSource{Source: name, Vendor: f.Vendor, Doc: s.Doc, Note: s.Note})
		for _, e := range s.Events {
			entity, action, _ := strings.Cut(e.Event, ".")
			et := eventType{Event: e.Event, Entity: entity, Action: action, Source: name, Description: e.Description}
			for _, f := range e.Fields {
				et.Fields = append(et.Fields, eventField{Name: f.Name, Optional: f.Optional})
			}
			body.Data = append(body.Data, et)
		}
	}
	if len(body.Sources) == 0 {
		a.fail(c, invalidField("source", "must be one of "+strings.Join(names, ", ")))
		return
	}
	c.JSON(http.StatusOK, body)
}
