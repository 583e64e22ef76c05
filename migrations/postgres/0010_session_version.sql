-- The signed-in viewers' version (PostgreSQL). Keep in step with
-- migrations/sqlite/0010_session_version.sql.
--
-- Pages look up who is asking (the session, its user and their memberships) in memory. Every
-- change that could end a session or change what it may do bumps this one version in its own
-- transaction and is announced on the `keyhub_sessions` channel when it commits: a session ended
-- or moved to another org, a user's email or password changed, a membership added, changed or
-- removed, an org renamed or its policy changed. Every KeyHub instance forgets the viewers it holds
-- when it hears of it (or when a periodic check finds the version moved). Touching a session (its
-- `last_seen_at`) and signing in do not bump it.
CREATE TABLE session_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO session_version (id, version) VALUES (1, 0);

CREATE FUNCTION keyhub_viewers_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE session_version SET version = version + 1;
    PERFORM pg_notify('keyhub_sessions', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER sessions_bump_viewers AFTER DELETE ON sessions
    FOR EACH STATEMENT EXECUTE FUNCTION keyhub_viewers_changed();
CREATE TRIGGER sessions_org_bumps_viewers AFTER UPDATE OF user_id, org_id, expires_at ON sessions
    FOR EACH STATEMENT EXECUTE FUNCTION keyhub_viewers_changed();

CREATE TRIGGER users_bump_viewers AFTER UPDATE OF email, password_hash, must_change_password OR DELETE
    ON users FOR EACH STATEMENT EXECUTE FUNCTION keyhub_viewers_changed();

CREATE TRIGGER memberships_bump_viewers AFTER INSERT OR UPDATE OR DELETE ON memberships
    FOR EACH STATEMENT EXECUTE FUNCTION keyhub_viewers_changed();

-- A change of an org locks its row with `SET slug = slug`: only a real change counts.
CREATE TRIGGER organizations_bump_viewers
AFTER UPDATE OF slug, name, allow_personal_keys, allow_platform_keys ON organizations
    FOR EACH ROW
    WHEN (OLD.slug IS DISTINCT FROM NEW.slug OR OLD.name IS DISTINCT FROM NEW.name
          OR OLD.allow_personal_keys IS DISTINCT FROM NEW.allow_personal_keys
          OR OLD.allow_platform_keys IS DISTINCT FROM NEW.allow_platform_keys)
    EXECUTE FUNCTION keyhub_viewers_changed();
CREATE TRIGGER organizations_delete_bumps_viewers AFTER DELETE ON organizations
    FOR EACH STATEMENT EXECUTE FUNCTION keyhub_viewers_changed();
