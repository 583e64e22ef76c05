//! Server functions: thin doors onto the services, grouped by area. Shared by both targets.

pub mod activity;
pub mod auth;
pub mod consumers;
pub mod error;
pub mod invites;
pub mod keys;
pub mod members;
pub mod orgs;
pub mod profile;
pub mod tokens;
