//! Live validation (SPEC.md §5): what a provider's answer means for a key. This part classifies
//! answers, reads retry-after and redacts provider words; the probes that ask the providers come
//! next and feed it.

pub mod classify;
pub mod redact;
pub mod retry;

pub use classify::{classify, unreachable, Answer, Unreachable, Verdict};
