DROP INDEX events_unplanned;
ALTER TABLE events DROP COLUMN planned_at;
DROP TABLE hook_pace;
ALTER TABLE hooks DROP COLUMN ordering;
ALTER TABLE hooks DROP COLUMN rate_limit;
