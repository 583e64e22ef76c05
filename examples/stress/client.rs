//! The shared side of a run: one HTTP client, each operation's figures, and the fault window that
//! decides which failures a fault explains.

use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::Value;

/// How long after a fault ends its failures are still forgiven: KeyHub must be back by then.
pub const RECOVERY_LIMIT: Duration = Duration::from_secs(10);
/// The most one request may take. Longer is a hang, and an error.
pub const REQUEST_LIMIT: Duration = Duration::from_secs(30);

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    /// The database goes away (PostgreSQL restarted): any request may answer 503
    /// `database_unavailable`.
    Outage,
    /// KeyHub is killed and started again: requests may fail to connect.
    Crash,
    /// The disk fills: writes may answer 503 `storage_full`; reads must keep working.
    DiskFull,
}

/// When a fault began and ended.
#[derive(Debug)]
pub struct FaultWindow {
    pub kind: FaultKind,
    pub began: Instant,
    pub ended: OnceLock<Instant>,
    /// When the last failure the fault explained was answered.
    pub last_forgiven: Mutex<Option<Instant>>,
}

impl FaultWindow {
    /// Whether a request sent at `sent` and answered at `answered` overlaps the fault or the
    /// recovery after it.
    fn covers(&self, sent: Instant, answered: Instant) -> bool {
        answered >= self.began
            && self
                .ended
                .get()
                .is_none_or(|ended| sent <= *ended + RECOVERY_LIMIT)
    }

    fn explains(&self, answer: &Answer, write: bool) -> bool {
        match (self.kind, answer) {
            (FaultKind::Outage, Ok(reply)) => {
                reply.status == 503 && reply.code == "database_unavailable"
            }
            (FaultKind::DiskFull, Ok(reply)) => {
                write && reply.status == 503 && reply.code == "storage_full"
            }
            (FaultKind::Crash, Err(_)) => true,
            (FaultKind::Crash, Ok(reply)) => reply.cut,
            _ => false,
        }
    }
}

/// The fault's shell command, run once at its time.
pub struct Fault {
    window: std::sync::Arc<FaultWindow>,
    task: tokio::task::JoinHandle<Result<(), String>>,
}

/// What the fault did, for the report.
#[derive(Debug, serde::Serialize)]
pub struct FaultResult {
    pub kind: FaultKind,
    pub lasted_s: f64,
    pub command_failed: Option<String>,
    /// Answers the fault explained (counted by the report from every operation's figures).
    pub forgiven: u64,
    /// From the fault's end to the last failure it explained; 0 when none came after its end.
    pub recovered_after_s: f64,
}

impl Fault {
    pub fn start(kind: FaultKind, command: String, at: Instant) -> Fault {
        let window = std::sync::Arc::new(FaultWindow {
            kind,
            began: at,
            ended: OnceLock::new(),
            last_forgiven: Mutex::new(None),
        });
        let ended = window.clone();
        let task = tokio::spawn(async move {
            tokio::time::sleep_until(at.into()).await;
            eprintln!("stress: fault ({kind:?}) begins");
            let status = tokio::task::spawn_blocking(move || {
                std::process::Command::new("bash")
                    .arg("-c")
                    .arg(&command)
                    .status()
            })
            .await
            .expect("the fault's command was waited for");
            ended.ended.set(Instant::now()).ok();
            eprintln!("stress: fault ({kind:?}) over");
            match status {
                Ok(status) if status.success() => Ok(()),
                Ok(status) => Err(format!("the fault's command failed: {status}")),
                Err(error) => Err(format!("the fault's command did not run: {error}")),
            }
        });
        Fault { window, task }
    }

    pub fn window(&self) -> std::sync::Arc<FaultWindow> {
        self.window.clone()
    }

    /// Waits for the command to end, then for the recovery limit to pass if failures might
    /// still be forgiven, and tells what happened.
    pub async fn finish(self) -> FaultResult {
        let outcome = self.task.await.expect("the fault task panicked");
        let window = self.window;
        let ended = *window.ended.get().expect("the command has ended");
        let last = *window.last_forgiven.lock().unwrap();
        FaultResult {
            kind: window.kind,
            lasted_s: (ended - window.began).as_secs_f64(),
            command_failed: outcome.err(),
            forgiven: 0,
            recovered_after_s: last
                .map(|last| last.saturating_duration_since(ended).as_secs_f64())
                .unwrap_or(0.0),
        }
    }
}

/// An answer with its head: the status, the JSON error code if any, the JSON body if any, and
/// whether the body broke off. `Err` when no head came (refused, reset, timed out).
pub type Answer = Result<Reply, String>;

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub code: String,
    pub body: Value,
    pub cut: bool,
}

/// Figures of one operation.
#[derive(Debug, Default)]
pub struct OpFigures {
    pub micros: Vec<u32>,
    pub fine: u64,
    pub forgiven: u64,
    pub errors: u64,
    pub first_errors: Vec<String>,
}

pub struct Run {
    http: reqwest::Client,
    base: String,
    pub org: String,
    token: String,
    figures: Mutex<BTreeMap<&'static str, OpFigures>>,
    fault: OnceLock<Option<std::sync::Arc<FaultWindow>>>,
}

impl Run {
    pub fn new(base: &str, org: &str, token: &str) -> Run {
        Run {
            http: reqwest::Client::builder()
                .timeout(REQUEST_LIMIT)
                .pool_max_idle_per_host(1024)
                .build()
                .expect("an HTTP client"),
            base: base.trim_end_matches('/').to_owned(),
            org: org.to_owned(),
            token: token.to_owned(),
            figures: Mutex::default(),
            fault: OnceLock::new(),
        }
    }

    pub fn set_fault(&self, window: Option<std::sync::Arc<FaultWindow>>) {
        self.fault.set(window).ok();
    }

    pub fn fault(&self) -> Option<&FaultWindow> {
        self.fault.get().and_then(|window| window.as_deref())
    }

    /// Sends one request and reads its whole answer.
    pub async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> Answer {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(|error| error.to_string())?;
        let status = response.status().as_u16();
        let (bytes, cut) = match response.bytes().await {
            Ok(bytes) => (bytes, false),
            Err(_) => (Default::default(), true),
        };
        let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        let code = body["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        Ok(Reply {
            status,
            code,
            body,
            cut,
        })
    }

    /// Counts one answer of `op`: fine (the right answer within `limit`), forgiven by the fault
    /// (a failure it explains, or the right answer it delayed), or an error. True when fine, i.e.
    /// a write was acknowledged.
    pub fn count(
        &self,
        op: &'static str,
        write: bool,
        began: Instant,
        limit: Duration,
        answer: &Answer,
        right: bool,
    ) -> bool {
        let took = began.elapsed();
        let fine = right && took < limit;
        let forgiven = !fine
            && self.fault().is_some_and(|fault| {
                let explained =
                    fault.covers(began, Instant::now()) && (right || fault.explains(answer, write));
                if explained {
                    *fault.last_forgiven.lock().unwrap() = Some(Instant::now());
                }
                explained
            });
        let mut figures = self.figures.lock().unwrap();
        let figures = figures.entry(op).or_default();
        figures
            .micros
            .push(took.as_micros().min(u32::MAX as u128) as u32);
        if fine {
            figures.fine += 1;
        } else if forgiven {
            figures.forgiven += 1;
        } else {
            figures.errors += 1;
            if figures.first_errors.len() < 3 {
                figures.first_errors.push(describe(answer, took));
            }
        }
        fine
    }

    pub fn take_figures(&self) -> BTreeMap<&'static str, OpFigures> {
        std::mem::take(&mut self.figures.lock().unwrap())
    }
}

fn describe(answer: &Answer, took: Duration) -> String {
    match answer {
        Ok(reply) => format!(
            "{} {}{} after {:.1} s",
            reply.status,
            reply.code,
            if reply.cut { " (body cut)" } else { "" },
            took.as_secs_f64()
        ),
        Err(error) => format!("no answer: {error}"),
    }
}
