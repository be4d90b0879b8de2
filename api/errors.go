package api

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/hookflow/hookflow/internal/store"
	"github.com/hookflow/hookflow/models"
	"go.temporal.io/api/serviceerror"
)

// Handler serves one request. An error it returns is the answer: fail turns
// it into the API's error shape, in one place for every product.
type Handler func(c *gin.Context) error

// handle adapts h to Gin.
func (s *Server) handle(h Handler) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := h(c); err != nil {
			fail(c, s.log, err)
		}
	}
}

// errorBody is the one error shape of the API (docs/spec.md §2).
type errorBody struct {
	Error apiError `json:"error"`
}

type apiError struct {
	Code    string              `json:"code"`
	Message string              `json:"message"`
	Details []models.FieldError `json:"details,omitempty"`
}

// httpError is an error that knows its answer.
type httpError struct {
	status  int
	code    string
	message string
	details []models.FieldError
}

func (e *httpError) Error() string { return e.message }

// NewError returns an error answered with status, the code and the message.
func NewError(status int, code, message string, details ...models.FieldError) error {
	return &httpError{status: status, code: code, message: message, details: details}
}

var (
	errUnauthorized = NewError(http.StatusUnauthorized, "unauthorized", "missing or unknown API key: send Authorization: Bearer <key>")
	// ErrNotFound is the 404 of a resource that does not exist, or not for
	// the caller's tenant.
	ErrNotFound = NewError(http.StatusNotFound, "not_found", "no such resource")
)

// InvalidField is a 400 naming one field and its problem.
func InvalidField(field, problem string) error {
	return NewError(http.StatusBadRequest, "validation_failed", field+": "+problem, models.FieldError{Field: field, Problem: problem})
}

func tooLarge(message string) error {
	return NewError(http.StatusRequestEntityTooLarge, "payload_too_large", message)
}

// fail answers err in the API's error shape. It is the one place errors
// become statuses: bad input 4xx, an unreachable database or Temporal 503,
// anything else 500 (logged, never shown).
func fail(c *gin.Context, log *slog.Logger, err error) {
	var he *httpError
	var ve *models.ValidationError
	var unavailable *serviceerror.Unavailable
	switch {
	case errors.As(err, &he):
	case errors.As(err, &ve):
		he = &httpError{http.StatusBadRequest, "validation_failed", ve.Error(), ve.Fields}
	case errors.Is(err, store.ErrUnstorableText):
		he = &httpError{http.StatusBadRequest, "validation_failed", "a text field holds a NUL character, which cannot be stored", nil}
	case errors.Is(err, store.ErrNotFound):
		he = ErrNotFound.(*httpError)
	case errors.Is(err, store.ErrUnavailable), errors.As(err, &unavailable), errors.Is(err, errTemporalDown):
		he = &httpError{http.StatusServiceUnavailable, "unavailable", "a backing service is unavailable; retry later", nil}
		c.Header("Retry-After", "5")
		log.WarnContext(c.Request.Context(), "backing service unavailable", "err", err, "path", c.FullPath())
	default:
		he = &httpError{http.StatusInternalServerError, "internal", "internal error; it has been logged", nil}
		log.ErrorContext(c.Request.Context(), "request failed", "err", err, "path", c.FullPath())
	}
	c.AbortWithStatusJSON(he.status, errorBody{apiError{he.code, he.message, he.details}})
}
