SET lock_timeout = '10s';

-- A hook's receiver credentials (receiver_auth), sealed like its secrets:
-- empty, or "enc:v1:<key id>:<ciphertext>" (internal/seal). SQL cannot
-- encrypt, so secrets stored in clear before this version are sealed by
-- `hookflow migrate` right after the migrations (store.SealPlaintext).
ALTER TABLE hooks ADD COLUMN receiver_auth TEXT NOT NULL DEFAULT '';
