//! KeyHub's integration tests, one crate so the server links once: each module is a scenario
//! group, most of them run on SQLite and PostgreSQL (`on_both_backends!`). Tests that change the
//! process environment live in binaries of their own (`tests/provider_proxy.rs`).

#[path = "../common/mod.rs"]
#[macro_use]
mod common;

mod accounts;
mod architecture;
mod auth_http;
mod authorization;
mod canary;
mod coherence;
mod consumers;
mod fernet_spec;
mod gateway;
mod hostile_input;
mod http;
mod invites;
mod keys;
mod members;
mod outage;
mod recovery;
mod rest_keys;
mod revalidation;
mod rotation;
mod startup;
mod tokens;
mod transfer;
mod upgrade;
mod validation;
mod vault_storage;
