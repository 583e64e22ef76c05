//! The one-time setup code (SPEC.md §9): while KeyHub is not set up, the code is printed in the log
//! at each start and written to `<data dir>/setup-code` (mode 0600). `/setup` works only with it, so
//! a page that reaches a fresh instance through the browser (DNS rebinding) cannot set it up.
//!
//! One code for every instance on the database: the first start makes it and stores it sealed
//! under the master key; later starts (and instances started at the same moment) print that same
//! code, so `/setup` accepts it whichever instance a load balancer picks. Setup deletes it. Only a
//! hash is kept in memory.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use argon2::password_hash::rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

use crate::store::{Db, StoreError};
use crate::vault::{Binding, MasterKeys, SecretString};

pub const SETUP_CODE_FILE: &str = "setup-code";
/// Crockford's base32: no I, L, O or U to misread.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// What the stored setup code is sealed to.
const BINDING: Binding<'static> = Binding {
    org_id: "keyhub",
    key_id: "setup-code",
};

#[derive(Debug)]
pub struct SetupCode {
    hash: Mutex<Option<[u8; 32]>>,
    db: Db,
    vault: Arc<MasterKeys>,
}

/// Uppercase, without the dashes and spaces people type or paste.
fn normalized_hash(code: &str) -> [u8; 32] {
    let normalized: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect();
    Sha256::digest(normalized.as_bytes()).into()
}

/// Three groups of four characters from 60 random bits, e.g. `7K2M-XQ9D-4HTR`.
fn generate() -> String {
    let mut bytes = [0u8; 12];
    OsRng.fill_bytes(&mut bytes);
    let chars: Vec<char> = bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(b % 32)]))
        .collect();
    chars
        .chunks(4)
        .map(|group| group.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

pub fn file_path(data_dir: &Path) -> PathBuf {
    data_dir.join(SETUP_CODE_FILE)
}

impl SetupCode {
    pub fn new(db: Db, vault: Arc<MasterKeys>) -> SetupCode {
        SetupCode {
            hash: Mutex::default(),
            db,
            vault,
        }
    }

    /// Takes the code in force (stored by the first instance to start; a fresh one if none is, or
    /// if no master key of this instance opens the stored one) and writes it to its file (readable
    /// by the operator only). The code is returned for the log; the file's error, if any, too.
    pub async fn issue(
        &self,
        data_dir: &Path,
    ) -> Result<(SecretString, std::io::Result<PathBuf>), StoreError> {
        let fresh = SecretString::new(generate());
        let sealed = self.vault.seal(BINDING, &fresh);
        let stored = self.db.setup_code_in_force(&sealed).await?;
        let code = match self.vault.open(BINDING, &stored) {
            Ok(code) => code,
            Err(_) => {
                self.db.replace_setup_code(&sealed).await?;
                fresh
            }
        };
        let written = self.adopt(&code, data_dir);
        Ok((code, written))
    }

    /// Makes `code` the one `/setup` accepts here and writes it to its file.
    fn adopt(&self, code: &SecretString, data_dir: &Path) -> std::io::Result<PathBuf> {
        *self.hash.lock().expect("setup code lock") = Some(normalized_hash(code.expose()));
        let path = file_path(data_dir);
        write_private(&path, code.expose()).map(|()| path)
    }

    /// Whether `given` is the current code, compared in constant time. Without a code (none issued,
    /// or setup done) nothing matches.
    pub fn matches(&self, given: &str) -> bool {
        let given = normalized_hash(given);
        let Some(expected) = *self.hash.lock().expect("setup code lock") else {
            return false;
        };
        expected
            .iter()
            .zip(given.iter())
            .fold(0u8, |difference, (a, b)| difference | (a ^ b))
            == 0
    }

    /// Setup is done: the code stops working and its file is removed.
    pub fn retire(&self, data_dir: &Path) {
        *self.hash.lock().expect("setup code lock") = None;
        remove_file(data_dir);
    }
}

/// Removes the code's file, if there is one (also after `keyhub create-admin` set KeyHub up).
pub fn remove_file(data_dir: &Path) {
    let path = file_path(data_dir);
    if let Err(error) = std::fs::remove_file(&path) {
        if error.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!(path = %path.display(), %error, "the setup code file could not be removed");
        }
    }
}

fn write_private(path: &Path, code: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let mut file = options.open(path)?;
        // An older file keeps its mode when opened; make sure it is private too.
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        writeln!(file, "{code}")
    }
    #[cfg(not(unix))]
    {
        writeln!(options.open(path)?, "{code}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Access;

    async fn setup_code(dir: &Path) -> SetupCode {
        let db = Db::connect(
            &format!("sqlite://{}/keyhub.db", dir.display()),
            Access::ReadWrite,
        )
        .await
        .unwrap();
        db.migrate().await.unwrap();
        let vault = Arc::new(MasterKeys::parse(&MasterKeys::generate()).unwrap());
        SetupCode::new(db, vault)
    }

    #[tokio::test]
    async fn a_code_matches_as_typed_and_is_private_and_gone_once_retired() {
        let dir = tempfile::tempdir().unwrap();
        let setup = setup_code(dir.path()).await;
        assert!(!setup.matches(""), "no code issued, nothing matches");
        let (code, written) = setup.issue(dir.path()).await.unwrap();
        let path = written.unwrap();
        let code = code.expose().to_owned();
        assert_eq!(code.len(), 14);
        assert!(code
            .split('-')
            .all(|group| group.len() == 4 && group.bytes().all(|b| ALPHABET.contains(&b))));
        assert_eq!(std::fs::read_to_string(&path).unwrap().trim(), code);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(setup.matches(&code));
        assert!(setup.matches(&format!(" {} ", code.to_lowercase().replace('-', " "))));
        assert!(!setup.matches(&code[..13]));
        assert!(!setup.matches("0000-0000-0000"));

        let (again, _) = setup.issue(dir.path()).await.unwrap();
        assert_eq!(again.expose(), code, "the code in force stays until setup");
        setup.retire(dir.path());
        assert!(!setup.matches(again.expose()));
        assert!(!path.exists());
    }
}
