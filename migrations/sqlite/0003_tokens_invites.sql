-- API tokens and invite links (SQLite). Keep in step with migrations/postgres/0003_tokens_invites.sql.

-- A token is shown once; only its SHA-256 is kept (the token is 256 random bits, so a fast hash is
-- enough), with a short prefix that lets admins tell tokens apart.
CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES organizations (id),
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    secret_hash  TEXT NOT NULL UNIQUE,
    scopes       TEXT NOT NULL,
    created_by   TEXT REFERENCES users (id),
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    last_used_at INTEGER,
    revoked_at   INTEGER,
    revoked_by   TEXT REFERENCES users (id)
);
CREATE INDEX api_tokens_by_org ON api_tokens (org_id, created_at);

-- An invite link lets one person join one org with one role, once, before it expires.
CREATE TABLE invites (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations (id),
    email       TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    secret_hash TEXT NOT NULL UNIQUE,
    created_by  TEXT NOT NULL REFERENCES users (id),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    accepted_at INTEGER,
    accepted_by TEXT REFERENCES users (id),
    revoked_at  INTEGER
);
CREATE INDEX invites_by_org ON invites (org_id, created_at);
