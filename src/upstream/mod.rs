//! The provider client: how KeyHub reaches providers, for validation (SPEC.md §5) and the gateway.
//! A probe per provider ([`probe`]) to the addresses a provider may have ([`address`]), what its
//! answer means for the key ([`classify`]), when to try again ([`retry`]), and provider words made
//! safe ([`redact`]).

pub mod address;
pub mod classify;
pub mod probe;
pub mod redact;
pub mod retry;

pub use classify::{classify, unreachable, Answer, Unreachable, Verdict};
pub use probe::{Egress, Prober};
