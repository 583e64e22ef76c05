-- Account safety (SQLite). Keep in step with migrations/postgres/0008_account_safety.sql.

-- An account an admin created with an initial password: its owner chooses their own at first
-- sign-in, and until then may do nothing else.
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0
    CHECK (must_change_password IN (0, 1));

-- Accounts an admin added before this migration may still hold the password that admin chose (or,
-- added to a second org, one another org's admin chose): their owners choose their own next time.
UPDATE users SET must_change_password = 1
WHERE id IN (SELECT target_id FROM activity WHERE action = 'member.added' AND target_kind = 'member');

-- Sign-in attempts, counted before the password is checked, per account (a hash of the email) and
-- per client address, in a fixed window. One row per subject; old windows are purged.
CREATE TABLE login_attempts (
    subject      TEXT PRIMARY KEY,
    window_start INTEGER NOT NULL,
    attempts     INTEGER NOT NULL
);
CREATE INDEX login_attempts_by_window ON login_attempts (window_start);
