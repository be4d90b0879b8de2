package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hookflow/hookflow/internal/store"
	"github.com/hookflow/hookflow/models"
)

type notificationResponse struct {
	ID        int64                   `json:"id"`
	Tenant    string                  `json:"tenant"`
	HookID    int64                   `json:"hook_id"`
	Kind      models.NotificationKind `json:"kind"`
	Recipient string                  `json:"recipient"`
	Subject   string                  `json:"subject"`
	Body      string                  `json:"body"`
	CreatedAt time.Time               `json:"created_at"`
	SentAt    *time.Time              `json:"sent_at"`
	Error     string                  `json:"error,omitempty"`
}

// listNotifications pages the mails hookflow sent or kept, newest first,
// filtered by ?hook_id=.
func (s *Server) listNotifications(c *gin.Context) error {
	t, hookID, err := tenantAndHook(c)
	if err != nil {
		return err
	}
	pg, err := Page(c)
	if err != nil {
		return err
	}
	q := store.NotificationQuery{Tenant: t, HookID: hookID, BeforeID: pg.Cursor, Limit: pg.Limit + 1}
	ns, err := s.store.Notifications(c.Request.Context(), q)
	if err != nil {
		return err
	}
	out := make([]notificationResponse, len(ns))
	for i, n := range ns {
		out[i] = notificationResponse{ID: n.ID, Tenant: n.Tenant, HookID: n.HookID, Kind: n.Kind, Recipient: n.Recipient,
			Subject: n.Subject, Body: n.Body, CreatedAt: n.CreatedAt, SentAt: n.SentAt, Error: n.Error}
	}
	c.JSON(http.StatusOK, PageOf(out, pg.Limit, func(n notificationResponse) int64 { return n.ID }))
	return nil
}

// tenantAndHook reads the caller's tenant and a list's ?hook_id= filter (0: every hook).
func tenantAndHook(c *gin.Context) (string, int64, error) {
	t, err := Tenant(c, "")
	if err != nil {
		return "", 0, err
	}
	hookID, err := idQuery(c, "hook_id")
	return t, hookID, err
}

// idQuery reads a positive id from the query; absent is 0.
func idQuery(c *gin.Context, name string) (int64, error) {
	v := c.Query(name)
	if v == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id < 1 {
		return 0, models.Invalid(name, "must be a positive whole number")
	}
	return id, nil
}
