//! Server functions: thin doors onto the services, grouped by area. Shared by both targets.

pub mod activity;
pub mod auth;
pub mod consumers;
#[cfg(feature = "ssr")]
pub mod door;
pub mod error;
pub mod invites;
pub mod keys;
pub mod members;
pub mod orgs;
pub mod profile;
#[cfg(feature = "ssr")]
pub mod reveal;
pub mod tokens;
