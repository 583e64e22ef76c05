//! A scenario's result: a table for people, a JSON line for `scripts/stress.sh`'s summary.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use crate::checks::Verdict;
use crate::client::{FaultResult, Run, RECOVERY_LIMIT};

#[derive(Debug, serde::Serialize)]
pub struct OpRow {
    pub op: &'static str,
    pub count: u64,
    pub errors: u64,
    pub forgiven: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub first_errors: Vec<String>,
}

#[derive(Debug, serde::Serialize)]
pub struct Scenario {
    pub scenario: String,
    pub backend: &'static str,
    pub clients: usize,
    pub seconds: f64,
    pub operations: u64,
    pub errors: u64,
    pub ops: Vec<OpRow>,
    pub fault: Option<FaultResult>,
    pub checks: Verdict,
}

impl Scenario {
    pub fn new(
        name: &str,
        backend: &'static str,
        clients: usize,
        elapsed: Duration,
        run: &Run,
        mut fault: Option<FaultResult>,
        checks: Verdict,
    ) -> Scenario {
        let ops: Vec<OpRow> = run
            .take_figures()
            .into_iter()
            .map(|(op, mut figures)| {
                figures.micros.sort_unstable();
                let at = |q: f64| {
                    let i = ((figures.micros.len() as f64 - 1.0) * q).round() as usize;
                    f64::from(figures.micros.get(i).copied().unwrap_or(0)) / 1000.0
                };
                OpRow {
                    op,
                    count: figures.micros.len() as u64,
                    errors: figures.errors,
                    forgiven: figures.forgiven,
                    p50_ms: at(0.5),
                    p99_ms: at(0.99),
                    max_ms: at(1.0),
                    first_errors: figures.first_errors,
                }
            })
            .collect();
        if let Some(fault) = &mut fault {
            fault.forgiven = ops.iter().map(|row| row.forgiven).sum();
        }
        Scenario {
            scenario: name.to_owned(),
            backend,
            clients,
            seconds: elapsed.as_secs_f64(),
            operations: ops.iter().map(|row| row.count).sum(),
            errors: ops.iter().map(|row| row.errors).sum(),
            ops,
            fault,
            checks,
        }
    }

    /// Why the scenario failed, if it did.
    pub fn failures(&self) -> Vec<String> {
        let mut failures = Vec::new();
        if self.errors > 0 {
            failures.push(format!("{} answers were errors", self.errors));
        }
        let checks = &self.checks;
        for (what, list) in [
            ("lost", &checks.lost),
            ("duplicated", &checks.duplicated),
            ("primaries", &checks.primary_violations),
        ] {
            failures.extend(
                list.iter()
                    .take(5)
                    .map(|problem| format!("{what}: {problem}")),
            );
        }
        if checks.integrity != "ok" {
            failures.push(format!("integrity: {}", checks.integrity));
        }
        if let Some(fault) = &self.fault {
            failures.extend(fault.command_failed.clone());
            if fault.forgiven == 0 {
                failures.push("the fault was never felt: no answer showed it".into());
            }
            if fault.recovered_after_s > RECOVERY_LIMIT.as_secs_f64() - 1.0 {
                failures.push(format!(
                    "KeyHub took {:.1} s to recover",
                    fault.recovered_after_s
                ));
            }
        }
        failures
    }

    pub fn passed(&self) -> bool {
        self.failures().is_empty()
    }

    pub fn print(&self) {
        println!(
            "\n{} on {}: {} clients, {:.0} s, {} operations ({:.0}/s)",
            self.scenario,
            self.backend,
            self.clients,
            self.seconds,
            self.operations,
            self.operations as f64 / self.seconds
        );
        println!(
            "{:<18} {:>8} {:>7} {:>9} {:>9} {:>9} {:>9}",
            "operation", "count", "errors", "forgiven", "p50 ms", "p99 ms", "max ms"
        );
        for row in &self.ops {
            println!(
                "{:<18} {:>8} {:>7} {:>9} {:>9.1} {:>9.1} {:>9.1}",
                row.op, row.count, row.errors, row.forgiven, row.p50_ms, row.p99_ms, row.max_ms
            );
            for error in &row.first_errors {
                println!("{:<18} ! {error}", "");
            }
        }
        let checks = &self.checks;
        println!(
            "writes checked {} (unsure {}), lost {}, duplicated {}, primary samples {} ({} \
             wrong), integrity {}",
            checks.writes_checked,
            checks.unsure_keys,
            checks.lost.len(),
            checks.duplicated.len(),
            checks.primary_samples,
            checks.primary_violations.len(),
            checks.integrity
        );
        if let Some(fault) = &self.fault {
            println!(
                "fault {:?}: lasted {:.1} s, {} answers explained by it, recovered {:.1} s after",
                fault.kind, fault.lasted_s, fault.forgiven, fault.recovered_after_s
            );
        }
        match self.failures() {
            failures if failures.is_empty() => println!("PASSED"),
            failures => {
                for failure in failures {
                    println!("FAILED: {failure}");
                }
            }
        }
    }

    pub fn append_to(&self, path: &Path) {
        let line = serde_json::to_string(self).expect("a report serializes");
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap_or_else(|error| panic!("cannot write {}: {error}", path.display()));
        writeln!(file, "{line}").expect("the report is written");
    }
}
