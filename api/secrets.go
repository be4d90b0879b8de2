package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hookflow/hookflow/internal/payload"
	"github.com/hookflow/hookflow/internal/signature"
)

// Secret rotation grace: how long deliveries keep carrying a signature made
// with the previous secret, so receivers can switch without dropping any.
const (
	defaultGrace = 24 * time.Hour
	maxGrace     = 7 * 24 * time.Hour
)

// secretResponse shows a hook's secret in full: only here and on create.
type secretResponse struct {
	Secret                string     `json:"secret"`
	PreviousSecretExpires *time.Time `json:"previous_secret_expires,omitempty"`
}

func (a *app) getHookSecret(c *gin.Context) {
	if h, ok := a.loadHook(c); ok {
		out := secretResponse{Secret: h.Secret}
		if h.PreviousSecret != "" && h.PreviousSecretExpires != nil && a.now().Before(*h.PreviousSecretExpires) {
			out.PreviousSecretExpires = h.PreviousSecretExpires
		}
		c.JSON(http.StatusOK, out)
	}
}

type rotateRequest struct {
	Secret      string `json:"secret"`       // the new secret; generated when empty
	GracePeriod string `json:"grace_period"` // Go duration; default 24h, at most 168h
}

// rotateHookSecret replaces the hook's secret. For the grace period every
// standard delivery carries two signatures, one per secret, as Standard
// Webhooks allows, so a receiver can switch at its own pace.
func (a *app) rotateHookSecret(c *gin.Context) {
	h, ok := a.loadHook(c)
	if !ok {
		return
	}
	var req rotateRequest
	if c.Request.ContentLength != 0 {
		if err := decodeJSON(c, maxJSONBody, &req); err != nil {
			a.fail(c, err)
			return
		}
	}
	grace := defaultGrace
	if req.GracePeriod != "" {
		d, err := time.ParseDuration(req.GracePeriod)
		if err != nil || d < 0 || d > maxGrace {
			a.fail(c, invalidField("grace_period", "must be a Go duration from 0s to 168h, such as 24h"))
			return
		}
		grace = d
	}
	if req.Secret == "" {
		req.Secret = signature.NewSecret()
	}
	if req.Secret == h.Secret {
		a.fail(c, invalidField("secret", "must differ from the current secret"))
		return
	}
	now := a.now()
	expires := now.Add(grace)
	h.PreviousSecret, h.PreviousSecretExpires, h.Secret = h.Secret, &expires, req.Secret
	h.Updated, h.UpdatedBy = now, who(c).id
	if err := h.Validate(payload.Formats); err != nil {
		a.fail(c, err)
		return
	}
	if err := a.store.UpdateHook(c.Request.Context(), h, h.State); err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, secretResponse{Secret: h.Secret, PreviousSecretExpires: &expires})
}
