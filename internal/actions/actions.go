// Package actions counts the Temporal Cloud Actions a workflow history
// costs, following Temporal Cloud's published rules (docs.temporal.io/cloud/actions):
// what Temporal Cloud bills, and what sizing a self-hosted cluster can go by.
package actions

import (
	"fmt"
	"sort"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
)

// Kinds of actions, as the counts name them.
const (
	Start       = "workflow start"   // client start or continue-as-new
	LocalBatch  = "local activities" // every marker of one workflow task together: 1
	Activity    = "activity attempt" // every attempt, retries included
	Timer       = "timer"            // every timer started
	Signal      = "signal"           // every signal received (a fifo lane's wake-up)
	Upsert      = "search attribute upsert"
	versionOnly = "TemporalChangeVersion" // upserts of only this are free
)

// Count is the actions of one history, by kind.
type Count map[string]int

// Total is the sum over every kind.
func (c Count) Total() int {
	n := 0
	for _, v := range c {
		n += v
	}
	return n
}

// Add adds o's actions to c.
func (c Count) Add(o Count) {
	for k, v := range o {
		c[k] += v
	}
}

func (c Count) String() string {
	var parts []string
	for k, v := range c {
		if v > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", v, k))
		}
	}
	sort.Strings(parts)
	return fmt.Sprintf("%d (%s)", c.Total(), strings.Join(parts, ", "))
}

// History counts the actions of one run's history. (hookflow starts no
// child workflows; its only signals wake fifo lanes; it sends no queries or
// updates, and records no side effects.)
func History(events []*historypb.HistoryEvent) Count {
	c := Count{}
	markers := false // the current workflow task's commands record a marker
	for _, ev := range events {
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
			c[Start]++
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			markers = false
		case enumspb.EVENT_TYPE_MARKER_RECORDED:
			if !markers {
				c[LocalBatch]++
				markers = true
			}
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
			c[Activity] += int(max(ev.GetActivityTaskStartedEventAttributes().GetAttempt(), 1))
		case enumspb.EVENT_TYPE_TIMER_STARTED:
			c[Timer]++
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
			c[Signal]++
		case enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
			fields := ev.GetUpsertWorkflowSearchAttributesEventAttributes().GetSearchAttributes().GetIndexedFields()
			if _, ok := fields[versionOnly]; !ok || len(fields) > 1 {
				c[Upsert]++
			}
		}
	}
	return c
}
