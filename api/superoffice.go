package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hookflow/hookflow/internal/payload"
	"github.com/hookflow/hookflow/internal/probe"
	"github.com/hookflow/hookflow/internal/signature"
	"github.com/hookflow/hookflow/internal/store"
	"github.com/hookflow/hookflow/models"
)

// superOffice serves SuperOffice's WebhookAgent (its HTTP RPC agent API,
// POST /api/v1/Agents/Webhook/<Method>) over hookflow's hooks, so
// integrations written for SuperOffice register hooks unchanged.
// docs/vendor-apis.md maps every field.
type superOffice struct {
	*app
	tester Tester
}

// soWebhookIn is SuperOffice's Webhook carrier as callers send it.
type soWebhookIn struct {
	WebhookID   int64             `json:"WebhookId"` // 0 creates
	Name        string            `json:"Name"`
	Events      []string          `json:"Events"`
	TargetURL   string            `json:"TargetUrl"`
	Secret      string            `json:"Secret"`
	State       json.RawMessage   `json:"State"` // "Active" or 1: see soState
	Type        string            `json:"Type"`
	Headers     map[string]string `json:"Headers"`
	Properties  map[string]any    `json:"Properties"`
	ErrorsEmail string            `json:"ErrorsEmail"`

	// Set by the server. Accepted, and ignored, so that a carrier read with
	// GetWebhook or CreateDefaultWebhook can be saved back as it is.
	Registered          any `json:"Registered"`
	RegisteredAssociate any `json:"RegisteredAssociate"`
	Updated             any `json:"Updated"`
	UpdatedAssociate    any `json:"UpdatedAssociate"`
}

// soWebhook is SuperOffice's Webhook carrier as the API answers it.
type soWebhook struct {
	WebhookID           int64             `json:"WebhookId"`
	Name                string            `json:"Name"`
	Events              []string          `json:"Events"`
	TargetURL           string            `json:"TargetUrl"`
	Secret              string            `json:"Secret"`
	State               models.HookState  `json:"State"`
	Type                string            `json:"Type"`
	Headers             map[string]string `json:"Headers"`
	Properties          map[string]any    `json:"Properties"`
	ErrorsEmail         string            `json:"ErrorsEmail"`
	Registered          time.Time         `json:"Registered"`
	RegisteredAssociate *soAssociate      `json:"RegisteredAssociate"`
	Updated             time.Time         `json:"Updated"`
	UpdatedAssociate    *soAssociate      `json:"UpdatedAssociate"`
}

// soAssociate is the part of SuperOffice's Associate carrier hookflow can
// fill. hookflow acts for API keys, not CRM users: the associate is the
// system user named by the key's fingerprint (registered_by, updated_by),
// with AssociateId 0 because no CRM user id exists.
type soAssociate struct {
	AssociateID int    `json:"AssociateId"`
	Name        string `json:"Name"`
	FullName    string `json:"FullName"`
	UserName    string `json:"UserName"`
	Type        string `json:"Type"`
}

func newSOAssociate(by string) *soAssociate {
	return &soAssociate{Name: by, FullName: by, UserName: by, Type: "SystemAssociate"}
}

func newSOWebhook(h *models.Hook, showSecret bool) soWebhook {
	secret := maskSecret(h.Secret)
	if showSecret {
		secret = h.Secret
	}
	return soWebhook{
		WebhookID: h.ID, Name: h.Name, Events: h.Events.V, TargetURL: h.TargetURL, Secret: secret,
		State: h.State, Type: h.Type, Headers: h.Headers.V, Properties: h.Properties.V, ErrorsEmail: h.ErrorsEmail,
		Registered: h.Registered, RegisteredAssociate: newSOAssociate(h.RegisteredBy),
		Updated: h.Updated, UpdatedAssociate: newSOAssociate(h.UpdatedBy),
	}
}

// soFields names hook fields the way the carrier does, for validation errors.
var soFields = map[string]string{
	"name": "Name", "events": "Events", "target_url": "TargetUrl", "secret": "Secret", "state": "State",
	"type": "Type", "headers": "Headers", "properties": "Properties", "errors_email": "ErrorsEmail",
}

// soState reads SuperOffice's WebhookState, by name (any case) or number, as
// a JSON string or number. Unknown (0) and absent mean "not given"; ok is
// false for anything else.
func soState(raw json.RawMessage) (state models.HookState, ok bool) {
	s := string(raw)
	if bytes.HasPrefix(raw, []byte(`"`)) && json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	switch strings.ToLower(s) {
	case "", "null", "0", "unknown":
		return "", true
	case "1", "active":
		return models.StateActive, true
	case "2", "stopped":
		return models.StateStopped, true
	case "3", "toomanyerrors":
		return models.StateTooManyErrors, true
	}
	return "", false
}

const soStateProblem = "must be Active, Stopped or TooManyErrors (or 1, 2, 3)"

// hook builds the hook a carrier describes, without saving it: a new hook in
// the superoffice format for WebhookId 0, else the stored hook of the
// caller's tenant with the carrier's fields replaced. Fields the carrier does
// not have (format, options, insecure_ssl) are kept; an absent or Unknown
// State keeps the state; an absent Secret, or the masked one GetWebhook
// shows, keeps the secret.
func (so *superOffice) hook(c *gin.Context, in *soWebhookIn) (h *models.Hook, from models.HookState, err error) {
	state, ok := soState(in.State)
	if !ok {
		return nil, "", models.Invalid("State", soStateProblem)
	}
	t, err := tenant(c, "")
	if err != nil {
		return nil, "", err
	}
	now, by := so.now(), who(c).id
	if in.WebhookID == 0 {
		h = newHook()
		h.Format, h.Tenant, h.Registered, h.RegisteredBy = payload.SuperOffice, t, now, by
	} else if h, err = so.store.Hook(c.Request.Context(), t, in.WebhookID); err != nil {
		return nil, "", err
	}
	from = h.State
	h.Name, h.TargetURL, h.ErrorsEmail = in.Name, in.TargetURL, in.ErrorsEmail
	// Whole columns: a stored value that could not be read is replaced too.
	h.Events = models.JSON[[]string]{V: in.Events}
	h.Headers, h.Properties = models.JSON[map[string]string]{V: map[string]string{}}, models.JSON[map[string]any]{V: map[string]any{}}
	if in.Headers != nil {
		h.Headers.V = withoutJSONContentType(in.Headers)
	}
	if in.Properties != nil {
		h.Properties.V = in.Properties
	}
	if in.Type != "" {
		h.Type = strings.ToLower(in.Type) // SuperOffice writes "webhook" and "CRMScript"
	}
	if state != "" {
		h.State = state
	}
	if in.Secret != "" && in.Secret != maskSecret(h.Secret) {
		h.Secret = in.Secret
	}
	if h.Secret == "" {
		h.Secret = signature.NewSecret()
	}
	h.Updated, h.UpdatedBy = now, by
	return h, from, renameFields(h.Validate(payload.Formats), soFields)
}

// withoutJSONContentType drops a Content-Type header of application/json
// from a carrier's headers. SuperOffice's own sample carrier sets one, every
// JSON format sends it anyway, and hookflow sets Content-Type itself; any
// other Content-Type is still rejected as a reserved header.
func withoutJSONContentType(headers map[string]string) map[string]string {
	out := make(map[string]string, len(headers))
	for k, v := range headers {
		if mt, _, err := mime.ParseMediaType(v); err == nil && mt == "application/json" && textproto.CanonicalMIMEHeaderKey(k) == "Content-Type" {
			continue
		}
		out[k] = v
	}
	return out
}

// createDefaultWebhook answers the carrier SuperOffice's CreateDefaultWebhook
// does: type webhook, Active, contact.created and contact.deleted.
func (so *superOffice) createDefaultWebhook(c *gin.Context) {
	h := newHook()
	h.Events.V = []string{"contact.created", "contact.deleted"}
	w := newSOWebhook(h, true)
	w.RegisteredAssociate, w.UpdatedAssociate = nil, nil
	c.JSON(http.StatusOK, w)
}

func (so *superOffice) saveWebhook(c *gin.Context) {
	var in soWebhookIn
	if err := decodeJSON(c, maxJSONBody, &in); err != nil {
		so.fail(c, err)
		return
	}
	h, from, err := so.hook(c, &in)
	if err != nil {
		so.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	if in.WebhookID == 0 {
		err = so.store.CreateHook(ctx, h)
	} else {
		err = so.saveHook(ctx, h, from)
	}
	if err != nil {
		so.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, newSOWebhook(h, in.WebhookID == 0))
}

// soArgs are the parameters of GetWebhook, GetAllWebhooks and DeleteWebhook.
// SuperOffice documents them in the query string (webhookId, WebhookId) and
// its generated clients also send them as a JSON body: both are read, names
// in any case, the query winning.
type soArgs struct {
	WebhookID    int64           `json:"WebhookId"`
	NameFilter   string          `json:"NameFilter"`
	EventFilter  string          `json:"EventFilter"`
	StatusFilter json.RawMessage `json:"StatusFilter"`
}

func readSOArgs(c *gin.Context) (soArgs, error) {
	var a soArgs
	b, err := readBody(c, maxJSONBody)
	if err != nil {
		return a, err
	}
	if len(bytes.TrimSpace(b)) > 0 {
		if err := unmarshalStrict(b, &a); err != nil {
			return a, err
		}
	}
	for k, vs := range c.Request.URL.Query() {
		switch v := vs[0]; strings.ToLower(k) {
		case "webhookid":
			if a.WebhookID, err = strconv.ParseInt(v, 10, 64); err != nil {
				return a, invalidField(k, "must be a whole number")
			}
		case "namefilter":
			a.NameFilter = v
		case "eventfilter":
			a.EventFilter = v
		case "statusfilter":
			a.StatusFilter = json.RawMessage(strconv.Quote(v))
		}
	}
	return a, nil
}

// soHookID reads the WebhookId of a GetWebhook or DeleteWebhook call and the
// caller's tenant.
func soHookID(c *gin.Context) (string, int64, error) {
	a, err := readSOArgs(c)
	if err != nil {
		return "", 0, err
	}
	if a.WebhookID < 1 {
		return "", 0, models.Invalid("WebhookId", "is required: the id of a webhook")
	}
	t, err := tenant(c, "")
	return t, a.WebhookID, err
}

func (so *superOffice) getWebhook(c *gin.Context) {
	t, id, err := soHookID(c)
	if err != nil {
		so.fail(c, err)
		return
	}
	h, err := so.store.Hook(c.Request.Context(), t, id)
	if err != nil {
		so.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, newSOWebhook(h, false))
}

// getAllWebhooks answers every hook of the tenant that passes the filters,
// in one array as SuperOffice does: NameFilter (the whole name, any case),
// EventFilter (hooks that an event of that name reaches) and StatusFilter.
func (so *superOffice) getAllWebhooks(c *gin.Context) {
	a, err := readSOArgs(c)
	if err != nil {
		so.fail(c, err)
		return
	}
	state, ok := soState(a.StatusFilter)
	if !ok {
		so.fail(c, models.Invalid("StatusFilter", soStateProblem))
		return
	}
	var event models.Pattern
	if a.EventFilter != "" {
		if event, err = models.ParsePattern(a.EventFilter); err != nil {
			so.fail(c, models.Invalid("EventFilter", err.Error()))
			return
		}
	}
	t, err := tenant(c, "")
	if err != nil {
		so.fail(c, err)
		return
	}
	out := []soWebhook{}
	for q := (store.HookQuery{Tenant: t, State: state, Limit: maxLimit}); ; {
		hs, err := so.store.Hooks(c.Request.Context(), q)
		if err != nil {
			so.fail(c, err)
			return
		}
		for i := range hs {
			h := &hs[i]
			if (a.NameFilter == "" || strings.EqualFold(h.Name, a.NameFilter)) && (a.EventFilter == "" || h.Matches(event)) {
				out = append(out, newSOWebhook(h, false))
			}
		}
		if len(hs) < q.Limit {
			break
		}
		q.AfterID = hs[len(hs)-1].ID
	}
	c.JSON(http.StatusOK, out)
}

func (so *superOffice) deleteWebhook(c *gin.Context) {
	t, id, err := soHookID(c)
	if err != nil {
		so.fail(c, err)
		return
	}
	if err := so.store.DeleteHook(c.Request.Context(), t, id); err != nil {
		so.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// soWebhookResult is SuperOffice's WebhookResult, with the status code and
// latency hookflow measures besides.
type soWebhookResult struct {
	Success    bool   `json:"Success"`
	Message    string `json:"Message"` // the answer's status line, headers and body, or why there was none
	StatusCode int    `json:"StatusCode"`
	LatencyMs  int64  `json:"LatencyMs"`
}

// testWebhook sends one signed test delivery for the carrier in the body, as
// it would be saved (WebhookId 0: a new hook; else the stored one with the
// carrier's changes), and reports what the target answered. Nothing is saved.
func (so *superOffice) testWebhook(c *gin.Context) {
	var req struct {
		Webhook soWebhookIn `json:"Webhook"`
	}
	if err := decodeJSON(c, maxJSONBody, &req); err != nil {
		so.fail(c, err)
		return
	}
	if so.tester == nil {
		so.fail(c, newError(http.StatusNotImplemented, "not_configured", "this server cannot send test deliveries"))
		return
	}
	h, _, err := so.hook(c, &req.Webhook)
	if err != nil {
		so.fail(c, err)
		return
	}
	r, err := so.tester.TestHook(c.Request.Context(), h)
	if err != nil {
		so.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, soWebhookResult{Success: r.OK(), Message: testMessage(r), StatusCode: r.StatusCode,
		LatencyMs: r.Latency.Milliseconds()})
}

// testMessage writes the answer as SuperOffice's WebhookResult.Message does:
// the headers and body of the target's response.
func testMessage(r probe.Result) string {
	if r.Error != "" {
		return r.Error
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s\r\n", r.StatusCode, http.StatusText(r.StatusCode))
	_ = r.Header.Write(&b) // a strings.Builder never fails
	b.WriteString("\r\n")
	b.WriteString(r.Body)
	return b.String()
}
