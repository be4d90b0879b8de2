SET lock_timeout = '10s';

DROP INDEX bins_created_at;
DROP INDEX notifications_created_at;
DROP INDEX events_received_at;
