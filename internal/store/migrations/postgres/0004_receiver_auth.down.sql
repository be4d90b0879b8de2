SET lock_timeout = '10s';

ALTER TABLE hooks DROP COLUMN receiver_auth;
