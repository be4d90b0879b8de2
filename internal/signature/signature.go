// Package signature signs deliveries the way each receiver family verifies
// them, and generates secrets.
package signature

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// SecretPrefix marks secrets in the Standard Webhooks form.
const SecretPrefix = "whsec_"

// NewSecret returns a fresh secret: "whsec_" and 24 random bytes in base64,
// the shape Standard Webhooks libraries accept.
func NewSecret() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return SecretPrefix + base64.StdEncoding.EncodeToString(b)
}

// Key returns the HMAC key of a secret: for "whsec_<base64>" the decoded
// bytes (as Standard Webhooks libraries do), otherwise the secret itself.
func Key(secret string) []byte {
	if rest, ok := strings.CutPrefix(secret, SecretPrefix); ok {
		if k, err := base64.StdEncoding.DecodeString(rest); err == nil {
			return k
		}
	}
	return []byte(secret)
}

// HMAC returns HMAC-SHA256 of msg keyed with key.
func HMAC(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// Standard returns the Standard Webhooks headers for one request. With more
// than one secret (during a rotation) the signature header carries one
// signature per secret, space-separated, as the spec allows.
func Standard(id string, ts time.Time, body []byte, secrets ...string) (webhookID, timestamp, sig string) {
	timestamp = strconv.FormatInt(ts.Unix(), 10)
	msg := make([]byte, 0, len(id)+len(timestamp)+len(body)+2)
	msg = append(append(append(append(append(msg, id...), '.'), timestamp...), '.'), body...)
	sigs := make([]string, len(secrets))
	for i, s := range secrets {
		sigs[i] = "v1," + base64.StdEncoding.EncodeToString(HMAC(Key(s), msg))
	}
	return id, timestamp, strings.Join(sigs, " ")
}

// VerifyStandard checks a Standard Webhooks signature header against secret
// and a tolerance around now; any one matching v1 signature passes.
func VerifyStandard(secret, id, timestamp, header string, body []byte, now time.Time, tolerance time.Duration) bool {
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return false
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return false
	}
	_, _, want := Standard(id, time.Unix(ts, 0), body, secret)
	for _, got := range strings.Fields(header) {
		if hmac.Equal([]byte(got), []byte(want)) {
			return true
		}
	}
	return false
}

// SuperOffice returns the X-SuperOffice-Signature of body: base64 HMAC-SHA256
// keyed with the secret's UTF-8 bytes, exactly as SuperOffice's receiver
// samples compute it (a whsec_ secret is not decoded).
func SuperOffice(secret string, body []byte) string {
	return base64.StdEncoding.EncodeToString(HMAC([]byte(secret), body))
}

// Pipeliner returns the WebHook-Signature of body: lower-case hex HMAC-SHA256
// keyed with the hook's signature (a UUID in Pipeliner, any secret here) as
// text.
func Pipeliner(secret string, body []byte) string {
	return hex.EncodeToString(HMAC([]byte(secret), body))
}
