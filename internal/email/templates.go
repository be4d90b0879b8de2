package email

import (
	"embed"
	"fmt"
	"strings"
	"text/template"
)

//go:embed templates/*.txt
var templateFiles embed.FS

var templates = template.Must(template.ParseFS(templateFiles, "templates/*.txt"))

// HookDisabled is what the errors_email mail tells about a hook that
// failures turned TooManyErrors.
type HookDisabled struct {
	ID           int64
	Name         string
	Tenant       string
	TargetURL    string // scheme and host only: the path and query can be a credential
	FailingSince string // RFC 3339: also the "since" to recover from
	ErrorCount   int
	LastError    string
	LastStatus   int // 0: no answer (network error, timeout, refused)
}

// Render returns the mail to send to addr.
func (d HookDisabled) Render(addr string) (Message, error) {
	var subject, body strings.Builder
	if err := templates.ExecuteTemplate(&subject, "subject", d); err != nil {
		return Message{}, fmt.Errorf("render subject: %w", err)
	}
	if err := templates.ExecuteTemplate(&body, "body", d); err != nil {
		return Message{}, fmt.Errorf("render body: %w", err)
	}
	return Message{To: addr, Subject: subject.String(), Body: body.String()}, nil
}
