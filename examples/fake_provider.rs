//! The fake AI provider of the tests as a program, for the Playwright suite:
//! `fake_provider [PORT]` (default 3101). See tests/support/fake_provider.rs for what keys do.

#[path = "../tests/support/fake_provider.rs"]
#[allow(dead_code)] // the tests' helpers (spawn, the request log) are not needed here
mod fake_provider;

#[tokio::main]
async fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(3101);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap_or_else(|error| panic!("cannot listen on 127.0.0.1:{port}: {error}"));
    eprintln!("fake provider listening on http://127.0.0.1:{port}");
    axum::serve(
        listener,
        fake_provider::router(fake_provider::Log::default()),
    )
    .await
    .unwrap();
}
