SET lock_timeout = '10s';

-- Retention (HOOKFLOW_RETENTION, docs/operations.md#retention): a schedule
-- deletes what is older than the retention a page at a time, oldest first.
-- These indexes find those pages without scanning the tables. Deliveries
-- (by event_pk), attempts (by delivery_id) and bin requests (by bin_id) are
-- found through the indexes their unique keys already make.
CREATE INDEX events_received_at ON events (received_at);
CREATE INDEX notifications_created_at ON notifications (created_at);
CREATE INDEX bins_created_at ON bins (created_at);
