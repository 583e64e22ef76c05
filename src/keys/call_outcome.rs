//! What a call through the gateway teaches about a key. A call is not a validation: it never moves
//! `last_validated_at`, and a refusal (401/403) changes nothing by itself, because the caller's own
//! request may be what the provider refused. Only a validation probe judges the key then.

use super::{health_of, key_label, KeyError, KeyService};
use crate::domain::keys::KeyStatus;
use crate::store::activity::NewEvent;
use crate::store::keys::KeyRecord;
use crate::store::now_ms;
use crate::validation::Verdict;

/// How long a key rests after its provider failed or could not be reached at call time.
const PROVIDER_FAILURE_COOLDOWN_MS: i64 = 30_000;

/// A key refused at call time is probed at most this often, however many calls are refused.
const RECHECK_INTERVAL_MS: i64 = 60_000;

/// How a failed call bears on its key.
pub enum CallFailure {
    /// Rate-limited, out of credit, or the provider failed: the key rests for a while.
    Rests,
    /// The provider refused the key; a probe decides whether it really is bad.
    Refused,
    /// The key could not be tried (KeyHub refuses its base URL for this call): nothing is learned.
    NotTried,
}

impl CallFailure {
    /// `None` when the verdict says nothing against the key.
    pub fn of(verdict: &Verdict) -> Option<CallFailure> {
        match verdict.status {
            KeyStatus::RateLimited
            | KeyStatus::NoCredits
            | KeyStatus::ProviderDown
            | KeyStatus::NetworkError => Some(CallFailure::Rests),
            KeyStatus::Invalid | KeyStatus::Expired | KeyStatus::Forbidden => {
                Some(CallFailure::Refused)
            }
            _ => None,
        }
    }
}

impl KeyService {
    /// Records that `key` failed a call and must rest: its status, cooldown and last error, with
    /// an activity event saying what happened next, in one transaction.
    pub async fn record_call_failure(
        &self,
        caller_label: &str,
        key: &KeyRecord,
        verdict: &Verdict,
        then: &str,
    ) -> Result<(), KeyError> {
        let now = now_ms();
        let mut health = health_of(verdict, now);
        if health.cooldown_until.is_none() {
            health.cooldown_until = Some(now + PROVIDER_FAILURE_COOLDOWN_MS);
        }
        let event = NewEvent {
            org_id: key.org_id.clone(),
            actor_user_id: None,
            actor_label: caller_label.to_owned(),
            action: "key.failover",
            target_kind: "key",
            target_id: key.id.clone(),
            target_label: key_label(key),
            provider: Some(key.provider.clone()),
            detail: format!(
                "{} ({}): {then}",
                crate::domain::consumers::status_word(verdict.status),
                verdict
                    .http_status
                    .map_or("no answer".to_owned(), |s| s.to_string())
            ),
            at: now,
        };
        let mut change = self.db.begin_org_change(&key.org_id).await?;
        change.set_call_health(&key.id, &health).await?;
        change.finish(&event).await?;
        Ok(())
    }

    /// A provider refused `key` at call time: probe it in the background, at most once per
    /// [`RECHECK_INTERVAL_MS`] per key, and let the probe's verdict alone change its health.
    pub fn recheck_after_refusal(&self, key: &KeyRecord) {
        let now = now_ms();
        {
            let mut rechecked = self
                .rechecked
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            rechecked.retain(|_, at| now - *at < RECHECK_INTERVAL_MS);
            if rechecked.contains_key(&key.id) {
                return;
            }
            rechecked.insert(key.id.clone(), now);
        }
        let service = self.clone();
        let (org_id, key_id) = (key.org_id.clone(), key.id.clone());
        tokio::spawn(async move {
            if let Err(error) = service.revalidate(&org_id, &key_id).await {
                tracing::warn!(key_id, %error, "re-checking a key refused at call time failed");
            }
        });
    }
}
