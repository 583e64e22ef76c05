//! The server (ssr): one instance assembled ([`application`]), its startup checks, the router with
//! its guards and headers, and the serve loop.

pub mod application;
pub mod csrf;
pub mod export_download;
pub mod guard;
pub mod health;
pub mod housekeeping;
pub mod recovery;
pub mod router;
pub mod security_headers;
pub mod serving;
pub mod site_files;
pub mod startup;

pub use serving::serve;
