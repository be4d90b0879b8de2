package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/hookflow/hookflow/models"
	"golang.org/x/sync/errgroup"
)

// MaxBatch is how many events one POST /v1/events/batch may carry.
const MaxBatch = 1000

// batchStarts bounds the workflow starts a batch makes at once.
const batchStarts = 32

type batchRequest struct {
	Events []triggerRequest `json:"events"`
}

// batchAnswer lists, in request order, what became of each event. Error is
// set only on a 503: those events are stored but their workflow did not
// start; sending the batch again (same ids) starts them.
type batchAnswer struct {
	Data []batchResult `json:"data"`
}

type batchResult struct {
	triggerAnswer
	Error *apiError `json:"error,omitempty"`
}

// createEvents accepts up to MaxBatch triggers in one request: validated
// together (one bad event rejects the batch, naming events[i].field), stored
// in one transaction, and each started as its own workflow, idempotent on
// its id as POST /v1/events is. 202 means every one is durable.
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
	ctx := c.Request.Context()
	created, err := a.store.CreateEvents(ctx, evs)
	if err != nil {
		a.fail(c, err)
		return
	}
	ans := batchAnswer{Data: make([]batchResult, len(evs))}
	var g errgroup.Group
	g.SetLimit(batchStarts)
	for i, ev := range evs {
		g.Go(func() error {
			r, err := a.startFanout(ctx, ev, created[i])
			ans.Data[i].triggerAnswer = r
			if err != nil {
				ans.Data[i].EventID, ans.Data[i].WorkflowID = ev.ID, ev.WorkflowID
				ans.Data[i].Error = &apiError{Code: "unavailable", Message: "stored, but its workflow did not start; send the batch again"}
				return err
			}
			if created[i] {
				a.metrics.EventReceived(ev.Tenant, ev.Type)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		a.log.WarnContext(ctx, "batch: some workflows did not start", "err", err)
		c.Header("Retry-After", "5")
		c.JSON(http.StatusServiceUnavailable, ans)
		return
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
