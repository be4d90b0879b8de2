package payload

import (
	"crypto/hmac"
	"fmt"
	"net/http"
	"time"

	"github.com/hookflow/hookflow/models"
)

// VerifyInput is one received request and the hook that should have sent it.
type VerifyInput struct {
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
	Scheme  string // the receiver family whose check applies: "standard-webhooks", "superoffice"…
	Detail  string
}

// Verify checks a received request's signature the way a receiver of its
// format would, so a request bin can tell whether a delivery is authentic.
// It is pure: headers, body, secrets and times in, a verdict out.
func Verify(in VerifyInput) Verdict {
	f := Formats.Lookup(in.Format)
	if f == nil || f.verify == nil {
		return Verdict{Detail: fmt.Sprintf("the %s format carries no signature to check", in.Format)}
	}
	return f.verify(f.Scheme, in)
}

// Schemes lists the signature schemes of the registered formats, in format order.
func (r *registry) Schemes() []string {
	var out []string
	for _, f := range r.formats {
		if f.Scheme != "" {
			out = append(out, f.Scheme)
		}
	}
	return out
}

// bodyHMAC verifies formats whose one header holds sign(secret, body): any
// of the hook's secrets may match, so a request sent before a rotation still
// verifies while the previous secret is valid.
func bodyHMAC(header string, sign func(secret string, body []byte) string) verifier {
	return func(scheme string, in VerifyInput) Verdict {
		got := in.Header.Get(header)
		switch {
		case in.Truncated:
			return truncated(scheme)
		case got == "":
			return invalid(scheme, "missing header "+header)
		}
		for i, s := range in.Secrets {
			if hmac.Equal([]byte(got), []byte(sign(s, in.Body))) {
				return valid(scheme, header, i)
			}
		}
		return invalid(scheme, header+" does not match the body signed with the hook's secret")
	}
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
