package models

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// State-change events (SuperOffice's webhook{id}.started|stopped|errors):
// hookflow emits one in the hook's tenant whenever a hook changes state, so
// another hook can monitor it. A hook subscribes to every hook's with
// "webhook.errors", or to one hook's with "webhook42.errors" or
// "webhook{42}.errors".
const (
	StateEventEntity = "webhook"
	EventHookStarted = StateEventEntity + ".started" // the hook turned Active
	EventHookStopped = StateEventEntity + ".stopped" // a user set it Stopped
	EventHookErrors  = StateEventEntity + ".errors"  // failures turned it TooManyErrors
)

// stateAction is the action of the event that tells a hook moved to s.
func stateAction(s HookState) string {
	switch s {
	case StateActive:
		return "started"
	case StateStopped:
		return "stopped"
	}
	return "errors"
}

// StateEventType is the event type telling that a hook moved to s:
// webhook.started, webhook.stopped or webhook.errors.
func StateEventType(s HookState) string { return StateEventEntity + "." + stateAction(s) }

// StateEventID is the id of the event telling that a hook moved to state s
// in transition (a value naming that one change). The same transition always
// gets the same id, so emitting it twice delivers it once.
func StateEventID(hookID int64, s HookState, transition string) string {
	return fmt.Sprintf("%s-%d-%s-%s", StateEventEntity, hookID, stateAction(s), transition)
}

// NewStateEvent builds the event telling that h moved to state to in
// transition. It carries the hook as its one record, never its secret.
// The caller sets WorkflowID.
func NewStateEvent(h *Hook, to HookState, transition string, now time.Time) (*Event, error) {
	record := map[string]any{
		"id": h.ID, "name": h.Name, "target_url": h.TargetURL, "state": to, "events": h.Events.V,
		"error_count": h.ErrorCount, "failing_since": h.FailingSince, "last_error": h.LastError,
	}
	body, err := json.Marshal(EventBody{Records: []map[string]any{record}})
	if err != nil {
		return nil, fmt.Errorf("encode state event of hook %d: %w", h.ID, err)
	}
	return &Event{
		ID: StateEventID(h.ID, to, transition), Tenant: h.Tenant, Type: StateEventType(to),
		OccurredAt: now, ReceivedAt: now, RecordCount: 1, Body: body, AboutHookID: h.ID,
	}, nil
}

// StateEventEntities are the entity names a state event about hookID
// answers to besides "webhook": SuperOffice's per-hook spellings.
func StateEventEntities(hookID int64) []string {
	id := strconv.FormatInt(hookID, 10)
	return []string{StateEventEntity + id, StateEventEntity + "{" + id + "}"}
}

// Aliases are the more entity names an event answers to when matching hooks:
// a state event's per-hook spellings, none for other events.
func (e *Event) Aliases() []string {
	if e.AboutHookID == 0 {
		return nil
	}
	return StateEventEntities(e.AboutHookID)
}

var stateEventEntity = regexp.MustCompile(`^webhook(\d+|\{\d+\})?$`)

// IsStateEvent reports whether an event type (parsed) is a state-change
// event, which only hookflow may emit: a trigger naming one would let a
// caller forge another hook's alarm.
func IsStateEvent(et Pattern) bool {
	return stateEventEntity.MatchString(et.Entity) && (et.Action == "started" || et.Action == "stopped" || et.Action == "errors")
}
