package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/hookflow/hookflow/internal/probe"
	"github.com/hookflow/hookflow/models"
)

// Tester sends one signed test delivery to a hook and reports the answer;
// *probe.Sender is one.
type Tester interface {
	TestHook(ctx context.Context, h *models.Hook) (probe.Result, error)
}

// RenameFields spells the fields of a validation error the way a vendor API
// names them ("target_url" becomes SuperOffice's "TargetUrl", "events[0]"
// becomes "Events[0]"), so every problem names a field the caller sent. A
// field the vendor has not (named "") keeps hookflow's name.
func RenameFields(err error, names map[string]string) error {
	var ve *models.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	renamed := &models.ValidationError{}
	for _, f := range ve.Fields {
		cut := strings.IndexAny(f.Field, ".[")
		if cut < 0 {
			cut = len(f.Field)
		}
		name := f.Field[:cut]
		if n := names[name]; n != "" {
			name = n
		}
		renamed.Add(name+f.Field[cut:], f.Problem)
	}
	return renamed
}

// errNoTester answers a test delivery asked of a server without a Tester.
var errNoTester = NewError(http.StatusNotImplemented, "not_configured", "this server cannot send test deliveries")

// Tester is what sends the server's test deliveries; a server without one
// answers 501.
func (s *Server) Tester() (Tester, error) {
	if s.tester == nil {
		return nil, errNoTester
	}
	return s.tester, nil
}
