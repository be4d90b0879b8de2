package api

import (
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
)

// Page sizes of every list.
const (
	defaultLimit = 50
	maxLimit     = 500
)

type pageParams struct {
	cursor int64
	limit  int
}

// page reads ?limit= and ?cursor= (the next_cursor of the previous page).
func page(c *gin.Context) (pageParams, error) {
	p := pageParams{limit: defaultLimit}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			return p, invalidField("limit", "must be a whole number from 1 to 500")
		}
		p.limit = n
	}
	if v := c.Query("cursor"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return p, invalidField("cursor", "is not a cursor this API returned")
		}
		p.cursor = n
	}
	return p, nil
}

// listBody is the shape of every list answer.
type listBody[T any] struct {
	Data       []T    `json:"data"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// pageOf cuts a page from items fetched with limit+1: the extra item only
// tells that another page exists, and its predecessor's id is the cursor.
func pageOf[T any](items []T, limit int, id func(T) int64) listBody[T] {
	if len(items) <= limit {
		return listBody[T]{Data: items}
	}
	items = items[:limit]
	return listBody[T]{Data: items, NextCursor: strconv.FormatInt(id(items[limit-1]), 10)}
}

// pathID reads the numeric {id} of the path.
func pathID(c *gin.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, invalidField("id", "must be a positive whole number")
	}
	return id, nil
}

// timeQuery reads an RFC 3339 time from the query; absent is the zero time.
func timeQuery(c *gin.Context, name string) (time.Time, error) {
	v := c.Query(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, invalidField(name, "must be an RFC 3339 time such as 2026-01-02T15:04:05Z")
	}
	return t, nil
}
