-- The activity (audit) log (PostgreSQL). Keep in step with migrations/sqlite/0004_activity.sql.
-- An event names who did what to which thing, by id and hint or name: never a secret.

CREATE TABLE activity (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES organizations (id),
    actor_user_id TEXT REFERENCES users (id),
    actor_label   TEXT NOT NULL,
    action        TEXT NOT NULL,
    target_kind   TEXT NOT NULL CHECK (target_kind IN ('key', 'member', 'token', 'invite', 'org')),
    target_id     TEXT NOT NULL,
    target_label  TEXT NOT NULL,
    provider      TEXT,
    detail        TEXT NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL
);
CREATE INDEX activity_by_org ON activity (org_id, created_at, id);
