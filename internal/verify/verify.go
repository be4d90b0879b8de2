// Package verify checks a received request's signature the way a receiver of
// its wire format would, so a request bin can tell whether a delivery is
// authentic. It is pure: headers, body, secrets and times in, a verdict out.
package verify

import (
	"crypto/hmac"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/hookflow/hookflow/internal/signature"
	"github.com/hookflow/hookflow/models"
)

// Signature schemes, by the receiver family that verifies them.
const (
	SchemeStandard    = "standard-webhooks"
	SchemeSuperOffice = "superoffice"
	SchemePipeliner   = "pipeliner"
)

// Tolerance is how far a Standard Webhooks timestamp may be from the time the
// request arrived, the window the reference libraries allow.
const Tolerance = 5 * time.Minute

// Input is one received request and the hook that should have sent it.
type Input struct {
	Format     models.Format // the hook's format: which scheme applies
	Header     http.Header
	Body       []byte
	Truncated  bool      // only the body's beginning was kept
	ReceivedAt time.Time // replay windows count from here, not from now
	Secrets    []string  // the hook's current secret, then the previous one during a rotation
}

// Verdict is the outcome of a check. Checked is false when there is nothing
// to check (the format signs nothing) or not enough of it (a truncated body).
type Verdict struct {
	Checked bool
	Valid   bool
	Scheme  string
	Detail  string
}

// Check verifies in's signature by the scheme of its format.
func Check(in Input) Verdict {
	var scheme, header string
	var sign func(secret string) string
	switch in.Format {
	case models.FormatStandard:
		return checkStandard(in)
	case models.FormatSuperOffice:
		scheme, header = SchemeSuperOffice, "X-SuperOffice-Signature"
		sign = func(s string) string { return signature.SuperOffice(s, in.Body) }
	case models.FormatPipeliner:
		scheme, header = SchemePipeliner, "WebHook-Signature"
		sign = func(s string) string { return signature.Pipeliner(s, in.Body) }
	default:
		return Verdict{Detail: fmt.Sprintf("the %s format carries no signature to check", in.Format)}
	}
	got := in.Header.Get(header)
	switch {
	case in.Truncated:
		return truncated(scheme)
	case got == "":
		return invalid(scheme, "missing header "+header)
	}
	for i, s := range in.Secrets {
		if hmac.Equal([]byte(got), []byte(sign(s))) {
			return valid(scheme, header, i)
		}
	}
	return invalid(scheme, header+" does not match the body signed with the hook's secret")
}

// checkStandard verifies Standard Webhooks' webhook-signature over
// "id.timestamp.body"; one matching v1 signature of several is enough.
func checkStandard(in Input) Verdict {
	id, ts, sigs := in.Header.Get("Webhook-Id"), in.Header.Get("Webhook-Timestamp"), in.Header.Get("Webhook-Signature")
	if in.Truncated {
		return truncated(SchemeStandard)
	}
	for _, h := range [][2]string{{"webhook-id", id}, {"webhook-timestamp", ts}, {"webhook-signature", sigs}} {
		if h[1] == "" {
			return invalid(SchemeStandard, "missing header "+h[0])
		}
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return invalid(SchemeStandard, "webhook-timestamp is not a Unix time in seconds")
	}
	if off := in.ReceivedAt.Sub(time.Unix(unix, 0)); off > Tolerance || off < -Tolerance {
		return invalid(SchemeStandard, fmt.Sprintf("webhook-timestamp is %s away from when the request arrived (allowed: %s): a replay or a wrong clock",
			off.Abs().Round(time.Second), Tolerance))
	}
	for i, s := range in.Secrets {
		if signature.VerifyStandard(s, id, ts, sigs, in.Body, in.ReceivedAt, Tolerance) {
			return valid(SchemeStandard, "webhook-signature", i)
		}
	}
	return invalid(SchemeStandard, "no v1 signature in webhook-signature matches the hook's secret")
}

func valid(scheme, header string, secret int) Verdict {
	which := "current secret"
	if secret > 0 {
		which = "previous secret, still valid during its rotation"
	}
	return Verdict{Checked: true, Valid: true, Scheme: scheme, Detail: header + " matches, signed with the hook's " + which}
}

func invalid(scheme, detail string) Verdict {
	return Verdict{Checked: true, Scheme: scheme, Detail: detail}
}

func truncated(scheme string) Verdict {
	return Verdict{Scheme: scheme, Detail: "only the beginning of the body was kept, so its signature cannot be checked"}
}
