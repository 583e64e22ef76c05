//! What must hold afterwards (and, for primaries, all along), read from KeyHub and its database.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use keyhub::store::{Access, Backend, Db, StoreError};
use reqwest::Method;
use sqlx::{AnyPool, Row};

use crate::client::Run;
use crate::ops::{Ledger, ANCHOR_KEYS, CHURNED};

/// KeyHub's database, opened to read.
#[derive(Clone)]
pub struct Database {
    pool: AnyPool,
    sqlite: bool,
}

impl Database {
    pub async fn open(url: &str) -> Result<Database, StoreError> {
        let db = Db::connect(url, Access::ReadOnly).await?;
        Ok(Database {
            pool: db.pool().clone(),
            sqlite: db.backend() == Backend::Sqlite,
        })
    }

    pub fn backend(&self) -> &'static str {
        if self.sqlite {
            "SQLite"
        } else {
            "PostgreSQL"
        }
    }

    /// Live primaries per churned family, as committed.
    async fn primaries(&self) -> Result<HashMap<String, i64>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT key_family, COUNT(*) FROM provider_keys \
             WHERE role = 'primary' AND deleted_at IS NULL AND scope = 'org' GROUP BY key_family",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|row| (row.get::<String, _>(0), row.get::<i64, _>(1)))
            .collect())
    }

    /// How often each key event names each key.
    async fn key_events(&self) -> Result<HashMap<(String, String), u64>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT action, target_id, COUNT(*) FROM activity \
             WHERE target_kind = 'key' GROUP BY action, target_id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|row| {
                let key = (row.get::<String, _>(0), row.get::<String, _>(1));
                (key, row.get::<i64, _>(2) as u64)
            })
            .collect())
    }

    async fn integrity(&self) -> Result<String, sqlx::Error> {
        if !self.sqlite {
            return Ok("ok".into());
        }
        let rows = sqlx::query("PRAGMA integrity_check")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(|row| row.get::<String, _>(0))
            .collect::<Vec<_>>()
            .join("; "))
    }
}

/// What the sampler saw: how many times it read, and the moments a family had no primary or
/// more than one.
#[derive(Debug, Default)]
pub struct Sampled {
    pub samples: u64,
    pub violations: Vec<String>,
}

/// Reads the primaries every 50 ms until `until`; a read the fault prevents is skipped.
pub async fn sample_primaries(database: Database, run: Arc<Run>, until: Instant) -> Sampled {
    let started = Instant::now();
    let mut sampled = Sampled::default();
    while Instant::now() < until {
        if let Ok(primaries) = database.primaries().await {
            sampled.samples += 1;
            for family in CHURNED {
                let count = primaries.get(family).copied().unwrap_or(0);
                if count != 1 && sampled.violations.len() < 10 {
                    sampled.violations.push(format!(
                        "{family} had {count} primaries at {:.1} s",
                        started.elapsed().as_secs_f64()
                    ));
                }
            }
        } else if run.fault().is_none() {
            sampled
                .violations
                .push("the database could not be read".into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    sampled
}

/// The checks' findings; each list names what went wrong.
#[derive(Debug, Default, serde::Serialize)]
pub struct Verdict {
    pub writes_checked: u64,
    pub lost: Vec<String>,
    pub duplicated: Vec<String>,
    pub primary_samples: u64,
    pub primary_violations: Vec<String>,
    pub integrity: String,
    pub unsure_keys: u64,
}

/// After the run: every acknowledged change is in place and in the activity log once; nothing
/// unacknowledged appeared beyond what unanswered requests explain; the file is sound.
pub async fn verify(
    run: &Run,
    database: &Database,
    ledgers: &[Ledger],
    sampled: Sampled,
) -> Verdict {
    let mut verdict = Verdict {
        primary_samples: sampled.samples,
        primary_violations: sampled.violations,
        ..Verdict::default()
    };
    match database.primaries().await {
        Ok(primaries) => {
            for family in CHURNED {
                let count = primaries.get(family).copied().unwrap_or(0);
                if count != 1 {
                    verdict
                        .primary_violations
                        .push(format!("{family} ends with {count} primaries"));
                }
            }
        }
        Err(error) => verdict
            .lost
            .push(format!("the database could not be read: {error}")),
    }
    let events = match database.key_events().await {
        Ok(events) => events,
        Err(error) => {
            verdict
                .lost
                .push(format!("the activity log could not be read: {error}"));
            return verdict;
        }
    };
    let count = |action: &str, id: &str| {
        events
            .get(&(action.to_owned(), id.to_owned()))
            .copied()
            .unwrap_or(0)
    };
    for key in ledgers.iter().flat_map(|ledger| &ledger.keys) {
        if !key.sure {
            verdict.unsure_keys += 1;
            continue;
        }
        verdict.writes_checked += 1
            + key.acked.enabled
            + key.acked.disabled
            + key.acked.renamed
            + key.acked.role_changes
            + u64::from(key.deleted);
        check_state(run, key, &mut verdict).await;
        let deleted = u64::from(key.deleted);
        for (action, acked) in [
            ("key.created", 1),
            ("key.enabled", key.acked.enabled),
            ("key.disabled", key.acked.disabled),
            ("key.updated", key.acked.renamed),
            ("key.deleted", deleted),
        ] {
            let logged = count(action, &key.id);
            compare(&mut verdict, &key.id, action, acked, logged, logged);
        }
        // Making another key primary demotes this one, which is logged too.
        let logged = count("key.role_changed", &key.id);
        let at_least = logged.min(key.acked.role_changes);
        compare(
            &mut verdict,
            &key.id,
            "key.role_changed",
            key.acked.role_changes,
            at_least,
            at_least,
        );
    }
    let known: std::collections::HashSet<&str> = ledgers
        .iter()
        .flat_map(|ledger| ledger.keys.iter().map(|key| key.id.as_str()))
        .collect();
    let strangers = events
        .iter()
        .filter(|((action, id), _)| action == "key.created" && !known.contains(id.as_str()))
        .map(|(_, n)| n)
        .sum::<u64>();
    let anchors = ANCHOR_KEYS as u64;
    let unsure_additions: u64 = ledgers.iter().map(|ledger| ledger.unsure_additions).sum();
    if strangers > anchors + unsure_additions {
        verdict.duplicated.push(format!(
            "{} keys were added that no client was told of (at most {unsure_additions} requests \
             went unanswered)",
            strangers - anchors
        ));
    }
    let reveals: u64 = ledgers.iter().map(|ledger| ledger.reveals).sum();
    let unsure_reveals: u64 = ledgers.iter().map(|ledger| ledger.unsure_reveals).sum();
    let logged: u64 = events
        .iter()
        .filter(|((action, _), _)| action == "key.revealed")
        .map(|(_, n)| n)
        .sum();
    verdict.writes_checked += reveals;
    compare(
        &mut verdict,
        "all keys",
        "key.revealed",
        reveals,
        logged,
        logged.saturating_sub(unsure_reveals),
    );
    verdict.integrity = database
        .integrity()
        .await
        .unwrap_or_else(|error| format!("integrity check failed: {error}"));
    verdict
}

/// `logged_most` and `logged_least` bound what the log holds beyond what unanswered requests
/// could have added.
fn compare(
    verdict: &mut Verdict,
    id: &str,
    action: &str,
    acked: u64,
    logged_most: u64,
    logged_least: u64,
) {
    if logged_most < acked {
        verdict.lost.push(format!(
            "{id}: {acked} acknowledged {action}, {logged_most} logged"
        ));
    } else if logged_least > acked {
        verdict.duplicated.push(format!(
            "{id}: {acked} acknowledged {action}, {logged_least} logged"
        ));
    }
}

async fn check_state(run: &Run, key: &crate::ops::OwnKey, verdict: &mut Verdict) {
    let path = format!("/api/v1/provider-keys/{}", key.id);
    let answer = run.send(Method::GET, &path, None).await;
    let problem = match (&answer, key.deleted) {
        (Ok(reply), true) if reply.status == 404 => None,
        (Ok(reply), false) if reply.status == 200 => {
            let enabled = reply.body["enabled"].as_bool();
            let nickname = reply.body["nickname"].as_str();
            (enabled != Some(key.enabled) || nickname != Some(&key.nickname)).then(|| {
                format!(
                    "{}: acknowledged enabled={} nickname={}, found {enabled:?} {nickname:?}",
                    key.id, key.enabled, key.nickname
                )
            })
        }
        (Ok(reply), deleted) => Some(format!(
            "{}: {} when read back (deleted: {deleted})",
            key.id, reply.status
        )),
        (Err(error), _) => Some(format!("{}: could not be read back: {error}", key.id)),
    };
    verdict.lost.extend(problem);
}
