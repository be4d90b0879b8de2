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

func init() {
	register(&Format{
		Name:                OnePage,
		Vendor:              "OnePageCRM",
		Doc:                 "https://developer.onepagecrm.com/webhooksmore/",
		OneRecordPerRequest: true,
		encode:              encodeOnePage,
		Catalog: &Catalog{
			Doc:  "https://developer.onepagecrm.com/webhooksmore/",
			Note: "OnePageCRM posts a type (Contact, Action, Deal, Note) and a reason (Created, Updated, Deleted): Type.Reason here.",
			Events: eventList([][2]string{
				{"Contact.Created", "A contact was created."},
				{"Contact.Updated", "A contact was updated."},
				{"Contact.Deleted", "A contact was deleted (data is empty once it is deleted for good)."},
				{"Action.Created", "An action (next step) was created."},
				{"Action.Updated", "An action was updated."},
				{"Action.Deleted", "An action was deleted."},
				{"Deal.Created", "A deal was created."},
				{"Deal.Updated", "A deal was updated."},
				{"Deal.Deleted", "A deal was deleted."},
				{"Note.Created", "A note was created."},
				{"Note.Updated", "A note was updated."},
				{"Note.Deleted", "A note was deleted."},
			}),
		},
	})
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
		"reason":    upperFirst(vendorAction(action, "Created", "Updated", "Deleted")),
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
