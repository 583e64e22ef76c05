-- Experts and assistants (SPEC.md §6) and the key each of their slots uses (PostgreSQL).
-- Keep in step with migrations/sqlite/0006_consumers.sql.

-- Lets other tables point at a key of one org only.
CREATE UNIQUE INDEX provider_keys_org_and_id ON provider_keys (org_id, id);

-- Things that use keys: experts, and assistants (which may build on an expert of the same org).
-- The owner is the member who created it (none when an API token did); their personal keys
-- count for it.
CREATE TABLE consumers (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organizations (id),
    kind          TEXT NOT NULL CHECK (kind IN ('expert', 'assistant')),
    owner_user_id TEXT REFERENCES users (id),
    name          TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 120),
    description   TEXT NOT NULL DEFAULT '' CHECK (char_length(description) <= 2000),
    expert_id     TEXT,
    created_at    BIGINT NOT NULL,
    created_by    TEXT,
    updated_at    BIGINT NOT NULL,
    updated_by    TEXT,
    UNIQUE (org_id, id),
    CHECK (kind = 'assistant' OR expert_id IS NULL),
    FOREIGN KEY (org_id, expert_id) REFERENCES consumers (org_id, id)
);

CREATE INDEX consumers_by_org ON consumers (org_id, kind, name);

-- One row per slot in use: chat (the expert's or assistant's model), stt, tts, image. `key_id`
-- NULL means "Use main key"; a chosen key stays named after it is disabled or deleted, so the
-- consumer can say so.
CREATE TABLE consumer_slots (
    org_id      TEXT NOT NULL,
    consumer_id TEXT NOT NULL,
    modality    TEXT NOT NULL CHECK (modality IN ('chat', 'stt', 'tts', 'image')),
    provider    TEXT NOT NULL CHECK (char_length(provider) BETWEEN 1 AND 80),
    model       TEXT CHECK (model IS NULL OR char_length(model) BETWEEN 1 AND 200),
    voice       TEXT CHECK (voice IS NULL OR char_length(voice) BETWEEN 1 AND 200),
    key_id      TEXT,
    PRIMARY KEY (consumer_id, modality),
    FOREIGN KEY (org_id, consumer_id) REFERENCES consumers (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, key_id) REFERENCES provider_keys (org_id, id)
);

-- "Which experts and assistants use this key?"
CREATE INDEX consumer_slots_by_key ON consumer_slots (org_id, key_id) WHERE key_id IS NOT NULL;

-- The activity log names experts, assistants and the platform key (a reveal) too.
ALTER TABLE activity DROP CONSTRAINT activity_target_kind_check;
ALTER TABLE activity ADD CONSTRAINT activity_target_kind_check CHECK (target_kind IN (
    'key', 'member', 'token', 'invite', 'org', 'expert', 'assistant', 'platform_key'));

-- What the gateway did with each key, written in batches (never on a request's path).
CREATE TABLE key_usage (
    key_id          TEXT PRIMARY KEY REFERENCES provider_keys (id),
    org_id          TEXT NOT NULL REFERENCES organizations (id),
    requests        BIGINT NOT NULL DEFAULT 0,
    rate_limited    BIGINT NOT NULL DEFAULT 0,
    no_credits      BIGINT NOT NULL DEFAULT 0,
    rejected        BIGINT NOT NULL DEFAULT 0,
    provider_failed BIGINT NOT NULL DEFAULT 0,
    unreachable     BIGINT NOT NULL DEFAULT 0,
    last_used_at    BIGINT,
    last_failure_at BIGINT,
    last_failure    TEXT
);
CREATE INDEX key_usage_by_org ON key_usage (org_id);
