use std::process::ExitCode;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    // A missing .env is normal; a malformed one is reported by the settings that depend on it.
    let _ = dotenvy::dotenv();
    keyhub::cli::init_tracing();
    let cli = keyhub::cli::Cli::parse_with_revision(option_env!("KEYHUB_GIT_REVISION"));
    keyhub::cli::run(cli).await
}
