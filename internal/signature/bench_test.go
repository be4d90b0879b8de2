package signature

import (
	"bytes"
	"testing"
	"time"
)

// BenchmarkStandard signs a 1 KiB body per Standard Webhooks, with one
// secret and, during a rotation, two.
func BenchmarkStandard(b *testing.B) {
	body := bytes.Repeat([]byte("x"), 1024)
	now := time.Now()
	for _, secrets := range [][]string{{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_c2VjcmV0c2VjcmV0c2VjcmV0"}} {
		b.Run(map[int]string{1: "one-secret", 2: "rotation"}[len(secrets)], func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				Standard("42", now, body, secrets...)
			}
		})
	}
}
