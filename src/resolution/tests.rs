//! Every step of the resolution order, alone and combined (SPEC.md §6).

use super::*;
use crate::domain::keys::KeyStatus;

const NOW: i64 = 1_800_000_000_000;
const OWNER: &str = "user-ann";

/// A key of the OpenAI family: `spec` is `scope/role`, e.g. `org/primary`, `mine/fallback2`,
/// `other/primary` (another member's personal key), `org/none`.
fn key(id: &str, spec: &str) -> KeyRecord {
    let (scope, role) = spec.split_once('/').unwrap();
    let (scope, owner) = match scope {
        "org" => (Scope::Org, None),
        "mine" => (Scope::Personal, Some(OWNER.to_owned())),
        "other" => (Scope::Personal, Some("user-bob".to_owned())),
        _ => panic!("scope {scope}"),
    };
    let (role, rank) = match role {
        "primary" => (Role::Primary, None),
        "none" => (Role::None, None),
        fallback => (
            Role::Fallback,
            Some(fallback.trim_start_matches("fallback").parse().unwrap()),
        ),
    };
    KeyRecord {
        id: id.into(),
        org_id: "org-acme".into(),
        scope,
        owner_user_id: owner,
        provider: "openai".into(),
        key_family: "openai".into(),
        nickname: Some(id.into()),
        hint: format!("sk-...{id}"),
        api_base: None,
        options: Default::default(),
        role,
        fallback_rank: rank,
        enabled: true,
        status: KeyStatus::Valid,
        cooldown_until: None,
        last_validated_at: None,
        last_success_at: None,
        last_error_code: None,
        last_error_http_status: None,
        last_error_message: None,
        created_at: 0,
        created_by: None,
        updated_at: 0,
        updated_by: None,
        rotated_at: None,
        deleted_at: None,
    }
}

fn disabled(mut key: KeyRecord) -> KeyRecord {
    key.enabled = false;
    key
}

fn with_status(mut key: KeyRecord, status: KeyStatus, cooldown: Option<i64>) -> KeyRecord {
    key.status = status;
    key.cooldown_until = cooldown.map(|minutes| NOW + minutes * 60_000);
    key
}

const OPEN: Policy = Policy {
    allow_personal_keys: true,
    allow_platform_keys: true,
    platform_key_configured: true,
};

struct Case {
    name: &'static str,
    keys: Vec<KeyRecord>,
    chosen: Option<&'static str>,
    owner: Option<&'static str>,
    reader: Reader<'static>,
    policy: Policy,
    /// The candidates in order, as `id:source`; `platform` or `no_key` when none.
    expect: &'static [&'static str],
    /// Words the explanation must contain.
    says: &'static str,
}

fn run(case: &Case) -> Resolution {
    let target = Target::parse("openai").unwrap();
    let request = Request {
        target: &target,
        owner: case.owner,
        chosen: case.chosen,
        reader: case.reader,
    };
    let keys: Vec<Arc<KeyRecord>> = case.keys.iter().cloned().map(Arc::new).collect();
    resolve(&keys, &request, case.policy, NOW)
}

fn outcome(resolution: &Resolution) -> Vec<String> {
    if resolution.platform {
        return vec!["platform".into()];
    }
    if resolution.candidates.is_empty() {
        return vec!["no_key".into()];
    }
    resolution
        .candidates
        .iter()
        .map(|c| {
            let source = serde_json::to_value(c.source).unwrap();
            format!("{}:{}", c.key.id, source.as_str().unwrap())
        })
        .collect()
}

#[test]
fn every_step_of_the_resolution_order() {
    let cases = [
        Case {
            name: "an enabled chosen key comes first, then primary and fallbacks",
            keys: vec![key("a", "org/primary"), key("b", "org/fallback1"), key("c", "org/none")],
            chosen: Some("c"),
            owner: Some(OWNER),
            reader: Reader::Member(OWNER),
            policy: OPEN,
            expect: &["c:selected", "a:org_primary", "b:fallback"],
            says: "The chosen key 'c' (sk-...c).",
        },
        Case {
            name: "a disabled chosen key is passed over with its reason",
            keys: vec![key("a", "org/primary"), disabled(key("c", "org/none"))],
            chosen: Some("c"),
            owner: Some(OWNER),
            reader: Reader::Member(OWNER),
            policy: OPEN,
            expect: &["a:org_primary"],
            says: "The organization's primary 'a' (sk-...a): the chosen key 'c' (sk-...c) is disabled.",
        },
        Case {
            name: "a deleted chosen key (no longer among the live keys)",
            keys: vec![key("a", "org/primary")],
            chosen: Some("gone"),
            owner: Some(OWNER),
            reader: Reader::Member(OWNER),
            policy: OPEN,
            expect: &["a:org_primary"],
            says: "the chosen key was deleted",
        },
        Case {
            name: "a rate-limited chosen key waits out its cooldown",
            keys: vec![
                key("a", "org/primary"),
                with_status(key("c", "org/none"), KeyStatus::RateLimited, Some(5)),
            ],
            chosen: Some("c"),
            owner: Some(OWNER),
            reader: Reader::Member(OWNER),
            policy: OPEN,
            expect: &["a:org_primary"],
            says: "is rate-limited until",
        },
        Case {
            name: "a rate limit whose cooldown has passed no longer counts",
            keys: vec![with_status(key("c", "org/none"), KeyStatus::RateLimited, Some(-1))],
            chosen: Some("c"),
            owner: Some(OWNER),
            reader: Reader::Member(OWNER),
            policy: OPEN,
            expect: &["c:selected"],
            says: "The chosen key",
        },
        Case {
            name: "the chosen key may also be the primary: it is named once",
            keys: vec![disabled(key("a", "org/primary")), key("b", "org/fallback1")],
            chosen: Some("a"),
            owner: Some(OWNER),
            reader: Reader::Member(OWNER),
            policy: OPEN,
            expect: &["b:fallback"],
            says: "Fallback 1 'b' (sk-...b): the chosen key 'a' (sk-...a) is disabled.",
        },
        Case {
            name: "the owner's personal primary comes before the org's",
            keys: vec![key("org", "org/primary"), key("mine", "mine/primary")],
            chosen: None,
            owner: Some(OWNER),
            reader: Reader::Member(OWNER),
            policy: OPEN,
            expect: &["mine:personal_primary", "org:org_primary"],
            says: "The owner's personal primary 'mine'",
        },
        Case {
            name: "personal keys are ignored when the org does not allow them",
            keys: vec![key("org", "org/primary"), key("mine", "mine/primary")],
            chosen: None,
            owner: Some(OWNER),
            reader: Reader::Member(OWNER),
            policy: Policy { allow_personal_keys: false, ..OPEN },
            expect: &["org:org_primary"],
            says: "The organization's primary",
        },
        Case {
            name: "a chosen personal key does not count when personal keys are not allowed",
            keys: vec![key("org", "org/primary"), key("mine", "mine/none")],
            chosen: Some("mine"),
            owner: Some(OWNER),
            reader: Reader::Member(OWNER),
            policy: Policy { allow_personal_keys: false, ..OPEN },
            expect: &["org:org_primary"],
            says: "personal key, which is not allowed here",
        },
        Case {
            name: "another member's personal keys never count",
            keys: vec![key("bob", "other/primary"), key("org", "org/fallback1")],
            chosen: None,
            owner: Some(OWNER),
            reader: Reader::Member(OWNER),
            policy: OPEN,
            expect: &["org:fallback"],
            says: "Fallback 1 'org'",
        },
        Case {
            name: "without an owner (an API token's consumer) only org keys count",
            keys: vec![key("mine", "mine/primary"), key("org", "org/primary")],
            chosen: None,
            owner: None,
            reader: Reader::Token,
            policy: OPEN,
            expect: &["org:org_primary"],
            says: "The organization's primary",
        },
        Case {
            name: "fallbacks by rank, personal before the org's",
            keys: vec![
                key("o2", "org/fallback2"),
                key("o1", "org/fallback1"),
                key("m1", "mine/fallback1"),
                with_status(key("p", "org/primary"), KeyStatus::NoCredits, Some(30)),
            ],
            chosen: None,
            owner: Some(OWNER),
            reader: Reader::Member(OWNER),
            policy: OPEN,
            expect: &["m1:fallback", "o1:fallback", "o2:fallback"],
            says: "Personal fallback 1 'm1' (sk-...m1): the organization's primary 'p' (sk-...p) is out of credit until",
        },
        Case {
            name: "a key the provider rejected is skipped until it validates again",
            keys: vec![
                with_status(key("p", "org/primary"), KeyStatus::Invalid, None),
                key("f", "org/fallback1"),
            ],
            chosen: None,
            owner: Some(OWNER),
            reader: Reader::Member(OWNER),
            policy: OPEN,
            expect: &["f:fallback"],
            says: "was rejected by the provider (invalid)",
        },
        Case {
            name: "keys of another family are not candidates",
            keys: {
                let mut voice = key("voice", "org/primary");
                voice.key_family = "elevenlabs".into();
                vec![voice]
            },
            chosen: Some("voice"),
            owner: Some(OWNER),
            reader: Reader::Member(OWNER),
            policy: Policy { platform_key_configured: false, ..OPEN },
            expect: &["no_key"],
            says: "No OpenAI key: the organization has none enabled. Add one at /hub/openai.",
        },
        Case {
            name: "the platform key serves when the org has no enabled key and allows it",
            keys: vec![disabled(key("p", "org/primary"))],
            chosen: None,
            owner: Some(OWNER),
            reader: Reader::Member(OWNER),
            policy: OPEN,
            expect: &["platform"],
            says: "The platform key for OpenAI",
        },
        Case {
            name: "never the platform key while the org has an enabled key, even a resting one",
            keys: vec![with_status(key("p", "org/primary"), KeyStatus::RateLimited, Some(2))],
            chosen: None,
            owner: Some(OWNER),
            reader: Reader::Member(OWNER),
            policy: OPEN,
            expect: &["no_key"],
            says: "No usable OpenAI key: the organization's primary 'p' (sk-...p) is rate-limited until",
        },
        Case {
            name: "never the platform key while the org has an enabled key without a role",
            keys: vec![key("n", "org/none")],
            chosen: None,
            owner: Some(OWNER),
            reader: Reader::Member(OWNER),
            policy: OPEN,
            expect: &["no_key"],
            says: "No OpenAI key is the primary or a fallback. Make one the primary at /hub/openai",
        },
        Case {
            name: "no platform key when the policy forbids it",
            keys: vec![],
            chosen: None,
            owner: Some(OWNER),
            reader: Reader::Member(OWNER),
            policy: Policy { allow_platform_keys: false, ..OPEN },
            expect: &["no_key"],
            says: "does not allow platform keys. Add one at /hub/openai.",
        },
        Case {
            name: "no platform key when the instance has none",
            keys: vec![],
            chosen: None,
            owner: None,
            reader: Reader::Member(OWNER),
            policy: Policy { platform_key_configured: false, ..OPEN },
            expect: &["no_key"],
            says: "No OpenAI key: the organization has none enabled.",
        },
        Case {
            name: "an API token never gets a personal key, not even the consumer owner's primary",
            keys: vec![key("pk1", "mine/primary"), key("org", "org/fallback1")],
            chosen: None,
            owner: Some(OWNER),
            reader: Reader::Token,
            policy: OPEN,
            expect: &["org:fallback"],
            says: "Fallback 1 'org' (sk-...org).",
        },
        Case {
            name: "an API token is not told of personal keys that did not serve",
            keys: vec![
                disabled(key("pk1", "mine/primary")),
                key("pk2", "mine/fallback1"),
                key("org", "org/primary"),
            ],
            chosen: None,
            owner: Some(OWNER),
            reader: Reader::Token,
            policy: OPEN,
            expect: &["org:org_primary"],
            says: "The organization's primary 'org' (sk-...org).",
        },
        Case {
            name: "a slot choosing its owner's personal key does not serve an API token",
            keys: vec![key("pk1", "mine/none"), key("org", "org/primary")],
            chosen: Some("pk1"),
            owner: Some(OWNER),
            reader: Reader::Token,
            policy: OPEN,
            expect: &["org:org_primary"],
            says: "the chosen key serves only its owner, never an API token",
        },
        Case {
            name: "an API token gets the platform key when the org has only personal keys",
            keys: vec![key("pk1", "mine/primary")],
            chosen: None,
            owner: Some(OWNER),
            reader: Reader::Token,
            policy: OPEN,
            expect: &["platform"],
            says: "The platform key for OpenAI",
        },
        Case {
            name: "an API token gets no_key, not a personal key, when the platform key is not allowed",
            keys: vec![key("pk1", "mine/primary")],
            chosen: None,
            owner: Some(OWNER),
            reader: Reader::Token,
            policy: Policy { allow_platform_keys: false, ..OPEN },
            expect: &["no_key"],
            says: "No OpenAI key: the organization has none enabled and does not allow platform keys.",
        },
    ];
    for case in &cases {
        let resolution = run(case);
        assert_eq!(outcome(&resolution), case.expect, "{}", case.name);
        assert!(
            resolution.explanation.contains(case.says),
            "{}: {:?} does not say {:?}",
            case.name,
            resolution.explanation,
            case.says
        );
        if case.reader == Reader::Token {
            let told = format!("{} {:?}", resolution.explanation, resolution.passed_over);
            for personal in case.keys.iter().filter(|k| k.scope == Scope::Personal) {
                assert!(
                    !told.contains(&personal.id),
                    "{}: a token is told of {}: {told}",
                    case.name,
                    personal.id
                );
            }
        }
    }
}

#[test]
fn a_chosen_key_that_cannot_serve_is_a_problem_the_consumer_shows() {
    let case = |keys: Vec<KeyRecord>, chosen| Case {
        name: "",
        keys,
        chosen: Some(chosen),
        owner: Some(OWNER),
        reader: Reader::Member(OWNER),
        policy: OPEN,
        expect: &[],
        says: "",
    };
    let problem = |c: &Case| run(c).choice_problem.map(|p| p.0);
    assert_eq!(problem(&case(vec![key("a", "org/none")], "a")), None);
    assert_eq!(
        problem(&case(vec![disabled(key("a", "org/none"))], "a")).as_deref(),
        Some("The chosen key is disabled.")
    );
    assert_eq!(
        problem(&case(vec![], "a")).as_deref(),
        Some("The chosen key was deleted.")
    );
}

#[test]
fn beside_the_key_says_only_what_the_key_and_its_source_do_not() {
    let case = |keys: Vec<KeyRecord>, chosen| Case {
        name: "",
        keys,
        chosen,
        owner: Some(OWNER),
        reader: Reader::Member(OWNER),
        policy: OPEN,
        expect: &[],
        says: "",
    };
    let beside = |c: &Case| run(c).beside_the_key(c.reader);
    // The primary alone: the page shows it and its source; nothing is left to say.
    assert_eq!(beside(&case(vec![key("a", "org/primary")], None)), "");
    // What was passed over, and what follows if the serving key fails.
    let told = beside(&case(
        vec![
            disabled(key("a", "org/primary")),
            key("b", "org/fallback1"),
            key("c", "org/fallback2"),
        ],
        None,
    ));
    assert_eq!(
        told,
        "Passed over: the organization's primary 'a' (sk-...a) is disabled. \
         If it fails: 'c' (sk-...c)."
    );
    // A chosen key's problem is shown as a warning: it is not said again.
    let told = beside(&case(
        vec![disabled(key("a", "org/none")), key("b", "org/primary")],
        Some("a"),
    ));
    assert_eq!(told, "");
    // Nothing serves: the explanation says what to do.
    let nothing = Case {
        policy: Policy {
            allow_platform_keys: false,
            ..OPEN
        },
        ..case(vec![disabled(key("a", "org/primary"))], None)
    };
    let told = beside(&nothing);
    assert!(told.contains("Add one at /hub/openai"), "{told}");
}

#[test]
fn another_members_personal_key_is_named_not_shown() {
    let target = Target::parse("openai").unwrap();
    let keys = [Arc::new(key("mine", "mine/primary"))];
    let explain = |reader| {
        let request = Request {
            target: &target,
            owner: Some(OWNER),
            chosen: None,
            reader,
        };
        resolve(&keys, &request, OPEN, NOW).explanation
    };
    assert_eq!(
        explain(Reader::Member(OWNER)),
        "The owner's personal primary 'mine' (sk-...mine)."
    );
    assert_eq!(
        explain(Reader::Member("user-admin")),
        "The owner's personal primary (a personal key of the owner)."
    );
}

#[test]
fn unusable_says_why_in_words() {
    let resting = with_status(key("a", "org/primary"), KeyStatus::RateLimited, Some(0));
    assert_eq!(
        unusable(&resting, NOW),
        None,
        "a cooldown ending now is over"
    );
    let mut deleted = key("a", "org/primary");
    deleted.deleted_at = Some(1);
    assert_eq!(unusable(&deleted, NOW).as_deref(), Some("was deleted"));
    let broke = with_status(key("a", "org/primary"), KeyStatus::NoCredits, Some(60));
    assert_eq!(
        unusable(&broke, NOW).as_deref(),
        Some("is out of credit until 2027-01-15 09:00 UTC")
    );
}
