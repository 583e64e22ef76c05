//! The server side (ssr): configuration, startup, state, the router and its handlers.

pub mod auth;
pub mod config;
pub mod csrf;
pub mod health;
pub mod housekeeping;
pub mod login_limiter;
pub mod proxies;
pub mod reveal;
pub mod router;
pub mod security_headers;
pub mod serving;
pub mod startup;
pub mod state;

pub use serving::{serve, HttpTimeouts};
