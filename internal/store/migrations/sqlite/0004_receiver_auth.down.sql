ALTER TABLE hooks DROP COLUMN receiver_auth;
