//! `keyhub recover --forget-secrets`: the way back for an operator who kept the database but lost
//! the master key. The stored secrets cannot be read without it, so they are wiped; everything
//! else stays (nicknames, roles, health, every expert's and assistant's choice), each key waits
//! for its secret to be pasted again, and a new master key takes over.

use std::path::{Path, PathBuf};

use super::startup::{
    database_error, open_database, write_master_key_file, KeySource, MasterKeyProblem, StartupError,
};
use crate::config::Settings;
use crate::keys::keyring::{Keyring, KeyringError};
use crate::store::activity::NewEvent;
use crate::store::now_ms;
use crate::store::Db;
use crate::vault::{MasterKeys, SecretString};

/// Where the new master key went.
pub enum NewMasterKey {
    /// Written to the configured (or default) key file.
    Written(PathBuf),
    /// KEYHUB_MASTER_KEY names the key: the operator puts this one there.
    ToConfigure(SecretString),
}

/// What a recovery did.
pub struct Recovery {
    pub new_key: NewMasterKey,
    /// The unusable old key file, kept under another name rather than deleted.
    pub old_key_moved_to: Option<PathBuf>,
    /// Each org that had keys, with how many now wait for their secret.
    pub forgotten: Vec<(String, u64)>,
}

#[derive(Debug, thiserror::Error)]
pub enum RecoveryError {
    #[error(
        "the configured master key opens this database: nothing was lost, so nothing was wiped. \
         To replace the key, use keyhub rotate-master-key"
    )]
    NotLost,
    #[error(
        "the configured master key cannot be used ({0}). If it is only misconfigured, fix that; \
         if it is lost for good, remove it from the configuration and run recover again"
    )]
    Misconfigured(MasterKeyProblem),
    #[error(
        "the configured master key opens {opened} of the {sealed} stored keys, so it is not lost: \
         a master-key rotation is unfinished. Put the keys in order (new first, old after it) and \
         run keyhub rotate-master-key instead"
    )]
    OpensSome { opened: u64, sealed: u64 },
    #[error(transparent)]
    Startup(#[from] StartupError),
}

/// Wipes every stored secret and puts a new master key in force (see the module).
pub async fn forget_secrets(settings: &Settings) -> Result<Recovery, RecoveryError> {
    let db = open_database(settings).await?;
    let source = KeySource::of(settings);
    let canary = db
        .vault_canary()
        .await
        .map_err(|error| database_error(settings, error))?;
    let refused = match source.load() {
        Err(problem) => Some(RecoveryError::Misconfigured(problem)),
        Ok(Some(keys)) => configured_key_works(&db, keys, canary.as_deref())
            .await
            .map_err(|error| database_error(settings, error))?,
        Ok(None) => None,
    };
    if let Some(refused) = refused {
        db.close().await;
        return Err(refused);
    }
    let key = MasterKeys::generate();
    let (new_key, old_key_moved_to, keys) = match source {
        KeySource::Env(_) => {
            let keys = MasterKeys::parse(&key).map_err(|error| {
                StartupError::MasterKey(MasterKeyProblem::Invalid {
                    source_name: "a new key".to_owned(),
                    error,
                })
            })?;
            (NewMasterKey::ToConfigure(key), None, keys)
        }
        KeySource::File(file) | KeySource::DefaultFile(file) => {
            let moved = move_aside(&file).map_err(|error| {
                StartupError::MasterKey(MasterKeyProblem::Unwritable {
                    file: file.clone(),
                    error,
                })
            })?;
            let keys = write_master_key_file(&file, &key).map_err(StartupError::MasterKey)?;
            (NewMasterKey::Written(file), moved, keys)
        }
    };
    let forgotten = db
        .forget_all_secrets(&keys.seal_canary(), recovery_event)
        .await
        .map_err(|error| database_error(settings, error))?;
    db.close().await;
    Ok(Recovery {
        new_key,
        old_key_moved_to,
        forgotten,
    })
}

/// Why a configured key that loads is not lost: it opens the canary, or some of the stored keys.
async fn configured_key_works(
    db: &Db,
    keys: MasterKeys,
    canary: Option<&str>,
) -> Result<Option<RecoveryError>, crate::store::StoreError> {
    if canary.is_some_and(|canary| keys.opens_canary(canary)) {
        return Ok(Some(RecoveryError::NotLost));
    }
    let keyring = Keyring::new(db.clone(), std::sync::Arc::new(keys));
    let (unopened, sealed) = match keyring.under_older_keys().await {
        Ok(counts) => counts,
        Err(KeyringError::Store(error)) => return Err(error),
        Err(_) => (0, 0),
    };
    Ok((unopened < sealed).then_some(RecoveryError::OpensSome {
        opened: sealed - unopened,
        sealed,
    }))
}

/// The activity event each org gets: when, and how many keys wait for their secret.
fn recovery_event(org_id: &str, keys: u64) -> NewEvent {
    NewEvent {
        org_id: org_id.to_owned(),
        actor_user_id: None,
        actor_label: "operator (keyhub recover)".to_owned(),
        action: "vault.secrets_forgotten",
        target_kind: "org",
        target_id: org_id.to_owned(),
        target_label: "its stored secrets".to_owned(),
        provider: None,
        detail: format!(
            "the master key was lost: {keys} key(s) need their secret pasted again (Re-enter key)"
        ),
        at: now_ms(),
    }
}

/// Renames an existing key file to `<name>.lost-<time>`, so nothing is deleted.
fn move_aside(file: &Path) -> std::io::Result<Option<PathBuf>> {
    if !file.exists() {
        return Ok(None);
    }
    let mut aside = file.as_os_str().to_owned();
    aside.push(format!(".lost-{}", now_ms()));
    let aside = PathBuf::from(aside);
    std::fs::rename(file, &aside)?;
    Ok(Some(aside))
}
