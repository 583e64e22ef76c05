//! The background re-validation on both backends: due keys are checked, fresh and disabled ones
//! are not, one instance works at a time, the concurrency bound holds, and 200 keys take seconds.

use std::time::{Duration, Instant};

use crate::common::{key_draft, raw, OfflineKeys, TestApp, TestDb};
use keyhub::keys::arrangement::RoleChange;
use keyhub::keys::revalidation::Revalidation;
use keyhub::store::now_ms;

const DAY: Duration = Duration::from_secs(24 * 3600);
const HOUR_MS: i64 = 3600 * 1000;

/// Stores keys never checked yet (as an older KeyHub would have left them).
async fn store_keys(app: &TestApp, texts: &[String]) -> Vec<String> {
    let org = app.db.org_by_slug("acme").await.unwrap().unwrap();
    let offline = OfflineKeys::new(&app.db, app.vault.clone(), &org);
    let mut ids = Vec::new();
    for text in texts {
        let draft = key_draft("mistral", text, RoleChange::None);
        ids.push(offline.store(draft).await.unwrap().id);
    }
    sqlx::query("UPDATE provider_keys SET last_validated_at = NULL")
        .execute(app.db.pool())
        .await
        .unwrap();
    ids
}

async fn checked_at(t: &TestDb, id: &str) -> Option<i64> {
    sqlx::query_scalar("SELECT last_validated_at FROM provider_keys WHERE id = $1")
        .bind(id)
        .fetch_one(raw(t).await.pool())
        .await
        .unwrap()
}

async fn set_checked_at(t: &TestDb, id: &str, at: i64) {
    sqlx::query("UPDATE provider_keys SET last_validated_at = $1 WHERE id = $2")
        .bind(at)
        .bind(id)
        .execute(raw(t).await.pool())
        .await
        .unwrap();
}

async fn due_keys_are_checked_and_fresh_ones_are_not(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    app.set_up_owner().await;
    let texts: Vec<String> = ["old", "fresh", "never", "disabled"]
        .iter()
        .map(|name| format!("mistral-{name}-key-0001"))
        .collect();
    let ids = store_keys(&app, &texts).await;
    let now = now_ms();
    set_checked_at(t, &ids[0], now - 25 * HOUR_MS).await;
    set_checked_at(t, &ids[1], now - HOUR_MS).await;
    set_checked_at(t, &ids[3], now - 30 * HOUR_MS).await;
    sqlx::query("UPDATE provider_keys SET enabled = $1 WHERE id = $2")
        .bind(false)
        .bind(&ids[3])
        .execute(raw(t).await.pool())
        .await
        .unwrap();

    let job = Revalidation::new(app.db.clone(), app.state.keys().clone(), DAY, 4);
    let report = job.run_once(now).await.unwrap();
    assert!(report.leader);
    assert_eq!(
        (report.due, report.checked),
        (2, 2),
        "the old and the never-checked key"
    );
    assert!(checked_at(t, &ids[0]).await.unwrap() >= now);
    assert!(checked_at(t, &ids[2]).await.unwrap() >= now);
    assert_eq!(
        checked_at(t, &ids[1]).await,
        Some(now - HOUR_MS),
        "fresh: not asked"
    );
    assert_eq!(
        checked_at(t, &ids[3]).await,
        Some(now - 30 * HOUR_MS),
        "disabled: not asked"
    );
    let asked: Vec<String> = app.provider_log.all().into_iter().map(|s| s.key).collect();
    assert_eq!(asked.len(), 2);
    assert!(!asked
        .iter()
        .any(|k| k.contains("fresh") || k.contains("disabled")));

    // Nothing due: nothing asked.
    let again = job.run_once(now_ms()).await.unwrap();
    assert_eq!((again.due, again.checked), (0, 0));

    // Another instance on the same database waits for the lease.
    let other = Revalidation::new(app.db.clone(), app.state.keys().clone(), DAY, 4);
    assert!(!other.run_once(now_ms()).await.unwrap().leader);
    // A day later the first one's lease has run out and anyone may take over.
    assert!(
        other
            .run_once(now + DAY.as_millis() as i64)
            .await
            .unwrap()
            .leader
    );
}

async fn two_hundred_keys_within_the_concurrency_bound(t: &TestDb) {
    let app = TestApp::spawn(t).await;
    app.set_up_owner().await;
    let texts: Vec<String> = (0..200)
        .map(|n| format!("mistral-slowish-{n:04}"))
        .collect();
    store_keys(&app, &texts).await;
    let job = Revalidation::new(app.db.clone(), app.state.keys().clone(), DAY, 8);
    let started = Instant::now();
    let report = job.run_once(now_ms()).await.unwrap();
    let took = started.elapsed();
    assert_eq!((report.due, report.checked), (200, 200));
    let most = app.provider_log.most_at_once();
    assert!(most <= 8, "at most 8 at a time, saw {most}");
    assert!(most >= 2, "checks ran side by side, saw {most}");
    assert!(took < Duration::from_secs(60), "200 keys took {took:?}");
    eprintln!("200 keys re-validated in {took:?}, {most} at a time");
}

on_both_backends!(
    due_keys_are_checked_and_fresh_ones_are_not,
    two_hundred_keys_within_the_concurrency_bound,
);
