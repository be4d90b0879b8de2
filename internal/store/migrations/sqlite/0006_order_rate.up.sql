-- Issue 18: a hook's rate limit and ordering (docs/spec.md §7).
ALTER TABLE hooks ADD COLUMN rate_limit INTEGER NOT NULL DEFAULT 0;
ALTER TABLE hooks ADD COLUMN ordering   TEXT    NOT NULL DEFAULT 'none';

-- A rate-limited hook's pace, shared by every worker: slot_at is the next
-- send time to hand out, gate_at the earliest time the next request may
-- start (the last start plus one interval, or a receiver's Retry-After).
-- Both are Unix microseconds, so the arithmetic is the same on both databases.
CREATE TABLE hook_pace (
    hook_id INTEGER PRIMARY KEY REFERENCES hooks (id) ON DELETE CASCADE,
    slot_at BIGINT NOT NULL DEFAULT 0,
    gate_at BIGINT NOT NULL DEFAULT 0
);

-- planned_at is set once an event's plan has written its deliveries. A
-- fifo hook's lane sends a delivery only when no older event of its tenant
-- is still unplanned (it might yet reach the hook and must go first). The
-- events before this migration have all been planned or will be replanned
-- by their workflows: they count as planned.
ALTER TABLE events ADD COLUMN planned_at DATETIME;
UPDATE events SET planned_at = received_at;
CREATE INDEX events_unplanned ON events (tenant, received_at, id) WHERE planned_at IS NULL;
