package api

import (
	"errors"
	"regexp"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
)

// Page sizes of every list.
const (
	defaultLimit = 50
	// MaxLimit is the largest page a list answers.
	MaxLimit = 500
)

// PageParams are a list request's ?cursor= and ?limit=.
type PageParams struct {
	Cursor int64
	Limit  int
}

// Page reads ?limit= and ?cursor= (the next_cursor of the previous page).
func Page(c *gin.Context) (PageParams, error) {
	p := PageParams{Limit: defaultLimit}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxLimit {
			return p, InvalidField("limit", "must be a whole number from 1 to 500")
		}
		p.Limit = n
	}
	if v := c.Query("cursor"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return p, InvalidField("cursor", "is not a cursor this API returned")
		}
		p.Cursor = n
	}
	return p, nil
}

// List is the shape of every list answer.
type List[T any] struct {
	Data       []T    `json:"data"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// PageOf cuts a page from items fetched with limit+1: the extra item only
// tells that another page exists, and its predecessor's id is the cursor.
func PageOf[T any](items []T, limit int, id func(T) int64) List[T] {
	if len(items) <= limit {
		return List[T]{Data: items}
	}
	items = items[:limit]
	return List[T]{Data: items, NextCursor: strconv.FormatInt(id(items[limit-1]), 10)}
}

// PathID reads the numeric {id} of the path.
func PathID(c *gin.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, InvalidField("id", "must be a positive whole number")
	}
	return id, nil
}

// timeQuery reads an RFC 3339 time from the query; absent is the zero time.
func timeQuery(c *gin.Context, name string) (time.Time, error) {
	v := c.Query(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := parseRFC3339(v)
	if err != nil {
		return time.Time{}, InvalidField(name, "must be an RFC 3339 time such as 2026-01-02T15:04:05Z")
	}
	return t, nil
}

// rfc3339 is the shape RFC 3339 gives a date-time: time.Parse alone also
// takes a one-digit hour (T0:00:00Z), which the OpenAPI document's
// date-time format, and a client's own check, would refuse.
var rfc3339 = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$`)

var errNotRFC3339 = errors.New("not an RFC 3339 time")

// parseRFC3339 reads an RFC 3339 date-time, fractional seconds optional.
func parseRFC3339(s string) (time.Time, error) {
	if !rfc3339.MatchString(s) {
		return time.Time{}, errNotRFC3339
	}
	return time.Parse(time.RFC3339Nano, s)
}
