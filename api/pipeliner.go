package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"github.com/hookflow/hookflow/internal/payload"
	"github.com/hookflow/hookflow/internal/store"
	"github.com/hookflow/hookflow/models"
)

// Pipeliner's registration API (/api/v100/rest/spaces/{space}/entities/Webhooks)
// over hookflow's hooks: {space} is the tenant, the signature UUID the secret.
// docs/vendor-apis.md maps every field.

// pipelinerRequest is the body of POST .../entities/Webhooks.
type pipelinerRequest struct {
	URL         string         `json:"url"`
	Events      []string       `json:"events"`
	Options     models.Options `json:"options"`
	InsecureSSL bool           `json:"insecure_ssl"`
	Signature   string         `json:"signature"` // a UUID; generated when absent
}

// pipelinerWebhook is Pipeliner's Webhook entity. Ids are strings, as
// Pipeliner's are; hookflow's are their decimal form.
type pipelinerWebhook struct {
	ID          string         `json:"id"`
	URL         string         `json:"url"`
	Events      []string       `json:"events"`
	Options     models.Options `json:"options"`
	InsecureSSL bool           `json:"insecure_ssl"`
	Signature   string         `json:"signature"` // in full only in the answer to POST
	Created     time.Time      `json:"created"`
	Modified    time.Time      `json:"modified"`
	IsDeleted   bool           `json:"is_deleted"`
}

func newPipelinerWebhook(h *models.Hook, showSignature bool) pipelinerWebhook {
	sig := maskSecret(h.Secret)
	if showSignature {
		sig = h.Secret
	}
	return pipelinerWebhook{ID: strconv.FormatInt(h.ID, 10), URL: h.TargetURL, Events: h.Events.V,
		Options: h.Options.V, InsecureSSL: h.InsecureSSL, Signature: sig, Created: h.Registered, Modified: h.Updated}
}

// pipelinerAnswer is Pipeliner's envelope of every successful answer.
type pipelinerAnswer struct {
	Success  bool               `json:"success"`
	Data     any                `json:"data,omitempty"`
	PageInfo *pipelinerPageInfo `json:"page_info,omitempty"`
}

// pipelinerPageInfo is Pipeliner's cursor paging: pass end_cursor as ?after=.
type pipelinerPageInfo struct {
	StartCursor     string `json:"start_cursor"`
	EndCursor       string `json:"end_cursor"`
	HasPreviousPage bool   `json:"has_previous_page"`
	HasNextPage     bool   `json:"has_next_page"`
}

// Pipeliner's page sizes (?first=).
const (
	pipelinerDefaultFirst = 30
	pipelinerMaxFirst     = 100
)

// pipelinerFields names hook fields the way Pipeliner's body does.
var pipelinerFields = map[string]string{"target_url": "url", "secret": "signature"}

// spaceTenant returns the tenant {space} names, under the same rules as the
// native API: a key scoped to another tenant gets 403.
func spaceTenant(c *gin.Context) (string, error) {
	space := c.Param("space")
	if !models.ValidTenant(space) {
		return "", models.Invalid("space", "must be 1 to 64 letters, digits, _ . -")
	}
	return tenant(c, space)
}

func (a *app) createPipelinerWebhook(c *gin.Context) {
	t, err := spaceTenant(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	var req pipelinerRequest
	if err := decodeJSON(c, maxJSONBody, &req); err != nil {
		a.fail(c, err)
		return
	}
	if req.Signature == "" {
		req.Signature = uuid.NewString()
	} else if _, err := uuid.Parse(req.Signature); err != nil || len(req.Signature) != len(uuid.Nil.String()) {
		a.fail(c, models.Invalid("signature", "must be a UUID such as 0e2f8a4c-3d5b-4f6a-9b1c-7d8e9f0a1b2c"))
		return
	}
	h := newHook()
	h.Format, h.TargetURL, h.Events.V, h.Options.V = payload.Pipeliner, req.URL, req.Events, req.Options
	h.InsecureSSL, h.Secret, h.Tenant = req.InsecureSSL, req.Signature, t
	now, by := a.now(), who(c).id
	h.Registered, h.RegisteredBy, h.Updated, h.UpdatedBy = now, by, now, by
	if err := h.Validate(payload.Formats); err != nil {
		a.fail(c, renameFields(err, pipelinerFields))
		return
	}
	if err := a.store.CreateHook(c.Request.Context(), h); err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, pipelinerAnswer{Success: true, Data: newPipelinerWebhook(h, true)})
}

// listPipelinerWebhooks pages through the space's hooks by id: ?first= (1 to
// 100, default 30) and ?after= (the end_cursor of the previous page).
func (a *app) listPipelinerWebhooks(c *gin.Context) {
	t, err := spaceTenant(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	first := pipelinerDefaultFirst
	if v := c.Query("first"); v != "" {
		if first, err = strconv.Atoi(v); err != nil || first < 1 || first > pipelinerMaxFirst {
			a.fail(c, invalidField("first", "must be a whole number from 1 to 100"))
			return
		}
	}
	var after int64
	if v := c.Query("after"); v != "" {
		if after, err = strconv.ParseInt(v, 10, 64); err != nil || after < 0 {
			a.fail(c, invalidField("after", "is not a cursor this API returned"))
			return
		}
	}
	hs, err := a.store.Hooks(c.Request.Context(), store.HookQuery{Tenant: t, AfterID: after, Limit: first + 1})
	if err != nil {
		a.fail(c, err)
		return
	}
	info := &pipelinerPageInfo{HasPreviousPage: after > 0, HasNextPage: len(hs) > first}
	hs = hs[:min(len(hs), first)]
	data := make([]pipelinerWebhook, len(hs))
	for i := range hs {
		data[i] = newPipelinerWebhook(&hs[i], false)
	}
	if len(data) > 0 {
		info.StartCursor, info.EndCursor = data[0].ID, data[len(data)-1].ID
	}
	c.JSON(http.StatusOK, pipelinerAnswer{Success: true, Data: data, PageInfo: info})
}

// pipelinerHookID reads the space's tenant and the hook {id} of the path.
func pipelinerHookID(c *gin.Context) (string, int64, error) {
	t, err := spaceTenant(c)
	if err != nil {
		return "", 0, err
	}
	id, err := pathID(c)
	return t, id, err
}

func (a *app) getPipelinerWebhook(c *gin.Context) {
	t, id, err := pipelinerHookID(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	h, err := a.store.Hook(c.Request.Context(), t, id)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, pipelinerAnswer{Success: true, Data: newPipelinerWebhook(h, false)})
}

func (a *app) deletePipelinerWebhook(c *gin.Context) {
	t, id, err := pipelinerHookID(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	if err := a.store.DeleteHook(c.Request.Context(), t, id); err != nil {
		a.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, pipelinerAnswer{Success: true})
}
