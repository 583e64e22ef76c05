//! Sign-in attempts limited per account and per client address (ASVS 6.3.1). An attempt is counted
//! before its password is checked, so a burst of parallel guesses cannot slip past the limit, and
//! a correct password gives its attempt back. The counts live in the database: shared by every
//! instance, one small row per subject (an account is keyed by a hash of its email, whatever its
//! length), purged by the housekeeping task once their window is over.

use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::store::{now_ms, Db, StoreError};

pub const WINDOW: Duration = Duration::from_secs(15 * 60);
pub const PER_ACCOUNT: i64 = 5;
pub const PER_ADDRESS: i64 = 30;

#[derive(Clone, Debug)]
pub struct LoginLimiter {
    db: Db,
}

fn window_ms() -> i64 {
    WINDOW.as_millis() as i64
}

impl LoginLimiter {
    pub fn new(db: Db) -> LoginLimiter {
        LoginLimiter { db }
    }

    /// Counts an attempt for the address, then for the account; `Ok(Err(wait))` when either is over
    /// its limit, and then the password must not be checked. An address over its limit is refused
    /// before its attempt is counted for any account.
    pub async fn reserve(
        &self,
        account: &str,
        address: &str,
    ) -> Result<Result<(), Duration>, StoreError> {
        for (subject, limit) in [
            (address_subject(address), PER_ADDRESS),
            (account_subject(account), PER_ACCOUNT),
        ] {
            let now = now_ms();
            let count = self
                .db
                .count_login_attempt(&subject, now, window_ms())
                .await?;
            if count.attempts > limit {
                let wait = (count.window_start + window_ms() - now).max(0);
                return Ok(Err(Duration::from_millis(wait as u64)));
            }
        }
        Ok(Ok(()))
    }

    /// A correct password: the account's attempts are forgotten and the address gets its attempt
    /// back.
    pub async fn release(&self, account: &str, address: &str) -> Result<(), StoreError> {
        self.db
            .forget_login_attempts(&account_subject(account))
            .await?;
        self.db
            .uncount_login_attempt(&address_subject(address))
            .await
    }

    /// Deletes the counts whose window is over.
    pub async fn purge(&self, now: i64) -> Result<u64, StoreError> {
        self.db.delete_old_login_attempts(now - window_ms()).await
    }
}

/// At most 320 characters of the normalized email are hashed, and 128 bits of the hash kept: the
/// row's size does not depend on what was typed.
fn account_subject(account: &str) -> String {
    let normalized: String = account.trim().to_lowercase().chars().take(320).collect();
    let digest = Sha256::digest(normalized.as_bytes());
    format!("account:{}", hex::encode(&digest[..16]))
}

fn address_subject(address: &str) -> String {
    format!("address:{}", address.chars().take(64).collect::<String>())
}

/// "Try again in N minutes", rounded up.
pub fn wait_message(wait: Duration) -> String {
    let minutes = wait.as_secs().div_ceil(60).max(1);
    let unit = if minutes == 1 { "minute" } else { "minutes" };
    format!("Too many failed sign-in attempts. Wait {minutes} {unit} and try again.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_have_a_bounded_size_and_ignore_case_and_spaces() {
        let long = format!("{}@example.com", "a".repeat(1_000_000));
        assert_eq!(account_subject(&long).len(), "account:".len() + 32);
        assert_eq!(
            account_subject(" Ada@Example.com "),
            account_subject("ada@example.com")
        );
        assert_ne!(
            account_subject("ada@example.com"),
            account_subject("bob@example.com")
        );
        assert!(address_subject(&"x".repeat(1000)).len() <= "address:".len() + 64);
        assert_eq!(
            wait_message(Duration::from_secs(61)),
            "Too many failed sign-in attempts. Wait 2 minutes and try again."
        );
    }
}
