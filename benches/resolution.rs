//! Resolutions per second for an org with 1,000 keys: `cargo bench --bench resolution`. SQLite in a
//! temporary file; PostgreSQL too when `KEYHUB_BENCH_POSTGRES_URL` names an empty database. Each
//! resolution is the real path: the org's in-memory view, then the pure resolution order; and, for
//! comparison, the first resolution after a change, which loads the org's view from the database.

use std::sync::Arc;
use std::time::{Duration, Instant};

use keyhub::domain::consumers::Target;
use keyhub::domain::keys::{Role, Scope};
use keyhub::keys::keyring::Keyring;
use keyhub::resolution::{Reader, Request, Resolver};
use keyhub::store::keys::NewKeyRow;
use keyhub::store::{new_id, Access, Db};
use keyhub::vault::MasterKeys;

const KEYS: usize = 1_000;
/// Every key family of the catalog but `custom`, so each family holds about 48 keys.
const FAMILIES: &[&str] = &[
    "openai",
    "anthropic",
    "google",
    "mistral",
    "deepseek",
    "cohere",
    "groq",
    "azure-openai",
    "fireworks",
    "openrouter",
    "xai",
    "together",
    "perplexity",
    "aws-bedrock",
    "google-vertex",
    "elevenlabs",
    "google-tts",
    "azure-speech",
    "stability",
    "ollama",
    "midjourney",
];

async fn seeded(url: &str) -> (Db, keyhub::store::orgs::Organization) {
    let db = Db::connect(url, Access::ReadWrite).await.expect("database");
    db.migrate().await.expect("migrations");
    let org = db.create_org("bench", "Bench").await.expect("org");
    for n in 0..KEYS {
        let family = FAMILIES[n % FAMILIES.len()];
        let rank = (n / FAMILIES.len()) as i64;
        let id = new_id();
        let row = NewKeyRow {
            id: &id,
            org_id: &org.id,
            scope: Scope::Org,
            owner_user_id: None,
            provider: family,
            key_family: family,
            nickname: Some("bench key"),
            sealed_secret: "never opened",
            hint: "sk-...0000",
            fingerprint: &id,
            api_base: None,
            options: "{}",
            role: if rank == 0 {
                Role::Primary
            } else {
                Role::Fallback
            },
            fallback_rank: (rank > 0).then_some(rank),
            enabled: true,
            actor: None,
            now: 0,
        };
        db.insert_key(&row).await.expect("key");
    }
    (db, org)
}

async fn measure(name: &str, url: &str, runs: usize) {
    let (db, org) = seeded(url).await;
    let vault = Arc::new(MasterKeys::parse(&MasterKeys::generate()).expect("master key"));
    let resolver = Resolver::new(
        db.clone(),
        Keyring::new(db.clone(), vault),
        Default::default(),
    );
    let target = Target::parse("openai").expect("openai");
    let request = Request {
        target: &target,
        owner: None,
        chosen: None,
        reader: Reader::Token,
    };
    let loads = (runs / 4_000).max(4);
    let started = Instant::now();
    for _ in 0..loads {
        db.changed(&org.id);
        resolver.resolve(&org, &request).await.expect("resolves");
    }
    println!(
        "{name}: {KEYS} keys, first resolution after a change (loads the org's view): {:.2} ms each",
        started.elapsed().as_secs_f64() * 1e3 / loads as f64,
    );
    for _ in 0..200 {
        resolver.resolve(&org, &request).await.expect("warm-up");
    }
    for concurrency in [1usize, 8] {
        let started = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..concurrency {
            let (resolver, org, target) = (resolver.clone(), org.clone(), target.clone());
            tasks.push(tokio::spawn(async move {
                let mut slowest = Duration::ZERO;
                for _ in 0..runs / concurrency {
                    let one = Instant::now();
                    let request = Request {
                        target: &target,
                        owner: None,
                        chosen: None,
                        reader: Reader::Token,
                    };
                    let resolution = resolver.resolve(&org, &request).await.expect("resolves");
                    assert!(resolution.key().is_some());
                    slowest = slowest.max(one.elapsed());
                }
                slowest
            }));
        }
        let mut slowest = Duration::ZERO;
        for task in tasks {
            slowest = slowest.max(task.await.expect("task"));
        }
        let elapsed = started.elapsed();
        println!(
            "{name}: {KEYS} keys, {concurrency} at a time, from memory: {:.0} resolutions/s ({:.2} µs each, slowest {:.1} µs)",
            runs as f64 / elapsed.as_secs_f64(),
            elapsed.as_secs_f64() * 1e6 / runs as f64 * concurrency as f64,
            slowest.as_secs_f64() * 1e6,
        );
    }
    db.close().await;
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this briefly, as a check that
    // it still works.
    let runs = match std::env::args().any(|arg| arg == "--bench") {
        true => 400_000,
        false => 16,
    };
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}/bench.db", dir.path().display());
    measure("SQLite", &url, runs).await;
    if let Ok(url) = std::env::var("KEYHUB_BENCH_POSTGRES_URL") {
        measure("PostgreSQL", &url, runs).await;
    }
}
