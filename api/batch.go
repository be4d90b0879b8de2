package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/hookflow/hookflow/models"
)

// MaxBatch is how many events one POST /v1/events/batch may carry.
const MaxBatch = 1000

type batchRequest struct {
	Events []triggerRequest `json:"events"`
}

// batchAnswer lists, in request order, what became of each event.
type batchAnswer struct {
	Data []triggerAnswer `json:"data"`
}

// createEvents accepts up to MaxBatch triggers in one request: validated
// together (one bad event rejects the batch, naming events[i].field) and
// admitted in one transaction, each to become its own workflow, idempotent
// on its id as POST /v1/events is. 202 means every one is durable; an error
// means none was stored.
func (a *app) createEvents(c *gin.Context) {
	body, err := readBody(c, a.maxBody)
	if err != nil {
		a.fail(c, err)
		return
	}
	var req batchRequest
	if err := unmarshalStrict(body, &req); err != nil {
		a.fail(c, err)
		return
	}
	switch {
	case len(req.Events) == 0:
		a.fail(c, invalidField("events", "must hold at least one event"))
		return
	case len(req.Events) > MaxBatch:
		a.fail(c, tooLarge(fmt.Sprintf("events: %d events is more than the limit of %d", len(req.Events), MaxBatch)))
		return
	}
	evs := make([]*models.Event, len(req.Events))
	seen := map[string]int{}
	for i := range req.Events {
		prefix := "events[" + strconv.Itoa(i) + "]"
		t, err := tenant(c, req.Events[i].Tenant)
		if err == nil {
			evs[i], err = a.eventFrom(&req.Events[i], t, c.GetHeader(SkipKeyHeader))
		}
		if err != nil {
			a.fail(c, prefixed(prefix, err))
			return
		}
		key := evs[i].Tenant + "\x00" + evs[i].ID
		if j, dup := seen[key]; dup && req.Events[i].ID != "" {
			a.fail(c, invalidField(prefix+".id", "repeats events["+strconv.Itoa(j)+"].id"))
			return
		}
		seen[key] = i
	}
	created, err := a.store.AdmitEvents(c.Request.Context(), evs)
	if err != nil {
		a.fail(c, err)
		return
	}
	a.admitted()
	ans := batchAnswer{Data: make([]triggerAnswer, len(evs))}
	for i, ev := range evs {
		ans.Data[i] = triggerAnswer{EventID: ev.ID, WorkflowID: ev.WorkflowID, Duplicate: !created[i]}
		if created[i] {
			a.metrics.EventReceived(ev.Tenant, ev.Type)
		}
	}
	c.JSON(http.StatusAccepted, ans)
}

// prefixed names the batch entry in an error's fields: "records" of the
// fourth event becomes "events[3].records".
func prefixed(prefix string, err error) error {
	var ve *models.ValidationError
	var he *httpError
	switch {
	case errors.As(err, &ve):
		out := &models.ValidationError{}
		for _, f := range ve.Fields {
			out.Add(prefix+"."+f.Field, f.Problem)
		}
		return out
	case errors.As(err, &he):
		details := make([]models.FieldError, len(he.details))
		for i, f := range he.details {
			details[i] = models.FieldError{Field: prefix + "." + f.Field, Problem: f.Problem}
		}
		return &httpError{status: he.status, code: he.code, message: prefix + ": " + he.message, details: details}
	}
	return err
}
