//! `keyhub export` and `keyhub import` as the operator runs them: the passphrase from a file or
//! stdin (never an argument, which other users of the machine could read), the file written
//! readable by its owner only and never over an existing one.

use std::path::Path;

use crate::config::Settings;
use crate::keys::keyring::Keyring;
use crate::server::startup::open_vault;
use crate::transfer::{
    export, import, open_file, read_header, seal_file, Conflicts, Header, Imported, PersonalKeys,
    TransferError, MIN_PASSPHRASE_CHARS,
};
use crate::vault::SecretString;

#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Transfer(#[from] TransferError),
    #[error(transparent)]
    Startup(#[from] crate::server::startup::StartupError),
}

/// The passphrase: the first line of `file`, or of stdin.
pub fn passphrase(file: Option<&Path>) -> Result<SecretString, CommandError> {
    let text = match file {
        Some(file) => std::fs::read_to_string(file).map_err(|error| {
            CommandError::Refused(format!("{} cannot be read: {error}", file.display()))
        })?,
        None => {
            eprintln!("Passphrase (read from stdin):");
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .map_err(|error| CommandError::Refused(format!("stdin: {error}")))?;
            line
        }
    };
    let line = text.lines().next().unwrap_or_default();
    Ok(SecretString::new(line))
}

/// Writes the orgs named (every org with `all`) to `to`; returns what the file's header says.
pub async fn export_to(
    settings: &Settings,
    to: &Path,
    orgs: &[String],
    all: bool,
    with_accounts: bool,
    passphrase: &SecretString,
) -> Result<Header, CommandError> {
    if orgs.is_empty() != all {
        return Err(CommandError::Refused(
            "name the organizations with --org SLUG (repeat it), or export every one with --all"
                .to_owned(),
        ));
    }
    if passphrase.expose().chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(CommandError::Refused(format!(
            "use a passphrase of at least {MIN_PASSPHRASE_CHARS} characters: the file holds every \
             key in clear once opened"
        )));
    }
    let (db, vault) = open_vault(settings).await?;
    let keyring = Keyring::new(db.clone(), vault);
    let exported = export(&db, &keyring, orgs, with_accounts, PersonalKeys::All).await;
    db.close().await;
    let exported = exported?;
    let file = seal_file(&exported, passphrase)?;
    write_new(to, &file).map_err(|error| {
        CommandError::Refused(format!("{} cannot be written: {error}", to.display()))
    })?;
    Ok(exported.header)
}

/// Reads `from` into this instance; returns its header and, per org, the slug it got.
pub async fn import_from(
    settings: &Settings,
    from: &Path,
    conflicts: Conflicts,
    passphrase: &SecretString,
) -> Result<(Header, Imported), CommandError> {
    let file = std::fs::read(from).map_err(|error| {
        CommandError::Refused(format!("{} cannot be read: {error}", from.display()))
    })?;
    let header = read_header(&file)?;
    let exported = open_file(&file, passphrase)?;
    let (db, vault) = open_vault(settings).await?;
    let keyring = Keyring::new(db.clone(), vault);
    let imported = import(&db, &keyring, &exported, conflicts).await;
    db.close().await;
    Ok((header, imported?))
}

fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}
