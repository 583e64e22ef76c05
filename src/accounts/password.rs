//! Password hashing with argon2id at the crate's defaults (m=19 MiB, t=2, p=1: ASVS / OWASP), off
//! the async executor.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use crate::vault::SecretString;

pub async fn hash(password: SecretString) -> String {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.expose().as_bytes(), &salt)
            .expect("argon2 hashes any password with default parameters")
            .to_string()
    })
    .await
    .expect("the hashing task does not panic")
}

/// Whether `password` matches `stored`. Without a stored hash (unknown user, no password set yet)
/// a dummy hash is checked anyway, so the answer takes the same time either way.
pub async fn verify(password: SecretString, stored: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| DUMMY_HASH.to_owned());
        let Ok(parsed) = PasswordHash::new(&stored) else {
            return false;
        };
        let matches = Argon2::default()
            .verify_password(password.expose().as_bytes(), &parsed)
            .is_ok();
        known && matches
    })
    .await
    .unwrap_or(false)
}

/// argon2id of a random string nobody knows, with the default parameters.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0pGPp0hmNBh3XTO8Tz8W0tnyY3Wcz2ZvsAmoJ0j0rhQ";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_differ_per_salt() {
        let first = hash(SecretString::new("correct horse battery")).await;
        let second = hash(SecretString::new("correct horse battery")).await;
        assert!(first.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert_ne!(first, second);
        assert!(
            verify(
                SecretString::new("correct horse battery"),
                Some(first.clone())
            )
            .await
        );
        assert!(!verify(SecretString::new("wrong horse battery"), Some(first)).await);
        assert!(!verify(SecretString::new("anything"), None).await);
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }
}
