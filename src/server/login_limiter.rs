//! Sign-in attempts limited per account and per client address (ASVS 6.3.1). Kept in memory: a
//! restart forgets, and several instances each count on their own.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(15 * 60);
const PER_ACCOUNT: usize = 5;
const PER_ADDRESS: usize = 30;

#[derive(Debug, Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl LoginLimiter {
    /// `Err(wait)` when the account or the address has failed too often within the window.
    pub fn check(&self, account: &str, address: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let mut failures = self.failures.lock().expect("limiter lock");
        let mut wait = None;
        for (key, limit) in [
            (account_key(account), PER_ACCOUNT),
            (address_key(address), PER_ADDRESS),
        ] {
            let recent = failures.entry(key).or_default();
            recent.retain(|at| now.duration_since(*at) < WINDOW);
            if recent.len() >= limit {
                let until = recent[recent.len() - limit] + WINDOW;
                wait = wait.max(Some(until.duration_since(now)));
            }
        }
        wait.map_or(Ok(()), Err)
    }

    pub fn record_failure(&self, account: &str, address: &str) {
        let now = Instant::now();
        let mut failures = self.failures.lock().expect("limiter lock");
        for key in [account_key(account), address_key(address)] {
            failures.entry(key).or_default().push(now);
        }
    }

    /// A successful sign-in clears the account's failures (not the address's).
    pub fn record_success(&self, account: &str) {
        self.failures
            .lock()
            .expect("limiter lock")
            .remove(&account_key(account));
    }
}

fn account_key(account: &str) -> String {
    format!("account:{}", account.trim().to_lowercase())
}

fn address_key(address: &str) -> String {
    format!("address:{address}")
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
    fn an_account_is_locked_after_five_failures_and_cleared_by_success() {
        let limiter = LoginLimiter::default();
        for _ in 0..PER_ACCOUNT {
            assert!(limiter.check("Ada@example.com", "10.0.0.1").is_ok());
            limiter.record_failure("ada@example.com", "10.0.0.1");
        }
        let wait = limiter.check("ADA@example.com", "10.0.0.2").unwrap_err();
        assert!(wait <= WINDOW && wait > WINDOW - Duration::from_secs(5));
        assert!(
            limiter.check("bob@example.com", "10.0.0.2").is_ok(),
            "others unaffected"
        );
        limiter.record_success("ada@example.com");
        assert!(limiter.check("ada@example.com", "10.0.0.2").is_ok());
    }

    #[test]
    fn an_address_is_locked_after_many_failures_across_accounts() {
        let limiter = LoginLimiter::default();
        for n in 0..PER_ADDRESS {
            limiter.record_failure(&format!("user{n}@example.com"), "10.0.0.9");
        }
        assert!(limiter.check("new@example.com", "10.0.0.9").is_err());
        assert!(limiter.check("new@example.com", "10.0.0.10").is_ok());
        assert_eq!(
            wait_message(Duration::from_secs(61)),
            "Too many failed sign-in attempts. Wait 2 minutes and try again."
        );
    }
}
