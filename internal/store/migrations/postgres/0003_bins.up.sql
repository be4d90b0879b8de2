SET lock_timeout = '10s';

-- Request bins (docs/spec.md §10). The id is random text, not a serial: it is the
-- capability that lets anyone who knows it send to the bin and read it.
CREATE TABLE bins (
    id         TEXT        PRIMARY KEY,
    tenant     TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX bins_expires_at ON bins (expires_at);

CREATE TABLE bin_requests (
    id          BIGSERIAL PRIMARY KEY,
    bin_id      TEXT        NOT NULL REFERENCES bins (id) ON DELETE CASCADE,
    received_at TIMESTAMPTZ NOT NULL,
    method      TEXT        NOT NULL,
    path        TEXT        NOT NULL,
    query       TEXT        NOT NULL DEFAULT '',
    headers     TEXT        NOT NULL DEFAULT '{}',
    body        BYTEA       NOT NULL,
    truncated   BOOLEAN     NOT NULL DEFAULT FALSE,
    remote_addr TEXT        NOT NULL DEFAULT ''
);
-- Newest first per bin, and the cut that keeps only the newest 1,000.
CREATE INDEX bin_requests_bin ON bin_requests (bin_id, id);
