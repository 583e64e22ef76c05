//! What the doors (pages, server functions, the REST API) stand on: the application state that
//! holds the services, and who is asking.

pub mod handover;
pub mod session;
pub mod state;
