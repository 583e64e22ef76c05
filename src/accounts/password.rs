//! Password hashing with argon2id at the crate's defaults (m=19 MiB, t=2, p=1: ASVS / OWASP), off
//! the async executor. Each hash takes 19 MiB while it runs, so only a few run at once (two per
//! core); a flood of sign-ins waits its turn instead of exhausting memory.

use std::sync::OnceLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::vault::SecretString;

fn slot_count() -> usize {
    2 * std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn hashing_slots() -> &'static Semaphore {
    static SLOTS: OnceLock<Semaphore> = OnceLock::new();
    SLOTS.get_or_init(|| Semaphore::new(slot_count()))
}

async fn hashing_slot() -> SemaphorePermit<'static> {
    hashing_slots()
        .acquire()
        .await
        .expect("the hashing semaphore is never closed")
}

pub async fn hash(password: SecretString) -> String {
    let _slot = hashing_slot().await;
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
    let _slot = hashing_slot().await;
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

    #[tokio::test]
    async fn hashing_waits_for_a_free_slot() {
        let all = hashing_slots()
            .acquire_many(slot_count() as u32)
            .await
            .unwrap();
        let waiting = tokio::spawn(verify(SecretString::new("anything at all"), None));
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert!(!waiting.is_finished(), "no slot, no hashing");
        drop(all);
        assert!(!waiting.await.unwrap());
    }
}
