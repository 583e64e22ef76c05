use std::process::ExitCode;

use clap::Parser;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    // A missing .env is normal; a malformed one is reported by the settings that depend on it.
    let _ = dotenvy::dotenv();
    keyhub::cli::init_tracing();
    keyhub::cli::run(keyhub::cli::Cli::parse()).await
}
