use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use fernet::{Fernet, MultiFernet};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::secret::SecretString;

/// Keys that appear in documentation (the Fernet spec's test vectors, KeyHub's `.env.example`).
/// Anyone can read them, so data encrypted under them is not protected: KeyHub refuses them.
const EXAMPLE_KEYS: &[&str] = &[
    "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=",
    "GRkFbd99AXi3y4him62o1bK8qleozp5nLDRSOFuEfDo=",
];

/// The scheme tag in front of every sealed value, so the scheme can change later (ASVS V11.2.2).
const SEALED_PREFIX: &str = "fernet1:";
/// The first line of every sealed envelope; the next two carry the org id and the key id.
const ENVELOPE_TAG: &str = "keyhub-secret-v1";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MasterKeyError {
    #[error("no master key was given")]
    Empty,
    #[error(
        "master key #{position} is malformed: a master key is a Fernet key, 32 random bytes in \
         URL-safe base64 (44 characters). Generate one with `keyhub gen-master-key`"
    )]
    Malformed { position: usize },
    #[error(
        "master key #{position} is an example key from the documentation and protects nothing. \
         Generate your own with `keyhub gen-master-key`"
    )]
    Example { position: usize },
}

/// Why a sealed value could not be opened. Deliberately coarse: no padding-oracle distinctions.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error("the stored secret is not in a format KeyHub knows")]
    UnknownScheme,
    #[error("the stored secret cannot be decrypted with the configured master keys (wrong key or tampered data)")]
    Undecryptable,
    #[error("the stored secret belongs to another record")]
    WrongBinding,
}

/// Which record a sealed secret belongs to. Checked on every open, so a ciphertext copied into
/// another row (or another org) does not decrypt.
#[derive(Debug, Clone, Copy)]
pub struct Binding<'a> {
    pub org_id: &'a str,
    pub key_id: &'a str,
}

/// The instance's master keys (SPEC.md §8–9): the first encrypts, all decrypt.
pub struct MasterKeys {
    primary: Fernet,
    all: MultiFernet,
    /// One fingerprint subkey per master key, in the same order.
    fingerprint_keys: Vec<Zeroizing<[u8; 32]>>,
}

impl std::fmt::Debug for MasterKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "MasterKeys({} keys, [redacted])",
            self.fingerprint_keys.len()
        )
    }
}

impl MasterKeys {
    /// Parses one or more comma-separated Fernet keys.
    pub fn parse(list: &SecretString) -> Result<MasterKeys, MasterKeyError> {
        let mut fernets = Vec::new();
        let mut fingerprint_keys = Vec::new();
        for (index, raw) in list.expose().split(',').map(str::trim).enumerate() {
            let position = index + 1;
            if raw.is_empty() {
                continue;
            }
            let bytes = decode_key(raw).ok_or(MasterKeyError::Malformed { position })?;
            if EXAMPLE_KEYS.contains(&raw) || bytes.iter().all(|b| *b == bytes[0]) {
                return Err(MasterKeyError::Example { position });
            }
            let fernet = Fernet::new(raw).ok_or(MasterKeyError::Malformed { position })?;
            fernets.push(fernet);
            fingerprint_keys.push(derive_fingerprint_key(&bytes));
        }
        let primary = fernets.first().cloned().ok_or(MasterKeyError::Empty)?;
        Ok(MasterKeys {
            primary,
            all: MultiFernet::new(fernets),
            fingerprint_keys,
        })
    }

    /// A new random master key in the form `KEYHUB_MASTER_KEY` expects.
    pub fn generate() -> SecretString {
        SecretString::new(Fernet::generate_key())
    }

    pub fn count(&self) -> usize {
        self.fingerprint_keys.len()
    }

    /// Encrypts `secret` under the first master key, bound to `binding`.
    pub fn seal(&self, binding: Binding<'_>, secret: &SecretString) -> String {
        let envelope = Zeroizing::new(format!(
            "{ENVELOPE_TAG}\n{}\n{}\n{}",
            binding.org_id,
            binding.key_id,
            secret.expose()
        ));
        format!(
            "{SEALED_PREFIX}{}",
            self.primary.encrypt(envelope.as_bytes())
        )
    }

    /// Decrypts a sealed secret with any master key and checks that it belongs to `binding`.
    pub fn open(&self, binding: Binding<'_>, sealed: &str) -> Result<SecretString, OpenError> {
        let token = sealed
            .strip_prefix(SEALED_PREFIX)
            .ok_or(OpenError::UnknownScheme)?;
        let plain = Zeroizing::new(
            self.all
                .decrypt(token)
                .map_err(|_| OpenError::Undecryptable)?,
        );
        let text = std::str::from_utf8(&plain).map_err(|_| OpenError::Undecryptable)?;
        let mut parts = text.splitn(4, '\n');
        let (Some(ENVELOPE_TAG), Some(org_id), Some(key_id), Some(secret)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(OpenError::Undecryptable);
        };
        if org_id != binding.org_id || key_id != binding.key_id {
            return Err(OpenError::WrongBinding);
        }
        Ok(SecretString::new(secret))
    }

    /// Whether `sealed` is already encrypted under the first master key (used to make master-key
    /// rotation resumable: rows done in an earlier run are skipped).
    pub fn is_sealed_by_primary(&self, sealed: &str) -> bool {
        sealed
            .strip_prefix(SEALED_PREFIX)
            .is_some_and(|token| self.primary.decrypt(token).is_ok())
    }

    /// The keyed fingerprint of a secret under the first master key (stored, never shown).
    pub fn fingerprint(&self, secret: &SecretString) -> String {
        fingerprint_with(&self.fingerprint_keys[0], secret)
    }

    /// The fingerprint under every master key, so duplicates are found while a rotation is under way.
    pub fn fingerprint_candidates(&self, secret: &SecretString) -> Vec<String> {
        self.fingerprint_keys
            .iter()
            .map(|key| fingerprint_with(key, secret))
            .collect()
    }
}

fn decode_key(raw: &str) -> Option<Zeroizing<Vec<u8>>> {
    let bytes = Zeroizing::new(URL_SAFE_NO_PAD.decode(raw.trim_end_matches('=')).ok()?);
    (bytes.len() == 32).then_some(bytes)
}

fn derive_fingerprint_key(master: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(master).expect("HMAC takes any key length");
    mac.update(b"keyhub/fingerprint/v1");
    Zeroizing::new(mac.finalize().into_bytes().into())
}

fn fingerprint_with(key: &[u8; 32], secret: &SecretString) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(secret.expose().as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(list: &str) -> MasterKeys {
        MasterKeys::parse(&SecretString::new(list)).expect("valid master keys")
    }

    const ORG_A: Binding<'static> = Binding {
        org_id: "org-a",
        key_id: "key-1",
    };

    #[test]
    fn round_trip_and_ciphertexts_differ_each_time() {
        let master = keys(MasterKeys::generate().expose());
        let secret = SecretString::new("sk-test-CANARY-roundtrip");
        let first = master.seal(ORG_A, &secret);
        let second = master.seal(ORG_A, &secret);
        assert_ne!(first, second, "same plaintext must encrypt differently");
        assert!(!first.contains("CANARY"));
        assert_eq!(master.open(ORG_A, &first).unwrap(), secret);
    }

    #[test]
    fn a_flipped_byte_is_refused() {
        let master = keys(MasterKeys::generate().expose());
        let sealed = master.seal(ORG_A, &SecretString::new("sk-flip"));
        let mut bytes = sealed.into_bytes();
        // Flip one base64 character inside the token body (not the scheme tag).
        let at = SEALED_PREFIX.len() + 40;
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        assert_eq!(master.open(ORG_A, &tampered), Err(OpenError::Undecryptable));
    }

    #[test]
    fn a_ciphertext_moved_to_another_row_or_org_does_not_decrypt() {
        let master = keys(MasterKeys::generate().expose());
        let sealed = master.seal(ORG_A, &SecretString::new("sk-moved"));
        let other_key = Binding {
            org_id: "org-a",
            key_id: "key-2",
        };
        let other_org = Binding {
            org_id: "org-b",
            key_id: "key-1",
        };
        assert_eq!(
            master.open(other_key, &sealed),
            Err(OpenError::WrongBinding)
        );
        assert_eq!(
            master.open(other_org, &sealed),
            Err(OpenError::WrongBinding)
        );
    }

    #[test]
    fn old_master_key_still_decrypts_after_a_new_one_is_put_first() {
        let old = MasterKeys::generate();
        let new = MasterKeys::generate();
        let before = keys(old.expose());
        let sealed = before.seal(ORG_A, &SecretString::new("sk-old"));

        let after = keys(&format!("{}, {}", new.expose(), old.expose()));
        assert_eq!(after.open(ORG_A, &sealed).unwrap().expose(), "sk-old");
        assert!(!after.is_sealed_by_primary(&sealed));
        let resealed = after.seal(ORG_A, &SecretString::new("sk-old"));
        assert!(after.is_sealed_by_primary(&resealed));

        let without_old = keys(new.expose());
        assert_eq!(
            without_old.open(ORG_A, &sealed),
            Err(OpenError::Undecryptable)
        );
    }

    #[test]
    fn undecryptable_values_are_errors_never_plaintext() {
        let master = keys(MasterKeys::generate().expose());
        assert_eq!(
            master.open(ORG_A, "sk-plaintext-in-the-column"),
            Err(OpenError::UnknownScheme)
        );
        assert_eq!(
            master.open(ORG_A, "fernet1:not-a-token"),
            Err(OpenError::Undecryptable)
        );
    }

    #[test]
    fn malformed_empty_and_example_keys_are_refused() {
        let parse = |s: &str| MasterKeys::parse(&SecretString::new(s)).map(|_| ());
        assert_eq!(parse(""), Err(MasterKeyError::Empty));
        assert_eq!(
            parse("too-short"),
            Err(MasterKeyError::Malformed { position: 1 })
        );
        let good = MasterKeys::generate();
        assert_eq!(
            parse(&format!("{},{}", good.expose(), "%%%")),
            Err(MasterKeyError::Malformed { position: 2 })
        );
        for example in EXAMPLE_KEYS {
            assert_eq!(parse(example), Err(MasterKeyError::Example { position: 1 }));
        }
        let zeros = URL_SAFE_NO_PAD.encode([0u8; 32]);
        assert_eq!(parse(&zeros), Err(MasterKeyError::Example { position: 1 }));
        assert!(parse(good.expose()).is_ok());
    }

    #[test]
    fn fingerprints_are_keyed_stable_and_found_across_rotation() {
        let old = MasterKeys::generate();
        let new = MasterKeys::generate();
        let secret = SecretString::new("sk-fingerprint");
        let before = keys(old.expose());
        let fp = before.fingerprint(&secret);
        assert_eq!(fp, before.fingerprint(&secret));
        assert_eq!(fp.len(), 64);
        assert_ne!(
            fp,
            keys(new.expose()).fingerprint(&secret),
            "keyed by the master key"
        );
        let rotating = keys(&format!("{},{}", new.expose(), old.expose()));
        assert!(rotating.fingerprint_candidates(&secret).contains(&fp));
    }

    #[test]
    fn debug_output_reveals_no_key_material() {
        let key = MasterKeys::generate();
        let printed = format!("{:?}", keys(key.expose()));
        assert!(!printed.contains(key.expose()));
    }
}
