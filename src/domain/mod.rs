//! Isomorphic, dependency-light types shared by the server and the browser bundle. Never the secret.

pub mod accounts;
pub mod catalog;
pub mod consumers;
pub mod keys;
pub mod problems;
pub mod time;
