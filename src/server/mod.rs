//! The server side (ssr): configuration, startup, state, the router and its handlers.

pub mod config;
pub mod health;
pub mod router;
pub mod security_headers;
pub mod startup;
pub mod state;
