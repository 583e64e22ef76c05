//! Secret handling in one place: the redacting secret type, the master keys, sealing bound to
//! (org, key), keyed fingerprints, masked hints, and the canary that proves the master key.

mod hint;
mod master_keys;
mod secret;

pub use hint::hint;
pub use master_keys::{Binding, MasterKeyError, MasterKeys, OpenError};
pub use secret::SecretString;

/// The record the canary is bound to. It is encrypted once at first start; if the configured master
/// keys cannot open it later, they are not the keys this data was written with.
pub const CANARY_BINDING: Binding<'static> = Binding {
    org_id: "keyhub",
    key_id: "vault-canary",
};
const CANARY_TEXT: &str = "keyhub vault canary";

impl MasterKeys {
    pub fn seal_canary(&self) -> String {
        self.seal(CANARY_BINDING, &SecretString::new(CANARY_TEXT))
    }

    pub fn opens_canary(&self, sealed: &str) -> bool {
        self.open(CANARY_BINDING, sealed)
            .is_ok_and(|text| text.expose() == CANARY_TEXT)
    }
}
