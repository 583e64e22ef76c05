use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use fernet::{Fernet, MultiFernet};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
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
/// The first line of every sealed envelope; then the org id, the key id, the digest of where the
/// secret may be sent, and the secret.
const ENVELOPE_TAG: &str = "keyhub-secret-v2";
/// Envelopes written before the destination was bound: org id, key id, secret. Still opened.
const ENVELOPE_TAG_V1: &str = "keyhub-secret-v1";

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
    #[error("the stored secret belongs to another record or another destination")]
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

    /// Encrypts `secret` under the first master key, bound to `binding` (for values that are not
    /// sent anywhere, like the canary).
    pub fn seal(&self, binding: Binding<'_>, secret: &SecretString) -> String {
        self.seal_for(binding, "", secret)
    }

    /// Encrypts `secret` under the first master key, bound to `binding` and to `destination`
    /// (where the secret may be sent; see `keys::input::destination`).
    pub fn seal_for(
        &self,
        binding: Binding<'_>,
        destination: &str,
        secret: &SecretString,
    ) -> String {
        let envelope = Zeroizing::new(format!(
            "{ENVELOPE_TAG}\n{}\n{}\n{}\n{}",
            binding.org_id,
            binding.key_id,
            digest(destination),
            secret.expose()
        ));
        format!(
            "{SEALED_PREFIX}{}",
            self.primary.encrypt(envelope.as_bytes())
        )
    }

    /// Decrypts a value sealed by [`MasterKeys::seal`] and checks that it belongs to `binding`.
    pub fn open(&self, binding: Binding<'_>, sealed: &str) -> Result<SecretString, OpenError> {
        self.open_for(binding, "", sealed)
    }

    /// Decrypts a sealed secret with any master key and checks that it belongs to `binding` and
    /// to `destination`. A version-1 envelope carries no destination and is checked for `binding`
    /// only.
    pub fn open_for(
        &self,
        binding: Binding<'_>,
        destination: &str,
        sealed: &str,
    ) -> Result<SecretString, OpenError> {
        self.open_telling_current(binding, destination, sealed)
            .map(|(secret, _)| secret)
    }

    /// As [`MasterKeys::open_for`], and whether `sealed` is current (see
    /// [`MasterKeys::is_current`]), from the one decryption.
    pub fn open_telling_current(
        &self,
        binding: Binding<'_>,
        destination: &str,
        sealed: &str,
    ) -> Result<(SecretString, bool), OpenError> {
        let token = token(sealed)?;
        let (plain, by_primary) = match self.primary.decrypt(token) {
            Ok(plain) => (plain, true),
            Err(_) => (
                self.all
                    .decrypt(token)
                    .map_err(|_| OpenError::Undecryptable)?,
                false,
            ),
        };
        let plain = Zeroizing::new(plain);
        let text = std::str::from_utf8(&plain).map_err(|_| OpenError::Undecryptable)?;
        let (org_id, key_id, bound_to, secret) = match text.split_once('\n') {
            Some((ENVELOPE_TAG, rest)) => {
                let mut parts = rest.splitn(4, '\n');
                let (Some(org_id), Some(key_id), Some(bound_to), Some(secret)) =
                    (parts.next(), parts.next(), parts.next(), parts.next())
                else {
                    return Err(OpenError::Undecryptable);
                };
                (org_id, key_id, Some(bound_to), secret)
            }
            Some((ENVELOPE_TAG_V1, rest)) => {
                let mut parts = rest.splitn(3, '\n');
                let (Some(org_id), Some(key_id), Some(secret)) =
                    (parts.next(), parts.next(), parts.next())
                else {
                    return Err(OpenError::Undecryptable);
                };
                (org_id, key_id, None, secret)
            }
            _ => return Err(OpenError::Undecryptable),
        };
        let elsewhere = bound_to.is_some_and(|bound_to| bound_to != digest(destination));
        if org_id != binding.org_id || key_id != binding.key_id || elsewhere {
            return Err(OpenError::WrongBinding);
        }
        Ok((SecretString::new(secret), by_primary && bound_to.is_some()))
    }

    /// Whether `sealed` is written as [`MasterKeys::seal_for`] writes now: under the first master
    /// key, in the current envelope. Master-key rotation re-seals every other row and skips these,
    /// so an interrupted run resumes where it stopped.
    pub fn is_current(&self, sealed: &str) -> bool {
        let Some(plain) = token(sealed)
            .ok()
            .and_then(|token| self.primary.decrypt(token).ok())
        else {
            return false;
        };
        Zeroizing::new(plain).starts_with(format!("{ENVELOPE_TAG}\n").as_bytes())
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

fn token(sealed: &str) -> Result<&str, OpenError> {
    sealed
        .strip_prefix(SEALED_PREFIX)
        .ok_or(OpenError::UnknownScheme)
}

/// What an envelope keeps of a destination: its SHA-256, so any text fits on one line.
fn digest(destination: &str) -> String {
    hex::encode(Sha256::digest(destination.as_bytes()))
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
    hex::encode(mac.finalize().into_bytes())
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
        assert!(!after.is_current(&sealed));
        let resealed = after.seal(ORG_A, &SecretString::new("sk-old"));
        assert!(after.is_current(&resealed));

        let without_old = keys(new.expose());
        assert_eq!(
            without_old.open(ORG_A, &sealed),
            Err(OpenError::Undecryptable)
        );
    }

    #[test]
    fn a_secret_opens_only_for_the_destination_it_was_sealed_for() {
        let master = keys(MasterKeys::generate().expose());
        let secret = SecretString::new("sk-bound");
        let sealed = master.seal_for(ORG_A, r#"["openai","https://api.example.com"]"#, &secret);
        assert_eq!(
            master
                .open_for(ORG_A, r#"["openai","https://api.example.com"]"#, &sealed)
                .unwrap(),
            secret
        );
        for elsewhere in [r#"["openai","https://evil.example"]"#, ""] {
            assert_eq!(
                master.open_for(ORG_A, elsewhere, &sealed),
                Err(OpenError::WrongBinding),
                "{elsewhere}"
            );
        }
        assert_eq!(master.open(ORG_A, &sealed), Err(OpenError::WrongBinding));
    }

    #[test]
    fn a_version_1_envelope_still_opens_and_is_not_current() {
        let master = keys(MasterKeys::generate().expose());
        let v1 = format!(
            "{SEALED_PREFIX}{}",
            master
                .primary
                .encrypt(b"keyhub-secret-v1\norg-a\nkey-1\nsk-from-before\nwith a line")
        );
        assert_eq!(
            master.open_for(ORG_A, "anywhere", &v1).unwrap().expose(),
            "sk-from-before\nwith a line"
        );
        let other_key = Binding {
            org_id: "org-a",
            key_id: "key-2",
        };
        assert_eq!(
            master.open_for(other_key, "anywhere", &v1),
            Err(OpenError::WrongBinding)
        );
        assert!(!master.is_current(&v1), "rotation re-seals it as v2");
        assert!(master.is_current(&master.seal_for(ORG_A, "x", &SecretString::new("s"))));
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
