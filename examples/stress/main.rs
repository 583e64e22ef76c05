//! KeyHub under load and faults: `scripts/stress.sh` runs it against a server it started.
//!
//! `stress --url U --token T --database-url D --scenario NAME [--clients 200] [--seconds 60]
//! [--fault CMD --fault-at S --fault-kind outage|crash|disk-full] [--report FILE]`
//!
//! Sets up anchor keys through the REST API, then runs `--clients` closed-loop clients for
//! `--seconds`, each mixing reads, key changes, toggles, validations, resolves and gateway calls
//! (some to keys the fake provider fails on purpose). A sampler reads the database meanwhile: every
//! family must have exactly one primary at every moment. With `--fault`, the shell command runs at
//! `--fault-at` seconds (restarting PostgreSQL, killing and restarting KeyHub, filling the disk) and
//! only the answers that fault explains are forgiven while it lasts and for a short recovery after.
//! Afterwards every acknowledged change must be in place and in the activity log exactly once.
//! Prints a table, appends a JSON line to `--report`, and exits non-zero when a check fails.

mod checks;
mod client;
mod ops;
mod report;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;

use crate::client::{Fault, FaultKind, Run};

#[derive(Parser)]
struct Args {
    /// KeyHub's address, e.g. http://127.0.0.1:3000.
    #[arg(long)]
    url: String,
    #[arg(long, default_value = "acme")]
    org: String,
    /// An API token of the org with the scopes keys:read, keys:write, keys:use and gateway.
    #[arg(long, env = "STRESS_TOKEN", hide_env_values = true)]
    token: String,
    /// The database KeyHub uses, read (never written) for the checks.
    #[arg(long, env = "STRESS_DATABASE_URL", hide_env_values = true)]
    database_url: String,
    /// The scenario's name in the table.
    #[arg(long)]
    scenario: String,
    #[arg(long, default_value_t = 200)]
    clients: usize,
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// A shell command that makes the fault and ends when it is over.
    #[arg(long, requires = "fault_kind")]
    fault: Option<String>,
    #[arg(long, default_value_t = 10)]
    fault_at: u64,
    #[arg(long, value_enum)]
    fault_kind: Option<FaultKind>,
    /// A file to append the scenario's result to, as one JSON line.
    #[arg(long)]
    report: Option<PathBuf>,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let run = Arc::new(Run::new(&args.url, &args.org, &args.token));
    let database = checks::Database::open(&args.database_url)
        .await
        .unwrap_or_else(|error| fail(&format!("cannot read the database: {error}")));
    let anchors = ops::set_up_anchors(&run)
        .await
        .unwrap_or_else(|error| fail(&format!("setting up the anchor keys failed: {error}")));
    let started = Instant::now();
    let until = started + Duration::from_secs(args.seconds);
    let fault = args.fault.clone().map(|command| {
        let kind = args.fault_kind.expect("clap requires a fault kind");
        Fault::start(kind, command, started + Duration::from_secs(args.fault_at))
    });
    run.set_fault(fault.as_ref().map(Fault::window));
    let sampler = tokio::spawn(checks::sample_primaries(
        database.clone(),
        run.clone(),
        until,
    ));
    let clients: Vec<_> = (0..args.clients)
        .map(|n| tokio::spawn(ops::client(run.clone(), anchors.clone(), n, until)))
        .collect();
    let mut ledgers = Vec::with_capacity(clients.len());
    for client in clients {
        ledgers.push(client.await.expect("a client panicked"));
    }
    let fault = match fault {
        Some(fault) => Some(fault.finish().await),
        None => None,
    };
    let sampled = sampler.await.expect("the sampler panicked");
    let elapsed = started.elapsed();
    let verdict = checks::verify(&run, &database, &ledgers, sampled).await;
    let result = report::Scenario::new(
        &args.scenario,
        database.backend(),
        args.clients,
        elapsed,
        &run,
        fault,
        verdict,
    );
    result.print();
    if let Some(path) = &args.report {
        result.append_to(path);
    }
    if !result.passed() {
        std::process::exit(1);
    }
}

fn fail(message: &str) -> ! {
    eprintln!("stress: {message}");
    std::process::exit(2);
}
