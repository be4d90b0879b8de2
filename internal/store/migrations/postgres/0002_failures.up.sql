SET lock_timeout = '10s';

-- The transition that turned a hook TooManyErrors (the failed delivery and
-- its redelivery number): a retried FailDelivery recognises its own transition,
-- so the mail and the webhook.errors event are never lost to a retry.
ALTER TABLE hooks ADD COLUMN disabled_by TEXT NOT NULL DEFAULT '';

-- How many times a delivery was sent again (redeliver, recover). It names the
-- redelivery workflow, so a double click starts one redelivery.
ALTER TABLE deliveries ADD COLUMN redeliveries INTEGER NOT NULL DEFAULT 0;

-- State-change events (webhook.started|stopped|errors) name the hook they are
-- about, so hooks subscribed to webhook{id}.errors match; 0 for CRM triggers.
ALTER TABLE events ADD COLUMN about_hook_id BIGINT NOT NULL DEFAULT 0;

-- Every mail hookflow sends or would send, kept whether SMTP is configured or not.
CREATE TABLE notifications (
    id         BIGSERIAL PRIMARY KEY,
    tenant     TEXT        NOT NULL,
    hook_id    BIGINT      NOT NULL,
    kind       TEXT        NOT NULL,
    key        TEXT        NOT NULL UNIQUE,
    recipient  TEXT        NOT NULL DEFAULT '',
    subject    TEXT        NOT NULL,
    body       TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    sent_at    TIMESTAMPTZ,
    error      TEXT        NOT NULL DEFAULT ''
);
CREATE INDEX notifications_tenant ON notifications (tenant, id);
