//! Live validation (SPEC.md §5): a probe per provider ([`probe`]) to the addresses a provider may
//! have ([`address`]), what its answer means for the key ([`classify`]), when to try again ([`retry`]), provider words made safe ([`redact`]), and the
//! background re-validation ([`job`]).

pub mod address;
pub mod classify;
pub mod job;
pub mod probe;
pub mod redact;
pub mod retry;

pub use classify::{classify, unreachable, Answer, Unreachable, Verdict};
pub use probe::{Egress, Prober};
