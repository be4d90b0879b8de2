package models

import (
	"fmt"
	"regexp"
	"strings"
)

// Pattern is one entry of a hook's events list, split for matching and
// indexing: "Contact.*" is {Entity: "contact", Action: "*"}; "*" is {"*", "*"}.
type Pattern struct {
	Entity string
	Action string
}

// Wildcard matches any entity or action.
const Wildcard = "*"

// A name part: letters, digits and the separators CRM event names use
// (SuperOffice "webhook{42}.errors", ClinchPad "note:created", "custom_entity").
var namePart = regexp.MustCompile(`^[A-Za-z0-9_:{}\-]+$`)

// ParsePattern parses an event pattern: "entity.action", "entity.*", "*.action" or "*".
// Matching is case-insensitive, so the parts are lower-cased.
func ParsePattern(s string) (Pattern, error) {
	if s == Wildcard {
		return Pattern{Wildcard, Wildcard}, nil
	}
	entity, action, ok := strings.Cut(s, ".")
	if !ok {
		return Pattern{}, fmt.Errorf("%q is not entity.action, entity.* or *", s)
	}
	for _, part := range []string{entity, action} {
		if part != Wildcard && !namePart.MatchString(part) {
			return Pattern{}, fmt.Errorf("%q is not entity.action, entity.* or * (allowed in a name: letters, digits, _ - : { })", s)
		}
	}
	return Pattern{strings.ToLower(entity), strings.ToLower(action)}, nil
}

// ParseEventType splits an event name such as "Contact.Update" into its
// lower-cased entity and action. Wildcards are not allowed in an event name.
func ParseEventType(s string) (Pattern, error) {
	p, err := ParsePattern(s)
	if err != nil {
		return Pattern{}, err
	}
	if p.Entity == Wildcard || p.Action == Wildcard {
		return Pattern{}, fmt.Errorf("%q is a pattern; an event names one entity and one action", s)
	}
	return p, nil
}

// Matches reports whether the pattern covers the event type (both parsed).
func (p Pattern) Matches(event Pattern) bool {
	return (p.Entity == Wildcard || p.Entity == event.Entity) &&
		(p.Action == Wildcard || p.Action == event.Action)
}
