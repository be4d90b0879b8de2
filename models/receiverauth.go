package models

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"time"
)

// AuthType is how deliveries prove themselves to a hook's receiver, beyond
// the signature: receiver_auth.type.
type AuthType string

// Receiver authentication types.
const (
	AuthBasic  AuthType = "basic"                     // Authorization: Basic
	AuthBearer AuthType = "bearer"                    // Authorization: Bearer, a static token
	AuthOAuth2 AuthType = "oauth2_client_credentials" // Authorization: Bearer, a token fetched from token_url
	AuthMTLS   AuthType = "mtls"                      // a TLS client certificate
)

// ReceiverAuth holds the credentials deliveries present to a hook's
// receiver. It is write-only: the API shows its Type, never its fields, and
// the database holds it sealed (internal/seal). The JSON form is both the
// API's receiver_auth object and what is sealed.
type ReceiverAuth struct {
	Type AuthType `json:"type"`

	Username string `json:"username,omitempty"` // basic
	Password string `json:"password,omitempty"` // basic

	Token string `json:"token,omitempty"` // bearer

	TokenURL     string   `json:"token_url,omitempty"`     // oauth2_client_credentials
	ClientID     string   `json:"client_id,omitempty"`     // oauth2_client_credentials
	ClientSecret string   `json:"client_secret,omitempty"` // oauth2_client_credentials
	Scopes       []string `json:"scopes,omitempty"`        // oauth2_client_credentials

	CertPEM string `json:"cert_pem,omitempty"` // mtls: the client certificate (and its chain)
	KeyPEM  string `json:"key_pem,omitempty"`  // mtls: its private key
	CAPEM   string `json:"ca_pem,omitempty"`   // mtls, optional: CAs to trust for the receiver's certificate
}

// Limits on receiver credentials: far above real ones, small enough for one row.
const (
	MaxCredentialLen = 4096
	MaxPEMLen        = 64 << 10
	MaxScopes        = 50
)

// authFields names each credential field and the type it belongs to, in the
// order problems are reported.
var authFields = []struct {
	name string
	of   AuthType
	get  func(a *ReceiverAuth) bool // is it set?
}{
	{"username", AuthBasic, func(a *ReceiverAuth) bool { return a.Username != "" }},
	{"password", AuthBasic, func(a *ReceiverAuth) bool { return a.Password != "" }},
	{"token", AuthBearer, func(a *ReceiverAuth) bool { return a.Token != "" }},
	{"token_url", AuthOAuth2, func(a *ReceiverAuth) bool { return a.TokenURL != "" }},
	{"client_id", AuthOAuth2, func(a *ReceiverAuth) bool { return a.ClientID != "" }},
	{"client_secret", AuthOAuth2, func(a *ReceiverAuth) bool { return a.ClientSecret != "" }},
	{"scopes", AuthOAuth2, func(a *ReceiverAuth) bool { return len(a.Scopes) > 0 }},
	{"cert_pem", AuthMTLS, func(a *ReceiverAuth) bool { return a.CertPEM != "" }},
	{"key_pem", AuthMTLS, func(a *ReceiverAuth) bool { return a.KeyPEM != "" }},
	{"ca_pem", AuthMTLS, func(a *ReceiverAuth) bool { return a.CAPEM != "" }},
}

// SetsAuthorization reports whether the credentials go in the Authorization
// header, which a custom header then may not set.
func (a *ReceiverAuth) SetsAuthorization() bool {
	return a != nil && (a.Type == AuthBasic || a.Type == AuthBearer || a.Type == AuthOAuth2)
}

// validate checks the credentials' form; problems name receiver_auth.<field>
// and never repeat a value. Whether they work (a certificate's dates, the
// token endpoint's answer) is checked when they are saved, by the API.
func (a *ReceiverAuth) validate(v *ValidationError, insecureSSL bool) {
	const p = "receiver_auth."
	switch a.Type {
	case AuthBasic, AuthBearer, AuthOAuth2, AuthMTLS:
	case "":
		v.Add(p+"type", "is required: basic, bearer, oauth2_client_credentials or mtls")
		return
	default:
		v.Add(p+"type", "must be basic, bearer, oauth2_client_credentials or mtls")
		return
	}
	for _, f := range authFields {
		if f.of != a.Type && f.get(a) {
			v.Add(p+f.name, "is not a field of type "+string(a.Type))
		}
	}
	switch a.Type {
	case AuthBasic:
		switch {
		case a.Username == "":
			v.Add(p+"username", "is required")
		case strings.Contains(a.Username, ":"):
			v.Add(p+"username", "must not contain a colon (RFC 7617)")
		}
		credential(v, p+"username", a.Username)
		credential(v, p+"password", a.Password)
	case AuthBearer:
		if a.Token == "" {
			v.Add(p+"token", "is required")
		}
		credential(v, p+"token", a.Token)
	case AuthOAuth2:
		validateURL(v, p+"token_url", a.TokenURL)
		if a.ClientID == "" {
			v.Add(p+"client_id", "is required")
		}
		if a.ClientSecret == "" {
			v.Add(p+"client_secret", "is required")
		}
		credential(v, p+"client_id", a.ClientID)
		credential(v, p+"client_secret", a.ClientSecret)
		if len(a.Scopes) > MaxScopes {
			v.Add(p+"scopes", "has more than 50 scopes")
		}
		for i, s := range a.Scopes {
			if !validScope(s) {
				v.Add(indexed(p+"scopes", i), "must be 1 to 256 printable ASCII characters without spaces, quotes or backslashes (RFC 6749)")
			}
		}
	case AuthMTLS:
		a.validateMTLS(v, insecureSSL)
	}
}

// credential refuses values no header can carry and values too long for a row.
func credential(v *ValidationError, field, s string) {
	switch {
	case len(s) > MaxCredentialLen:
		v.Add(field, "is longer than 4096 bytes")
	case HasControl(s):
		v.Add(field, "must not contain control characters")
	}
}

// validScope follows RFC 6749's scope-token: NQCHAR (printable ASCII but
// space, '"' and '\').
func validScope(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for _, r := range s {
		if r < 0x21 || r > 0x7e || r == '"' || r == '\\' {
			return false
		}
	}
	return true
}

func (a *ReceiverAuth) validateMTLS(v *ValidationError, insecureSSL bool) {
	const p = "receiver_auth."
	switch {
	case a.CertPEM == "":
		v.Add(p+"cert_pem", "is required: the client certificate in PEM")
	case len(a.CertPEM) > MaxPEMLen:
		v.Add(p+"cert_pem", "is longer than 64 KiB")
	default:
		if _, err := a.Leaf(); err != nil {
			v.Add(p+"cert_pem", err.Error())
		} else if a.KeyPEM != "" && len(a.KeyPEM) <= MaxPEMLen {
			if _, err := tls.X509KeyPair([]byte(a.CertPEM), []byte(a.KeyPEM)); err != nil {
				v.Add(p+"key_pem", keyProblem(err))
			}
		}
	}
	switch {
	case a.KeyPEM == "":
		v.Add(p+"key_pem", "is required: the certificate's private key in PEM")
	case len(a.KeyPEM) > MaxPEMLen:
		v.Add(p+"key_pem", "is longer than 64 KiB")
	}
	switch {
	case a.CAPEM == "":
	case len(a.CAPEM) > MaxPEMLen:
		v.Add(p+"ca_pem", "is longer than 64 KiB")
	case !x509.NewCertPool().AppendCertsFromPEM([]byte(a.CAPEM)):
		v.Add(p+"ca_pem", "holds no PEM certificate")
	case insecureSSL:
		v.Add(p+"ca_pem", "has no effect with insecure_ssl, which skips checking the receiver's certificate: drop one of them")
	}
}

// keyProblem says what is wrong with a key without quoting the key.
func keyProblem(err error) string {
	if strings.Contains(err.Error(), "does not match") {
		return "does not match the certificate in cert_pem"
	}
	return "is not a PEM private key (PKCS #1, PKCS #8 or EC) of the certificate in cert_pem"
}

// Leaf parses the client certificate: the first certificate of CertPEM.
func (a *ReceiverAuth) Leaf() (*x509.Certificate, error) {
	rest := []byte(a.CertPEM)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("holds no PEM certificate")
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, errors.New("holds a certificate that does not parse")
		}
		return c, nil
	}
}

// CheckValidity reports, naming receiver_auth.cert_pem, a client certificate
// that has expired or is not valid yet at now. Other types have no dates.
func (a *ReceiverAuth) CheckValidity(now time.Time) error {
	if a == nil || a.Type != AuthMTLS {
		return nil
	}
	leaf, err := a.Leaf()
	if err != nil {
		return Invalid("receiver_auth.cert_pem", err.Error())
	}
	switch {
	case now.After(leaf.NotAfter):
		return Invalid("receiver_auth.cert_pem", "the certificate expired at "+leaf.NotAfter.UTC().Format(time.RFC3339))
	case now.Before(leaf.NotBefore):
		return Invalid("receiver_auth.cert_pem", "the certificate is not valid before "+leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	return nil
}
