-- The in-memory view's version per org (SQLite). Keep in step with
-- migrations/postgres/0009_view_version.sql.
--
-- Every change to what the hot paths read from memory (keys and their health, tokens, consumers and
-- their slots, members, the org's policy) bumps its org's version in the same transaction, by
-- these triggers: no code path can change the view's data and leave the version behind. Each
-- KeyHub instance compares the versions it holds with these to notice changes made elsewhere.
ALTER TABLE organizations ADD COLUMN view_version INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER provider_keys_insert_bumps_view AFTER INSERT ON provider_keys BEGIN
    UPDATE organizations SET view_version = view_version + 1 WHERE id = NEW.org_id;
END;

CREATE TRIGGER provider_keys_update_bumps_view AFTER UPDATE ON provider_keys BEGIN
    UPDATE organizations SET view_version = view_version + 1 WHERE id = NEW.org_id;
END;

CREATE TRIGGER provider_keys_delete_bumps_view AFTER DELETE ON provider_keys BEGIN
    UPDATE organizations SET view_version = view_version + 1 WHERE id = OLD.org_id;
END;

CREATE TRIGGER api_tokens_insert_bumps_view AFTER INSERT ON api_tokens BEGIN
    UPDATE organizations SET view_version = view_version + 1 WHERE id = NEW.org_id;
END;

CREATE TRIGGER api_tokens_update_bumps_view AFTER UPDATE OF revoked_at, scopes, expires_at, name, prefix ON api_tokens BEGIN
    UPDATE organizations SET view_version = view_version + 1 WHERE id = NEW.org_id;
END;

CREATE TRIGGER api_tokens_delete_bumps_view AFTER DELETE ON api_tokens BEGIN
    UPDATE organizations SET view_version = view_version + 1 WHERE id = OLD.org_id;
END;

CREATE TRIGGER consumers_insert_bumps_view AFTER INSERT ON consumers BEGIN
    UPDATE organizations SET view_version = view_version + 1 WHERE id = NEW.org_id;
END;

CREATE TRIGGER consumers_update_bumps_view AFTER UPDATE ON consumers BEGIN
    UPDATE organizations SET view_version = view_version + 1 WHERE id = NEW.org_id;
END;

CREATE TRIGGER consumers_delete_bumps_view AFTER DELETE ON consumers BEGIN
    UPDATE organizations SET view_version = view_version + 1 WHERE id = OLD.org_id;
END;

CREATE TRIGGER consumer_slots_insert_bumps_view AFTER INSERT ON consumer_slots BEGIN
    UPDATE organizations SET view_version = view_version + 1 WHERE id = NEW.org_id;
END;

CREATE TRIGGER consumer_slots_update_bumps_view AFTER UPDATE ON consumer_slots BEGIN
    UPDATE organizations SET view_version = view_version + 1 WHERE id = NEW.org_id;
END;

CREATE TRIGGER consumer_slots_delete_bumps_view AFTER DELETE ON consumer_slots BEGIN
    UPDATE organizations SET view_version = view_version + 1 WHERE id = OLD.org_id;
END;

CREATE TRIGGER memberships_insert_bumps_view AFTER INSERT ON memberships BEGIN
    UPDATE organizations SET view_version = view_version + 1 WHERE id = NEW.org_id;
END;

CREATE TRIGGER memberships_update_bumps_view AFTER UPDATE ON memberships BEGIN
    UPDATE organizations SET view_version = view_version + 1 WHERE id = NEW.org_id;
END;

CREATE TRIGGER memberships_delete_bumps_view AFTER DELETE ON memberships BEGIN
    UPDATE organizations SET view_version = view_version + 1 WHERE id = OLD.org_id;
END;

CREATE TRIGGER organizations_update_bumps_view
AFTER UPDATE OF slug, name, allow_personal_keys, allow_platform_keys ON organizations BEGIN
    UPDATE organizations SET view_version = view_version + 1 WHERE id = NEW.id;
END;
