//! Moving a KeyHub: `keyhub export` writes orgs with their keys (secrets included), policy,
//! members and experts into one file encrypted under a passphrase; `keyhub import` reads it into
//! another instance, all or nothing, sealing every secret again under that instance's master key.
//!
//! The file is a line `KEYHUB-EXPORT 1`, a line of JSON saying what is inside (never a secret),
//! then an age file (scrypt passphrase, ChaCha20-Poly1305): the encrypted part repeats the header,
//! so a header changed after export is refused.

mod export;
mod import;

use std::io::{Read, Write};

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::keys::keyring::{Keyring, KeyringError};
use crate::keys::{KeyActor, KeyError};
use crate::store::activity::NewEvent;
use crate::store::{now_ms, Db, StoreError};
use crate::vault::SecretString;

pub use export::{export, PersonalKeys};
pub use import::{import, Conflicts, Imported};

const MAGIC: &str = "KEYHUB-EXPORT 1";
const OWNERS_ONLY: &str = "Only owners export the organization's keys.";
/// A passphrase shorter than this is refused for a new export.
pub const MIN_PASSPHRASE_CHARS: usize = 12;

/// Exports for the browser: what an owner may download of their organization.
#[derive(Clone, Debug)]
pub struct Transfer {
    db: Db,
    keyring: Keyring,
}

impl Transfer {
    pub fn new(db: Db, keyring: Keyring) -> Transfer {
        Transfer { db, keyring }
    }

    /// The actor's organization as an export file under `passphrase` (see `crate::transfer`), for
    /// its owners only: keys with their secrets, but of personal keys only the owner's own.
    pub async fn export_org(
        &self,
        actor: KeyActor<'_>,
        passphrase: &SecretString,
    ) -> Result<Vec<u8>, KeyError> {
        let KeyActor::Member { user, membership } = actor else {
            return Err(KeyError::Forbidden(OWNERS_ONLY));
        };
        if membership.role != crate::domain::accounts::OrgRole::Owner {
            return Err(KeyError::Forbidden(OWNERS_ONLY));
        }
        if passphrase.expose().chars().count() < MIN_PASSPHRASE_CHARS {
            return Err(crate::domain::problems::FieldProblem::new(
                "passphrase",
                "Use a passphrase of at least 12 characters: the file holds every key in clear \
                 once opened.",
            )
            .into());
        }
        let slug = [membership.org.slug.clone()];
        let failed = |error: TransferError| match error {
            TransferError::Store(error) => KeyError::Store(error),
            other => KeyError::Sealing(KeyringError::Export(other.to_string())),
        };
        let exported = export(
            &self.db,
            &self.keyring,
            &slug,
            false,
            PersonalKeys::OnlyOf(&user.id),
        )
        .await
        .map_err(failed)?;
        // The passphrase's key derivation takes about a second of CPU by design: off the server's
        // request threads.
        let passphrase = passphrase.clone();
        let file = tokio::task::spawn_blocking(move || seal_file(&exported, &passphrase))
            .await
            .map_err(|error| KeyError::Sealing(KeyringError::Export(error.to_string())))?
            .map_err(failed)?;
        self.db
            .record(&NewEvent {
                org_id: membership.org.id.clone(),
                actor_user_id: Some(user.id.clone()),
                actor_label: user.email.clone(),
                action: "org.exported",
                target_kind: "org",
                target_id: membership.org.id.clone(),
                target_label: membership.org.name.clone(),
                provider: None,
                detail: "downloaded an encrypted export".to_owned(),
                at: now_ms(),
            })
            .await?;
        Ok(file)
    }
}

/// What a file holds, readable without the passphrase.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub keyhub_version: String,
    /// RFC 3339, UTC.
    pub exported_at: String,
    pub with_accounts: bool,
    pub orgs: Vec<OrgSummary>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgSummary {
    pub slug: String,
    pub name: String,
    pub keys: usize,
    pub consumers: usize,
    pub members: usize,
}

/// Everything an org needs to move. Secrets are in `KeyExport::secret`; the whole is only ever
/// written encrypted.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Export {
    pub header: Header,
    pub orgs: Vec<OrgExport>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OrgExport {
    pub slug: String,
    pub name: String,
    pub allow_personal_keys: bool,
    pub allow_platform_keys: bool,
    pub members: Vec<MemberExport>,
    pub keys: Vec<KeyExport>,
    pub consumers: Vec<ConsumerExport>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MemberExport {
    pub email: String,
    pub role: String,
    /// Only with `--with-accounts`.
    pub password_hash: Option<String>,
    pub must_change_password: bool,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct KeyExport {
    /// The key's id in the exporting instance; the import gives it a new one.
    pub id: String,
    pub scope: String,
    pub owner_email: Option<String>,
    pub provider: String,
    pub key_family: String,
    pub nickname: Option<String>,
    /// `None` for a key waiting for its secret to be entered again.
    pub secret: Option<String>,
    pub hint: String,
    pub api_base: Option<String>,
    pub options: serde_json::Map<String, serde_json::Value>,
    pub role: String,
    pub fallback_rank: Option<i64>,
    pub enabled: bool,
    pub status: String,
    pub last_validated_at: Option<i64>,
    pub last_success_at: Option<i64>,
    pub last_error_code: Option<String>,
    pub last_error_http_status: Option<i64>,
    pub last_error_message: Option<String>,
    pub created_at: i64,
}

impl std::fmt::Debug for KeyExport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyExport")
            .field("id", &self.id)
            .field("provider", &self.provider)
            .field("hint", &self.hint)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ConsumerExport {
    pub id: String,
    pub kind: String,
    pub owner_email: Option<String>,
    pub name: String,
    pub description: String,
    pub expert_id: Option<String>,
    pub slots: Vec<SlotExport>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SlotExport {
    pub modality: String,
    pub provider: String,
    pub model: Option<String>,
    pub voice: Option<String>,
    pub key_id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error("not a KeyHub export file")]
    NotAnExport,
    #[error("the passphrase is wrong, or the file was changed or damaged; nothing was imported")]
    CannotOpen,
    #[error(
        "the file's header does not match what it encrypts (it was changed); nothing was imported"
    )]
    HeaderChanged,
    #[error("no organization {0}")]
    NoSuchOrg(String),
    #[error("{0}")]
    Conflicts(String),
    #[error("the key {0} could not be decrypted here; nothing was exported")]
    Undecryptable(String),
    #[error("the file holds something KeyHub cannot import: {0}")]
    Unusable(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The whole file: the header in clear, then everything encrypted under `passphrase`.
pub fn seal_file(export: &Export, passphrase: &SecretString) -> Result<Vec<u8>, TransferError> {
    let payload = Zeroizing::new(
        serde_json::to_vec(export).map_err(|e| TransferError::Unusable(e.to_string()))?,
    );
    let header = serde_json::to_string(&export.header)
        .map_err(|e| TransferError::Unusable(e.to_string()))?;
    let mut file = format!("{MAGIC}\n{header}\n").into_bytes();
    let encryptor = age::Encryptor::with_user_passphrase(age::secrecy::SecretString::from(
        passphrase.expose().to_owned(),
    ));
    let mut writer = encryptor.wrap_output(&mut file)?;
    writer.write_all(&payload)?;
    writer.finish()?;
    Ok(file)
}

/// The header of a file, without the passphrase.
pub fn read_header(file: &[u8]) -> Result<Header, TransferError> {
    split(file).map(|(header, _)| header)
}

/// Decrypts a file and checks its header against what it encrypts.
pub fn open_file(file: &[u8], passphrase: &SecretString) -> Result<Export, TransferError> {
    let (header, encrypted) = split(file)?;
    let decryptor = age::Decryptor::new(encrypted).map_err(|_| TransferError::CannotOpen)?;
    let identity = age::scrypt::Identity::new(age::secrecy::SecretString::from(
        passphrase.expose().to_owned(),
    ));
    let mut reader = decryptor
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .map_err(|_| TransferError::CannotOpen)?;
    let mut payload = Zeroizing::new(Vec::new());
    reader
        .read_to_end(&mut payload)
        .map_err(|_| TransferError::CannotOpen)?;
    let export: Export =
        serde_json::from_slice(&payload).map_err(|e| TransferError::Unusable(e.to_string()))?;
    if export.header != header {
        return Err(TransferError::HeaderChanged);
    }
    Ok(export)
}

fn split(file: &[u8]) -> Result<(Header, &[u8]), TransferError> {
    let rest = file
        .strip_prefix(format!("{MAGIC}\n").as_bytes())
        .ok_or(TransferError::NotAnExport)?;
    let end = rest
        .iter()
        .position(|byte| *byte == b'\n')
        .ok_or(TransferError::NotAnExport)?;
    let header = serde_json::from_slice(&rest[..end]).map_err(|_| TransferError::NotAnExport)?;
    Ok((header, &rest[end + 1..]))
}
