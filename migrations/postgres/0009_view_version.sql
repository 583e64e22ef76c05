-- The in-memory view's version per org (PostgreSQL). Keep in step with
-- migrations/sqlite/0009_view_version.sql.
--
-- Every change to what the hot paths read from memory (keys and their health, tokens, consumers and
-- their slots, members, the org's policy) bumps its org's version in the same transaction and
-- announces the org on the `keyhub_view` channel. PostgreSQL delivers the notification only when
-- the transaction commits (once per org and transaction), so every instance listening refreshes
-- that org right after the change lands, and never for a change that was rolled back.
ALTER TABLE organizations ADD COLUMN view_version BIGINT NOT NULL DEFAULT 0;

CREATE FUNCTION keyhub_view_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed_org TEXT;
BEGIN
    IF TG_TABLE_NAME = 'organizations' THEN
        changed_org := NEW.id;
    ELSIF TG_OP = 'DELETE' THEN
        changed_org := OLD.org_id;
    ELSE
        changed_org := NEW.org_id;
    END IF;
    UPDATE organizations SET view_version = view_version + 1 WHERE id = changed_org;
    PERFORM pg_notify('keyhub_view', changed_org);
    RETURN NULL;
END;
$$;

CREATE TRIGGER provider_keys_bumps_view AFTER INSERT OR UPDATE OR DELETE ON provider_keys
    FOR EACH ROW EXECUTE FUNCTION keyhub_view_changed();

CREATE TRIGGER api_tokens_bumps_view AFTER INSERT OR DELETE ON api_tokens
    FOR EACH ROW EXECUTE FUNCTION keyhub_view_changed();
CREATE TRIGGER api_tokens_update_bumps_view AFTER UPDATE OF revoked_at, scopes, expires_at, name, prefix ON api_tokens
    FOR EACH ROW EXECUTE FUNCTION keyhub_view_changed();

CREATE TRIGGER consumers_bumps_view AFTER INSERT OR UPDATE OR DELETE ON consumers
    FOR EACH ROW EXECUTE FUNCTION keyhub_view_changed();

CREATE TRIGGER consumer_slots_bumps_view AFTER INSERT OR UPDATE OR DELETE ON consumer_slots
    FOR EACH ROW EXECUTE FUNCTION keyhub_view_changed();

CREATE TRIGGER memberships_bumps_view AFTER INSERT OR UPDATE OR DELETE ON memberships
    FOR EACH ROW EXECUTE FUNCTION keyhub_view_changed();

CREATE TRIGGER organizations_bumps_view
AFTER UPDATE OF slug, name, allow_personal_keys, allow_platform_keys ON organizations
    FOR EACH ROW EXECUTE FUNCTION keyhub_view_changed();
