//! KeyHub's own per-token request limit for the gateway: a window per minute, in memory.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Debug)]
pub struct TokenLimiter {
    per_minute: u32,
    /// Token id → (minute, requests in it).
    windows: Mutex<HashMap<String, (u64, u32)>>,
}

impl TokenLimiter {
    pub fn new(per_minute: u32) -> TokenLimiter {
        TokenLimiter {
            per_minute,
            windows: Mutex::default(),
        }
    }

    /// Counts a request of the token; `Err(wait)` when it is over its limit for this minute.
    pub fn admit(&self, token_id: &str) -> Result<(), Duration> {
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        self.admit_at(token_id, since_epoch)
    }

    fn admit_at(&self, token_id: &str, since_epoch: Duration) -> Result<(), Duration> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let minute = since_epoch.as_secs() / 60;
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if windows.len() > 10_000 {
            windows.retain(|_, (window, _)| *window == minute);
        }
        let (window, count) = windows.entry(token_id.to_owned()).or_insert((minute, 0));
        if *window != minute {
            *window = minute;
            *count = 0;
        }
        if *count >= self.per_minute {
            return Err(Duration::from_secs(60 - since_epoch.as_secs() % 60));
        }
        *count += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_token_has_its_own_window_per_minute() {
        let limiter = TokenLimiter::new(2);
        let at = Duration::from_secs(600 + 45);
        assert!(limiter.admit_at("a", at).is_ok());
        assert!(limiter.admit_at("a", at).is_ok());
        assert_eq!(limiter.admit_at("a", at), Err(Duration::from_secs(15)));
        assert!(limiter.admit_at("b", at).is_ok());
        assert!(limiter.admit_at("a", at + Duration::from_secs(15)).is_ok());
        assert!(TokenLimiter::new(0).admit_at("a", at).is_ok());
    }
}
