// Package filter decides which records of an event reach a hook.
// Placeholder until the filter branch lands: everything passes.
package filter

import "github.com/hookflow/hookflow/models"

// Accepts reports whether an event reaches a hook at all.
func Accepts(o models.Options, entity, customEntity, skipKey string) bool { return true }

// Apply returns the records of body the hook wants.
func Apply(o models.Options, entity, customEntity string, body *models.EventBody) []models.Record {
	out := make([]models.Record, len(body.Records))
	for i := range body.Records {
		out[i] = body.At(i)
	}
	return out
}
