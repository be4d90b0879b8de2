package api

import (
	"strconv"
	"strings"
	"testing"
)

// BenchmarkDecodeTrigger measures the strict decoding of a trigger's body
// (the name check, then encoding/json): one record, and the 10,000 records
// a trigger may hold.
func BenchmarkDecodeTrigger(b *testing.B) {
	for _, n := range []int{1, 10000} {
		records := make([]string, n)
		for i := range records {
			records[i] = `{"id":` + strconv.Itoa(i) + `,"email1":"ada@example.com","name":"Ada Lovelace","score":50}`
		}
		body := []byte(`{"id":"evt-1","event":"Contact.Update","records":[` + strings.Join(records, ",") + `],"changes":[["email1"]]}`)
		b.Run(strconv.Itoa(n)+"-records", func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				var req triggerRequest
				if err := unmarshalStrict(body, &req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
