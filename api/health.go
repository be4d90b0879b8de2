package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"
)

// healthz answers while the process runs; it checks nothing else.
func (a *app) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// readyz answers 200 when the database answers: that is all a trigger
// needs, as admission stores the event and a worker starts its workflow
// whenever Temporal is there. Temporal is checked too and reported, but
// does not make the API unready: with Temporal away triggers are still
// accepted (they wait, queued), only redeliveries and recoveries answer 503.
func (a *app) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 3*time.Second)
	defer cancel()
	checks := gin.H{"database": "ok", "temporal": "ok"}
	status := http.StatusOK
	if err := a.store.Ping(ctx); err != nil {
		a.log.WarnContext(ctx, "readiness: database unavailable", "err", err)
		checks["database"], status = "unavailable", http.StatusServiceUnavailable
	}
	if _, err := a.temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		a.log.WarnContext(ctx, "readiness: temporal unavailable (triggers are still accepted)", "err", err)
		checks["temporal"] = "unavailable"
	}
	c.JSON(status, gin.H{"status": map[bool]string{true: "ready", false: "unavailable"}[status == http.StatusOK], "checks": checks})
}
