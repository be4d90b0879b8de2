package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hookflow/hookflow/internal/store"
	"github.com/hookflow/hookflow/models"
)

type deliveryStore interface {
	Delivery(ctx context.Context, tenant string, id int64) (*models.Delivery, error)
	Deliveries(ctx context.Context, q store.DeliveryQuery) ([]models.Delivery, error)
	Attempts(ctx context.Context, deliveryID int64) ([]models.Attempt, error)
}

type deliveryResponse struct {
	ID             int64                 `json:"id"`
	EventID        string                `json:"event_id"`
	HookID         int64                 `json:"hook_id"`
	Chunk          chunkResponse         `json:"chunk"`
	Records        int                   `json:"records"`
	Status         models.DeliveryStatus `json:"status"`
	Attempts       int                   `json:"attempts"`
	LastStatusCode int                   `json:"last_status_code,omitempty"`
	LastError      string                `json:"last_error,omitempty"`
	WorkflowID     string                `json:"workflow_id"`
	Redeliveries   int                   `json:"redeliveries"`
	CreatedAt      time.Time             `json:"created_at"`
	UpdatedAt      time.Time             `json:"updated_at"`
	CompletedAt    *time.Time            `json:"completed_at"`
	AttemptLog     []attemptResponse     `json:"attempt_log,omitempty"`
}

type chunkResponse struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

type attemptResponse struct {
	Number     int       `json:"number"`
	StartedAt  time.Time `json:"started_at"`
	StatusCode int       `json:"status_code,omitempty"`
	LatencyMS  int64     `json:"latency_ms"`
	Error      string    `json:"error,omitempty"`
	Response   string    `json:"response,omitempty"`
}

func newDeliveryResponse(d *models.Delivery) deliveryResponse {
	return deliveryResponse{
		ID: d.ID, EventID: d.EventID, HookID: d.HookID, Chunk: chunkResponse{d.Seq, d.Count}, Records: len(d.Records.V),
		Status: d.Status, Attempts: d.Attempts, LastStatusCode: d.LastStatusCode, LastError: d.LastError,
		WorkflowID: d.WorkflowID, Redeliveries: d.Redeliveries, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt, CompletedAt: d.CompletedAt,
	}
}

func (s *Server) getDelivery(c *gin.Context) error {
	id, err := PathID(c)
	if err != nil {
		return err
	}
	t, err := Tenant(c, "")
	if err != nil {
		return err
	}
	d, err := s.store.Delivery(c.Request.Context(), t, id)
	if err != nil {
		return err
	}
	as, err := s.store.Attempts(c.Request.Context(), d.ID)
	if err != nil {
		return err
	}
	out := newDeliveryResponse(d)
	out.AttemptLog = make([]attemptResponse, len(as))
	for i, at := range as {
		out.AttemptLog[i] = attemptResponse{at.Number, at.StartedAt, at.StatusCode, at.LatencyMS, at.Error, at.ResponseExcerpt}
	}
	c.JSON(http.StatusOK, out)
	return nil
}

// listHookDeliveries pages a hook's deliveries (GET /v1/hooks/{id}/deliveries).
func (s *Server) listHookDeliveries(c *gin.Context) error {
	h, err := s.loadHook(c)
	if err != nil {
		return err
	}
	return s.answerDeliveries(c, store.DeliveryQuery{Tenant: h.Tenant, HookID: h.ID})
}

// listDeliveries pages the deliveries of the caller's tenant, of one hook
// with ?hook_id= (GET /v1/deliveries).
func (s *Server) listDeliveries(c *gin.Context) error {
	t, hookID, err := tenantAndHook(c)
	if err != nil {
		return err
	}
	return s.answerDeliveries(c, store.DeliveryQuery{Tenant: t, HookID: hookID})
}

// answerDeliveries answers a page of the deliveries q selects, newest
// first, filtered by ?status= and ?since= / ?until= (RFC 3339, on creation time).
func (s *Server) answerDeliveries(c *gin.Context, q store.DeliveryQuery) error {
	pg, err := Page(c)
	if err != nil {
		return err
	}
	q.BeforeID, q.Limit = pg.Cursor, pg.Limit+1
	if v := c.Query("status"); v != "" {
		if q.Status = models.DeliveryStatus(v); !q.Status.Valid() {
			return InvalidField("status", "must be pending, throttled, succeeded, failed or skipped")
		}
	}
	if q.Since, err = timeQuery(c, "since"); err != nil {
		return err
	}
	if q.Until, err = timeQuery(c, "until"); err != nil {
		return err
	}
	ds, err := s.store.Deliveries(c.Request.Context(), q)
	if err != nil {
		return err
	}
	out := make([]deliveryResponse, len(ds))
	for i := range ds {
		out[i] = newDeliveryResponse(&ds[i])
	}
	c.JSON(http.StatusOK, PageOf(out, pg.Limit, func(d deliveryResponse) int64 { return d.ID }))
	return nil
}
