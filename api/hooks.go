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

type hookStore interface {
	CreateHook(ctx context.Context, h *models.Hook) error
	UpdateHook(ctx context.Context, h *models.Hook, from models.HookState) error
	Hook(ctx context.Context, tenant string, id int64) (*models.Hook, error)
	Hooks(ctx context.Context, q store.HookQuery) ([]models.Hook, error)
	DeleteHook(ctx context.Context, tenant string, id int64) error
}

// hookRequest is the body of POST, PUT and PATCH /v1/hooks. Pointers tell
// "not given" from "given empty", which PATCH needs.
type hookRequest struct {
	Name        *string            `json:"name"`
	Events      *[]string          `json:"events"`
	TargetURL   *string            `json:"target_url"`
	Secret      *string            `json:"secret"`
	State       *models.HookState  `json:"state"`
	Type        *string            `json:"type"`
	Format      *models.Format     `json:"format"`
	Headers     *map[string]string `json:"headers"`
	Properties  *map[string]any    `json:"properties"`
	ErrorsEmail *string            `json:"errors_email"`
	InsecureSSL *bool              `json:"insecure_ssl"`
	Options     *models.Options    `json:"options"`
	Tenant      string             `json:"tenant"`
	// ReceiverAuth stays raw: absent, null and an object mean different
	// things (applyReceiverAuth).
	ReceiverAuth json.RawMessage `json:"receiver_auth"`
}

// newHook returns a hook with every default set, for POST and PUT.
func newHook() *models.Hook {
	return &models.Hook{
		State: models.StateActive, Type: models.HookTypeWebhook, Format: payload.Standard,
		Headers: models.JSON[map[string]string]{V: map[string]string{}}, Properties: models.JSON[map[string]any]{V: map[string]any{}},
	}
}

// apply copies the given fields onto h.
func (r *hookRequest) apply(h *models.Hook) {
	set(&h.Name, r.Name)
	setJSON(&h.Events, r.Events)
	set(&h.TargetURL, r.TargetURL)
	set(&h.Secret, r.Secret)
	set(&h.State, r.State)
	set(&h.Type, r.Type)
	set(&h.Format, r.Format)
	setJSON(&h.Headers, r.Headers)
	setJSON(&h.Properties, r.Properties)
	set(&h.ErrorsEmail, r.ErrorsEmail)
	set(&h.InsecureSSL, r.InsecureSSL)
	setJSON(&h.Options, r.Options)
}

func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

// setJSON replaces a JSON column whole, so a stored value that could not be
// read is replaced too, not only its zero value.
func setJSON[T any](dst *models.JSON[T], src *T) {
	if src != nil {
		*dst = models.JSON[T]{V: *src}
	}
}

// hookResponse is a hook as the API shows it; the secret is masked except
// on create and GET /v1/hooks/{id}/secret.
type hookResponse struct {
	ID           int64             `json:"id"`
	Tenant       string            `json:"tenant"`
	Name         string            `json:"name"`
	Events       []string          `json:"events"`
	TargetURL    string            `json:"target_url"`
	Secret       string            `json:"secret"`
	State        models.HookState  `json:"state"`
	Type         string            `json:"type"`
	Format       models.Format     `json:"format"`
	Headers      map[string]string `json:"headers"`
	Properties   map[string]any    `json:"properties"`
	ErrorsEmail  string            `json:"errors_email"`
	InsecureSSL  bool              `json:"insecure_ssl"`
	Options      models.Options    `json:"options"`
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
	secret := maskSecret(h.Secret)
	if showSecret {
		secret = h.Secret
	}
	return hookResponse{
		ID: h.ID, Tenant: h.Tenant, Name: h.Name, Events: h.Events.V, TargetURL: h.TargetURL, Secret: secret,
		State: h.State, Type: h.Type, Format: h.Format, Headers: h.Headers.V, Properties: h.Properties.V,
		ErrorsEmail: h.ErrorsEmail, InsecureSSL: h.InsecureSSL, Options: h.Options.V, ReceiverAuth: newReceiverAuthView(h.ReceiverAuth),
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

// maskSecret shows only the kind of secret, never any of its characters.
func maskSecret(s string) string {
	if len(s) > len(signature.SecretPrefix) && s[:len(signature.SecretPrefix)] == signature.SecretPrefix {
		return signature.SecretPrefix + "********"
	}
	return "********"
}

func (a *app) createHook(c *gin.Context) {
	var req hookRequest
	if err := decodeJSON(c, maxJSONBody, &req); err != nil {
		a.fail(c, err)
		return
	}
	t, err := tenant(c, req.Tenant)
	if err != nil {
		a.fail(c, err)
		return
	}
	h := newHook()
	req.apply(h)
	fresh, err := applyReceiverAuth(req.ReceiverAuth, h)
	if err != nil {
		a.fail(c, err)
		return
	}
	if h.Secret == "" {
		h.Secret = signature.NewSecret()
	}
	now := a.now()
	h.Tenant, h.Registered, h.Updated = t, now, now
	h.RegisteredBy, h.UpdatedBy = who(c).id, who(c).id
	if err := h.Validate(payload.Formats); err != nil {
		a.fail(c, err)
		return
	}
	if err := a.checkReceiverAuth(c.Request.Context(), h, fresh); err != nil {
		a.fail(c, err)
		return
	}
	if err := a.store.CreateHook(c.Request.Context(), h); err != nil {
		a.fail(c, err)
		return
	}
	c.Header("Location", "/v1/hooks/"+strconv.FormatInt(h.ID, 10))
	c.JSON(http.StatusCreated, newHookResponse(h, true))
}

func (a *app) listHooks(c *gin.Context) {
	t, err := tenant(c, "")
	if err != nil {
		a.fail(c, err)
		return
	}
	pg, err := page(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	q := store.HookQuery{Tenant: t, AfterID: pg.cursor, Limit: pg.limit + 1}
	if s := c.Query("state"); s != "" {
		if q.State = models.HookState(s); !q.State.Valid() {
			a.fail(c, invalidField("state", "must be Active, Stopped or TooManyErrors"))
			return
		}
	}
	hs, err := a.store.Hooks(c.Request.Context(), q)
	if err != nil {
		a.fail(c, err)
		return
	}
	out := make([]hookResponse, 0, len(hs))
	for i := range hs {
		out = append(out, newHookResponse(&hs[i], false))
	}
	c.JSON(http.StatusOK, pageOf(out, pg.limit, func(h hookResponse) int64 { return h.ID }))
}

// loadHook reads the {id} of the path and loads that hook of the caller's tenant.
func (a *app) loadHook(c *gin.Context) (*models.Hook, bool) {
	id, err := pathID(c)
	if err != nil {
		a.fail(c, err)
		return nil, false
	}
	t, err := tenant(c, "")
	if err != nil {
		a.fail(c, err)
		return nil, false
	}
	h, err := a.store.Hook(c.Request.Context(), t, id)
	if err != nil {
		a.fail(c, err)
		return nil, false
	}
	return h, true
}

func (a *app) getHook(c *gin.Context) {
	if h, ok := a.loadHook(c); ok {
		c.JSON(http.StatusOK, newHookResponse(h, false))
	}
}

// updateHook serves PUT (replace: fields not given take their defaults; the
// secret and receiver_auth are kept unless given) and PATCH (merge: only
// given fields change).
func (a *app) updateHook(c *gin.Context) {
	h, ok := a.loadHook(c)
	if !ok {
		return
	}
	from := h.State
	var req hookRequest
	if err := decodeJSON(c, maxJSONBody, &req); err != nil {
		a.fail(c, err)
		return
	}
	if req.Tenant != "" && req.Tenant != h.Tenant {
		a.fail(c, invalidField("tenant", "a hook cannot move to another tenant"))
		return
	}
	if c.Request.Method == http.MethodPut {
		fresh := newHook()
		fresh.ID, fresh.Tenant, fresh.Secret = h.ID, h.Tenant, h.Secret
		fresh.Registered, fresh.RegisteredBy = h.Registered, h.RegisteredBy
		fresh.PreviousSecret, fresh.PreviousSecretExpires = h.PreviousSecret, h.PreviousSecretExpires
		fresh.ReceiverAuth = h.ReceiverAuth
		fresh.ErrorCount, fresh.FailingSince, fresh.LastError = h.ErrorCount, h.FailingSince, h.LastError
		h = fresh
	}
	req.apply(h)
	newAuth, err := applyReceiverAuth(req.ReceiverAuth, h)
	if err != nil {
		a.fail(c, err)
		return
	}
	h.Updated, h.UpdatedBy = a.now(), who(c).id
	if err := h.Validate(payload.Formats); err != nil {
		a.fail(c, err)
		return
	}
	if err := a.checkReceiverAuth(c.Request.Context(), h, newAuth); err != nil {
		a.fail(c, err)
		return
	}
	if err := a.saveHook(c.Request.Context(), h, from); err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, newHookResponse(h, false))
}

func (a *app) deleteHook(c *gin.Context) {
	h, ok := a.loadHook(c)
	if !ok {
		return
	}
	if err := a.store.DeleteHook(c.Request.Context(), h.Tenant, h.ID); err != nil {
		a.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
