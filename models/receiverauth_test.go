package models

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/internal/receiverauth/authtest"
)

// Each problem with receiver_auth is named by its field, and no problem
// repeats a credential.
func TestReceiverAuthValidate(t *testing.T) {
	ca := authtest.NewCA(t)
	cert, key := ca.Client(t, "hookflow")
	_, otherKey := ca.Client(t, "other")
	tests := []struct {
		name    string
		auth    ReceiverAuth
		headers map[string]string
		insec   bool
		fields  []string // the fields named, in order; none: valid
	}{
		{"basic", ReceiverAuth{Type: AuthBasic, Username: "u", Password: "p"}, nil, false, nil},
		{"basic with an empty password", ReceiverAuth{Type: AuthBasic, Username: "sk_live_key"}, nil, false, nil},
		{"basic without a user", ReceiverAuth{Type: AuthBasic, Password: "p"}, nil, false, []string{"receiver_auth.username"}},
		{"basic user with a colon", ReceiverAuth{Type: AuthBasic, Username: "a:b"}, nil, false, []string{"receiver_auth.username"}},
		{"basic password with a newline", ReceiverAuth{Type: AuthBasic, Username: "u", Password: "p\nX-Evil: 1"}, nil, false, []string{"receiver_auth.password"}},
		{"bearer", ReceiverAuth{Type: AuthBearer, Token: "t0k3n"}, nil, false, nil},
		{"bearer without a token", ReceiverAuth{Type: AuthBearer}, nil, false, []string{"receiver_auth.token"}},
		{"bearer too long", ReceiverAuth{Type: AuthBearer, Token: strings.Repeat("t", MaxCredentialLen+1)}, nil, false, []string{"receiver_auth.token"}},
		{"another type's field", ReceiverAuth{Type: AuthBearer, Token: "t", Password: "p"}, nil, false, []string{"receiver_auth.password"}},
		{"no type", ReceiverAuth{Token: "t"}, nil, false, []string{"receiver_auth.type"}},
		{"unknown type", ReceiverAuth{Type: "digest"}, nil, false, []string{"receiver_auth.type"}},
		{"oauth2", ReceiverAuth{Type: AuthOAuth2, TokenURL: "https://auth.example.com/token", ClientID: "id", ClientSecret: "s", Scopes: []string{"a:b", "c"}}, nil, false, nil},
		{"oauth2 missing all", ReceiverAuth{Type: AuthOAuth2}, nil, false,
			[]string{"receiver_auth.token_url", "receiver_auth.client_id", "receiver_auth.client_secret"}},
		{"oauth2 token_url with credentials", ReceiverAuth{Type: AuthOAuth2, TokenURL: "https://u:p@auth.example.com/token", ClientID: "id", ClientSecret: "s"}, nil, false,
			[]string{"receiver_auth.token_url"}},
		{"oauth2 ftp token_url", ReceiverAuth{Type: AuthOAuth2, TokenURL: "ftp://auth.example.com/token", ClientID: "id", ClientSecret: "s"}, nil, false,
			[]string{"receiver_auth.token_url"}},
		{"oauth2 bad scope", ReceiverAuth{Type: AuthOAuth2, TokenURL: "https://a.example.com/t", ClientID: "id", ClientSecret: "s", Scopes: []string{"ok", "two words"}}, nil, false,
			[]string{"receiver_auth.scopes[1]"}},
		{"bearer and an Authorization header", ReceiverAuth{Type: AuthBearer, Token: "t"}, map[string]string{"authorization": "Bearer x"}, false,
			[]string{"headers.authorization"}},
		{"mtls and an Authorization header", ReceiverAuth{Type: AuthMTLS, CertPEM: cert, KeyPEM: key}, map[string]string{"Authorization": "Bearer x"}, false, nil},
		{"mtls", ReceiverAuth{Type: AuthMTLS, CertPEM: cert, KeyPEM: key, CAPEM: ca.PEM}, nil, false, nil},
		{"mtls missing all", ReceiverAuth{Type: AuthMTLS}, nil, false, []string{"receiver_auth.cert_pem", "receiver_auth.key_pem"}},
		{"mtls bad certificate", ReceiverAuth{Type: AuthMTLS, CertPEM: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", KeyPEM: key}, nil, false,
			[]string{"receiver_auth.cert_pem"}},
		{"mtls key given as certificate", ReceiverAuth{Type: AuthMTLS, CertPEM: key, KeyPEM: key}, nil, false, []string{"receiver_auth.cert_pem"}},
		{"mtls key of another certificate", ReceiverAuth{Type: AuthMTLS, CertPEM: cert, KeyPEM: otherKey}, nil, false, []string{"receiver_auth.key_pem"}},
		{"mtls key not PEM", ReceiverAuth{Type: AuthMTLS, CertPEM: cert, KeyPEM: "not a key"}, nil, false, []string{"receiver_auth.key_pem"}},
		{"mtls ca_pem not PEM", ReceiverAuth{Type: AuthMTLS, CertPEM: cert, KeyPEM: key, CAPEM: "nope"}, nil, false, []string{"receiver_auth.ca_pem"}},
		{"mtls ca_pem with insecure_ssl", ReceiverAuth{Type: AuthMTLS, CertPEM: cert, KeyPEM: key, CAPEM: ca.PEM}, nil, true, []string{"receiver_auth.ca_pem"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := validHook()
			auth := tt.auth
			h.ReceiverAuth, h.InsecureSSL = &auth, tt.insec
			if tt.headers != nil {
				h.Headers.V = tt.headers
			}
			err := h.Validate(testFormats{})
			var v *ValidationError
			if len(tt.fields) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want valid", err)
				}
				return
			}
			if !errors.As(err, &v) {
				t.Fatalf("Validate() = %v, want problems with %v", err, tt.fields)
			}
			var got []string
			for _, f := range v.Fields {
				got = append(got, f.Field)
				for _, secret := range []string{auth.Password, auth.Token, auth.ClientSecret, auth.KeyPEM} {
					if len(secret) > 3 && strings.Contains(f.Problem, secret) {
						t.Errorf("problem %q repeats a credential", f.Problem)
					}
				}
			}
			if !slices.Equal(got, tt.fields) {
				t.Errorf("Validate() names %v, want %v (%v)", got, tt.fields, err)
			}
		})
	}
}

func TestReceiverAuthCheckValidity(t *testing.T) {
	ca := authtest.NewCA(t)
	now := time.Now()
	for _, tt := range []struct {
		name       string
		from, till time.Time
		want       string
	}{
		{"valid", now.Add(-time.Hour), now.Add(time.Hour), ""},
		{"expired", now.Add(-2 * time.Hour), now.Add(-time.Hour), "expired at"},
		{"not yet valid", now.Add(time.Hour), now.Add(2 * time.Hour), "not valid before"},
	} {
		cert, key := ca.Issue(t, "hookflow", tt.from, tt.till)
		err := (&ReceiverAuth{Type: AuthMTLS, CertPEM: cert, KeyPEM: key}).CheckValidity(now)
		var v *ValidationError
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.want != "" && (!errors.As(err, &v) || v.Fields[0].Field != "receiver_auth.cert_pem" || !strings.Contains(v.Fields[0].Problem, tt.want)):
			t.Errorf("%s: %v, want receiver_auth.cert_pem: …%s…", tt.name, err, tt.want)
		}
	}
	if err := (&ReceiverAuth{Type: AuthBearer, Token: "t"}).CheckValidity(now); err != nil {
		t.Errorf("a bearer token has no dates: %v", err)
	}
}
