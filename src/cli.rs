//! The command line (SPEC.md §7): `serve` (default), `migrate`, `create-admin`, `gen-master-key`,
//! `create-token`, `rotate-master-key`, `recover`, `export`, `import`, `check`, `healthcheck`.

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::accounts::tokens::{self, TokenRequest};
use crate::accounts::{Accounts, FirstOwner, SessionPolicy};
use crate::config::Settings;
use crate::domain::accounts::TokenScope;
use crate::keys::keyring::Keyring;
use crate::server::application::Application;
use crate::server::startup::{check_master_key, open_vault, StartupError};
use crate::store::{Access, Db, SchemaState};
use crate::transfer::Conflicts;
use export_import as commands;

mod export_import;
mod healthcheck;
use crate::vault::{MasterKeys, SecretString};

#[derive(Debug, Parser)]
#[command(name = "keyhub", version, about = "Self-hosted Provider Keys hub")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web UI and API (the default).
    Serve,
    /// Create or update the database schema, then exit.
    Migrate,
    /// Create an organization and its owner: the first (as /setup does) or another one. The password
    /// is read from stdin; an existing user keeps theirs.
    CreateAdmin {
        /// The owner's email address.
        #[arg(long)]
        email: String,
        /// The organization's slug (lowercase letters, digits, dashes).
        #[arg(long)]
        org: String,
        /// The organization's display name (defaults to the slug).
        #[arg(long)]
        org_name: Option<String>,
    },
    /// Create an API token for an organization and print it (the only time it is shown).
    CreateToken {
        /// The organization's slug.
        #[arg(long)]
        org: String,
        /// A name that says who uses the token.
        #[arg(long)]
        name: String,
        /// Comma-separated scopes: keys:read, keys:write, keys:use, gateway.
        #[arg(long, value_delimiter = ',', required = true)]
        scopes: Vec<String>,
        /// Days until the token expires (never, when not given).
        #[arg(long)]
        expires_in_days: Option<u32>,
    },
    /// Print a new random master key for KEYHUB_MASTER_KEY.
    GenMasterKey,
    /// Re-encrypt every stored key under the first master key (put the new key first, the old one
    /// after it). Resumable; names keys it cannot decrypt; remove the old key only after it says so.
    RotateMasterKey,
    /// For an operator who has the database but lost the master key: after a typed confirmation,
    /// wipes every stored secret (keeping nicknames, roles and every choice of them), puts a new
    /// master key in force, and leaves each key waiting for its secret to be pasted again.
    Recover {
        /// Required: the stored secrets are forgotten for good.
        #[arg(long)]
        forget_secrets: bool,
    },
    /// Write organizations (keys with their secrets, policy, members, experts and assistants) to
    /// one file encrypted under a passphrase, read from stdin or --passphrase-file.
    Export {
        /// The file to write; it must not exist yet.
        #[arg(long)]
        to: std::path::PathBuf,
        /// An organization's slug; repeat for several.
        #[arg(long = "org")]
        orgs: Vec<String>,
        /// Every organization.
        #[arg(long)]
        all: bool,
        /// Include members' password hashes, so they sign in as before after the move.
        #[arg(long)]
        with_accounts: bool,
        #[arg(long)]
        passphrase_file: Option<std::path::PathBuf>,
    },
    /// Read an export into this instance, all or nothing: its secrets are sealed again under this
    /// instance's master key.
    Import {
        #[arg(long)]
        from: std::path::PathBuf,
        /// Import an organization whose slug exists here under a free one (acme-2).
        #[arg(long, conflicts_with = "skip_existing")]
        rename: bool,
        /// Leave out organizations whose slug exists here.
        #[arg(long)]
        skip_existing: bool,
        #[arg(long)]
        passphrase_file: Option<std::path::PathBuf>,
    },
    /// Ask a running KeyHub's /healthz (a container's HEALTHCHECK): exit code 0 when it answers 200.
    Healthcheck {
        /// Defaults to /healthz on the address LEPTOS_SITE_ADDR names, on loopback.
        #[arg(long)]
        url: Option<String>,
    },
    /// Check configuration, database and master key without changing anything.
    /// Exit code: 0 all good, 2 configuration, 3 database, 4 master key.
    Check,
}

impl Cli {
    /// The process's arguments. `--version` also names the git revision the binary was built from
    /// (`KEYHUB_GIT_REVISION` at build time) and the schema version it runs on.
    pub fn parse_with_revision(revision: Option<&str>) -> Cli {
        let version = format!(
            "{} (revision {}, schema version {})",
            env!("CARGO_PKG_VERSION"),
            revision.unwrap_or("unknown"),
            crate::store::schema_version()
        );
        let matches = Cli::command().version(version).get_matches();
        Cli::from_arg_matches(&matches).unwrap_or_else(|error| error.exit())
    }
}

const EXIT_CONFIG: u8 = 2;
const EXIT_DATABASE: u8 = 3;
const EXIT_MASTER_KEY: u8 = 4;

pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

pub async fn run(cli: Cli) -> ExitCode {
    match cli.command.unwrap_or(Command::Serve) {
        Command::GenMasterKey => {
            println!("{}", MasterKeys::generate().expose());
            ExitCode::SUCCESS
        }
        Command::Check => check().await,
        Command::Healthcheck { url } => {
            let url = url.unwrap_or_else(healthcheck::local_health_url);
            match healthcheck::healthy(&url).await {
                true => ExitCode::SUCCESS,
                false => ExitCode::FAILURE,
            }
        }
        Command::Migrate => {
            with_settings(|mut settings| async move {
                settings.auto_migrate = true;
                let (db, _) = open_vault(&settings).await.map_err(startup_exit)?;
                db.close().await;
                eprintln!(
                    "keyhub: database is up to date at schema version {} ({})",
                    crate::store::schema_version(),
                    settings.database_display()
                );
                Ok(())
            })
            .await
        }
        Command::CreateAdmin {
            email,
            org,
            org_name,
        } => {
            with_settings(|settings| {
                create_admin(settings, email, org_name.unwrap_or(org.clone()), org)
            })
            .await
        }
        Command::CreateToken {
            org,
            name,
            scopes,
            expires_in_days,
        } => {
            with_settings(|settings| create_token(settings, org, name, scopes, expires_in_days))
                .await
        }
        Command::RotateMasterKey => with_settings(rotate_master_key).await,
        Command::Export {
            to,
            orgs,
            all,
            with_accounts,
            passphrase_file,
        } => {
            with_settings(|settings| async move {
                let passphrase = transfer_step(commands::passphrase(passphrase_file.as_deref()))?;
                let header = transfer_step(
                    commands::export_to(&settings, &to, &orgs, all, with_accounts, &passphrase)
                        .await,
                )?;
                for org in header.orgs {
                    println!(
                        "Exported {} ({}): {} key(s), {} expert(s) and assistant(s), {} member(s).",
                        org.slug, org.name, org.keys, org.consumers, org.members
                    );
                }
                println!(
                    "Wrote {}. It holds every key in clear once opened: keep it and its \
                     passphrase apart.",
                    to.display()
                );
                Ok(())
            })
            .await
        }
        Command::Import {
            from,
            rename,
            skip_existing,
            passphrase_file,
        } => {
            let conflicts = match (rename, skip_existing) {
                (true, _) => Conflicts::Rename,
                (_, true) => Conflicts::SkipExisting,
                _ => Conflicts::Refuse,
            };
            with_settings(|settings| async move {
                let passphrase = transfer_step(commands::passphrase(passphrase_file.as_deref()))?;
                let (_, imported) = transfer_step(
                    commands::import_from(&settings, &from, conflicts, &passphrase).await,
                )?;
                for (slug, got, keys) in imported.orgs {
                    match got {
                        Some(got) if got == slug => println!("Imported {slug} with {keys} key(s)."),
                        Some(got) => println!("Imported {slug} as {got} with {keys} key(s)."),
                        None => println!("Skipped {slug}: it exists here."),
                    }
                }
                Ok(())
            })
            .await
        }
        Command::Recover { forget_secrets } => {
            with_settings(|settings| recover(settings, forget_secrets)).await
        }
        Command::Serve => with_settings(serve).await,
    }
}

async fn with_settings<F, Fut>(command: F) -> ExitCode
where
    F: FnOnce(Settings) -> Fut,
    Fut: std::future::Future<Output = Result<(), ExitCode>>,
{
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("keyhub: configuration error: {error}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    match command(settings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}

fn startup_exit(error: StartupError) -> ExitCode {
    eprintln!("keyhub: refusing to start: {error}");
    match error {
        StartupError::MasterKey(_) => ExitCode::from(EXIT_MASTER_KEY),
        StartupError::Database { .. } | StartupError::Setup(_) => ExitCode::from(EXIT_DATABASE),
    }
}

async fn serve(settings: Settings) -> Result<(), ExitCode> {
    let leptos_options = leptos::config::get_configuration(None)
        .map_err(|error| {
            eprintln!("keyhub: configuration error: {error}");
            ExitCode::from(EXIT_CONFIG)
        })?
        .leptos_options;
    let address = leptos_options.site_addr;
    let gateway_address = settings.gateway_addr;
    let app = Application::open(settings, leptos_options)
        .await
        .map_err(startup_exit)?;
    let listener = bind(address).await?;
    let gateway_listener = match gateway_address {
        Some(gateway_address) => Some(bind(gateway_address).await?),
        None => None,
    };
    app.start_background_jobs();
    tracing::info!("KeyHub is listening on http://{address}");
    if let Some(Ok(at)) = gateway_listener.as_ref().map(|l| l.local_addr()) {
        tracing::info!("the gateway is listening on http://{at}");
    }
    app.serve(listener, gateway_listener, shutdown_signal())
        .await;
    Ok(())
}

async fn bind(address: std::net::SocketAddr) -> Result<tokio::net::TcpListener, ExitCode> {
    tokio::net::TcpListener::bind(address)
        .await
        .map_err(|error| {
            eprintln!("keyhub: cannot listen on {address}: {error}");
            ExitCode::FAILURE
        })
}

async fn create_admin(
    settings: Settings,
    email: String,
    org_name: String,
    org_slug: String,
) -> Result<(), ExitCode> {
    eprintln!("Password for {email} (read from stdin):");
    let mut password = String::new();
    if std::io::stdin().read_line(&mut password).is_err() {
        eprintln!("keyhub: could not read the password from stdin");
        return Err(ExitCode::FAILURE);
    }
    let password = SecretString::new(password.trim_end_matches(['\r', '\n']));
    let (db, _) = open_vault(&settings).await.map_err(startup_exit)?;
    let accounts = Accounts::new(db.clone(), SessionPolicy::default());
    let input = FirstOwner {
        email,
        password,
        org_name,
        org_slug,
    };
    let created = match accounts.needs_setup().await {
        Ok(true) => {
            let created = accounts.create_first_owner(input).await;
            if created.is_ok() {
                crate::accounts::setup_code::remove_file(&settings.data_dir);
            }
            created
        }
        Ok(false) => accounts.create_org(input).await,
        Err(error) => Err(error),
    };
    db.close().await;
    match created {
        Ok((user, org)) => {
            println!(
                "created {} as owner of {} ({})",
                user.email, org.name, org.slug
            );
            Ok(())
        }
        Err(error) => {
            eprintln!("keyhub: {error}");
            Err(ExitCode::FAILURE)
        }
    }
}

async fn create_token(
    settings: Settings,
    org_slug: String,
    name: String,
    scopes: Vec<String>,
    lifetime_days: Option<u32>,
) -> Result<(), ExitCode> {
    let mut parsed = Vec::new();
    for scope in &scopes {
        let Some(scope) = TokenScope::parse(scope.trim()) else {
            eprintln!(
                "keyhub: unknown scope {scope:?}; use keys:read, keys:write, keys:use or gateway"
            );
            return Err(ExitCode::from(EXIT_CONFIG));
        };
        parsed.push(scope);
    }
    let (db, _) = open_vault(&settings).await.map_err(startup_exit)?;
    let created = match db.org_by_slug(&org_slug).await {
        Ok(Some(org)) => {
            let request = TokenRequest {
                name: &name,
                scopes: &parsed,
                lifetime_days,
            };
            tokens::Tokens(&db)
                .create_in(&org, None, request)
                .await
                .map_err(|error| error.to_string())
        }
        Ok(None) => Err(format!("there is no organization {org_slug:?}")),
        Err(error) => Err(error.to_string()),
    };
    db.close().await;
    match created {
        Ok(created) => {
            eprintln!(
                "Created token {:?} for {org_slug}. Copy it now: it is not shown again.",
                created.token.name
            );
            println!("{}", created.secret.expose());
            Ok(())
        }
        Err(error) => {
            eprintln!("keyhub: {error}");
            Err(ExitCode::FAILURE)
        }
    }
}

async fn rotate_master_key(settings: Settings) -> Result<(), ExitCode> {
    let (db, vault) = open_vault(&settings).await.map_err(startup_exit)?;
    if vault.count() < 2 {
        eprintln!(
            "keyhub: rotate-master-key needs the new key first and the old key after it in \
             KEYHUB_MASTER_KEY (comma-separated); only one key is configured"
        );
        return Err(ExitCode::from(EXIT_MASTER_KEY));
    }
    let report = Keyring::new(db.clone(), vault)
        .reseal_all_telling(rotation_progress())
        .await;
    db.close().await;
    let report = match report {
        Ok(report) => report,
        Err(error) => {
            eprintln!("keyhub: rotation stopped: {error}. Run it again to continue.");
            return Err(ExitCode::FAILURE);
        }
    };
    println!(
        "Re-encrypted {} key(s) under the new master key; skipped {} already under it and {} \
         changed meanwhile.",
        report.resealed, report.already_current, report.changed_meanwhile
    );
    if !report.old_key_needed() {
        println!(
            "All {} keys are now under the new master key; the old key may be removed.",
            report.total()
        );
        return Ok(());
    }
    if !report.undecryptable.is_empty() {
        eprintln!(
            "keyhub: {} keys could not be decrypted (ids {}); keep the old key.",
            report.undecryptable.len(),
            report.undecryptable.join(", ")
        );
    }
    if report.still_under_old > 0 {
        eprintln!(
            "keyhub: {} keys changed while rotating and are still under the old master key; keep \
             the old key and run rotate-master-key again.",
            report.still_under_old
        );
    }
    Err(ExitCode::FAILURE)
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .expect("a SIGTERM handler can be installed");
        tokio::select! {
            _ = interrupt => {},
            _ = terminate.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}

/// Reports each part on its own line; the exit code names the first part that failed.
/// An export or import step's failure, said once on stderr.
fn transfer_step<T>(result: Result<T, commands::CommandError>) -> Result<T, ExitCode> {
    result.map_err(|error| {
        eprintln!("keyhub: {error}");
        ExitCode::FAILURE
    })
}

/// The word an operator types to confirm that every stored secret is wiped.
const FORGET: &str = "FORGET";

async fn recover(settings: Settings, forget_secrets: bool) -> Result<(), ExitCode> {
    use crate::server::recovery::{forget_secrets as wipe, NewMasterKey};
    if !forget_secrets {
        eprintln!(
            "keyhub: recover needs --forget-secrets: without the master key the stored secrets \
             cannot be read, so recovering means wiping them and pasting each key again"
        );
        return Err(ExitCode::from(EXIT_CONFIG));
    }
    eprintln!(
        "This wipes the secret of every stored provider key in {}. Nicknames, roles, health and \
         every expert's and assistant's choice stay; each key then waits for someone to paste it \
         again (Re-enter key), and a new master key takes over. Only do this if the master key is \
         lost for good, and stop every KeyHub instance of this database first. Type {FORGET} to \
         continue:",
        settings.database_display()
    );
    let mut answer = String::new();
    if std::io::stdin().read_line(&mut answer).is_err() || answer.trim() != FORGET {
        eprintln!("keyhub: not confirmed; nothing changed");
        return Err(ExitCode::FAILURE);
    }
    let recovery = wipe(&settings).await.map_err(|error| {
        eprintln!("keyhub: recover refused: {error}");
        ExitCode::from(EXIT_MASTER_KEY)
    })?;
    let keys: u64 = recovery.forgotten.iter().map(|(_, count)| count).sum();
    println!(
        "Wiped the secrets of {keys} key(s) in {} organization(s); each now needs its key pasted \
         again (Re-enter key on its provider page).",
        recovery.forgotten.len()
    );
    if let Some(old) = &recovery.old_key_moved_to {
        println!("The unusable old key file was moved to {}.", old.display());
    }
    match recovery.new_key {
        NewMasterKey::Written(file) => println!(
            "A new master key was written to {}. Back it up now, apart from the database.",
            file.display()
        ),
        NewMasterKey::ToConfigure(key) => println!(
            "Set KEYHUB_MASTER_KEY to this new master key, and back it up apart from the \
             database:\n{}",
            key.expose()
        ),
    }
    Ok(())
}

/// How far a rotation is, on stderr: a bar redrawn in place on a terminal, otherwise a line at
/// every tenth of the keys (and at the end), so a log shows it moving.
fn rotation_progress() -> impl FnMut(u64, u64) {
    use std::io::{IsTerminal, Write};
    let terminal = std::io::stderr().is_terminal();
    let mut shown = None;
    move |done, total| {
        let step = (total / 10).max(1);
        let tenth = done / step;
        if shown == Some(tenth) && done != total {
            return;
        }
        shown = Some(tenth);
        let mut err = std::io::stderr();
        if terminal {
            let filled = (done * 30).checked_div(total).unwrap_or(30) as usize;
            let _ = write!(
                err,
                "\r[{}{}] {done}/{total} keys",
                "#".repeat(filled),
                ".".repeat(30 - filled)
            );
            if done == total {
                let _ = writeln!(err);
            }
        } else {
            let _ = writeln!(
                err,
                "keyhub: rotate-master-key: {done} of {total} keys checked"
            );
        }
    }
}

async fn check() -> ExitCode {
    let settings = match Settings::from_env() {
        Ok(settings) => {
            println!("configuration: ok ({})", settings.database_display());
            settings
        }
        Err(error) => {
            println!("configuration: FAILED: {error}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    if let Err(code) = check_database(&settings).await {
        return code;
    }
    match check_master_key(&settings).await {
        Ok(Some(keys)) => {
            println!(
                "master key: ok ({} key(s); the first encrypts)",
                keys.count()
            );
            report_older_keys(&settings, keys).await;
            ExitCode::SUCCESS
        }
        Ok(None) => {
            println!(
                "master key: not created yet; the first start generates {}",
                settings.default_master_key_file().display()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            println!("master key: FAILED: {error}");
            ExitCode::from(match error {
                StartupError::Database { .. } | StartupError::Setup(_) => EXIT_DATABASE,
                StartupError::MasterKey(_) => EXIT_MASTER_KEY,
            })
        }
    }
}

/// "stored keys: …": how many are still sealed under an older master key, so an operator knows
/// whether a rotation is finished (or was interrupted) before removing the old key.
async fn report_older_keys(settings: &Settings, keys: MasterKeys) {
    let Ok(db) = Db::connect(settings.database_url.expose(), Access::ReadOnly).await else {
        return;
    };
    if db.is_initialized().await.unwrap_or(false) {
        match Keyring::new(db.clone(), std::sync::Arc::new(keys))
            .under_older_keys()
            .await
        {
            Ok((0, total)) => println!("stored keys: {total}, all under the first master key"),
            Ok((older, total)) => println!(
                "stored keys: {older} of {total} still under an older master key; run keyhub \
                 rotate-master-key before removing it"
            ),
            Err(error) => println!("stored keys: could not be counted: {error}"),
        }
    }
    db.close().await;
}

async fn check_database(settings: &Settings) -> Result<(), ExitCode> {
    let url = settings.database_url.expose();
    if crate::store::sqlite_path(url).is_some_and(|path| !path.exists()) {
        println!("database: not created yet; the first start creates it");
        return Ok(());
    }
    let db = match Db::connect(url, Access::ReadOnly).await {
        Ok(db) => db,
        Err(error) => {
            println!(
                "database: FAILED: {} is not reachable: {error}",
                settings.database_display()
            );
            return Err(ExitCode::from(EXIT_DATABASE));
        }
    };
    let state = db.schema_state().await;
    db.close().await;
    let newest = crate::store::schema_version();
    let refusal = match state {
        Ok(SchemaState::Current) => {
            println!("database: ok (schema version {newest})");
            return Ok(());
        }
        Ok(state) => {
            match state.refusal(settings.auto_migrate) {
                Some(refusal) => refusal,
                None => {
                    println!("database: reachable; the next start migrates it to schema version {newest}");
                    return Ok(());
                }
            }
        }
        Err(error) => error,
    };
    println!("database: FAILED: {refusal}");
    Err(ExitCode::from(EXIT_DATABASE))
}
