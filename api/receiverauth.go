package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/hookflow/hookflow/models"
)

// ReceiverAuthChecker tries receiver credentials before they are saved;
// *receiverauth.Authenticator is one. A problem is a ValidationError naming
// the field.
type ReceiverAuthChecker interface {
	Check(ctx context.Context, auth *models.ReceiverAuth) error
}

// receiverAuthCheckTimeout bounds the token request a save may make.
const receiverAuthCheckTimeout = 10 * time.Second

// receiverAuthView is receiver_auth as the API shows it: write-only, so
// only its type.
type receiverAuthView struct {
	Type models.AuthType `json:"type"`
}

func newReceiverAuthView(a *models.ReceiverAuth) *receiverAuthView {
	if a == nil {
		return nil
	}
	return &receiverAuthView{Type: a.Type}
}

// applyReceiverAuth sets h's credentials from the receiver_auth of a
// request, as Svix and Convoy users expect of a write-only field: absent
// keeps what h holds (PUT and PATCH alike), null removes it, and what GET
// shows — {"type": T} alone, T the stored type — keeps it too, so a hook
// read, changed and written back keeps its credentials. Any other object
// replaces them whole; fresh reports that, so they are tried before saving.
func applyReceiverAuth(raw json.RawMessage, h *models.Hook) (fresh bool, err error) {
	if raw == nil {
		return false, nil
	}
	if string(raw) == "null" {
		h.ReceiverAuth = nil
		return false, nil
	}
	if !bytes.HasPrefix(raw, []byte("{")) {
		return false, invalidField("receiver_auth", `must be an object such as {"type": "bearer", "token": "…"}, or null to remove it`)
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	var auth models.ReceiverAuth
	if err := d.Decode(&auth); err != nil {
		var he *httpError
		if errors.As(jsonError(err), &he) && len(he.details) == 1 {
			return false, invalidField("receiver_auth."+he.details[0].Field, he.details[0].Problem)
		}
		return false, invalidField("receiver_auth", "is not a valid object")
	}
	var fields map[string]json.RawMessage
	_ = json.Unmarshal(raw, &fields) // decoded above, so an object
	if _, ok := fields["type"]; ok && len(fields) == 1 && h.ReceiverAuth != nil && auth.Type == h.ReceiverAuth.Type {
		return false, nil // the form GET shows: keep
	}
	h.ReceiverAuth = &auth
	return true, nil
}

// checkReceiverAuth tries credentials a request gave, once the hook is valid.
func (a *app) checkReceiverAuth(ctx context.Context, h *models.Hook, fresh bool) error {
	if !fresh || a.authCheck == nil || h.ReceiverAuth == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, receiverAuthCheckTimeout)
	defer cancel()
	return a.authCheck.Check(ctx, h.ReceiverAuth)
}
