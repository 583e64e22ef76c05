//! Sealing a secret for the one page that shows it once (see [`crate::api::reveal`]): under the
//! master key, bound to the org and to what is shown to whom.

use std::sync::Arc;

use crate::vault::{Binding, MasterKeys, SecretString};

#[derive(Clone, Debug)]
pub struct Handover {
    vault: Arc<MasterKeys>,
}

impl Handover {
    pub fn new(vault: Arc<MasterKeys>) -> Handover {
        Handover { vault }
    }

    /// `secret` sealed for `org_id` and `purpose` alone.
    pub fn seal(&self, org_id: &str, purpose: &str, secret: &SecretString) -> String {
        self.vault.seal(
            Binding {
                org_id,
                key_id: purpose,
            },
            secret,
        )
    }

    /// What [`Handover::seal`] sealed for the same org and purpose; `None` for anything else.
    pub fn open(&self, org_id: &str, purpose: &str, sealed: &str) -> Option<SecretString> {
        self.vault
            .open(
                Binding {
                    org_id,
                    key_id: purpose,
                },
                sealed,
            )
            .ok()
    }
}
