-- Leases for background jobs (SQLite). Keep in step with migrations/postgres/0005_job_leases.sql.
-- Several KeyHub instances may share one database: a job runs where its lease is held.

CREATE TABLE job_leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    held_until  INTEGER NOT NULL
);

-- Re-validation looks for enabled live keys by when they were last checked.
CREATE INDEX provider_keys_by_last_validated
    ON provider_keys (last_validated_at)
    WHERE deleted_at IS NULL AND enabled = 1;
