package filter

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/models"
)

// benchEvent is a 10,000-record Contact.Update, the largest event docs/spec.md §4 allows.
func benchEvent(b *testing.B) *models.EventBody {
	var sb strings.Builder
	sb.WriteString(`{"records": [`)
	for i := range 10000 {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"id": %d, "email1": "user%d@%s", "score": %d.5, "owner_id": %d, "phone1": "+1 555 %04d",
			"primary_account": {"id": %d, "name": "Account %d", "industry": "Software"}, "tags": ["a", "b"], "is_deleted": false}`,
			i, i, []string{"example.com", "example.org", "gmail.com"}[i%3], i%100, i%7, i, i%50, i)
	}
	sb.WriteString(`], "changes": [`)
	for i := range 10000 {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString([]string{`["email1"]`, `["phone1", "score"]`, `["primary_account.name"]`}[i%3])
	}
	sb.WriteString(`]}`)
	return decodeBody(b, sb.String())
}

func BenchmarkApply(b *testing.B) {
	body := benchEvent(b)
	typical := decodeOptions(b, `{"entity": {"Contact": {
		"filter": {"email1": "%@example.com", "score": 50, "owner_id": [1, 2, 3]},
		"filter-op": {"email1": "like", "score": "gte"},
		"on-field-change": ["email1", "primary_account.name"],
		"load-only": ["id", "email1", "primary_account.name"]}}}`)
	for _, bc := range []struct {
		name string
		o    models.Options
	}{
		{"NoOptions", models.Options{}},
		{"Typical", typical},
		{"LoadOnly", decodeOptions(b, `{"entity": {"Contact": {"load-only": ["id", "email1", "primary_account.name"]}}}`)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				rs, _, err := Apply(bc.o, "Contact", "", body)
				if err != nil {
					b.Fatal(err)
				}
				n = len(rs)
			}
			b.ReportMetric(float64(n), "records/op")
		})
	}
}
