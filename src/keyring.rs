//! The keyring service: stores keys sealed by the vault and opens them again. The only code that
//! moves a plaintext key in or out of the database.

use std::sync::Arc;

use crate::domain::catalog::Provider;
use crate::domain::keys::{Role, Scope};
use crate::store::keys::{KeyRecord, NewKeyRow};
use crate::store::{new_id, now_ms, Db, StoreError};
use crate::vault::{hint, Binding, MasterKeys, OpenError, SecretString};

#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("key not found")]
    NotFound,
    #[error(transparent)]
    Vault(#[from] OpenError),
}

/// A key to store. `secret` is the only plaintext and it redacts itself.
#[derive(Debug)]
pub struct NewKey {
    pub org_id: String,
    pub scope: Scope,
    pub owner_user_id: Option<String>,
    pub provider: &'static Provider,
    pub nickname: Option<String>,
    pub secret: SecretString,
    pub api_base: Option<String>,
    pub options: serde_json::Map<String, serde_json::Value>,
    pub role: Role,
    pub fallback_rank: Option<i64>,
    pub enabled: bool,
    pub actor: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Keyring {
    db: Db,
    vault: Arc<MasterKeys>,
}

impl Keyring {
    pub fn new(db: Db, vault: Arc<MasterKeys>) -> Keyring {
        Keyring { db, vault }
    }

    /// Seals the secret to its (org, key) pair, computes hint and fingerprint, and stores the row.
    pub async fn store(&self, new: NewKey) -> Result<KeyRecord, KeyringError> {
        let id = new_id();
        let sealed = self.vault.seal(
            Binding {
                org_id: &new.org_id,
                key_id: &id,
            },
            &new.secret,
        );
        let options = serde_json::Value::Object(new.options).to_string();
        let row = NewKeyRow {
            id: &id,
            org_id: &new.org_id,
            scope: new.scope,
            owner_user_id: new.owner_user_id.as_deref(),
            provider: new.provider.id,
            key_family: new.provider.key_family,
            nickname: new.nickname.as_deref(),
            sealed_secret: &sealed,
            hint: &hint(new.provider, new.secret.expose()),
            fingerprint: &self.vault.fingerprint(&new.secret),
            api_base: new.api_base.as_deref(),
            options: &options,
            role: new.role,
            fallback_rank: new.fallback_rank,
            enabled: new.enabled,
            actor: new.actor.as_deref(),
            now: now_ms(),
        };
        self.db.insert_key(&row).await?;
        self.db
            .key(&new.org_id, &id)
            .await?
            .ok_or(KeyringError::NotFound)
    }

    /// Decrypts a live key of `org_id`. A value moved from another row or tampered with is an error.
    pub async fn reveal(&self, org_id: &str, key_id: &str) -> Result<SecretString, KeyringError> {
        let sealed = self
            .db
            .sealed_secret(org_id, key_id)
            .await?
            .ok_or(KeyringError::NotFound)?;
        Ok(self.vault.open(Binding { org_id, key_id }, &sealed)?)
    }

    /// Live keys of the org that hold the same secret, under any configured master key.
    pub async fn duplicates_of(
        &self,
        org_id: &str,
        secret: &SecretString,
    ) -> Result<Vec<KeyRecord>, KeyringError> {
        let candidates = self.vault.fingerprint_candidates(secret);
        Ok(self.db.keys_with_fingerprint(org_id, &candidates).await?)
    }
}
