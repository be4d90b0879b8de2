SET lock_timeout = '10s';

CREATE TABLE hooks (
    id                      BIGSERIAL PRIMARY KEY,
    tenant                  TEXT        NOT NULL,
    name                    TEXT        NOT NULL DEFAULT '',
    events                  TEXT        NOT NULL,
    target_url              TEXT        NOT NULL,
    secret                  TEXT        NOT NULL,
    state                   TEXT        NOT NULL,
    type                    TEXT        NOT NULL,
    format                  TEXT        NOT NULL,
    headers                 TEXT        NOT NULL DEFAULT '{}',
    properties              TEXT        NOT NULL DEFAULT '{}',
    errors_email            TEXT        NOT NULL DEFAULT '',
    insecure_ssl            BOOLEAN     NOT NULL DEFAULT FALSE,
    options                 TEXT        NOT NULL DEFAULT '{}',
    previous_secret         TEXT        NOT NULL DEFAULT '',
    previous_secret_expires TIMESTAMPTZ,
    registered              TIMESTAMPTZ NOT NULL,
    registered_by           TEXT        NOT NULL DEFAULT '',
    updated                 TIMESTAMPTZ NOT NULL,
    updated_by              TEXT        NOT NULL DEFAULT '',
    error_count             INTEGER     NOT NULL DEFAULT 0,
    failing_since           TIMESTAMPTZ,
    last_error              TEXT        NOT NULL DEFAULT ''
);
CREATE INDEX hooks_tenant_id ON hooks (tenant, id);

-- One row per event pattern of a hook, lower-cased: matching an event is an
-- index lookup whose cost does not grow with the number of hooks.
CREATE TABLE hook_patterns (
    hook_id BIGINT NOT NULL REFERENCES hooks (id) ON DELETE CASCADE,
    tenant  TEXT   NOT NULL,
    entity  TEXT   NOT NULL,
    action  TEXT   NOT NULL,
    PRIMARY KEY (hook_id, entity, action)
);
CREATE INDEX hook_patterns_match ON hook_patterns (tenant, entity, action);

CREATE TABLE events (
    pk            BIGSERIAL PRIMARY KEY,
    id            TEXT        NOT NULL,
    tenant        TEXT        NOT NULL,
    type          TEXT        NOT NULL,
    occurred_at   TIMESTAMPTZ NOT NULL,
    received_at   TIMESTAMPTZ NOT NULL,
    actor         TEXT        NOT NULL DEFAULT '',
    custom_entity TEXT        NOT NULL DEFAULT '',
    skip_key      TEXT        NOT NULL DEFAULT '',
    record_count  INTEGER     NOT NULL,
    body          BYTEA       NOT NULL,
    workflow_id   TEXT        NOT NULL,
    UNIQUE (tenant, id)
);

-- Deliveries keep their hook_id after the hook is deleted: the log stays.
CREATE TABLE deliveries (
    id               BIGSERIAL PRIMARY KEY,
    tenant           TEXT        NOT NULL,
    event_pk         BIGINT      NOT NULL REFERENCES events (pk) ON DELETE CASCADE,
    event_id         TEXT        NOT NULL,
    hook_id          BIGINT      NOT NULL,
    seq              INTEGER     NOT NULL,
    count            INTEGER     NOT NULL,
    records          TEXT        NOT NULL,
    status           TEXT        NOT NULL,
    attempts         INTEGER     NOT NULL DEFAULT 0,
    last_status_code INTEGER     NOT NULL DEFAULT 0,
    last_error       TEXT        NOT NULL DEFAULT '',
    workflow_id      TEXT        NOT NULL DEFAULT '',
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    completed_at     TIMESTAMPTZ,
    UNIQUE (event_pk, hook_id, seq)
);
CREATE INDEX deliveries_hook ON deliveries (hook_id, id);
CREATE INDEX deliveries_hook_status ON deliveries (hook_id, status, created_at);

CREATE TABLE attempts (
    id               BIGSERIAL PRIMARY KEY,
    delivery_id      BIGINT      NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    number           INTEGER     NOT NULL,
    started_at       TIMESTAMPTZ NOT NULL,
    status_code      INTEGER     NOT NULL DEFAULT 0,
    latency_ms       BIGINT      NOT NULL DEFAULT 0,
    error            TEXT        NOT NULL DEFAULT '',
    response_excerpt TEXT        NOT NULL DEFAULT '',
    UNIQUE (delivery_id, number)
);
