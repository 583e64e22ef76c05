//! The fake AI provider of the tests as a program, for the Playwright suite:
//! `fake_provider [PORT]` (default 3101) serves it; `fake_provider --settings [PORT]` prints the
//! `KEYHUB_*=…` lines that point every provider of the catalog at it. See
//! tests/support/fake_provider.rs for what keys do.

#[path = "../tests/support/fake_provider.rs"]
#[allow(dead_code)] // the tests' helpers (spawn, the request log) are not needed here
mod fake_provider;

#[tokio::main]
async fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let print_settings = args.first().is_some_and(|arg| arg == "--settings");
    if print_settings {
        args.remove(0);
    }
    let port: u16 = args.first().and_then(|p| p.parse().ok()).unwrap_or(3101);
    if print_settings {
        for (name, value) in fake_provider::settings(&format!("http://127.0.0.1:{port}")) {
            println!("{name}={value}");
        }
        return;
    }
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
