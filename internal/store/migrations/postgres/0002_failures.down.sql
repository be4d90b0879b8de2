DROP TABLE notifications;
ALTER TABLE events DROP COLUMN about_hook_id;
ALTER TABLE deliveries DROP COLUMN redeliveries;
ALTER TABLE hooks DROP COLUMN disabled_by;
