SET lock_timeout = '10s';

-- Durable admission (docs/architecture.md): a trigger is answered 202 once
-- its event and its row here are committed; a dispatcher in the worker
-- starts the event's workflow and deletes the row. A row here is an event
-- whose workflow has not started yet (GET /v1/events/{id} says "queued").
--
-- turn orders the dispatch fairly across tenants: a tenant's events take
-- consecutive turns, and a tenant with nothing queued starts at the turn
-- being dispatched now, so one tenant's backlog never holds back another's.
-- claimed_until is a dispatcher's lease: a claim of a killed worker expires.
CREATE TABLE event_queue (
    event_pk      BIGINT      PRIMARY KEY REFERENCES events (pk) ON DELETE CASCADE,
    tenant        TEXT        NOT NULL,
    turn          BIGINT      NOT NULL,
    queued_at     TIMESTAMPTZ NOT NULL,
    claimed_until TIMESTAMPTZ
);
CREATE INDEX event_queue_turn ON event_queue (turn, event_pk);
CREATE INDEX event_queue_tenant_turn ON event_queue (tenant, turn);
