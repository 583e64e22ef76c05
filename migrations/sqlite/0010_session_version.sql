-- The signed-in viewers' version (SQLite). Keep in step with
-- migrations/postgres/0010_session_version.sql.
--
-- Pages look up who is asking (the session, its user and their memberships) in memory. Every
-- change that could end a session or change what it may do bumps this one version in its own
-- transaction: a session ended or moved to another org, a user's email or password changed, a
-- membership added, changed or removed, an org renamed or its policy changed. Each KeyHub
-- instance forgets the viewers it holds when the version moves. Touching a session (its
-- `last_seen_at`) and signing in do not bump it.
CREATE TABLE session_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO session_version (id, version) VALUES (1, 0);

CREATE TRIGGER sessions_delete_bumps_viewers AFTER DELETE ON sessions BEGIN
    UPDATE session_version SET version = version + 1;
END;

CREATE TRIGGER sessions_org_bumps_viewers AFTER UPDATE OF user_id, org_id, expires_at ON sessions BEGIN
    UPDATE session_version SET version = version + 1;
END;

CREATE TRIGGER users_update_bumps_viewers
AFTER UPDATE OF email, password_hash, must_change_password ON users BEGIN
    UPDATE session_version SET version = version + 1;
END;

CREATE TRIGGER users_delete_bumps_viewers AFTER DELETE ON users BEGIN
    UPDATE session_version SET version = version + 1;
END;

CREATE TRIGGER memberships_insert_bumps_viewers AFTER INSERT ON memberships BEGIN
    UPDATE session_version SET version = version + 1;
END;

CREATE TRIGGER memberships_update_bumps_viewers AFTER UPDATE ON memberships BEGIN
    UPDATE session_version SET version = version + 1;
END;

CREATE TRIGGER memberships_delete_bumps_viewers AFTER DELETE ON memberships BEGIN
    UPDATE session_version SET version = version + 1;
END;

-- A change of an org locks its row with `SET slug = slug`: only a real change counts.
CREATE TRIGGER organizations_update_bumps_viewers
AFTER UPDATE OF slug, name, allow_personal_keys, allow_platform_keys ON organizations
WHEN OLD.slug IS NOT NEW.slug OR OLD.name IS NOT NEW.name
    OR OLD.allow_personal_keys IS NOT NEW.allow_personal_keys
    OR OLD.allow_platform_keys IS NOT NEW.allow_platform_keys
BEGIN
    UPDATE session_version SET version = version + 1;
END;

CREATE TRIGGER organizations_delete_bumps_viewers AFTER DELETE ON organizations BEGIN
    UPDATE session_version SET version = version + 1;
END;
