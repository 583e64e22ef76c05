//! Reading orgs out of an instance for `keyhub export`.

use std::collections::HashMap;

use super::{
    ConsumerExport, Export, Header, KeyExport, MemberExport, OrgExport, OrgSummary, SlotExport,
    TransferError,
};
use crate::domain::consumers::ConsumerKind;
use crate::domain::keys::KeyStatus;
use crate::keys::keyring::Keyring;
use crate::store::orgs::Organization;
use crate::store::Db;

/// Whose personal keys an export carries.
#[derive(Clone, Copy, Debug)]
pub enum PersonalKeys<'a> {
    /// Everyone's: the operator's `keyhub export`, who holds the database and its key anyway.
    All,
    /// Only this member's own: a personal key is seen by its owner alone, so an owner's download
    /// carries theirs, and the choices of others' personal keys become "Use main key".
    OnlyOf(&'a str),
}

/// The orgs named by `slugs` (every org when empty), with their secrets opened for the file.
pub async fn export(
    db: &Db,
    keyring: &Keyring,
    slugs: &[String],
    with_accounts: bool,
    personal: PersonalKeys<'_>,
) -> Result<Export, TransferError> {
    let orgs = match slugs {
        [] => db.all_orgs().await?,
        slugs => {
            let mut orgs = Vec::new();
            for slug in slugs {
                orgs.push(
                    db.org_by_slug(slug)
                        .await?
                        .ok_or_else(|| TransferError::NoSuchOrg(slug.clone()))?,
                );
            }
            orgs
        }
    };
    let mut exported = Vec::new();
    for org in &orgs {
        exported.push(export_org(db, keyring, org, with_accounts, personal).await?);
    }
    Ok(Export {
        header: Header {
            keyhub_version: env!("CARGO_PKG_VERSION").to_owned(),
            exported_at: crate::domain::time::rfc3339(crate::store::now_ms()),
            with_accounts,
            orgs: exported
                .iter()
                .map(|org| OrgSummary {
                    slug: org.slug.clone(),
                    name: org.name.clone(),
                    keys: org.keys.len(),
                    consumers: org.consumers.len(),
                    members: org.members.len(),
                })
                .collect(),
        },
        orgs: exported,
    })
}

async fn export_org(
    db: &Db,
    keyring: &Keyring,
    org: &Organization,
    with_accounts: bool,
    personal: PersonalKeys<'_>,
) -> Result<OrgExport, TransferError> {
    let members = db.members_for_export(&org.id).await?;
    let mut emails: HashMap<String, String> = members
        .iter()
        .map(|member| (member.user_id.clone(), member.email.clone()))
        .collect();
    let mut email_of = async |user_id: &Option<String>| -> Result<Option<String>, TransferError> {
        let Some(id) = user_id else { return Ok(None) };
        if let Some(email) = emails.get(id) {
            return Ok(Some(email.clone()));
        }
        let email = db.user_email(id).await?;
        if let Some(email) = &email {
            emails.insert(id.clone(), email.clone());
        }
        Ok(email)
    };
    let mut keys = Vec::new();
    let carried = |key: &crate::store::keys::KeyRecord| match (key.scope, personal) {
        (crate::domain::keys::Scope::Org, _) | (_, PersonalKeys::All) => true,
        (_, PersonalKeys::OnlyOf(user)) => key.owner_user_id.as_deref() == Some(user),
    };
    for key in db.live_keys(&org.id).await?.into_iter().filter(carried) {
        let secret = match key.status {
            KeyStatus::NeedsReentry => None,
            _ => Some(
                keyring
                    .reveal(&key)
                    .await
                    .map_err(|_| TransferError::Undecryptable(key.id.clone()))?
                    .expose()
                    .to_owned(),
            ),
        };
        keys.push(KeyExport {
            owner_email: email_of(&key.owner_user_id).await?,
            id: key.id,
            scope: key.scope.as_str().to_owned(),
            provider: key.provider,
            key_family: key.key_family,
            nickname: key.nickname,
            secret,
            hint: key.hint,
            api_base: key.api_base,
            options: key.options,
            role: key.role.as_str().to_owned(),
            fallback_rank: key.fallback_rank,
            enabled: key.enabled,
            status: match key.status {
                KeyStatus::NeedsReentry => KeyStatus::Unverified,
                status => status,
            }
            .as_str()
            .to_owned(),
            last_validated_at: key.last_validated_at,
            last_success_at: key.last_success_at,
            last_error_code: key.last_error_code,
            last_error_http_status: key.last_error_http_status,
            last_error_message: key.last_error_message,
            created_at: key.created_at,
        });
    }
    let mut consumers = Vec::new();
    // Experts first: an assistant names its expert.
    for kind in [ConsumerKind::Expert, ConsumerKind::Assistant] {
        let slots = db.slots_of_kind(&org.id, kind).await?;
        for consumer in db.consumers(&org.id, kind, None).await? {
            consumers.push(ConsumerExport {
                owner_email: email_of(&consumer.owner_user_id).await?,
                kind: kind.as_str().to_owned(),
                name: consumer.name,
                description: consumer.description,
                expert_id: consumer.expert_id,
                slots: slots
                    .iter()
                    .filter(|slot| slot.consumer_id == consumer.id)
                    .map(|slot| SlotExport {
                        modality: slot.slot.as_str().to_owned(),
                        provider: slot.provider.clone(),
                        model: slot.model.clone(),
                        voice: slot.voice.clone(),
                        key_id: slot
                            .key_id
                            .clone()
                            .filter(|id| keys.iter().any(|key: &KeyExport| key.id == *id)),
                    })
                    .collect(),
                id: consumer.id,
            });
        }
    }
    Ok(OrgExport {
        slug: org.slug.clone(),
        name: org.name.clone(),
        allow_personal_keys: org.allow_personal_keys,
        allow_platform_keys: org.allow_platform_keys,
        members: members
            .into_iter()
            .map(|member| MemberExport {
                email: member.email,
                role: member.role,
                password_hash: member.password_hash.filter(|_| with_accounts),
                must_change_password: member.must_change_password,
            })
            .collect(),
        keys,
        consumers,
    })
}
