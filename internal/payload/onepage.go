package payload

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hookflow/hookflow/models"
)

// OnePage is OnePageCRM's form post.
const OnePage models.Format = "onepage"

// onePageDoc is OnePageCRM's webhook page: the POST params, the types and
// the table of reasons.
const onePageDoc = "https://developer.onepagecrm.com/webhooksmore/"

func init() {
	register(&Format{
		Name:                OnePage,
		Vendor:              "OnePageCRM",
		Doc:                 onePageDoc,
		OneRecordPerRequest: true,
		encode:              encodeOnePage,
		Catalog: &Catalog{
			Doc: onePageDoc,
			Note: "OnePageCRM posts a type (Contact, Action, Deal, Note) and a reason from its table (Created, Updated, Deleted, " +
				"and reasons of one type only, such as changed_to_won for deals): Type.reason here, spelled as the table spells it.",
			Events: eventList([][2]string{
				{"Contact.Created", "A contact was created."},
				{"Contact.Updated", "A contact was updated."},
				{"Contact.Deleted", "A contact was deleted: its data while the deletion can be undone, else only its id."},
				{"Contact.Undeleted", "A contact's deletion was undone and the contact reactivated."},
				{"Action.Created", "An action (next step) was created."},
				{"Action.Updated", "An action was updated."},
				{"Action.Deleted", "An action was deleted: its data while the deletion can be undone, else only its id."},
				{"Action.Completed", "An action was marked as done."},
				{"Action.Uncompleted", "A done action was reopened."},
				{"Deal.Created", "A deal was created."},
				{"Deal.Updated", "A deal was updated."},
				{"Deal.Deleted", "A deal was deleted: its data while the deletion can be undone, else only its id."},
				{"Deal.expected_close_time_updated", "A deal's expected close date changed (an update can also reschedule it)."},
				{"Deal.changed_to_pending", "A deal became pending; its deal_stage says at which stage."},
				{"Deal.changed_to_won", "A deal was won."},
				{"Deal.changed_to_lost", "A deal was lost."},
				{"Note.Created", "A note was created."},
				{"Note.Updated", "A note was updated."},
				{"Note.Deleted", "A note was deleted: its data while the deletion can be undone, else only its id."},
			}),
		},
		Examples: []Example{exampleContactUpdate, {
			Name: "deal-won", EventType: "Deal.changed_to_won", OccurredAt: exampleTime, Actor: "5",
			Body: `{"records": [{"id": "5a8b2c3d4e5f6a7b8c9d0e1f", "name": "Engines for the Navy", "amount": 12000, "status": "won",
				"stage": 100, "contact_id": "5a8b2c3d4e5f6a7b8c9d0e10", "expected_close_date": "2026-03-31"}]}`,
		}},
	})
}

// onePageReasons are the reasons of OnePageCRM's table, in its spelling:
// an action that names one of them, in any case, is sent that way.
var onePageReasons = []string{"Created", "Updated", "Deleted", "Undeleted", "expected_close_time_updated",
	"changed_to_pending", "changed_to_won", "changed_to_lost", "Completed", "Uncompleted"}

// onePageReason spells an action as OnePageCRM's reason: create, update and
// delete in any of their spellings, a reason of the table in the table's
// spelling, and any other action capitalized.
func onePageReason(action string) string {
	action = vendorAction(action, "Created", "Updated", "Deleted")
	for _, r := range onePageReasons {
		if strings.EqualFold(r, action) {
			return r
		}
	}
	return upperFirst(action)
}

// encodeOnePage renders OnePageCRM's form post: timestamp, secretkey, type,
// reason and the record as a nested data hash (data[contact][first_name]).
func encodeOnePage(m *Message, secrets []string, _ time.Time) (*Request, error) {
	entity, action, _ := strings.Cut(m.EventType, ".")
	params := withProperties(m.Hook.Properties, map[string]any{
		"timestamp": m.OccurredAt.Unix(),
		// OnePageCRM authenticates by echoing the shared key; there is room
		// for one, so only the current secret is sent.
		"secretkey": currentSecret(secrets),
		"type":      upperFirst(entity),
		"reason":    onePageReason(action),
		"data":      map[string]any{strings.ToLower(entity): m.Records[0].Data},
	})
	body := appendForm(nil, "", params)
	return &Request{Body: body, ContentType: "application/x-www-form-urlencoded", Header: http.Header{}}, nil
}

// appendForm appends v under key as nested form fields, the way Rails'
// to_query and PHP's http_build_query encode a hash, so Rack and PHP decode
// the same structure back:
//   - a map becomes key[field]=…, fields sorted;
//   - a list of scalars becomes key[]=… (a list in both);
//   - a list holding maps or lists is indexed, key[0][field]=… (a list in
//     PHP, a hash keyed "0", "1"… in Rack): key[][field] would keep Rack's
//     grouping but split each PHP element into one per field;
//   - null is an empty value; true and false are spelled out, as Rails does;
//   - an empty map or list has no form at all and is left out, as
//     http_build_query does.
func appendForm(dst []byte, key string, v any) []byte {
	switch v := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			sub := k
			if key != "" {
				sub = key + "[" + k + "]"
			}
			dst = appendForm(dst, sub, v[k])
		}
	case []any:
		indexed := slices.ContainsFunc(v, func(e any) bool {
			switch e.(type) {
			case map[string]any, []any:
				return true
			}
			return false
		})
		for i, e := range v {
			sub := key + "[]"
			if indexed {
				sub = key + "[" + strconv.Itoa(i) + "]"
			}
			dst = appendForm(dst, sub, e)
		}
	default:
		if len(dst) > 0 {
			dst = append(dst, '&')
		}
		dst = append(dst, url.QueryEscape(key)...)
		dst = append(dst, '=')
		if v != nil {
			dst = append(dst, url.QueryEscape(fmt.Sprint(v))...)
		}
	}
	return dst
}
