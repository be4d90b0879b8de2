// Package pipeliner serves Pipeliner's registration API
// (/api/v100/rest/spaces/{space}/entities/Webhooks) over hookflow's hooks:
// {space} is the tenant, the signature UUID the secret. docs/vendor-apis.md
// maps every field.
package pipeliner

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"github.com/hookflow/hookflow/api"
	"github.com/hookflow/hookflow/internal/payload"
	"github.com/hookflow/hookflow/internal/store"
	"github.com/hookflow/hookflow/models"
)

// Mount serves the registration API on s, with an API key, over st.
func Mount(s *api.Server, st api.HookStore) {
	p := &webhooks{s: s, store: st}
	r := s.Keyed("/api/v100/rest/spaces/:space/entities/Webhooks")
	r.POST("", p.create)
	r.GET("", p.list)
	r.GET("/:id", p.get)
	r.DELETE("/:id", p.delete)
}

type webhooks struct {
	s     *api.Server
	store api.HookStore
}

// request is the body of POST .../entities/Webhooks.
type request struct {
	URL         string         `json:"url"`
	Events      []string       `json:"events"`
	Options     models.Options `json:"options"`
	InsecureSSL bool           `json:"insecure_ssl"`
	Signature   string         `json:"signature"` // a UUID; generated when absent
}

// entity is Pipeliner's Webhook entity. Ids are strings, as
// Pipeliner's are; hookflow's are their decimal form.
type entity struct {
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

func newEntity(h *models.Hook, showSignature bool) entity {
	sig := api.MaskSecret(h.Secret)
	if showSignature {
		sig = h.Secret
	}
	return entity{ID: strconv.FormatInt(h.ID, 10), URL: h.TargetURL, Events: h.Events.V,
		Options: h.Options.V, InsecureSSL: h.InsecureSSL, Signature: sig, Created: h.Registered, Modified: h.Updated}
}

// answer is Pipeliner's envelope of every successful answer.
type answer struct {
	Success  bool      `json:"success"`
	Data     any       `json:"data,omitempty"`
	PageInfo *pageInfo `json:"page_info,omitempty"`
}

// pageInfo is Pipeliner's cursor paging: pass end_cursor as ?after=.
type pageInfo struct {
	StartCursor     string `json:"start_cursor"`
	EndCursor       string `json:"end_cursor"`
	HasPreviousPage bool   `json:"has_previous_page"`
	HasNextPage     bool   `json:"has_next_page"`
}

// Pipeliner's page sizes (?first=).
const (
	defaultFirst = 30
	maxFirst     = 100
)

// Fields names, for each field of a native hook, the body's field that
// holds it, or "" for a field of models.HookSpec Pipeliner's entity has not
// (a new hook takes its default). Problems name the body's fields by it,
// and TestHookSpecIsMappedEverywhere (cmd/hookflow) holds it to the spec: a
// new hook field is mapped here or declared absent.
var Fields = map[string]string{
	"target_url": "url", "events": "events", "options": "options", "insecure_ssl": "insecure_ssl", "secret": "signature",
	"name": "", "type": "", "format": "", "headers": "", "properties": "", "errors_email": "",
	"rate_limit": "", "ordering": "",
}

// spaceTenant returns the tenant {space} names, under the same rules as the
// native API: a key scoped to another tenant gets 403.
func spaceTenant(c *gin.Context) (string, error) {
	space := c.Param("space")
	if !models.ValidTenant(space) {
		return "", models.Invalid("space", "must be 1 to 64 letters, digits, _ . -")
	}
	return api.Tenant(c, space)
}

func (p *webhooks) create(c *gin.Context) error {
	t, err := spaceTenant(c)
	if err != nil {
		return err
	}
	var req request
	if err := api.DecodeJSON(c, &req); err != nil {
		return err
	}
	if req.Signature == "" {
		req.Signature = uuid.NewString()
	} else if _, err := uuid.Parse(req.Signature); err != nil || len(req.Signature) != len(uuid.Nil.String()) {
		return models.Invalid("signature", "must be a UUID such as 0e2f8a4c-3d5b-4f6a-9b1c-7d8e9f0a1b2c")
	}
	h := api.NewHook()
	h.Format, h.TargetURL, h.Events.V, h.Options.V = payload.Pipeliner, req.URL, req.Events, req.Options
	h.InsecureSSL, h.Secret, h.Tenant = req.InsecureSSL, req.Signature, t
	now, by := p.s.Now(), api.Caller(c)
	h.Registered, h.RegisteredBy, h.Updated, h.UpdatedBy = now, by, now, by
	if err := h.Validate(payload.Formats); err != nil {
		return api.RenameFields(err, Fields)
	}
	if err := p.store.CreateHook(c.Request.Context(), h); err != nil {
		return err
	}
	c.JSON(http.StatusOK, answer{Success: true, Data: newEntity(h, true)})
	return nil
}

// list pages through the space's hooks by id: ?first= (1 to 100, default
// 30) and ?after= (the end_cursor of the previous page).
func (p *webhooks) list(c *gin.Context) error {
	t, err := spaceTenant(c)
	if err != nil {
		return err
	}
	first := defaultFirst
	if v := c.Query("first"); v != "" {
		if first, err = strconv.Atoi(v); err != nil || first < 1 || first > maxFirst {
			return api.InvalidField("first", "must be a whole number from 1 to 100")
		}
	}
	var after int64
	if v := c.Query("after"); v != "" {
		if after, err = strconv.ParseInt(v, 10, 64); err != nil || after < 0 {
			return api.InvalidField("after", "is not a cursor this API returned")
		}
	}
	hs, err := p.store.Hooks(c.Request.Context(), store.HookQuery{Tenant: t, AfterID: after, Limit: first + 1})
	if err != nil {
		return err
	}
	info := &pageInfo{HasPreviousPage: after > 0, HasNextPage: len(hs) > first}
	hs = hs[:min(len(hs), first)]
	data := make([]entity, len(hs))
	for i := range hs {
		data[i] = newEntity(&hs[i], false)
	}
	if len(data) > 0 {
		info.StartCursor, info.EndCursor = data[0].ID, data[len(data)-1].ID
	}
	c.JSON(http.StatusOK, answer{Success: true, Data: data, PageInfo: info})
	return nil
}

// hookID reads the space's tenant and the hook {id} of the path.
func hookID(c *gin.Context) (string, int64, error) {
	t, err := spaceTenant(c)
	if err != nil {
		return "", 0, err
	}
	id, err := api.PathID(c)
	return t, id, err
}

func (p *webhooks) get(c *gin.Context) error {
	t, id, err := hookID(c)
	if err != nil {
		return err
	}
	h, err := p.store.Hook(c.Request.Context(), t, id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, answer{Success: true, Data: newEntity(h, false)})
	return nil
}

func (p *webhooks) delete(c *gin.Context) error {
	t, id, err := hookID(c)
	if err != nil {
		return err
	}
	if err := p.store.DeleteHook(c.Request.Context(), t, id); err != nil {
		return err
	}
	c.JSON(http.StatusOK, answer{Success: true})
	return nil
}
