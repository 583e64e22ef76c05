-- KeyHub schema v1 (SQLite). Keep in step with migrations/postgres/0001_init.sql.
-- Times are Unix milliseconds (BIGINT), ids are UUID text, flags are 0/1.

CREATE TABLE vault_meta (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE organizations (
    id                  TEXT PRIMARY KEY,
    slug                TEXT NOT NULL UNIQUE CHECK (length(slug) BETWEEN 1 AND 64),
    name                TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    allow_personal_keys INTEGER NOT NULL DEFAULT 1 CHECK (allow_personal_keys IN (0, 1)),
    allow_platform_keys INTEGER NOT NULL DEFAULT 1 CHECK (allow_platform_keys IN (0, 1)),
    created_at          INTEGER NOT NULL
);

CREATE TABLE users (
    id         TEXT PRIMARY KEY,
    email      TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE TABLE provider_keys (
    id                     TEXT PRIMARY KEY,
    org_id                 TEXT NOT NULL REFERENCES organizations (id),
    scope                  TEXT NOT NULL CHECK (scope IN ('org', 'personal')),
    owner_user_id          TEXT REFERENCES users (id),
    provider               TEXT NOT NULL,
    key_family             TEXT NOT NULL,
    nickname               TEXT CHECK (nickname IS NULL OR length(nickname) <= 80),
    secret_ciphertext      TEXT,
    hint                   TEXT NOT NULL,
    fingerprint            TEXT,
    api_base               TEXT,
    options                TEXT NOT NULL DEFAULT '{}',
    role                   TEXT NOT NULL DEFAULT 'none' CHECK (role IN ('primary', 'fallback', 'none')),
    fallback_rank          INTEGER,
    enabled                INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    status                 TEXT NOT NULL DEFAULT 'unverified' CHECK (status IN (
                               'unverified', 'valid', 'valid_restricted', 'invalid', 'expired', 'no_credits',
                               'rate_limited', 'forbidden', 'provider_down', 'network_error', 'unsupported')),
    cooldown_until         INTEGER,
    last_validated_at      INTEGER,
    last_success_at        INTEGER,
    last_error_code        TEXT,
    last_error_http_status INTEGER,
    last_error_message     TEXT,
    rotate_by              INTEGER,
    created_at             INTEGER NOT NULL,
    created_by             TEXT,
    updated_at             INTEGER NOT NULL,
    updated_by             TEXT,
    rotated_at             INTEGER,
    rotated_by             TEXT,
    deleted_at             INTEGER,
    deleted_by             TEXT,
    CHECK ((scope = 'org') = (owner_user_id IS NULL)),
    CHECK ((role = 'fallback') = (fallback_rank IS NOT NULL)),
    CHECK (fallback_rank IS NULL OR fallback_rank >= 1),
    -- A live key has its ciphertext; a deleted one has it wiped.
    CHECK ((deleted_at IS NULL) = (secret_ciphertext IS NOT NULL))
);

-- One primary per (org, scope, owner, key family). NULLs are distinct in unique indexes on both
-- databases, so the owner is coalesced: org keys have none.
CREATE UNIQUE INDEX provider_keys_one_primary
    ON provider_keys (org_id, scope, COALESCE(owner_user_id, ''), key_family)
    WHERE role = 'primary' AND deleted_at IS NULL;

-- Resolution and listing: live keys of one org and family.
CREATE INDEX provider_keys_by_family
    ON provider_keys (org_id, key_family, role, fallback_rank)
    WHERE deleted_at IS NULL;

CREATE INDEX provider_keys_by_fingerprint
    ON provider_keys (org_id, fingerprint)
    WHERE deleted_at IS NULL;
