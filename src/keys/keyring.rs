//! The keyring service: stores keys sealed by the vault and opens them again. The only code that
//! moves a plaintext key in or out of the database.

use std::sync::Arc;

use crate::domain::catalog::{provider, Provider};

use crate::keys::input::destination;
use crate::store::keys::KeyRecord;
use crate::store::{Db, StoreError};
use crate::vault::{hint, Binding, MasterKeys, OpenError, SecretString};

#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("key not found")]
    NotFound,
    #[error(transparent)]
    Vault(#[from] OpenError),
    #[error("export failed: {0}")]
    Export(String),
}

/// The hint of a key stored without a secret (a local Ollama needs none).
pub const NO_KEY_HINT: &str = "no key";

/// A secret made ready for its row: sealed to (org, key) and its destination, with its hint and
/// fingerprint.
#[derive(Debug)]
pub struct SealedSecret {
    pub sealed: String,
    pub hint: String,
    pub fingerprint: String,
}

/// What a master-key rotation did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResealReport {
    /// Re-encrypted under the first master key by this run.
    pub resealed: u64,
    /// Already under the first master key (done by an earlier, interrupted run).
    pub already_current: u64,
    /// Changed by someone else between reading and writing, and left as they are.
    pub changed_meanwhile: u64,
    /// Keys no configured master key opens (damaged, or not bound to their row), by id.
    pub undecryptable: Vec<String>,
    /// Keys changed meanwhile that are still under an older master key.
    pub still_under_old: u64,
}

impl ResealReport {
    /// Live keys the run looked at.
    pub fn total(&self) -> u64 {
        self.resealed
            + self.already_current
            + self.changed_meanwhile
            + self.undecryptable.len() as u64
    }

    /// Whether an older master key may still be needed: for a key that is under it, or that no key
    /// opens.
    pub fn old_key_needed(&self) -> bool {
        !self.undecryptable.is_empty() || self.still_under_old > 0
    }
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

    /// Seals a secret to its (org, key) pair and its destination (from
    /// [`crate::keys::input::destination`]), and computes its hint and fingerprint. A provider that
    /// needs no key (a local Ollama) gets the hint "no key".
    pub fn seal(
        &self,
        provider: &Provider,
        org_id: &str,
        key_id: &str,
        destination: &str,
        secret: &SecretString,
    ) -> SealedSecret {
        SealedSecret {
            sealed: self
                .vault
                .seal_for(Binding { org_id, key_id }, destination, secret),
            hint: if secret.is_empty() {
                NO_KEY_HINT.to_owned()
            } else {
                hint(provider, secret.expose())
            },
            fingerprint: self.vault.fingerprint(secret),
        }
    }

    /// Decrypts a live key to be sent where `key` says. A value moved from another row, tampered
    /// with, or sealed for another destination than the record's is an error.
    pub async fn reveal(&self, key: &KeyRecord) -> Result<SecretString, KeyringError> {
        let sealed = self
            .db
            .sealed_secret(&key.org_id, &key.id)
            .await?
            .ok_or(KeyringError::NotFound)?;
        self.open(key, &sealed)
    }

    /// Decrypts a key's sealed secret (as the in-memory view holds it) to be sent where `key`
    /// says; see [`Keyring::reveal`].
    pub fn open(&self, key: &KeyRecord, sealed: &str) -> Result<SecretString, KeyringError> {
        let (org_id, key_id) = (key.org_id.as_str(), key.id.as_str());
        let to = stored_destination(&key.provider, key.api_base.as_deref(), &key.options)?;
        Ok(self
            .vault
            .open_for(Binding { org_id, key_id }, &to, sealed)?)
    }

    /// Re-encrypts every live key under the first master key, in the current envelope (bound to
    /// the key's destination), then the canary once nothing is left under an older key (so a start
    /// without the old key is refused until then). Rows already done are skipped, so an interrupted
    /// run simply continues where it stopped; a row no key opens is named in the report and the run
    /// goes on.
    pub async fn reseal_all(&self) -> Result<ResealReport, KeyringError> {
        self.reseal_all_telling(|_, _| {}).await
    }

    /// [`Keyring::reseal_all`], telling `progress` how many of the live keys it has looked at so
    /// far and how many there were when it began (new keys are sealed under the first key anyway).
    pub async fn reseal_all_telling(
        &self,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<ResealReport, KeyringError> {
        let total = self.db.sealed_key_count().await?;
        let mut report = ResealReport::default();
        let mut after = String::new();
        loop {
            let rows = self.db.sealed_rows_after(&after, 200).await?;
            let Some(last) = rows.last() else { break };
            after = last.id.clone();
            for row in &rows {
                progress(report.total(), total.max(report.total()));
                let binding = Binding {
                    org_id: &row.org_id,
                    key_id: &row.id,
                };
                let opened =
                    stored_destination(&row.provider, row.api_base.as_deref(), &row.options)
                        .ok()
                        .and_then(|to| {
                            let opened = self.vault.open_telling_current(binding, &to, &row.sealed);
                            Some((opened.ok()?, to))
                        });
                let Some(((secret, current), to)) = opened else {
                    report.undecryptable.push(row.id.clone());
                    continue;
                };
                if current {
                    report.already_current += 1;
                    continue;
                }
                let resealed = self.vault.seal_for(binding, &to, &secret);
                let fingerprint = self.vault.fingerprint(&secret);
                if self.db.replace_sealed(row, &resealed, &fingerprint).await? {
                    report.resealed += 1;
                } else {
                    report.changed_meanwhile += 1;
                    let now = self.db.sealed_secret(&row.org_id, &row.id).await?;
                    if now.is_some_and(|sealed| !self.vault.is_current(&sealed)) {
                        report.still_under_old += 1;
                    }
                }
            }
        }
        progress(report.total(), total.max(report.total()));
        if !report.old_key_needed() {
            self.db
                .replace_vault_canary(&self.vault.seal_canary())
                .await?;
        }
        Ok(report)
    }

    /// How many live keys are still sealed under an older master key (or under none that is
    /// configured), and how many there are: what `keyhub check` reports while a rotation is due.
    pub async fn under_older_keys(&self) -> Result<(u64, u64), KeyringError> {
        let (mut older, mut total) = (0, 0);
        let mut after = String::new();
        loop {
            let rows = self.db.sealed_rows_after(&after, 500).await?;
            let Some(last) = rows.last() else { break };
            after = last.id.clone();
            total += rows.len() as u64;
            older += rows
                .iter()
                .filter(|row| !self.vault.is_current(&row.sealed))
                .count() as u64;
        }
        Ok((older, total))
    }

    /// The database's name, and whether the vault opens its canary (`Ok(false)`: sealed under
    /// another master key, or never initialized).
    pub async fn health(&self) -> (&'static str, Result<bool, StoreError>) {
        let opens = self
            .db
            .vault_canary()
            .await
            .map(|canary| canary.is_some_and(|canary| self.vault.opens_canary(&canary)));
        (self.db.backend().name(), opens)
    }

    /// Binds keys sealed before envelopes carried their destination (version 1) to the destination
    /// they have now, so from then on a destination changed behind KeyHub's back opens nothing. Runs at
    /// start with a single master key; with several, `keyhub rotate-master-key` does it while it
    /// rotates.
    pub async fn bind_older_envelopes(&self) {
        if self.vault.count() != 1 {
            return;
        }
        match self.reseal_all().await {
            Ok(report) if report.resealed > 0 || !report.undecryptable.is_empty() => {
                tracing::info!(
                    bound = report.resealed,
                    unreadable = ?report.undecryptable,
                    "keys sealed by an older KeyHub are now bound to their destination"
                );
            }
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(%error, "older sealed keys could not be bound to their destination")
            }
        }
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

/// The destination of a stored key, from its row's provider, base URL and options.
fn stored_destination(
    provider_id: &str,
    api_base: Option<&str>,
    options: &serde_json::Map<String, serde_json::Value>,
) -> Result<String, KeyringError> {
    let provider = provider(provider_id).ok_or(KeyringError::NotFound)?;
    Ok(destination(provider, api_base, options))
}
