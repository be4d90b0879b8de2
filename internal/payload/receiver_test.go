package payload

// Receivers written the way each vendor's documentation tells receivers to
// parse and authenticate its webhooks, fed our requests over real HTTP.

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// deliver POSTs r to a server running receiver, as the sender does (plus the
// hook's custom headers), and returns the receiver's status code.
func deliver(t *testing.T, r *Request, custom map[string]string, receiver http.HandlerFunc) int {
	t.Helper()
	srv := httptest.NewServer(receiver)
	defer srv.Close()
	req, err := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range custom {
		req.Header.Set(k, v)
	}
	for k, v := range r.Header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", r.ContentType)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// tampered is r with one body byte changed, as a forger or a broken proxy
// would send it.
func tampered(r *Request) *Request {
	c := *r
	c.Body = bytes.Replace(r.Body, []byte("Ada"), []byte("Eve"), 1)
	return &c
}

// TestStandardReceiver verifies with the Standard Webhooks reference library,
// through a secret rotation: receivers holding either secret accept.
func TestStandardReceiver(t *testing.T) {
	const previous = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"
	r, err := Encode(Standard, testMessage(t, Standard), []string{goldenSecret, previous}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	receiver := func(secret string) http.HandlerFunc {
		return func(w http.ResponseWriter, req *http.Request) {
			wh, err := standardwebhooks.NewWebhook(secret)
			if err != nil {
				t.Error(err)
			}
			body, _ := io.ReadAll(req.Body)
			if err := wh.Verify(body, req.Header); err != nil {
				http.Error(w, err.Error(), http.StatusUnauthorized)
				return
			}
			var p struct {
				ID   string           `json:"id"`
				Type string           `json:"type"`
				Data []map[string]any `json:"data"`
			}
			if err := json.Unmarshal(body, &p); err != nil || p.ID != "evt_01JQ7Z5N2V3W" || p.Type != "Contact.Update" || len(p.Data) != 2 {
				t.Errorf("standard payload = %+v, %v", p, err)
			}
		}
	}
	for _, secret := range []string{goldenSecret, previous} {
		if code := deliver(t, r, nil, receiver(secret)); code != http.StatusOK {
			t.Errorf("receiver with secret %.10s… answered %d", secret, code)
		}
	}
	if code := deliver(t, tampered(r), nil, receiver(goldenSecret)); code != http.StatusUnauthorized {
		t.Errorf("tampered request answered %d; want 401", code)
	}
}

// superOfficePayload is SuperOffice's WebhookPayload with the types its .NET
// receivers bind it to.
type superOfficePayload struct {
	EventId              uuid.UUID
	Timestamp            time.Time
	Changes              []string
	Event                string
	PrimaryKey           int
	Entity               string
	ContextIdentifier    string
	ChangedByAssociateId int
	WebhookName          string
	FieldValues          map[string]any
}

// TestSuperOfficeReceiver follows SuperOffice's "Webhook secrets" sample:
// HMAC-SHA256 of the raw body keyed with the secret's UTF-8 bytes, base64,
// compared with X-SuperOffice-Signature.
func TestSuperOfficeReceiver(t *testing.T) {
	r := encode(t, SuperOffice, testMessage(t, SuperOffice), goldenSecret)
	receiver := func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		mac := hmac.New(sha256.New, []byte(goldenSecret))
		mac.Write(body)
		if base64.StdEncoding.EncodeToString(mac.Sum(nil)) != req.Header.Get("X-SuperOffice-Signature") {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var p superOfficePayload
		if err := json.Unmarshal(body, &p); err != nil {
			t.Errorf("decode WebhookPayload: %v", err)
		}
		want := superOfficePayload{
			EventId:    p.EventId,
			Timestamp:  time.Date(2026, 3, 14, 15, 9, 25, 123456000, time.UTC),
			Changes:    []string{"email1"},
			Event:      "contact.changed",
			PrimaryKey: 1042, Entity: "contact", ContextIdentifier: "Cust54321",
			ChangedByAssociateId: 5, WebhookName: "Billing sync",
			FieldValues: p.FieldValues,
		}
		if !reflect.DeepEqual(p, want) || p.FieldValues["first_name"] != "Ada" {
			t.Errorf("WebhookPayload = %+v; want %+v", p, want)
		}
		if req.Header.Get("X-SuperOffice-Event") != p.Event || req.Header.Get("X-SuperOffice-EventId") != p.EventId.String() {
			t.Errorf("routing headers %v disagree with the body", req.Header)
		}
	}
	if code := deliver(t, r, nil, receiver); code != http.StatusOK {
		t.Errorf("receiver answered %d", code)
	}
	if code := deliver(t, tampered(r), nil, receiver); code != http.StatusUnauthorized {
		t.Errorf("tampered request answered %d; want 401", code)
	}
}

// TestPipelinerReceiver checks WebHook-Signature as a hex HMAC-SHA256 of the
// body keyed with the signature UUID given at registration.
func TestPipelinerReceiver(t *testing.T) {
	const signatureUUID = "0f8fad5b-d9cb-469f-a165-70867728950e"
	r := encode(t, Pipeliner, testMessage(t, Pipeliner), signatureUUID)
	receiver := func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		mac := hmac.New(sha256.New, []byte(signatureUUID))
		mac.Write(body)
		got, err := hex.DecodeString(req.Header.Get("WebHook-Signature"))
		if err != nil || !hmac.Equal(got, mac.Sum(nil)) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var p struct {
			Event string           `json:"event"`
			Data  []map[string]any `json:"data"`
		}
		if err := json.Unmarshal(body, &p); err != nil || p.Event != "Contact.Update" || len(p.Data) != 2 || p.Data[1]["first_name"] != "Grace" {
			t.Errorf("payload = %+v, %v", p, err)
		}
	}
	if code := deliver(t, r, nil, receiver); code != http.StatusOK {
		t.Errorf("receiver answered %d", code)
	}
	if code := deliver(t, tampered(r), nil, receiver); code != http.StatusUnauthorized {
		t.Errorf("tampered request answered %d; want 401", code)
	}
}

// TestOnePageReceiver decodes the form the way PHP fills $_POST and checks
// secretkey, as OnePageCRM's docs tell receivers to; data must come back as
// the record (json_encode of it equals the record with values as strings).
func TestOnePageReceiver(t *testing.T) {
	m := testMessage(t, OnePage)
	r := encode(t, OnePage, m, goldenSecret)
	receiver := func(w http.ResponseWriter, req *http.Request) {
		if req.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			t.Errorf("Content-Type = %q", req.Header.Get("Content-Type"))
		}
		body, _ := io.ReadAll(req.Body)
		post, err := parsePHPForm(string(body))
		if err != nil {
			t.Fatal(err)
		}
		key, _ := post["secretkey"].(string)
		if subtle.ConstantTimeCompare([]byte(key), []byte(goldenSecret)) != 1 {
			http.Error(w, "bad secretkey", http.StatusUnauthorized)
			return
		}
		if ts, err := strconv.ParseInt(post["timestamp"].(string), 10, 64); err != nil || ts != m.OccurredAt.Unix() {
			t.Errorf("timestamp = %v", post["timestamp"])
		}
		if post["type"] != "Contact" || post["reason"] != "Updated" {
			t.Errorf("type, reason = %v, %v", post["type"], post["reason"])
		}
		got := jsonEncoded(post["data"])
		want := map[string]any{"contact": formValues(m.Records[0].Data)}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("data = %#v\nwant %#v", got, want)
		}
	}
	if code := deliver(t, r, nil, receiver); code != http.StatusOK {
		t.Errorf("receiver answered %d", code)
	}
	wrong := encode(t, OnePage, m, "whsec_someone-else")
	if code := deliver(t, wrong, nil, receiver); code != http.StatusUnauthorized {
		t.Errorf("wrong secretkey answered %d; want 401", code)
	}
}

// TestClinchPadReceiver compares handshake_key with the receiver's copy, as
// ClinchPad's docs say, and reads the activity and the record.
func TestClinchPadReceiver(t *testing.T) {
	r := encode(t, ClinchPad, testMessage(t, ClinchPad), goldenSecret)
	receiver := func(w http.ResponseWriter, req *http.Request) {
		var p struct {
			Activity struct {
				ID        string    `json:"_id"`
				CreatedAt time.Time `json:"created_at"`
				Type      string    `json:"type"`
				User      struct {
					ID   string `json:"_id"`
					Name string `json:"name"`
				} `json:"user"`
			} `json:"activity"`
			Lead         map[string]any `json:"lead"`
			HandshakeKey string         `json:"handshake_key"`
		}
		if err := json.NewDecoder(req.Body).Decode(&p); err != nil {
			t.Fatal(err)
		}
		if p.HandshakeKey != goldenSecret {
			http.Error(w, "bad handshake key", http.StatusUnauthorized)
			return
		}
		a := p.Activity
		if id, err := hex.DecodeString(a.ID); err != nil || len(id) != 12 || a.Type != "contact:updated" || a.User.ID != "5" ||
			!a.CreatedAt.Equal(time.Date(2026, 3, 14, 15, 9, 25, 0, time.UTC)) || p.Lead["first_name"] != "Ada" {
			t.Errorf("payload = %+v", p)
		}
	}
	if code := deliver(t, r, nil, receiver); code != http.StatusOK {
		t.Errorf("receiver answered %d", code)
	}
	wrong := encode(t, ClinchPad, testMessage(t, ClinchPad), "whsec_someone-else")
	if code := deliver(t, wrong, nil, receiver); code != http.StatusUnauthorized {
		t.Errorf("wrong handshake key answered %d; want 401", code)
	}
}

// TestAgileCRMReceiver reads eventName and eventData; Agile CRM signs
// nothing, so the receiver trusts a token it put in the hook's headers.
func TestAgileCRMReceiver(t *testing.T) {
	r := encode(t, AgileCRM, testMessage(t, AgileCRM), goldenSecret)
	receiver := func(w http.ResponseWriter, req *http.Request) {
		if req.Header.Get("X-Api-Key") != "agile-token" {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		var p struct {
			EventName string         `json:"eventName"`
			EventData map[string]any `json:"eventData"`
		}
		if err := json.NewDecoder(req.Body).Decode(&p); err != nil || p.EventName != "Contact is Updated" || p.EventData["last_name"] != "Lovelace" {
			t.Errorf("payload = %+v, %v", p, err)
		}
	}
	if code := deliver(t, r, map[string]string{"X-Api-Key": "agile-token"}, receiver); code != http.StatusOK {
		t.Errorf("receiver answered %d", code)
	}
}

// parsePHPForm decodes a form body as PHP's parse_str fills $_POST: a[b]=1
// nests, a[]=1 appends at the next integer index, and every array is an
// ordered map (here a map; integer keys as strings).
func parsePHPForm(body string) (map[string]any, error) {
	root := map[string]any{}
	for _, pair := range strings.Split(body, "&") {
		rawKey, rawValue, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(rawKey)
		if err != nil {
			return nil, err
		}
		value, err := url.QueryUnescape(rawValue)
		if err != nil {
			return nil, err
		}
		name, rest, _ := strings.Cut(key, "[")
		path := []string{name}
		for rest != "" {
			seg, after, ok := strings.Cut(rest, "]")
			if !ok {
				return nil, fmt.Errorf("unbalanced key %q", key)
			}
			path = append(path, seg)
			rest = strings.TrimPrefix(after, "[")
		}
		node := root
		for i, seg := range path {
			if seg == "" {
				seg = strconv.Itoa(nextIndex(node))
			}
			if i == len(path)-1 {
				node[seg] = value
				break
			}
			child, ok := node[seg].(map[string]any)
			if !ok {
				child = map[string]any{}
				node[seg] = child
			}
			node = child
		}
	}
	return root, nil
}

// nextIndex is where PHP appends with []: one past the largest integer key.
func nextIndex(m map[string]any) int {
	next := 0
	for k := range m {
		if i, err := strconv.Atoi(k); err == nil && i >= next {
			next = i + 1
		}
	}
	return next
}

// jsonEncoded turns PHP arrays keyed 0..n-1 into lists, as json_encode does.
func jsonEncoded(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	list := make([]any, len(m))
	for k, e := range m {
		i, err := strconv.Atoi(k)
		if err != nil || i < 0 || i >= len(m) || strconv.Itoa(i) != k {
			list = nil
			break
		}
		list[i] = jsonEncoded(e)
	}
	if list != nil {
		return list
	}
	out := make(map[string]any, len(m))
	for k, e := range m {
		out[k] = jsonEncoded(e)
	}
	return out
}

// formValues is a record as a form carries it: every scalar a string, null
// empty, and empty lists and maps gone.
func formValues(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range v {
			if fv := formValues(e); fv != nil {
				out[k] = fv
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case []any:
		var out []any
		for _, e := range v {
			out = append(out, formValues(e))
		}
		return out
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}
