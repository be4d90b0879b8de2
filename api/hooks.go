package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hookflow/hookflow/internal/payload"
	"github.com/hookflow/hookflow/internal/signature"
	"github.com/hookflow/hookflow/internal/store"
	"github.com/hookflow/hookflow/models"
)

// HookStore is what managing hooks needs of the data layer: the native API
// and the vendor APIs (api/superoffice, api/pipeliner) take it.
type HookStore interface {
	CreateHook(ctx context.Context, h *models.Hook) error
	UpdateHook(ctx context.Context, h *models.Hook, from models.HookState) error
	Hook(ctx context.Context, tenant string, id int64) (*models.Hook, error)
	Hooks(ctx context.Context, q store.HookQuery) ([]models.Hook, error)
	DeleteHook(ctx context.Context, tenant string, id int64) error
}

// hookBody is the body of POST, PUT and PATCH /v1/hooks. It is decoded
// onto the spec it changes: the default one (POST, PUT) or the stored one
// (PATCH), so a field not given keeps that value, and a field given
// replaces it whole. The rest of a hook is not spec (models.HookSpec).
type hookBody struct {
	models.HookSpec
	State  *models.HookState `json:"state"`
	Secret *string           `json:"secret"`
	Tenant string            `json:"tenant"`
	// ReceiverAuth stays raw: absent, null and an object mean different
	// things (applyReceiverAuth).
	ReceiverAuth json.RawMessage `json:"receiver_auth"`
}

// decodeHookBody reads the body of a hook request onto spec.
func decodeHookBody(c *gin.Context, spec models.HookSpec) (*hookBody, error) {
	if spec.Ordering == "" { // a hook made in code, or stored "" before it was refused
		spec.Ordering = models.OrderingNone
	}
	b := &hookBody{HookSpec: spec}
	if err := DecodeJSON(c, b); err != nil {
		return nil, err
	}
	// So "" here was given: it is neither of the two.
	if b.Ordering == "" {
		return nil, InvalidField("ordering", `must be "none" or "fifo"`)
	}
	return b, nil
}

// apply sets h from the body: its spec whole, the state and the secret
// when given (receiver_auth: applyReceiverAuth).
func (b *hookBody) apply(h *models.Hook) {
	h.HookSpec = b.HookSpec
	if b.State != nil {
		h.State = *b.State
	}
	if b.Secret != nil {
		h.Secret = *b.Secret
	}
}

// defaultSpec is the spec of a hook whose owner gave nothing but the
// required fields: a new hook, and a hook PUT replaces.
func defaultSpec() models.HookSpec {
	return models.HookSpec{Type: models.HookTypeWebhook, Format: payload.Standard, Ordering: models.OrderingNone,
		Headers: models.JSON[map[string]string]{V: map[string]string{}}, Properties: models.JSON[map[string]any]{V: map[string]any{}}}
}

// NewHook returns a new hook with every default set: the default spec, Active.
func NewHook() *models.Hook {
	return &models.Hook{HookSpec: defaultSpec(), State: models.StateActive}
}

// hookResponse is a hook as the API shows it: the spec, and what is not
// spec; the secret is masked except on create and GET /v1/hooks/{id}/secret.
type hookResponse struct {
	ID     int64  `json:"id"`
	Tenant string `json:"tenant"`
	models.HookSpec
	Secret       string            `json:"secret"`
	State        models.HookState  `json:"state"`
	ReceiverAuth *receiverAuthView `json:"receiver_auth"`
	Registered   time.Time         `json:"registered"`
	RegisteredBy string            `json:"registered_by"`
	Updated      time.Time         `json:"updated"`
	UpdatedBy    string            `json:"updated_by"`
	ErrorCount   int               `json:"error_count"`
	FailingSince *time.Time        `json:"failing_since"`
	LastError    string            `json:"last_error"`
	Unreadable   string            `json:"unreadable,omitempty"` // a stored field could not be read back
}

func newHookResponse(h *models.Hook, showSecret bool) hookResponse {
	secret := MaskSecret(h.Secret)
	if showSecret {
		secret = h.Secret
	}
	return hookResponse{
		ID: h.ID, Tenant: h.Tenant, HookSpec: h.HookSpec, Secret: secret, State: h.State, ReceiverAuth: newReceiverAuthView(h.ReceiverAuth),
		Registered: h.Registered, RegisteredBy: h.RegisteredBy, Updated: h.Updated, UpdatedBy: h.UpdatedBy,
		ErrorCount: h.ErrorCount, FailingSince: h.FailingSince, LastError: h.LastError,
		Unreadable: errText(h.Unreadable()),
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// MaskSecret shows only the kind of secret, never any of its characters.
func MaskSecret(s string) string {
	if len(s) > len(signature.SecretPrefix) && s[:len(signature.SecretPrefix)] == signature.SecretPrefix {
		return signature.SecretPrefix + "********"
	}
	return "********"
}

func (s *Server) createHook(c *gin.Context) error {
	req, err := decodeHookBody(c, defaultSpec())
	if err != nil {
		return err
	}
	t, err := Tenant(c, req.Tenant)
	if err != nil {
		return err
	}
	h := NewHook()
	req.apply(h)
	fresh, err := applyReceiverAuth(req.ReceiverAuth, h)
	if err != nil {
		return err
	}
	if h.Secret == "" {
		h.Secret = signature.NewSecret()
	}
	now := s.Now()
	h.Tenant, h.Registered, h.Updated = t, now, now
	h.RegisteredBy, h.UpdatedBy = Caller(c), Caller(c)
	if err := h.Validate(payload.Formats); err != nil {
		return err
	}
	if err := s.checkReceiverAuth(c.Request.Context(), h, fresh); err != nil {
		return err
	}
	if err := s.store.CreateHook(c.Request.Context(), h); err != nil {
		return err
	}
	c.Header("Location", "/v1/hooks/"+strconv.FormatInt(h.ID, 10))
	c.JSON(http.StatusCreated, newHookResponse(h, true))
	return nil
}

func (s *Server) listHooks(c *gin.Context) error {
	t, err := Tenant(c, "")
	if err != nil {
		return err
	}
	pg, err := Page(c)
	if err != nil {
		return err
	}
	q := store.HookQuery{Tenant: t, AfterID: pg.Cursor, Limit: pg.Limit + 1}
	if v := c.Query("state"); v != "" {
		if q.State = models.HookState(v); !q.State.Valid() {
			return InvalidField("state", "must be Active, Stopped or TooManyErrors")
		}
	}
	hs, err := s.store.Hooks(c.Request.Context(), q)
	if err != nil {
		return err
	}
	out := make([]hookResponse, 0, len(hs))
	for i := range hs {
		out = append(out, newHookResponse(&hs[i], false))
	}
	c.JSON(http.StatusOK, PageOf(out, pg.Limit, func(h hookResponse) int64 { return h.ID }))
	return nil
}

// loadHook reads the {id} of the path and loads that hook of the caller's tenant.
func (s *Server) loadHook(c *gin.Context) (*models.Hook, error) {
	id, err := PathID(c)
	if err != nil {
		return nil, err
	}
	t, err := Tenant(c, "")
	if err != nil {
		return nil, err
	}
	return s.store.Hook(c.Request.Context(), t, id)
}

func (s *Server) getHook(c *gin.Context) error {
	h, err := s.loadHook(c)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, newHookResponse(h, false))
	return nil
}

// updateHook serves PUT (replace the spec: fields not given take their
// defaults, and so does the state; the secret and receiver_auth are kept
// unless given) and PATCH (merge: only given fields change). Either keeps
// all the server owns.
func (s *Server) updateHook(c *gin.Context) error {
	h, err := s.loadHook(c)
	if err != nil {
		return err
	}
	from, spec := h.State, h.HookSpec
	if c.Request.Method == http.MethodPut {
		spec, h.State = defaultSpec(), models.StateActive
	}
	req, err := decodeHookBody(c, spec)
	if err != nil {
		return err
	}
	if req.Tenant != "" && req.Tenant != h.Tenant {
		return InvalidField("tenant", "a hook cannot move to another tenant")
	}
	req.apply(h)
	newAuth, err := applyReceiverAuth(req.ReceiverAuth, h)
	if err != nil {
		return err
	}
	h.Updated, h.UpdatedBy = s.Now(), Caller(c)
	if err := h.Validate(payload.Formats); err != nil {
		return err
	}
	if err := s.checkReceiverAuth(c.Request.Context(), h, newAuth); err != nil {
		return err
	}
	if err := s.SaveHook(c.Request.Context(), h, from); err != nil {
		return err
	}
	c.JSON(http.StatusOK, newHookResponse(h, false))
	return nil
}

func (s *Server) deleteHook(c *gin.Context) error {
	h, err := s.loadHook(c)
	if err != nil {
		return err
	}
	if err := s.store.DeleteHook(c.Request.Context(), h.Tenant, h.ID); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}
