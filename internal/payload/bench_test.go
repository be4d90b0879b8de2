package payload

import (
	"fmt"
	"testing"

	"github.com/hookflow/hookflow/models"
)

// BenchmarkEncode encodes one request per format: a full chunk of 100
// records, or the single record of one-record formats.
func BenchmarkEncode(b *testing.B) {
	for _, f := range formatNames() {
		b.Run(string(f), func(b *testing.B) {
			m := testMessage(b, f)
			n := 100
			if OneRecordPerRequest(f) {
				n = 1
			}
			m.Records = make([]models.Record, n)
			for i := range m.Records {
				m.Records[i] = models.Record{Index: i, Data: benchRecord(b, i), Changes: []string{"email1", "score"}}
			}
			secrets := []string{goldenSecret}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Encode(f, m, secrets, goldenNow); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchRecord is a contact of typical CRM size, decoded as events are: about 20 fields, one nested
// object and two lists.
func benchRecord(b *testing.B, i int) map[string]any {
	s := fmt.Sprintf(`{"id": %d, "first_name": "Ada", "last_name": "Lovelace", "email1": "ada%d@example.com",
		"email2": null, "phone1": "+44 20 7946 0000", "title": "Analyst", "score": 87, "opt_in": true,
		"owner_id": "6263975862861824", "created": "2026-03-14T15:09:25Z", "modified": "2026-03-14T15:09:25Z",
		"address": {"street": "12 St James's Square", "city": "London", "zip": "SW1Y 4JH", "country": "GB"},
		"tags": ["vip", "newsletter", "q1"], "custom": [{"field": "cf_industry", "value": "Computing"}],
		"description": "Wrote the first published algorithm intended for a machine & more"}`, i, i)
	return record(b, s)
}
