// Package probe sends one signed test delivery to a hook's target,
// synchronously, and reports what the target answered.
package probe

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/hookflow/hookflow/internal/egress"
	"github.com/hookflow/hookflow/internal/payload"
	"github.com/hookflow/hookflow/internal/receiverauth"
	"github.com/hookflow/hookflow/models"
)

// TestEvent is the event type of a test delivery: "webhook.test" in the
// superoffice format, "Webhook.Test" in pipeliner, and so on.
const TestEvent = "webhook.test"

// TestHeader marks a test delivery, as SuperOffice marks its test event, so a
// receiver can answer 200 without acting on the sample record.
const TestHeader = "X-Hook-Test"

// Result is what the target answered, or why nothing came back.
type Result struct {
	StatusCode int
	Latency    time.Duration
	Header     http.Header
	Body       string // the first models.MaxResponseExcerpt bytes
	Error      string // set when there is no answer: refused, unreachable, timed out
}

// OK reports whether the target accepted the delivery with a 2xx, as a real
// delivery must (docs/spec.md §6).
func (r Result) OK() bool { return r.Error == "" && r.StatusCode >= 200 && r.StatusCode <= 299 }

// Sender makes test deliveries. It is safe for concurrent use.
type Sender struct {
	Receivers payload.Receivers
	Now       func() time.Time
}

// New returns a Sender that sends through r, as deliveries go.
func New(r payload.Receivers) *Sender { return &Sender{Receivers: r, Now: time.Now} }

// TestHook POSTs one sample record ({"id": 0}) to h's target in h's format,
// with its headers and receiver credentials and signed as its deliveries are (with both secrets during
// a rotation), through the same code as the delivery worker, and reports the
// answer. A target that cannot be reached is a Result with Error set; the
// error return is kept for a request that cannot be built.
func (s *Sender) TestHook(ctx context.Context, h *models.Hook) (Result, error) {
	start := s.Now()
	msg := &payload.Message{
		// Fresh ids every time: receivers that drop repeated ids must still see each test.
		DeliveryID: rand.Int64N(math.MaxInt64) + 1, EventID: uuid.NewString(),
		Tenant: h.Tenant, EventType: TestEvent, OccurredAt: start.UTC(),
		Records: []models.Record{{Data: map[string]any{"id": 0}}},
		Chunk:   payload.Chunk{Index: 0, Count: 1},
	}
	p, err := payload.Render(h, msg, start)
	if err != nil {
		return Result{}, fmt.Errorf("render test delivery for hook %d: %w", h.ID, err)
	}
	p.Header.Set(TestHeader, "true")
	reply, err := payload.Send(ctx, s.Receivers, h, p, models.MaxResponseExcerpt)
	if errors.Is(err, payload.ErrUnsendable) { // its text would quote the URL, which may hold a credential
		return Result{Error: egress.ErrInvalidTarget.Error()}, nil
	}
	if err != nil {
		// Described, so a test cannot show resolved addresses or the resolver's.
		return Result{Latency: s.Now().Sub(start), Error: receiverauth.Describe(err)}, nil
	}
	return Result{StatusCode: reply.StatusCode, Latency: s.Now().Sub(start), Header: reply.Header,
		Body: strings.ToValidUTF8(string(reply.Body), "\uFFFD")}, nil
}
