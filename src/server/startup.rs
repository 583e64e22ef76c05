//! Opening the vault (SPEC.md §8): find the master keys, prove them against the stored canary
//! *before* anything is written, then migrate. A refused start changes nothing.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::Settings;
use crate::store::{sqlite_path, Access, Backend, Db, SchemaState, StoreError};
use crate::vault::{MasterKeyError, MasterKeys, SecretString};

/// Why the master key cannot be used. Every message names the master key and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum MasterKeyProblem {
    #[error(
        "master key missing: this database holds encrypted keys, but KEYHUB_MASTER_KEY is not set and \
         {} does not exist. Restore the master key from your backup (KEYHUB_MASTER_KEY or \
         KEYHUB_MASTER_KEY_FILE); KeyHub will not start without it",
        file.display()
    )]
    Missing { file: PathBuf },
    #[error("master key file {} cannot be read: {error}", file.display())]
    Unreadable {
        file: PathBuf,
        error: std::io::Error,
    },
    #[error("master key from {source_name} is unusable: {error}")]
    Invalid {
        source_name: String,
        error: MasterKeyError,
    },
    #[error(
        "master key is wrong: none of the configured master keys decrypts this database's canary, so \
         they are not the keys its data was encrypted with. Put the original key back (a new key goes \
         first, followed by the old one)"
    )]
    Wrong,
    #[error("master key file {} could not be written: {error}", file.display())]
    Unwritable {
        file: PathBuf,
        error: std::io::Error,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    MasterKey(#[from] MasterKeyProblem),
    #[error("database {url}: {error}")]
    Database { url: String, error: StoreError },
    #[error("whether KeyHub is set up could not be read: {0}")]
    Setup(#[from] crate::accounts::AccountError),
}

/// Where the master keys come from, in order of precedence.
pub(super) enum KeySource {
    Env(SecretString),
    File(PathBuf),
    /// `data/master.key`: read if it exists, generated on first run if not.
    DefaultFile(PathBuf),
}

impl KeySource {
    pub(super) fn of(settings: &Settings) -> KeySource {
        if let Some(keys) = &settings.master_key {
            KeySource::Env(keys.clone())
        } else if let Some(file) = &settings.master_key_file {
            KeySource::File(file.clone())
        } else {
            KeySource::DefaultFile(settings.default_master_key_file())
        }
    }

    /// The configured keys, or `None` when the default file does not exist yet.
    pub(super) fn load(&self) -> Result<Option<MasterKeys>, MasterKeyProblem> {
        let (text, source_name) = match self {
            KeySource::Env(keys) => (keys.clone(), "KEYHUB_MASTER_KEY".to_owned()),
            KeySource::File(file) => (read_key_file(file)?, file.display().to_string()),
            KeySource::DefaultFile(file) if !file.exists() => return Ok(None),
            KeySource::DefaultFile(file) => (read_key_file(file)?, file.display().to_string()),
        };
        MasterKeys::parse(&text)
            .map(Some)
            .map_err(|error| MasterKeyProblem::Invalid { source_name, error })
    }

    fn missing(&self) -> MasterKeyProblem {
        let file = match self {
            KeySource::File(file) | KeySource::DefaultFile(file) => file.clone(),
            KeySource::Env(_) => PathBuf::from("KEYHUB_MASTER_KEY"),
        };
        MasterKeyProblem::Missing { file }
    }
}

fn read_key_file(file: &Path) -> Result<SecretString, MasterKeyProblem> {
    std::fs::read_to_string(file)
        .map(|text| SecretString::new(text.trim()))
        .map_err(|error| MasterKeyProblem::Unreadable {
            file: file.to_owned(),
            error,
        })
}

/// What a database holds before KeyHub touches it.
pub enum ExistingVault {
    /// No database, or no KeyHub schema in it yet.
    Fresh,
    /// The sealed canary of an initialized vault.
    Sealed(String),
}

/// Reads the canary without writing: a missing SQLite file is not created, an existing one is
/// opened read-only.
pub async fn inspect_existing(settings: &Settings) -> Result<ExistingVault, StartupError> {
    let url = settings.database_url.expose();
    if settings.backend == Backend::Sqlite && sqlite_path(url).is_some_and(|p| !p.exists()) {
        return Ok(ExistingVault::Fresh);
    }
    let db = Db::connect(url, Access::ReadOnly)
        .await
        .map_err(|error| database_error(settings, error))?;
    let canary = db.vault_canary().await;
    db.close().await;
    match canary.map_err(|error| database_error(settings, error))? {
        Some(sealed) => Ok(ExistingVault::Sealed(sealed)),
        None => Ok(ExistingVault::Fresh),
    }
}

/// Checks the master keys against what the database holds, without writing anything.
/// `Ok(None)` means a first run whose master key is still to be generated.
pub async fn check_master_key(settings: &Settings) -> Result<Option<MasterKeys>, StartupError> {
    let source = KeySource::of(settings);
    let keys = source.load()?;
    match (keys, inspect_existing(settings).await?) {
        (Some(keys), ExistingVault::Sealed(canary)) if !keys.opens_canary(&canary) => {
            Err(MasterKeyProblem::Wrong.into())
        }
        (None, ExistingVault::Sealed(_)) => Err(source.missing().into()),
        (keys, _) => Ok(keys),
    }
}

/// Proves the master keys, migrates, and on first run generates the master key file and the canary.
pub async fn open_vault(settings: &Settings) -> Result<(Db, Arc<MasterKeys>), StartupError> {
    let checked = check_master_key(settings).await?;
    let db = open_database(settings).await?;

    let keys = match checked {
        Some(keys) => keys,
        None => generate_master_key_file(&settings.default_master_key_file())?,
    };
    // Another instance may have initialized the vault meanwhile: prove the keys against whichever
    // canary is in force.
    let canary = db
        .init_vault_canary(&keys.seal_canary())
        .await
        .map_err(|error| database_error(settings, error))?;
    if !keys.opens_canary(&canary) {
        return Err(MasterKeyProblem::Wrong.into());
    }
    Ok((db, Arc::new(keys)))
}

/// The database, for writing, its schema at this binary's version: brought up to date when
/// `KEYHUB_AUTO_MIGRATE` allows, refused when older otherwise or when a newer release migrated it.
pub(super) async fn open_database(settings: &Settings) -> Result<Db, StartupError> {
    let db = Db::connect(settings.database_url.expose(), Access::ReadWrite)
        .await
        .map_err(|error| database_error(settings, error))?;
    let ready = match db.schema_state().await {
        Ok(SchemaState::Current) => Ok(()),
        Ok(state) => match state.refusal(settings.auto_migrate) {
            Some(refusal) => Err(refusal),
            None => db.migrate().await,
        },
        Err(error) => Err(error),
    };
    if let Err(error) = ready {
        db.close().await;
        return Err(database_error(settings, error));
    }
    Ok(db)
}

pub(super) fn database_error(settings: &Settings, error: StoreError) -> StartupError {
    StartupError::Database {
        url: settings.database_display(),
        error,
    }
}

fn generate_master_key_file(file: &Path) -> Result<MasterKeys, MasterKeyProblem> {
    let keys = write_master_key_file(file, &MasterKeys::generate())?;
    tracing::warn!(
        file = %file.display(),
        "FIRST RUN: generated a new master key. BACK UP THIS FILE NOW: without it every stored \
         provider key is lost for good. Keep it apart from the database backups."
    );
    Ok(keys)
}

/// Writes `key` to a new file readable by its owner only, synced to disk.
pub(super) fn write_master_key_file(
    file: &Path,
    key: &SecretString,
) -> Result<MasterKeys, MasterKeyProblem> {
    let unwritable = |error| MasterKeyProblem::Unwritable {
        file: file.to_owned(),
        error,
    };
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(unwritable)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut handle = options.open(file).map_err(unwritable)?;
    handle
        .write_all(format!("{}\n", key.expose()).as_bytes())
        .and_then(|_| handle.sync_all())
        .map_err(unwritable)?;
    MasterKeys::parse(key).map_err(|error| MasterKeyProblem::Invalid {
        source_name: file.display().to_string(),
        error,
    })
}
