// Package email sends hookflow's mails over SMTP, through wneessen/go-mail,
// and renders them from embedded templates.
package email

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/wneessen/go-mail"
)

// Message is one plain-text mail.
type Message struct {
	To      string
	Subject string
	Body    string
}

// ErrRejected marks a mail the server refused for good (a 5xx answer), or
// one that cannot be addressed: sending it again would fail again.
var ErrRejected = errors.New("mail rejected")

// Options configure a Sender.
type Options struct {
	// URL is HOOKFLOW_SMTP_URL: smtp://user:pass@host:port speaks plain SMTP
	// and upgrades with STARTTLS when the server offers it; smtps:// is TLS
	// from the first byte. Credentials are optional.
	URL     string
	From    string
	Timeout time.Duration // per connection; 0 means 30s
	// TLS overrides the TLS settings (tests trust their own certificate);
	// nil verifies the server against the system's roots.
	TLS *tls.Config
}

// Sender sends mail through one SMTP server. It dials per message, so it
// holds no connection between mails and is safe for concurrent use.
type Sender struct {
	host string
	from string
	opts []mail.Option
}

// New returns a Sender for o.URL, or an error naming what is wrong with it.
func New(o Options) (*Sender, error) {
	u, err := url.Parse(o.URL)
	if err != nil || u.Hostname() == "" {
		return nil, errors.New("SMTP URL must be smtp://user:pass@host:port or smtps://user:pass@host:port")
	}
	port := 25
	opts := []mail.Option{mail.WithTimeout(cmp.Or(o.Timeout, 30*time.Second))}
	switch u.Scheme {
	case "smtp":
		opts = append(opts, mail.WithTLSPolicy(mail.TLSOpportunistic))
	case "smtps":
		port = 465
		opts = append(opts, mail.WithSSL())
	default:
		return nil, fmt.Errorf("SMTP URL scheme %q: must be smtp or smtps", u.Scheme)
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return nil, fmt.Errorf("SMTP URL port %q is not a number", p)
		}
	}
	opts = append(opts, mail.WithPort(port))
	if o.TLS != nil {
		t := o.TLS.Clone()
		t.ServerName = cmp.Or(t.ServerName, u.Hostname())
		opts = append(opts, mail.WithTLSConfig(t))
	}
	if u.User != nil {
		// Auto-discovery picks the strongest mechanism the server offers and
		// never sends a password in clear over an unencrypted connection.
		pass, _ := u.User.Password()
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover),
			mail.WithUsername(u.User.Username()), mail.WithPassword(pass))
	}
	return &Sender{host: u.Hostname(), from: o.From, opts: opts}, nil
}

// Send delivers m. A refusal that retrying cannot fix wraps ErrRejected;
// any other error (unreachable, 4xx, TLS) may heal and is worth a retry.
func (s *Sender) Send(ctx context.Context, m Message) error {
	msg := mail.NewMsg()
	if err := msg.From(s.from); err != nil {
		return fmt.Errorf("%w: from %q: %w", ErrRejected, s.from, err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("%w: to %q: %w", ErrRejected, m.To, err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageID()
	msg.SetBodyString(mail.TypeTextPlain, m.Body)
	c, err := mail.NewClient(s.host, s.opts...)
	if err != nil {
		return fmt.Errorf("smtp client: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		var se *mail.SendError
		if errors.As(err, &se) && se.ErrorCode() >= 500 && se.ErrorCode() < 600 {
			return fmt.Errorf("%w: %w", ErrRejected, err)
		}
		return fmt.Errorf("send mail to %s: %w", m.To, err)
	}
	return nil
}
