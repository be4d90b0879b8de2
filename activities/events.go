package activities

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"sync"

	"github.com/hashicorp/golang-lru/v2/simplelru"
	"github.com/hookflow/hookflow/internal/store"
	"github.com/hookflow/hookflow/models"
	"go.temporal.io/sdk/temporal"
	"golang.org/x/sync/singleflight"
)

type eventLoader interface {
	EventByPK(ctx context.Context, pk int64) (*models.Event, error)
}

// EventCacheBytes bounds the decoded events a worker keeps: events never
// change, and one event is read once per hook and per chunk, so decoding it
// each time would cost the most on the largest events. Bounded in bytes, not
// in events: 512 events of 1 MiB decoded held gigabytes.
const EventCacheBytes = 32 << 20

// EventCache keeps decoded event bodies, least recently used first out, at
// most EventCacheBytes of them by an estimate of their size in memory. The
// planner and the sender of a worker share one. It is safe for concurrent use.
type EventCache struct {
	mu    sync.Mutex
	lru   *simplelru.LRU[int64, *loadedEvent]
	bytes int64
	max   int64
	// loads shares one read and decode among the attempts that miss the
	// cache for the same event at once: a fan-out's sends start together.
	loads singleflight.Group
}

type loadedEvent struct {
	*models.Event // without its raw Body: the decoded one is kept instead
	Body          *models.EventBody
	rawSize       int64 // the stored body's length, which bounds any delivery's body
	size          int64 // estimated bytes in memory
}

// NewEventCache returns a cache holding at most maxBytes of decoded events.
func NewEventCache(maxBytes int64) *EventCache {
	c := &EventCache{max: maxBytes}
	// Evictions come from the size bound below, never from the count.
	c.lru, _ = simplelru.NewLRU[int64, *loadedEvent](1<<30, func(_ int64, e *loadedEvent) { c.bytes -= e.size })
	return c
}

func (c *EventCache) get(pk int64) (*loadedEvent, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Get(pk)
}

// add keeps e unless it alone is larger than the cache, dropping the least
// recently used events until the rest fit.
func (c *EventCache) add(pk int64, e *loadedEvent) {
	if e.size > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lru.Contains(pk) {
		return
	}
	c.lru.Add(pk, e)
	c.bytes += e.size
	for c.bytes > c.max {
		c.lru.RemoveOldest()
	}
}

// Bytes reports the estimated bytes the cache holds.
func (c *EventCache) Bytes() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
}

func (c *EventCache) load(ctx context.Context, s eventLoader, pk int64) (*loadedEvent, error) {
	if e, ok := c.get(pk); ok {
		return e, nil
	}
	e, err, _ := c.loads.Do(strconv.FormatInt(pk, 10), func() (any, error) { return c.decode(ctx, s, pk) })
	if err != nil {
		return nil, err
	}
	return e.(*loadedEvent), nil
}

// decode reads and decodes an event and caches it when it fits.
func (c *EventCache) decode(ctx context.Context, s eventLoader, pk int64) (*loadedEvent, error) {
	ev, err := s.EventByPK(ctx, pk)
	if errors.Is(err, store.ErrNotFound) {
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeNotFound, err)
	}
	if err != nil {
		return nil, err
	}
	body, err := ev.DecodeBody()
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError("decode stored event", ErrTypeBadPayload, err)
	}
	e := &loadedEvent{Event: ev, Body: body, rawSize: int64(len(ev.Body))}
	ev.Body = nil
	e.size = sizeOf(body.Records) + sizeOf(body.Previous) + int64(len(body.Changes))*24
	for _, cs := range body.Changes {
		for _, f := range cs {
			e.size += int64(len(f)) + 16
		}
	}
	c.add(pk, e)
	return e, nil
}

// sizeOf estimates the bytes a decoded JSON value holds on a 64-bit Go
// runtime: headers of strings, slices and interfaces, and map buckets at
// about 50 bytes a member besides the key and value.
func sizeOf(x any) int64 {
	switch x := x.(type) {
	case string:
		return 16 + int64(len(x))
	case json.Number:
		return 16 + int64(len(x))
	case map[string]any:
		n := int64(48)
		for k, v := range x {
			n += 50 + int64(len(k)) + sizeOf(v)
		}
		return n
	case []any:
		n := int64(24)
		for _, v := range x {
			n += 16 + sizeOf(v)
		}
		return n
	case []map[string]any:
		n := int64(24)
		for _, v := range x {
			n += 8 + sizeOf(v)
		}
		return n
	}
	return 16 // nil, bool
}
