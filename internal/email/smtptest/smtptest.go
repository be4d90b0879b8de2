// Package smtptest runs a real SMTP server (emersion/go-smtp) on 127.0.0.1
// for tests and records every mail it accepts.
package smtptest

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Options shape the server.
type Options struct {
	TLS      bool   // offer STARTTLS
	Implicit bool   // speak TLS from the first byte (smtps)
	User     string // require AUTH PLAIN as User / Password
	Password string
	RcptCode int // answer RCPT TO with this code (451, 550…); 0 accepts
}

// Mail is one message the server accepted.
type Mail struct {
	From string
	To   []string
	Data string
	TLS  bool   // the session was encrypted
	User string // who authenticated, if anyone
}

// Server is a running test SMTP server.
type Server struct {
	// URL is the HOOKFLOW_SMTP_URL that reaches it, credentials included.
	URL string
	// ClientTLS trusts the server's certificate.
	ClientTLS *tls.Config

	opts  Options
	mu    sync.Mutex
	mails []Mail
}

// Start runs a server until the test ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	s := &Server{opts: o}
	srv := smtp.NewServer(s)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = !o.TLS && !o.Implicit
	if o.TLS || o.Implicit {
		// httptest makes a certificate for 127.0.0.1; borrow it.
		h := httptest.NewUnstartedServer(nil)
		h.StartTLS()
		srv.TLSConfig = &tls.Config{Certificates: h.TLS.Certificates}
		roots := x509.NewCertPool()
		roots.AddCert(h.Certificate())
		s.ClientTLS = &tls.Config{RootCAs: roots}
		h.Close()
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	scheme := "smtp://"
	if o.Implicit {
		l = tls.NewListener(l, srv.TLSConfig)
		scheme = "smtps://"
	}
	userinfo := ""
	if o.User != "" {
		userinfo = o.User + ":" + o.Password + "@"
	}
	s.URL = scheme + userinfo + l.Addr().String()
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return s
}

// Mails returns what the server accepted so far.
func (s *Server) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

// NewSession implements smtp.Backend.
func (s *Server) NewSession(c *smtp.Conn) (smtp.Session, error) {
	_, encrypted := c.TLSConnectionState()
	return &session{srv: s, mail: Mail{TLS: encrypted}}, nil
}

type session struct {
	srv  *Server
	mail Mail
}

func (se *session) AuthMechanisms() []string {
	if se.srv.opts.User == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (se *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != se.srv.opts.User || pass != se.srv.opts.Password {
			return errors.New("invalid credentials")
		}
		se.mail.User = user
		return nil
	}), nil
}

func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	if se.srv.opts.User != "" && se.mail.User == "" {
		return smtp.ErrAuthRequired
	}
	se.mail.From = from
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if code := se.srv.opts.RcptCode; code != 0 {
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCodeNotSet, Message: "recipient refused by the test server"}
	}
	se.mail.To = append(se.mail.To, to)
	return nil
}

func (se *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := se.mail
	m.Data = string(b)
	se.srv.mu.Lock()
	se.srv.mails = append(se.srv.mails, m)
	se.srv.mu.Unlock()
	return nil
}

func (se *session) Reset()        { se.mail = Mail{TLS: se.mail.TLS, User: se.mail.User} }
func (se *session) Logout() error { return nil }
