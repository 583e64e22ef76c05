//! Key health (SPEC.md §4, §6), in one place: what a provider's verdict means for a key being saved,
//! the health it records, how long a key rests after which failure, when a key cannot serve, and
//! what a call through the gateway teaches about a key.
//!
//! A call is not a validation: it never moves `last_validated_at`, and a refusal (401/403) changes
//! nothing by itself, because the caller's own request may be what the provider refused. Only a
//! validation probe judges the key then.

use super::{key_label, KeyError, KeyService};
use crate::domain::catalog::Provider;
use crate::domain::keys::KeyStatus;
use crate::domain::time::utc_minute;
use crate::store::activity::NewEvent;
use crate::store::keys::{KeyHealth, KeyRecord};
use crate::store::now_ms;
use crate::upstream::Verdict;

/// What validation means for saving a key.
pub(super) fn judge(
    provider: &Provider,
    verdict: &Verdict,
    allow_unverified: bool,
) -> Result<KeyHealth, KeyError> {
    use KeyStatus::*;
    match verdict.status {
        Invalid | Expired | Forbidden => Err(KeyError::Rejected(verdict.message.clone())),
        NetworkError | ProviderDown | Unverified
            if !allow_unverified && provider.id != "custom" =>
        {
            Err(KeyError::Unreachable(verdict.message.clone()))
        }
        NetworkError | ProviderDown | Unverified | Unsupported | NeedsReentry => Ok(KeyHealth {
            status: Unverified,
            ..health_of(verdict, now_ms())
        }),
        Valid | ValidRestricted | NoCredits | RateLimited => Ok(health_of(verdict, now_ms())),
    }
}

/// How long a key rests after a failure at call time or validation (SPEC.md §6).
const NO_CREDIT_COOLDOWN_MS: i64 = 60 * 60 * 1000;
const RATE_LIMIT_COOLDOWN_MS: i64 = 60 * 1000;

/// The health a verdict records.
pub(super) fn health_of(verdict: &Verdict, now: i64) -> KeyHealth {
    let cooldown_until = match verdict.status {
        KeyStatus::RateLimited => Some(
            now + verdict
                .retry_after
                .map(|wait| wait.as_millis() as i64)
                .unwrap_or(RATE_LIMIT_COOLDOWN_MS),
        ),
        KeyStatus::NoCredits => Some(now + NO_CREDIT_COOLDOWN_MS),
        _ => None,
    };
    let worked = matches!(
        verdict.status,
        KeyStatus::Valid | KeyStatus::ValidRestricted
    );
    KeyHealth {
        status: verdict.status,
        checked_at: now,
        success: worked,
        cooldown_until,
        error: (verdict.status != KeyStatus::Valid).then(|| {
            (
                verdict.code.clone(),
                verdict.http_status.map(i64::from),
                verdict.message.clone(),
            )
        }),
    }
}

/// Why a key cannot serve now, as the end of a sentence ("is disabled"); `None` when it can.
pub fn unusable(key: &KeyRecord, now: i64) -> Option<String> {
    if key.deleted_at.is_some() {
        return Some("was deleted".to_owned());
    }
    if !key.enabled {
        return Some("is disabled".to_owned());
    }
    if key.status == KeyStatus::NeedsReentry {
        return Some(
            "has no secret since the master key was lost: paste it again with Re-enter key"
                .to_owned(),
        );
    }
    if key.status.is_rejected() {
        return Some(format!(
            "was rejected by the provider ({}) and waits for a successful validation",
            crate::domain::consumers::status_word(key.status).to_lowercase()
        ));
    }
    match key.cooldown_until.filter(|until| *until > now) {
        Some(until) if key.status == KeyStatus::NoCredits => {
            Some(format!("is out of credit until {}", utc_minute(until)))
        }
        Some(until) if key.status == KeyStatus::RateLimited => {
            Some(format!("is rate-limited until {}", utc_minute(until)))
        }
        // The gateway rests a key briefly after its provider failed or could not be reached.
        Some(until) => Some(format!(
            "rests after a failed call until {}",
            utc_minute(until)
        )),
        None => None,
    }
}

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
    /// What a failed call through the gateway means for `key`, as [`CallFailure`] says: it rests,
    /// it is re-checked, or nothing is learned. `then` says what the gateway did next ("moved on
    /// to …"), for the activity log.
    pub async fn report_call_failure(
        &self,
        caller_label: &str,
        key: &KeyRecord,
        failure: CallFailure,
        verdict: &Verdict,
        then: &str,
    ) -> Result<(), KeyError> {
        match failure {
            CallFailure::Rests => self.rest_after_call(caller_label, key, verdict, then).await,
            CallFailure::Refused => {
                self.recheck_after_refusal(key);
                Ok(())
            }
            CallFailure::NotTried => Ok(()),
        }
    }

    /// Records that `key` failed a call and must rest: its status, cooldown and last error, with
    /// an activity event saying what happened next, in one transaction.
    async fn rest_after_call(
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
        // Calls that were already under way when the key failed fail too: the first one marks it,
        // the others find it resting for the same reason and leave the mark (and the log) as is.
        let already_marked = change.live_key(&key.id).await?.is_none_or(|current| {
            current.status == health.status
                && current.cooldown_until.is_some_and(|until| until > now)
        });
        if already_marked {
            return Ok(());
        }
        change.set_call_health(&key.id, &health).await?;
        change.finish(&event).await?;
        Ok(())
    }

    /// A provider refused `key` at call time: probe it in the background, at most once per
    /// [`RECHECK_INTERVAL_MS`] per key, and let the probe's verdict alone change its health.
    fn recheck_after_refusal(&self, key: &KeyRecord) {
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
