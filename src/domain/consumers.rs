//! Experts, assistants and their slots (SPEC.md §6), and the key picker's rules: shared by the
//! server and the browser bundle, so the picker offers the same keys with and without JavaScript.

use serde::{Deserialize, Serialize};

use super::catalog::{provider, Modality, Provider, PROVIDERS};
use super::keys::{KeyStatus, Role};
use crate::text_enum;

text_enum!(
    /// What uses keys: an expert, or an assistant (which may build on an expert).
    ConsumerKind { Expert = "expert", Assistant = "assistant" }
);

impl ConsumerKind {
    pub fn label(self) -> &'static str {
        match self {
            ConsumerKind::Expert => "expert",
            ConsumerKind::Assistant => "assistant",
        }
    }

    /// The slots this kind has: an expert's model and its voice and image slots; an assistant's
    /// own model.
    pub fn slots(self) -> &'static [Slot] {
        match self {
            ConsumerKind::Expert => Slot::ALL,
            ConsumerKind::Assistant => &[Slot::Chat],
        }
    }

    /// Where its page lives: `/experts` or `/assistants`.
    pub fn path(self) -> &'static str {
        match self {
            ConsumerKind::Expert => "/experts",
            ConsumerKind::Assistant => "/assistants",
        }
    }
}

text_enum!(
    /// A place where a consumer uses a key: its model (chat), voice input, voice output, images.
    Slot { Chat = "chat", Stt = "stt", Tts = "tts", Image = "image" }
);

impl Slot {
    pub fn label(self) -> &'static str {
        match self {
            Slot::Chat => "Model",
            Slot::Stt => "Voice input (speech to text)",
            Slot::Tts => "Voice output (text to speech)",
            Slot::Image => "Image generation",
        }
    }

    pub fn modality(self) -> Modality {
        match self {
            Slot::Chat => Modality::Chat,
            Slot::Stt => Modality::Stt,
            Slot::Tts => Modality::Tts,
            Slot::Image => Modality::Image,
        }
    }

    /// The form field a part of this slot is sent and reported as, e.g. `tts_key`.
    pub fn field(self, part: &str) -> &'static str {
        match (self, part) {
            (Slot::Chat, "provider") => "chat_provider",
            (Slot::Chat, "model") => "chat_model",
            (Slot::Chat, "key") => "chat_key",
            (Slot::Stt, "provider") => "stt_provider",
            (Slot::Stt, "key") => "stt_key",
            (Slot::Tts, "provider") => "tts_provider",
            (Slot::Tts, "voice") => "tts_voice",
            (Slot::Tts, "key") => "tts_key",
            (Slot::Image, "provider") => "image_provider",
            (Slot::Image, "model") => "image_model",
            (Slot::Image, "key") => "image_key",
            _ => "slots",
        }
    }

    /// The model slot must be set; voice and image slots are optional.
    pub fn required(self) -> bool {
        self == Slot::Chat
    }

    /// The catalog providers that serve this slot. Custom endpoints are offered by name instead
    /// (see [`Target`]), since each is its own key family.
    pub fn providers(self) -> impl Iterator<Item = &'static Provider> {
        PROVIDERS
            .iter()
            .filter(move |p| p.id != "custom" && p.modalities.contains(&self.modality()))
    }
}

/// What a slot or a resolve request names: a catalog provider, or one custom endpoint
/// (`custom:<name>`), with the key family whose keys serve it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub provider: &'static Provider,
    pub family: String,
}

impl Target {
    pub fn parse(text: &str) -> Option<Target> {
        if let Some(name) = text.strip_prefix("custom:") {
            // As custom endpoints are named when their key is added: a–z only.
            let valid =
                (1..=40).contains(&name.len()) && name.chars().all(|c| c.is_ascii_lowercase());
            return valid.then(|| Target {
                provider: provider("custom").expect("custom is in the catalog"),
                family: text.to_owned(),
            });
        }
        let provider = provider(text).filter(|p| p.id != "custom")?;
        Some(Target {
            provider,
            family: provider.key_family.to_owned(),
        })
    }

    /// How it is stored and sent: the provider id, or `custom:<name>`.
    pub fn id(&self) -> &str {
        if self.provider.id == "custom" {
            &self.family
        } else {
            self.provider.id
        }
    }

    /// For people: "OpenAI", or "Custom endpoint acme".
    pub fn name(&self) -> String {
        match self.family.strip_prefix("custom:") {
            Some(name) => format!("custom endpoint {name}"),
            None => self.provider.name.to_owned(),
        }
    }

    pub fn serves(&self, slot: Slot) -> bool {
        self.provider.modalities.contains(&slot.modality())
    }
}

/// A key as the picker sees it: masked, never the secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickerKey {
    pub id: String,
    pub key_family: String,
    pub nickname: Option<String>,
    pub hint: String,
    pub status: KeyStatus,
    pub enabled: bool,
    /// The viewer's own personal key (other people's personal keys never reach the picker).
    pub yours: bool,
    pub role: Role,
    pub fallback_rank: Option<i64>,
}

impl PickerKey {
    /// "nickname · hint · status", and its role when it has one ("· primary", "· fallback 2"), as
    /// the picker lists it.
    pub fn label(&self) -> String {
        let name = self.nickname.as_deref().unwrap_or("Unnamed key");
        let role = match (self.role, self.fallback_rank) {
            (Role::Primary, _) => " · primary".to_owned(),
            (Role::Fallback, Some(rank)) => format!(" · fallback {rank}"),
            _ => String::new(),
        };
        format!(
            "{name} · {} · {}{role}",
            self.hint,
            status_word(self.status)
        )
    }

    /// Where the picker lists it: the primary, the fallbacks in order, then the rest.
    pub fn rank(&self) -> (u8, i64) {
        match self.role {
            Role::Primary => (0, 0),
            Role::Fallback => (1, self.fallback_rank.unwrap_or(i64::MAX)),
            Role::None => (2, 0),
        }
    }
}

/// The provider a new expert's or assistant's model slot starts with.
pub const NEW_CHAT_PROVIDER: &str = "openai";

/// A status in a word or two, for picker lines.
pub fn status_word(status: KeyStatus) -> &'static str {
    match status {
        KeyStatus::Unverified => "Not verified",
        KeyStatus::Valid => "Valid",
        KeyStatus::ValidRestricted => "Valid (restricted)",
        KeyStatus::Invalid => "Invalid",
        KeyStatus::Expired => "Expired",
        KeyStatus::NoCredits => "Out of credit",
        KeyStatus::RateLimited => "Rate-limited",
        KeyStatus::Forbidden => "Forbidden",
        KeyStatus::ProviderDown => "Provider down",
        KeyStatus::NetworkError => "Unreachable",
        KeyStatus::Unsupported => "Not checkable",
        KeyStatus::NeedsReentry => "Needs re-entry",
    }
}

/// The keys a slot's picker offers, grouped, and what it hides.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Picker {
    pub yours: Vec<PickerKey>,
    pub organization: Vec<PickerKey>,
    pub hidden_disabled: usize,
    pub hidden_failed: usize,
}

impl Picker {
    /// The keys of `family` that may be chosen: enabled and not rejected by the provider.
    pub fn new(keys: &[PickerKey], family: &str) -> Picker {
        let mut picker = Picker::default();
        for key in keys.iter().filter(|key| key.key_family == family) {
            if !key.enabled {
                picker.hidden_disabled += 1;
            } else if key.status.is_rejected() {
                picker.hidden_failed += 1;
            } else if key.yours {
                picker.yours.push(key.clone());
            } else {
                picker.organization.push(key.clone());
            }
        }
        picker
    }

    pub fn is_empty(&self) -> bool {
        self.yours.is_empty() && self.organization.is_empty()
    }

    pub fn offers(&self, key_id: &str) -> bool {
        self.yours
            .iter()
            .chain(&self.organization)
            .any(|key| key.id == key_id)
    }

    /// "2 keys hidden: 1 disabled, 1 failed validation", or nothing when none is hidden.
    pub fn hidden_line(&self) -> Option<String> {
        let total = self.hidden_disabled + self.hidden_failed;
        if total == 0 {
            return None;
        }
        let mut reasons = Vec::new();
        if self.hidden_disabled > 0 {
            reasons.push(format!("{} disabled", self.hidden_disabled));
        }
        if self.hidden_failed > 0 {
            reasons.push(format!("{} failed validation", self.hidden_failed));
        }
        let keys = if total == 1 { "key" } else { "keys" };
        Some(format!("{total} {keys} hidden: {}", reasons.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str, family: &str, status: KeyStatus, enabled: bool, yours: bool) -> PickerKey {
        PickerKey {
            id: id.into(),
            key_family: family.into(),
            nickname: Some(id.into()),
            hint: "sk-...abcd".into(),
            status,
            enabled,
            yours,
            role: Role::None,
            fallback_rank: None,
        }
    }

    #[test]
    fn the_picker_offers_usable_keys_of_the_family_and_says_what_it_hides() {
        let keys = [
            key("org-ok", "openai", KeyStatus::Valid, true, false),
            key("mine", "openai", KeyStatus::RateLimited, true, true),
            key("off", "openai", KeyStatus::Valid, false, false),
            key("bad", "openai", KeyStatus::Invalid, true, false),
            key("voice", "elevenlabs", KeyStatus::Valid, true, false),
        ];
        let picker = Picker::new(&keys, "openai");
        assert_eq!(
            picker.yours.iter().map(|k| &k.id[..]).collect::<Vec<_>>(),
            ["mine"]
        );
        assert_eq!(
            picker
                .organization
                .iter()
                .map(|k| &k.id[..])
                .collect::<Vec<_>>(),
            ["org-ok"]
        );
        assert!(!picker.offers("voice") && !picker.offers("off") && !picker.offers("bad"));
        assert_eq!(
            picker.hidden_line().as_deref(),
            Some("2 keys hidden: 1 disabled, 1 failed validation")
        );
        assert_eq!(Picker::new(&keys, "stability").hidden_line(), None);
        assert_eq!(keys[1].label(), "mine · sk-...abcd · Rate-limited");
    }

    #[test]
    fn targets_name_a_catalog_provider_or_one_custom_endpoint() {
        let openai_tts = Target::parse("openai-tts").unwrap();
        assert_eq!(
            (openai_tts.family.as_str(), openai_tts.id()),
            ("openai", "openai-tts")
        );
        assert!(openai_tts.serves(Slot::Tts) && !openai_tts.serves(Slot::Image));
        let custom = Target::parse("custom:acme").unwrap();
        assert_eq!(
            (custom.family.as_str(), custom.id()),
            ("custom:acme", "custom:acme")
        );
        for wrong in ["custom", "custom:", "custom:Acme", "custom:a-b", "nope", ""] {
            assert_eq!(Target::parse(wrong), None, "{wrong}");
        }
        assert!(Slot::Stt.providers().any(|p| p.id == "elevenlabs"));
        assert!(Slot::Image.providers().all(|p| p.id != "openai"));
    }
}
