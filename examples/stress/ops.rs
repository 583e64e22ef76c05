//! What each client does: a weighted mix of operations, and the ledger of what KeyHub acknowledged.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};

use crate::client::{Answer, Run, REQUEST_LIMIT};

/// Families whose keys the clients add, change and delete; each starts with a primary and two
/// fallbacks of its own (the anchors), which no client touches.
pub const CHURNED: [&str; 3] = ["openai", "anthropic", "mistral"];
/// The most keys a client keeps at once.
const OWN_KEYS: usize = 3;
/// How long a gateway call to a failing provider may take: the gateway's timeout (3 s) and idle
/// limit (2 s) as `scripts/stress.sh` sets them, with a margin.
const FAULTY_CALL_LIMIT: Duration = Duration::from_secs(8);

/// Providers whose primary key the fake provider fails on purpose, and how.
const FAULTY: [(&str, &str, &str); 4] = [
    // The connection breaks in the middle of the answer.
    ("gateway_dropped", "groq", "gsk_STRESSdrop000000000000000"),
    // One event, then silence: the gateway's idle limit must end it.
    (
        "gateway_stalled",
        "deepseek",
        "sk-STRESSstall00000000000000",
    ),
    // One event, then bytes that are not a stream: passed on, and the stream ends.
    (
        "gateway_garbage",
        "together",
        "STRESSgarble0000000000000000",
    ),
    // No answer within the gateway's timeout: 504, not sent again (the provider may be working
    // on it).
    ("gateway_slow", "xai", "xai-STRESScallsnail000000000"),
];

/// How many keys [`set_up_anchors`] adds.
pub const ANCHOR_KEYS: usize = CHURNED.len() * 3 + FAULTY.len() * 2;

#[derive(Clone, Debug)]
pub struct Anchors {
    pub ids: Vec<String>,
}

/// Adds the anchor keys and the failing providers' keys (each with a working fallback).
pub async fn set_up_anchors(run: &Run) -> Result<Arc<Anchors>, String> {
    let mut ids = Vec::new();
    for family in CHURNED {
        for (n, role) in ["primary", "fallback", "fallback"].into_iter().enumerate() {
            let secret = format!("{}STRESSanchor{n}{family}", prefix(family));
            ids.push(add_anchor(run, family, &secret, role, false).await?);
        }
    }
    for (_, family, secret) in FAULTY {
        ids.push(add_anchor(run, family, secret, "primary", true).await?);
        let fallback = format!("{}STRESSfallback00000000000", prefix(family));
        ids.push(add_anchor(run, family, &fallback, "fallback", false).await?);
    }
    Ok(Arc::new(Anchors { ids }))
}

async fn add_anchor(
    run: &Run,
    provider: &str,
    secret: &str,
    role: &str,
    unverified: bool,
) -> Result<String, String> {
    let body = json!({"provider": provider, "api_key": secret, "role": role,
                      "nickname": "anchor", "allow_unverified": unverified});
    let path = format!("/api/v1/orgs/{}/provider-keys", run.org);
    match run.send(Method::POST, &path, Some(&body)).await {
        Ok(reply) if reply.status == 201 => key_id(&reply.body).ok_or("no key id".into()),
        Ok(reply) => Err(format!("{} {}: {}", reply.status, reply.code, reply.body)),
        Err(error) => Err(error),
    }
}

fn prefix(family: &str) -> &'static str {
    match family {
        "openai" => "sk-proj-",
        "anthropic" => "sk-ant-api03-",
        "groq" => "gsk_",
        "xai" => "xai-",
        "deepseek" => "sk-",
        _ => "",
    }
}

fn key_id(body: &Value) -> Option<String> {
    body["key"]["id"].as_str().map(str::to_owned)
}

/// What KeyHub acknowledged to one client, and what it could not be sure of.
#[derive(Debug, Default)]
pub struct Ledger {
    pub keys: Vec<OwnKey>,
    /// Key additions whose answer never came: KeyHub may or may not have made them.
    pub unsure_additions: u64,
    pub reveals: u64,
    pub unsure_reveals: u64,
}

/// A key a client added, as KeyHub last acknowledged it.
#[derive(Debug)]
pub struct OwnKey {
    pub id: String,
    pub enabled: bool,
    pub nickname: String,
    pub deleted: bool,
    /// False once a change to it went unanswered: its state is then unknown.
    pub sure: bool,
    /// Whether this client made it primary and has not seen it demoted since.
    pub maybe_primary: bool,
    pub role_none: bool,
    pub acked: Acked,
}

/// Acknowledged changes to one key, each of which must be in the activity log exactly once.
#[derive(Debug, Default)]
pub struct Acked {
    pub enabled: u64,
    pub disabled: u64,
    pub renamed: u64,
    pub role_changes: u64,
}

impl OwnKey {
    fn usable(&self) -> bool {
        self.sure && !self.deleted
    }
}

/// A small deterministic random source: each client's mix is repeatable.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// One client: operations back to back until `until`, then its ledger.
pub async fn client(run: Arc<Run>, anchors: Arc<Anchors>, n: usize, until: Instant) -> Ledger {
    let mut client = Client {
        run,
        anchors,
        n,
        dice: Dice(0x9E37_79B9_7F4A_7C15 ^ (n as u64 + 1).wrapping_mul(0xBF58_476D_1CE4_E5B9)),
        ledger: Ledger::default(),
        made: 0,
    };
    while Instant::now() < until {
        client.one_operation().await;
    }
    client.ledger
}

struct Client {
    run: Arc<Run>,
    anchors: Arc<Anchors>,
    n: usize,
    dice: Dice,
    ledger: Ledger,
    made: u64,
}

impl Client {
    async fn one_operation(&mut self) {
        let usable = self.ledger.keys.iter().filter(|key| key.usable()).count();
        match self.dice.below(100) {
            _ if usable == 0 => self.add().await,
            0..=17 => self.list().await,
            18..=25 => self.get().await,
            26..=32 if usable < OWN_KEYS => self.add().await,
            26..=39 => self.rename().await,
            40..=47 => self.toggle().await,
            48..=52 => self.promote().await,
            53..=55 => self.demote().await,
            56..=59 => self.validate().await,
            60..=62 => self.delete().await,
            63..=72 => self.resolve().await,
            73..=94 => self.gateway().await,
            _ => self.faulty_gateway().await,
        }
    }

    fn own(&mut self, may_be_primary: bool) -> Option<usize> {
        let candidates: Vec<usize> = (0..self.ledger.keys.len())
            .filter(|&i| {
                let key = &self.ledger.keys[i];
                key.usable() && (may_be_primary || !key.maybe_primary)
            })
            .collect();
        (!candidates.is_empty()).then(|| *self.dice.pick(&candidates))
    }

    /// Sends one request of `op` and counts its answer: right when `fine` says so and in time (a
    /// call to a failing provider within [`FAULTY_CALL_LIMIT`], any other within the client's
    /// limit).
    async fn timed(
        &self,
        op: &'static str,
        write: bool,
        method: Method,
        path: &str,
        body: Option<Value>,
        fine: impl Fn(&Answer) -> bool,
    ) -> (bool, Answer) {
        let limit = if FAULTY.iter().any(|(faulty, _, _)| *faulty == op) {
            FAULTY_CALL_LIMIT
        } else {
            REQUEST_LIMIT
        };
        let began = Instant::now();
        let answer = self.run.send(method, path, body.as_ref()).await;
        let ok = self
            .run
            .count(op, write, began, limit, &answer, fine(&answer));
        (ok, answer)
    }

    async fn add(&mut self) {
        self.made += 1;
        let family = *self.dice.pick(&CHURNED);
        let nickname = format!("c{}-{}", self.n, self.made);
        let secret = format!(
            "{}STRESSc{}n{}x{}",
            prefix(family),
            self.n,
            self.made,
            family
        );
        let role = if self.dice.below(2) == 0 {
            "none"
        } else {
            "fallback"
        };
        let body =
            json!({"provider": family, "api_key": secret, "nickname": nickname, "role": role});
        let path = format!("/api/v1/orgs/{}/provider-keys", self.run.org);
        let (ok, answer) = self
            .timed(
                "add key",
                true,
                Method::POST,
                &path,
                Some(body),
                status(201),
            )
            .await;
        match answer
            .ok()
            .and_then(|reply| key_id(&reply.body))
            .filter(|_| ok)
        {
            Some(id) => self.ledger.keys.push(OwnKey {
                id,
                enabled: true,
                nickname,
                deleted: false,
                sure: true,
                maybe_primary: false,
                role_none: role == "none",
                acked: Acked::default(),
            }),
            None => self.ledger.unsure_additions += 1,
        }
    }

    async fn list(&mut self) {
        let family = *self.dice.pick(&CHURNED);
        let path = format!(
            "/api/v1/orgs/{}/provider-keys?provider={family}",
            self.run.org
        );
        let _ = self
            .timed("list keys", false, Method::GET, &path, None, status(200))
            .await;
    }

    /// Reads one key: an anchor, or one of the client's own, whose role it then learns.
    async fn get(&mut self) {
        let own = self.own(true).filter(|_| self.dice.below(2) == 0);
        let id = match own {
            Some(i) => self.ledger.keys[i].id.clone(),
            None => self.dice.pick(&self.anchors.ids).clone(),
        };
        let path = format!("/api/v1/provider-keys/{id}");
        let (ok, answer) = self
            .timed("read key", false, Method::GET, &path, None, status(200))
            .await;
        if let (true, Some(i), Ok(reply)) = (ok, own, answer) {
            let key = &mut self.ledger.keys[i];
            let role = reply.body["role"].as_str().unwrap_or_default();
            key.maybe_primary = role == "primary";
            key.role_none = role == "none";
        }
    }

    /// One request about the client's own key `i` (at `/provider-keys/{id}{suffix}`); true when
    /// acknowledged. An unacknowledged change leaves the key's state unknown.
    async fn on_own(
        &mut self,
        op: &'static str,
        i: usize,
        method: Method,
        suffix: &str,
        body: Option<Value>,
    ) -> bool {
        let path = format!("/api/v1/provider-keys/{}{suffix}", self.ledger.keys[i].id);
        let (ok, _) = self.timed(op, true, method, &path, body, status(200)).await;
        self.ledger.keys[i].sure &= ok;
        ok
    }

    async fn rename(&mut self) {
        let Some(i) = self.own(true) else { return };
        self.made += 1;
        let nickname = format!("c{}-{}", self.n, self.made);
        let body = json!({ "nickname": nickname });
        if self
            .on_own("rename key", i, Method::PATCH, "", Some(body))
            .await
        {
            let key = &mut self.ledger.keys[i];
            key.nickname = nickname;
            key.acked.renamed += 1;
        }
    }

    async fn toggle(&mut self) {
        let Some(i) = self.own(true) else { return };
        let enabled = self.ledger.keys[i].enabled;
        let action = if enabled { "/deactivate" } else { "/activate" };
        if self
            .on_own("enable/disable", i, Method::PUT, action, None)
            .await
        {
            let key = &mut self.ledger.keys[i];
            key.enabled = !enabled;
            *(if enabled {
                &mut key.acked.disabled
            } else {
                &mut key.acked.enabled
            }) += 1;
        }
    }

    async fn promote(&mut self) {
        let Some(i) = self.own(false) else { return };
        let body = json!({"role": "primary"});
        let ok = self
            .on_own("make primary", i, Method::PATCH, "", Some(body))
            .await;
        let key = &mut self.ledger.keys[i];
        key.maybe_primary = true;
        key.role_none = false;
        key.acked.role_changes += u64::from(ok);
    }

    /// Switches a key that is not primary between fallback and no role.
    async fn demote(&mut self) {
        let Some(i) = self.own(false) else { return };
        let role = if self.ledger.keys[i].role_none {
            "fallback"
        } else {
            "none"
        };
        let body = json!({ "role": role });
        let ok = self
            .on_own("change role", i, Method::PATCH, "", Some(body))
            .await;
        let key = &mut self.ledger.keys[i];
        key.role_none = role == "none";
        key.acked.role_changes += u64::from(ok);
    }

    async fn validate(&mut self) {
        let Some(i) = self.own(true) else { return };
        self.on_own("validate key", i, Method::POST, "/validate", None)
            .await;
    }

    async fn delete(&mut self) {
        let Some(i) = self.own(false) else { return };
        let deleted = self.on_own("delete key", i, Method::DELETE, "", None).await;
        self.ledger.keys[i].deleted = deleted;
    }

    async fn resolve(&mut self) {
        let family = *self.dice.pick(&CHURNED);
        let reveal = self.dice.below(5) == 0;
        let path = format!("/api/v1/orgs/{}/resolve", self.run.org);
        let body = json!({"provider": family, "reveal": reveal});
        let fine = move |answer: &Answer| {
            matches!(answer, Ok(reply) if reply.status == 200
                && reply.body["api_key"].is_string() == reveal)
        };
        let (ok, _) = self
            .timed("resolve", reveal, Method::POST, &path, Some(body), fine)
            .await;
        match (reveal, ok) {
            (true, true) => self.ledger.reveals += 1,
            (true, false) => self.ledger.unsure_reveals += 1,
            _ => {}
        }
    }

    async fn gateway(&mut self) {
        let path = format!("/gateway/{}/openai/chat/completions", self.run.org);
        let body = json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]});
        let fine = |answer: &Answer| {
            matches!(answer, Ok(reply) if reply.status == 200 && !reply.cut
                && reply.body["choices"].is_array())
        };
        let _ = self
            .timed("gateway call", false, Method::POST, &path, Some(body), fine)
            .await;
    }

    /// A streamed call to a provider that fails on purpose: it must end in time, with the
    /// fallback's answer, the part that came, or a clear 502 or 504 — never a hang or another
    /// error.
    async fn faulty_gateway(&mut self) {
        let (op, family, _) = *self.dice.pick(&FAULTY);
        let path = format!("/gateway/{}/{family}/chat/completions", self.run.org);
        let body = json!({"model": "m", "stream": true, "messages": []});
        let fine = |answer: &Answer| {
            matches!(answer, Ok(reply) if reply.status == 200
                || (reply.status == 502 && reply.code == "provider_unreachable")
                || (reply.status == 504 && reply.code == "provider_timeout"))
        };
        let _ = self
            .timed(op, false, Method::POST, &path, Some(body), fine)
            .await;
    }
}

fn status(expected: u16) -> impl Fn(&Answer) -> bool {
    move |answer| matches!(answer, Ok(reply) if reply.status == expected && !reply.cut)
}
