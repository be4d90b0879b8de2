// Package superoffice serves SuperOffice's WebhookAgent (its HTTP RPC agent
// API, POST /api/v1/Agents/Webhook/<Method>) over hookflow's hooks, so
// integrations written for SuperOffice register hooks unchanged.
// docs/vendor-apis.md maps every field.
package superoffice

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
	"github.com/hookflow/hookflow/api"
	"github.com/hookflow/hookflow/internal/payload"
	"github.com/hookflow/hookflow/internal/probe"
	"github.com/hookflow/hookflow/internal/signature"
	"github.com/hookflow/hookflow/internal/store"
	"github.com/hookflow/hookflow/models"
)

// Mount serves the WebhookAgent on s, with an API key, over st.
func Mount(s *api.Server, st api.HookStore) {
	so := &agent{s: s, store: st}
	r := s.Keyed("/api/v1/Agents/Webhook")
	r.POST("/CreateDefaultWebhook", so.createDefaultWebhook)
	r.POST("/SaveWebhook", so.saveWebhook)
	r.POST("/GetWebhook", so.getWebhook)
	r.POST("/GetAllWebhooks", so.getAllWebhooks)
	r.POST("/DeleteWebhook", so.deleteWebhook)
	r.POST("/TestWebhook", so.testWebhook)
}

type agent struct {
	s     *api.Server
	store api.HookStore
}

// webhookIn is SuperOffice's Webhook carrier as callers send it.
type webhookIn struct {
	WebhookID   int64             `json:"WebhookId"` // 0 creates
	Name        string            `json:"Name"`
	Events      []string          `json:"Events"`
	TargetURL   string            `json:"TargetUrl"`
	Secret      string            `json:"Secret"`
	State       json.RawMessage   `json:"State"` // "Active" or 1: see parseState
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

// JSONNamesInAnyCase: SuperOffice's service matches member names in any
// case, so its camelCase clients (webhookId, targetUrl) work here too.
func (webhookIn) JSONNamesInAnyCase() {}

// webhook is SuperOffice's Webhook carrier as the API answers it.
type webhook struct {
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
	RegisteredAssociate *associate        `json:"RegisteredAssociate"`
	Updated             time.Time         `json:"Updated"`
	UpdatedAssociate    *associate        `json:"UpdatedAssociate"`
}

// associate is the part of SuperOffice's Associate carrier hookflow can
// fill. hookflow acts for API keys, not CRM users: the associate is the
// system user named by the key's fingerprint (registered_by, updated_by),
// with AssociateId 0 because no CRM user id exists.
type associate struct {
	AssociateID int    `json:"AssociateId"`
	Name        string `json:"Name"`
	FullName    string `json:"FullName"`
	UserName    string `json:"UserName"`
	Type        string `json:"Type"`
}

func newAssociate(by string) *associate {
	return &associate{Name: by, FullName: by, UserName: by, Type: "SystemAssociate"}
}

func newWebhook(h *models.Hook, showSecret bool) webhook {
	secret := api.MaskSecret(h.Secret)
	if showSecret {
		secret = h.Secret
	}
	return webhook{
		WebhookID: h.ID, Name: h.Name, Events: h.Events.V, TargetURL: h.TargetURL, Secret: secret,
		State: h.State, Type: h.Type, Headers: h.Headers.V, Properties: h.Properties.V, ErrorsEmail: h.ErrorsEmail,
		Registered: h.Registered, RegisteredAssociate: newAssociate(h.RegisteredBy),
		Updated: h.Updated, UpdatedAssociate: newAssociate(h.UpdatedBy),
	}
}

// Fields names, for each field of a native hook, the carrier's field that
// holds it, or "" for a field of models.HookSpec the carrier has not (a
// save keeps it; a new hook takes its default). Problems name the carrier's
// fields by it, and TestHookSpecIsMappedEverywhere (cmd/hookflow) holds it
// to the spec: a new hook field is mapped here or declared absent.
var Fields = map[string]string{
	"name": "Name", "events": "Events", "target_url": "TargetUrl", "type": "Type", "headers": "Headers",
	"properties": "Properties", "errors_email": "ErrorsEmail", "secret": "Secret", "state": "State",
	"format": "", "insecure_ssl": "", "options": "", "rate_limit": "", "ordering": "",
}

// parseState reads SuperOffice's WebhookState, by name (any case) or number, as
// a JSON string or number. Unknown (0) and absent mean "not given"; ok is
// false for anything else.
func parseState(raw json.RawMessage) (state models.HookState, ok bool) {
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

const stateProblem = "must be Active, Stopped or TooManyErrors (or 1, 2, 3)"

// hook builds the hook a carrier describes, without saving it: a new hook in
// the superoffice format for WebhookId 0, else the stored hook of the
// caller's tenant with the carrier's fields replaced. Fields the carrier does
// not have (format, options, insecure_ssl) are kept; an absent or Unknown
// State keeps the state; an absent Secret, or the masked one GetWebhook
// shows, keeps the secret.
func (so *agent) hook(c *gin.Context, in *webhookIn) (h *models.Hook, from models.HookState, err error) {
	state, ok := parseState(in.State)
	if !ok {
		return nil, "", models.Invalid("State", stateProblem)
	}
	t, err := api.Tenant(c, "")
	if err != nil {
		return nil, "", err
	}
	now, by := so.s.Now(), api.Caller(c)
	if in.WebhookID == 0 {
		h = api.NewHook()
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
	if in.Secret != "" && in.Secret != api.MaskSecret(h.Secret) {
		h.Secret = in.Secret
	}
	if h.Secret == "" {
		h.Secret = signature.NewSecret()
	}
	h.Updated, h.UpdatedBy = now, by
	return h, from, api.RenameFields(h.Validate(payload.Formats), Fields)
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
func (so *agent) createDefaultWebhook(c *gin.Context) error {
	h := api.NewHook()
	h.Events.V = []string{"contact.created", "contact.deleted"}
	w := newWebhook(h, true)
	w.RegisteredAssociate, w.UpdatedAssociate = nil, nil
	c.JSON(http.StatusOK, w)
	return nil
}

func (so *agent) saveWebhook(c *gin.Context) error {
	var in webhookIn
	if err := api.DecodeJSON(c, &in); err != nil {
		return err
	}
	h, from, err := so.hook(c, &in)
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	if in.WebhookID == 0 {
		err = so.store.CreateHook(ctx, h)
	} else {
		err = so.s.SaveHook(ctx, h, from)
	}
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, newWebhook(h, in.WebhookID == 0))
	return nil
}

// args are the parameters of GetWebhook, GetAllWebhooks and DeleteWebhook.
// SuperOffice documents them in the query string (webhookId, WebhookId) and
// its generated clients also send them as a JSON body: both are read, names
// in any case, the query winning.
type args struct {
	WebhookID    int64           `json:"WebhookId"`
	NameFilter   string          `json:"NameFilter"`
	EventFilter  string          `json:"EventFilter"`
	StatusFilter json.RawMessage `json:"StatusFilter"`
}

func (args) JSONNamesInAnyCase() {}

func readArgs(c *gin.Context) (args, error) {
	var a args
	if err := api.DecodeOptionalJSON(c, &a); err != nil {
		return a, err
	}
	for k, vs := range c.Request.URL.Query() {
		var err error
		switch v := vs[0]; strings.ToLower(k) {
		case "webhookid":
			if a.WebhookID, err = strconv.ParseInt(v, 10, 64); err != nil {
				return a, api.InvalidField(k, "must be a whole number")
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

// hookID reads the WebhookId of a GetWebhook or DeleteWebhook call and the
// caller's tenant.
func hookID(c *gin.Context) (string, int64, error) {
	a, err := readArgs(c)
	if err != nil {
		return "", 0, err
	}
	if a.WebhookID < 1 {
		return "", 0, models.Invalid("WebhookId", "is required: the id of a webhook")
	}
	t, err := api.Tenant(c, "")
	return t, a.WebhookID, err
}

func (so *agent) getWebhook(c *gin.Context) error {
	t, id, err := hookID(c)
	if err != nil {
		return err
	}
	h, err := so.store.Hook(c.Request.Context(), t, id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, newWebhook(h, false))
	return nil
}

// getAllWebhooks answers every hook of the tenant that passes the filters,
// in one array as SuperOffice does: NameFilter (the whole name, any case),
// EventFilter (hooks that an event of that name reaches) and StatusFilter.
func (so *agent) getAllWebhooks(c *gin.Context) error {
	a, err := readArgs(c)
	if err != nil {
		return err
	}
	state, ok := parseState(a.StatusFilter)
	if !ok {
		return models.Invalid("StatusFilter", stateProblem)
	}
	var event models.Pattern
	if a.EventFilter != "" {
		if event, err = models.ParsePattern(a.EventFilter); err != nil {
			return models.Invalid("EventFilter", err.Error())
		}
	}
	t, err := api.Tenant(c, "")
	if err != nil {
		return err
	}
	out := []webhook{}
	for q := (store.HookQuery{Tenant: t, State: state, Limit: api.MaxLimit}); ; {
		hs, err := so.store.Hooks(c.Request.Context(), q)
		if err != nil {
			return err
		}
		for i := range hs {
			h := &hs[i]
			if (a.NameFilter == "" || strings.EqualFold(h.Name, a.NameFilter)) && (a.EventFilter == "" || h.Matches(event)) {
				out = append(out, newWebhook(h, false))
			}
		}
		if len(hs) < q.Limit {
			break
		}
		q.AfterID = hs[len(hs)-1].ID
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (so *agent) deleteWebhook(c *gin.Context) error {
	t, id, err := hookID(c)
	if err != nil {
		return err
	}
	if err := so.store.DeleteHook(c.Request.Context(), t, id); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

// webhookResult is SuperOffice's WebhookResult, with the status code and
// latency hookflow measures besides.
type webhookResult struct {
	Success    bool   `json:"Success"`
	Message    string `json:"Message"` // the answer's status line, headers and body, or why there was none
	StatusCode int    `json:"StatusCode"`
	LatencyMs  int64  `json:"LatencyMs"`
}

// testRequest is the body of TestWebhook.
type testRequest struct {
	Webhook webhookIn `json:"Webhook"`
}

func (testRequest) JSONNamesInAnyCase() {}

// testWebhook sends one signed test delivery for the carrier in the body, as
// it would be saved (WebhookId 0: a new hook; else the stored one with the
// carrier's changes), and reports what the target answered. Nothing is saved.
func (so *agent) testWebhook(c *gin.Context) error {
	var req testRequest
	if err := api.DecodeJSON(c, &req); err != nil {
		return err
	}
	tester, err := so.s.Tester()
	if err != nil {
		return err
	}
	h, _, err := so.hook(c, &req.Webhook)
	if err != nil {
		return err
	}
	r, err := tester.TestHook(c.Request.Context(), h)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, webhookResult{Success: r.OK(), Message: testMessage(r), StatusCode: r.StatusCode,
		LatencyMs: r.Latency.Milliseconds()})
	return nil
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
