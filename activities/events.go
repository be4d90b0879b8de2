package activities

import (
	"context"
	"errors"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/hookflow/hookflow/internal/store"
	"github.com/hookflow/hookflow/models"
	"go.temporal.io/sdk/temporal"
)

type eventLoader interface {
	EventByPK(ctx context.Context, pk int64) (*models.Event, error)
}

// eventCache keeps decoded event bodies: events never change, and one event
// is read once per hook and per chunk, so decoding it each time would cost
// the most on the largest events.
type eventCache struct {
	small, large *lru.Cache[int64, *loadedEvent]
}

type loadedEvent struct {
	*models.Event
	Body *models.EventBody
}

// Bodies above largeBody get a cache of their own with few slots, so a burst
// of 5 MiB events cannot hold gigabytes.
const largeBody = 1 << 20

func newEventCache() *eventCache {
	small, _ := lru.New[int64, *loadedEvent](512) // New fails only for a size <= 0
	large, _ := lru.New[int64, *loadedEvent](4)
	return &eventCache{small: small, large: large}
}

func (c *eventCache) load(ctx context.Context, s eventLoader, pk int64) (*loadedEvent, error) {
	if e, ok := c.small.Get(pk); ok {
		return e, nil
	}
	if e, ok := c.large.Get(pk); ok {
		return e, nil
	}
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
	e := &loadedEvent{Event: ev, Body: body}
	if len(ev.Body) > largeBody {
		c.large.Add(pk, e)
	} else {
		c.small.Add(pk, e)
	}
	return e, nil
}
