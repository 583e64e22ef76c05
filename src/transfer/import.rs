//! Writing an export into an instance for `keyhub import`: all of it in one transaction, or nothing.

use std::collections::HashMap;

use super::{Export, KeyExport, OrgExport, TransferError};
use crate::domain::accounts::OrgRole;
use crate::domain::catalog::provider;
use crate::keys::input::destination;
use crate::keys::keyring::Keyring;
use crate::store::activity::NewEvent;
use crate::store::orgs::Organization;
use crate::store::transfer::{self as rows, ImportedKeyRow};
use crate::store::{new_id, now_ms, Db};
use crate::vault::SecretString;

/// What to do with an org whose slug the instance already has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conflicts {
    /// Refuse the whole import, naming them.
    Refuse,
    /// Import it under a free slug (`acme-2`).
    Rename,
    /// Leave it out.
    SkipExisting,
}

/// What an import did, org by org: the slug it got (or `None` when skipped) and its key count.
#[derive(Debug)]
pub struct Imported {
    pub orgs: Vec<(String, Option<String>, usize)>,
}

pub async fn import(
    db: &Db,
    keyring: &Keyring,
    export: &Export,
    conflicts: Conflicts,
) -> Result<Imported, TransferError> {
    let mut tx = db
        .pool()
        .begin()
        .await
        .map_err(crate::store::StoreError::from)?;
    let mut report = Vec::new();
    let mut refused = Vec::new();
    let mut imported_orgs = Vec::new();
    for org in &export.orgs {
        let slug = match (rows::slug_taken(&mut tx, &org.slug).await?, conflicts) {
            (false, _) => Some(org.slug.clone()),
            (true, Conflicts::Refuse) => {
                refused.push(org.slug.clone());
                None
            }
            (true, Conflicts::SkipExisting) => None,
            (true, Conflicts::Rename) => Some(free_slug(&mut tx, &org.slug).await?),
        };
        let Some(slug) = slug else {
            report.push((org.slug.clone(), None, org.keys.len()));
            continue;
        };
        let org_id = import_org(&mut tx, keyring, org, &slug, export.header.with_accounts).await?;
        report.push((org.slug.clone(), Some(slug), org.keys.len()));
        imported_orgs.push(org_id);
    }
    if !refused.is_empty() {
        return Err(TransferError::Conflicts(format!(
            "organizations that exist here already: {}. Nothing was imported; choose --rename or \
             --skip-existing",
            refused.join(", ")
        )));
    }
    tx.commit().await.map_err(crate::store::StoreError::from)?;
    for org_id in &imported_orgs {
        db.changed(org_id);
    }
    db.sessions_changed();
    Ok(Imported { orgs: report })
}

/// `slug-2`, `slug-3`, … whichever is free first.
async fn free_slug(conn: &mut sqlx::AnyConnection, slug: &str) -> Result<String, TransferError> {
    for n in 2.. {
        let candidate = format!("{slug}-{n}");
        if !rows::slug_taken(conn, &candidate).await? {
            return Ok(candidate);
        }
    }
    unreachable!("some suffix is free")
}

async fn import_org(
    conn: &mut sqlx::AnyConnection,
    keyring: &Keyring,
    org: &OrgExport,
    slug: &str,
    with_accounts: bool,
) -> Result<String, TransferError> {
    let now = now_ms();
    let org_id = new_id();
    rows::insert_org(
        conn,
        &Organization {
            id: org_id.clone(),
            slug: slug.to_owned(),
            name: org.name.clone(),
            allow_personal_keys: org.allow_personal_keys,
            allow_platform_keys: org.allow_platform_keys,
            created_at: now,
        },
    )
    .await?;
    let mut users: HashMap<String, String> = HashMap::new();
    for member in &org.members {
        let user_id = rows::user_for(
            conn,
            &member.email,
            // Hashes count only in a file made with them on purpose.
            member.password_hash.as_deref().filter(|_| with_accounts),
            member.must_change_password,
            now,
        )
        .await?;
        let role = OrgRole::parse(&member.role)
            .ok_or_else(|| TransferError::Unusable(format!("unknown role {}", member.role)))?;
        rows::insert_membership(conn, &org_id, &user_id, role, now).await?;
        users.insert(member.email.clone(), user_id);
    }
    // Owners who are no longer members still own their keys and experts: an account without a
    // password, as a removed member's is.
    let owners = org
        .keys
        .iter()
        .map(|key| &key.owner_email)
        .chain(org.consumers.iter().map(|consumer| &consumer.owner_email))
        .flatten();
    for email in owners {
        if !users.contains_key(email) {
            let id = rows::user_for(conn, email, None, false, now).await?;
            users.insert(email.clone(), id);
        }
    }
    let owner = |email: &Option<String>| email.as_ref().and_then(|e| users.get(e)).cloned();

    let mut key_ids: HashMap<&str, String> = HashMap::new();
    for key in &org.keys {
        let id = new_id();
        import_key(
            conn,
            keyring,
            key,
            &org_id,
            &id,
            owner(&key.owner_email),
            now,
        )
        .await?;
        key_ids.insert(key.id.as_str(), id);
    }
    // Only experts, so an assistant can never build on another assistant.
    let mut expert_ids: HashMap<&str, String> = HashMap::new();
    for consumer in &org.consumers {
        let id = new_id();
        let expert_id = match &consumer.expert_id {
            Some(expert) => Some(expert_ids.get(expert.as_str()).cloned().ok_or_else(|| {
                TransferError::Unusable(format!("an assistant names the unknown expert {expert}"))
            })?),
            None => None,
        };
        rows::insert_imported_consumer(
            conn,
            &id,
            &org_id,
            &consumer.kind,
            owner(&consumer.owner_email).as_deref(),
            &consumer.name,
            &consumer.description,
            expert_id.as_deref(),
            now,
        )
        .await?;
        for slot in &consumer.slots {
            let key_id = match &slot.key_id {
                Some(key) => Some(chosen_key(org, &key_ids, consumer, slot, key)?),
                None => None,
            };
            rows::insert_imported_slot(
                conn,
                &org_id,
                &id,
                &slot.modality,
                &slot.provider,
                slot.model.as_deref(),
                slot.voice.as_deref(),
                key_id.as_deref(),
            )
            .await?;
        }
        if consumer.kind == "expert" {
            expert_ids.insert(consumer.id.as_str(), id);
        }
    }
    rows::record(conn, &imported_event(&org_id, org)).await?;
    Ok(org_id)
}

/// The new id of the key a slot chooses, under the rules the service keeps for a choice: a key of
/// the slot's provider family, and a personal key only for its owner's own consumer.
fn chosen_key(
    org: &OrgExport,
    key_ids: &HashMap<&str, String>,
    consumer: &super::ConsumerExport,
    slot: &super::SlotExport,
    key: &str,
) -> Result<String, TransferError> {
    let refused =
        |why: &str| TransferError::Unusable(format!("a slot chooses the key {key}: {why}"));
    let chosen = org
        .keys
        .iter()
        .find(|k| k.id == key)
        .ok_or_else(|| refused("no such key"))?;
    let family = crate::domain::consumers::Target::parse(&slot.provider)
        .map(|target| target.family)
        .ok_or_else(|| refused("unknown provider"))?;
    if family != chosen.key_family {
        return Err(refused("it serves another provider"));
    }
    if chosen.scope == "personal" && chosen.owner_email != consumer.owner_email {
        return Err(refused("a personal key serves only its owner's consumers"));
    }
    key_ids
        .get(key)
        .cloned()
        .ok_or_else(|| refused("no such key"))
}

/// A key sealed under this instance's master key, bound to its new id and its destination.
async fn import_key(
    conn: &mut sqlx::AnyConnection,
    keyring: &Keyring,
    key: &KeyExport,
    org_id: &str,
    id: &str,
    owner: Option<String>,
    now: i64,
) -> Result<(), TransferError> {
    let catalog = provider(&key.provider)
        .ok_or_else(|| TransferError::Unusable(format!("unknown provider {}", key.provider)))?;
    let to = destination(catalog, key.api_base.as_deref(), &key.options);
    let sealed = key.secret.as_ref().map(|secret| {
        let secret = SecretString::new(secret.clone());
        keyring.seal(catalog, org_id, id, &to, &secret)
    });
    let options = serde_json::Value::Object(key.options.clone()).to_string();
    let row = ImportedKeyRow {
        id,
        org_id,
        scope: &key.scope,
        owner_user_id: owner.as_deref(),
        provider: &key.provider,
        key_family: &key.key_family,
        nickname: key.nickname.as_deref(),
        // A key that waited for its secret before still does.
        sealed: sealed.as_ref().map_or("", |s| s.sealed.as_str()),
        hint: sealed
            .as_ref()
            .map_or(key.hint.as_str(), |s| s.hint.as_str()),
        fingerprint: sealed.as_ref().map(|s| s.fingerprint.as_str()),
        api_base: key.api_base.as_deref(),
        options: &options,
        role: &key.role,
        fallback_rank: key.fallback_rank,
        enabled: key.enabled,
        status: &key.status,
        last_validated_at: key.last_validated_at,
        last_success_at: key.last_success_at,
        last_error_code: key.last_error_code.as_deref(),
        last_error_http_status: key.last_error_http_status,
        last_error_message: key.last_error_message.as_deref(),
        created_at: key.created_at,
        now,
    };
    rows::insert_imported_key(conn, &row).await?;
    Ok(())
}

fn imported_event(org_id: &str, org: &OrgExport) -> NewEvent {
    NewEvent {
        org_id: org_id.to_owned(),
        actor_user_id: None,
        actor_label: "operator (keyhub import)".to_owned(),
        action: "org.imported",
        target_kind: "org",
        target_id: org_id.to_owned(),
        target_label: org.name.clone(),
        provider: None,
        detail: format!(
            "imported with {} key(s), {} expert(s) and assistant(s), {} member(s)",
            org.keys.len(),
            org.consumers.len(),
            org.members.len()
        ),
        at: now_ms(),
    }
}
