package payload

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/hookflow/hookflow/internal/signature"
	"github.com/hookflow/hookflow/models"
)

// Standard is the default format: Standard Webhooks.
const Standard models.Format = "standard"

// standardTolerance is how far a Standard Webhooks timestamp may be from the
// time the request arrived, the window the reference libraries allow.
const standardTolerance = 5 * time.Minute

func init() {
	register(&Format{
		Name:           Standard,
		Doc:            "https://www.standardwebhooks.com/",
		HeaderPrefixes: []string{"Webhook-"}, // webhook-id, -timestamp, -signature
		Scheme:         "standard-webhooks",
		encode:         encodeStandard,
		verify:         verifyStandard,
		Examples: []Example{{
			EventType: "Contact.Update", OccurredAt: exampleTime, Actor: "5", Properties: exampleProperties,
			Body: `{"records": [` + exampleContact + `,
				{"id": 1043, "first_name": "Grace", "last_name": "Hopper", "email1": "grace@example.com"}],
				"changes": [["email1"]], "previous": [{"email1": "ada@old.example"}]}`,
		}},
	})
}

// encodeStandard renders the Standard Webhooks format: a JSON envelope with
// the event id, type and records, signed over "id.timestamp.body".
func encodeStandard(m *Message, secrets []string, now time.Time) (*Request, error) {
	body, err := marshal(withProperties(m.Hook.Properties, map[string]any{
		"id":        m.EventID,
		"type":      m.EventType,
		"timestamp": m.OccurredAt.UTC().Format(time.RFC3339Nano),
		"data":      recordsData(m.Records),
		"chunk":     m.Chunk,
	}))
	if err != nil {
		return nil, err
	}
	id, ts, sig := signature.Standard(m.ID(), now, body, secrets...)
	h := http.Header{}
	h.Set("Webhook-Id", id)
	h.Set("Webhook-Timestamp", ts)
	h.Set("Webhook-Signature", sig)
	return &Request{Body: body, ContentType: "application/json", Header: h}, nil
}

// verifyStandard verifies Standard Webhooks' webhook-signature over
// "id.timestamp.body"; one matching v1 signature of several is enough.
func verifyStandard(scheme string, in VerifyInput) Verdict {
	id, ts, sigs := in.Header.Get("Webhook-Id"), in.Header.Get("Webhook-Timestamp"), in.Header.Get("Webhook-Signature")
	if in.Truncated {
		return truncated(scheme)
	}
	for _, h := range [][2]string{{"webhook-id", id}, {"webhook-timestamp", ts}, {"webhook-signature", sigs}} {
		if h[1] == "" {
			return invalid(scheme, "missing header "+h[0])
		}
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return invalid(scheme, "webhook-timestamp is not a Unix time in seconds")
	}
	if off := in.ReceivedAt.Sub(time.Unix(unix, 0)); off > standardTolerance || off < -standardTolerance {
		return invalid(scheme, fmt.Sprintf("webhook-timestamp is %s away from when the request arrived (allowed: %s): a replay or a wrong clock",
			off.Abs().Round(time.Second), standardTolerance))
	}
	for i, s := range in.Secrets {
		if signature.VerifyStandard(s, id, ts, sigs, in.Body, in.ReceivedAt, standardTolerance) {
			return valid(scheme, "webhook-signature", i)
		}
	}
	return invalid(scheme, "no v1 signature in webhook-signature matches the hook's secret")
}
