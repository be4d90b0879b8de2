package payload

import (
	"bytes"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/models"
)

// FuzzVerify checks a request bin's signature verdicts, which read headers
// and bodies anyone can send: whatever arrives, Verify answers (no panic),
// a verdict is valid only when checked and always says why; and for each
// format that signs, a real delivery verifies while any change to its body
// or its signature header does not.
func FuzzVerify(f *testing.F) {
	f.Add(uint8(0), "msg_1", "1710428966", "v1,abc", []byte(`{}`), []byte("x"), false, int64(0))
	f.Add(uint8(1), "", "", "", []byte(nil), []byte(" "), false, int64(3600))
	f.Add(uint8(2), "id", "-9223372036854775808", "v1,", []byte("\x00"), []byte("\xff"), true, int64(-1))
	f.Add(uint8(0), "id", "99999999999999999999", "v1,a v1,b v2,c", []byte(`{"a":1}`), []byte("{"), false, int64(1<<62))
	formats := Formats.Names()
	f.Fuzz(func(t *testing.T, which uint8, id, ts, sig string, body, change []byte, truncated bool, arrivedSeconds int64) {
		format := models.Format(formats[int(which)%len(formats)])
		arrived := sentAt.Add(time.Duration(arrivedSeconds % (1 << 33) * int64(time.Second)))

		// Anything anyone sends.
		h := http.Header{"Webhook-Id": {id}, "Webhook-Timestamp": {ts}, "Webhook-Signature": {sig}, "X-Superoffice-Signature": {sig}}
		got := Verify(VerifyInput{Format: format, Header: h, Body: body, Truncated: truncated, ReceivedAt: arrived, Secrets: []string{current, previous}})
		if got.Valid && !got.Checked || got.Detail == "" {
			t.Fatalf("Verify(%s, anything) = %+v", format, got)
		}

		// A real delivery, then the same with its body or signature changed.
		header, sent := sent(t, format, current)
		in := VerifyInput{Format: format, Header: header, Body: sent, ReceivedAt: sentAt, Secrets: []string{current}}
		real := Verify(in)
		if !real.Checked {
			return // this format signs nothing
		}
		if !real.Valid {
			t.Fatalf("Verify(a real %s delivery) = %+v", format, real)
		}
		if len(change) > 0 {
			in.Body = append(bytes.Clone(sent), change...)
			if v := Verify(in); v.Valid {
				t.Fatalf("Verify(a %s delivery with %q appended to its body) = %+v", format, change, v)
			}
		}
		in.Body = sent
		for name, values := range header {
			if len(values) == 0 || !strings.Contains(name, "Signature") || sharesField(sig, values[0]) {
				continue
			}
			forged := header.Clone()
			forged.Set(name, sig)
			in.Header = forged
			if v := Verify(in); v.Valid {
				t.Fatalf("Verify(a %s delivery whose %s is %q, not %q) = %+v", format, name, sig, values[0], v)
			}
		}
	})
}

// sharesField reports whether forged holds one of real's space-separated
// signatures: then it is no forgery (Standard Webhooks accepts any one of
// several).
func sharesField(forged, real string) bool {
	fields := strings.Fields(real)
	return slices.ContainsFunc(strings.Fields(forged), func(f string) bool { return slices.Contains(fields, f) }) || forged == real
}
