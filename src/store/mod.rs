//! SQL over SQLite and PostgreSQL with one code path: sqlx's `Any` driver, portable SQL with `$n`
//! placeholders, and per-backend migration folders with the same version numbers. Every query
//! that touches keys is scoped by org in SQL.

pub mod accounts;
pub mod activity;
pub mod change;
pub mod consumers;
mod flag;
pub mod invites;
pub mod jobs;
pub mod keys;
pub mod login_attempts;
pub mod orgs;
mod schema;
pub mod signed_in;
pub mod tokens;
pub mod transfer;
pub mod usage;
pub mod vault_meta;
pub mod view;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Once};
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

pub use flag::Flag;

pub use schema::{schema_version, SchemaState};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Whether a connection may write. Read-only is used to inspect a database before the master key
/// is proven, so a refused start changes nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    ReadWrite,
    ReadOnly,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(
        "the database schema is at version {at}, newer than this KeyHub knows (version {}): a newer \
         KeyHub release upgraded it. Run that release or a newer one, or restore the backup taken \
         before the upgrade; KeyHub never downgrades a schema",
        schema_version()
    )]
    SchemaNewer { at: i64 },
    #[error(
        "{}: run `keyhub migrate` (or set KEYHUB_AUTO_MIGRATE=true to migrate on start)",
        match at {
            Some(at) => format!(
                "the database schema is at version {at}, and this KeyHub needs version {}: back \
                 up the database first",
                schema_version()
            ),
            None => "the database holds no KeyHub schema yet".to_owned(),
        }
    )]
    SchemaBehind { at: Option<i64> },
    #[error("the database rejected the change: {0}")]
    Conflict(&'static str),
    #[error("unsupported database URL: use sqlite://… or postgres://…")]
    UnsupportedUrl,
}

/// Why the database cannot serve right now, when the cause passes by itself or by an admin's hand
/// without anything being wrong with the request: callers answer 503 and may try again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outage {
    /// No connection: the server is down, restarting or refusing connections.
    Unreachable,
    /// The disk that holds the database is full: writes fail, reads still work.
    DiskFull,
}

impl Outage {
    pub fn code(self) -> &'static str {
        match self {
            Outage::Unreachable => "database_unavailable",
            Outage::DiskFull => "storage_full",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Outage::Unreachable => {
                "KeyHub cannot reach its database right now, so nothing was read or changed. It \
                 reconnects by itself: try again in a few seconds."
            }
            Outage::DiskFull => {
                "KeyHub's database has no disk space left, so nothing was saved. Reading still \
                 works. An administrator must free space on the server's disk; then try again."
            }
        }
    }

    /// Seconds worth waiting before trying again.
    pub fn retry_after(self) -> u32 {
        match self {
            Outage::Unreachable => 5,
            Outage::DiskFull => 60,
        }
    }
}

impl StoreError {
    /// The passing outage behind this error, if it is one.
    pub fn outage(&self) -> Option<Outage> {
        let StoreError::Db(error) = self else {
            return None;
        };
        match error {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => Some(Outage::Unreachable),
            sqlx::Error::Database(db) => {
                let code = db.code()?;
                if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                    // The primary result code is the low byte of SQLite's extended code.
                    const SQLITE_FULL: i32 = 13;
                    let primary = code.parse::<i32>().ok()? & 0xff;
                    return (primary == SQLITE_FULL).then_some(Outage::DiskFull);
                }
                match code.as_ref() {
                    // PostgreSQL's disk_full.
                    "53100" => Some(Outage::DiskFull),
                    // Connection exceptions, a server shutting down or starting, too many clients.
                    code if code.starts_with("08")
                        || code.starts_with("57P")
                        || code == "53300" =>
                    {
                        Some(Outage::Unreachable)
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// Maps a unique-index violation (on either backend) to a conflict with a readable reason.
    pub(crate) fn from_write(error: sqlx::Error, reason: &'static str) -> StoreError {
        match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(reason),
            _ => StoreError::Db(error),
        }
    }
}

/// A connection pool to KeyHub's database, SQLite or PostgreSQL, and the in-memory view of it that
/// the hot paths read ([`view`]).
#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    access: Access,
    views: Arc<view::Views>,
    sessions: Arc<signed_in::Sessions>,
    usage_read: Arc<usage::UsageRead>,
    /// How many times a connection was handed out: every statement outside a transaction, and
    /// every transaction, takes one.
    acquisitions: Arc<AtomicU64>,
    /// PostgreSQL's URL, to listen for view changes on a connection of its own. Never printed: it
    /// may carry a password.
    listen_url: Option<Arc<str>>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("backend", &self.backend)
            .field("access", &self.access)
            .finish_non_exhaustive()
    }
}

/// The file behind a `sqlite:` URL, if it names one (not `sqlite::memory:`).
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && !path.starts_with(":memory:")).then(|| PathBuf::from(path))
}

impl Db {
    pub async fn connect(url: &str, access: Access) -> Result<Db, StoreError> {
        static DRIVERS: Once = Once::new();
        DRIVERS.call_once(sqlx::any::install_default_drivers);

        let backend = Backend::from_url(url).ok_or(StoreError::UnsupportedUrl)?;
        let url = match backend {
            Backend::Sqlite => sqlite_url_with_mode(url, access)?,
            Backend::Postgres => url.to_owned(),
        };
        let options: AnyConnectOptions = url.parse()?;
        let acquisitions = Arc::new(AtomicU64::new(0));
        let (on_connect, on_acquire) = (acquisitions.clone(), acquisitions.clone());
        let pool = AnyPoolOptions::new()
            // SQLite in WAL mode reads on every connection at once and writes on one at a time
            // (the others wait, up to busy_timeout).
            .max_connections(if backend == Backend::Sqlite { 8 } else { 10 })
            .acquire_timeout(Duration::from_secs(5))
            // A SQLite connection cannot drop; a PostgreSQL one can (a restarted server).
            .test_before_acquire(backend == Backend::Postgres)
            .before_acquire(move |_conn, _meta| {
                on_acquire.fetch_add(1, Ordering::Relaxed);
                Box::pin(async { Ok(true) })
            })
            // A transaction SQLite still holds open after a failure (a rollback refused on a full
            // disk) would swallow every later commit on its connection, acknowledged yet never
            // written, while keeping the write lock from everyone else: such a connection closes.
            .after_release(move |conn, _meta| {
                Box::pin(async move {
                    Ok(backend != Backend::Sqlite || conn.execute("BEGIN; ROLLBACK").await.is_ok())
                })
            })
            .after_connect(move |conn, _meta| {
                on_connect.fetch_add(1, Ordering::Relaxed);
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;")
                            .await?;
                        if access == Access::ReadWrite {
                            conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
                                .await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        Ok(Db {
            pool,
            backend,
            access,
            views: Arc::default(),
            sessions: Arc::default(),
            usage_read: Arc::default(),
            acquisitions,
            listen_url: (backend == Backend::Postgres).then(|| Arc::from(url.as_str())),
        })
    }

    /// How many times a connection was handed out so far: what a test counts to prove a path reads
    /// no database.
    pub fn acquisitions(&self) -> u64 {
        self.acquisitions.load(Ordering::Relaxed)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Whether the database answers at all.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes the pool. A writable SQLite database is checkpointed first, so that once this returns
    /// the main file holds everything and nothing changes it behind the caller's back.
    pub async fn close(&self) {
        if self.backend == Backend::Sqlite && self.access == Access::ReadWrite {
            if let Err(error) = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&self.pool)
                .await
            {
                tracing::warn!(%error, "SQLite checkpoint before closing failed");
            }
        }
        self.pool.close().await;
    }

    /// Whether KeyHub's schema has been created in this database.
    pub async fn is_initialized(&self) -> Result<bool, StoreError> {
        self.has_table("vault_meta").await
    }

    async fn has_table(&self, name: &str) -> Result<bool, StoreError> {
        let sql = match self.backend {
            Backend::Sqlite => {
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1"
            }
            Backend::Postgres => {
                "SELECT COUNT(*) FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_name = $1"
            }
        };
        let count: i64 = sqlx::query_scalar(sql)
            .bind(name)
            .fetch_one(&self.pool)
            .await?;
        Ok(count > 0)
    }
}

fn sqlite_url_with_mode(url: &str, access: Access) -> Result<String, StoreError> {
    let Some(path) = sqlite_path(url) else {
        return Ok(url.to_owned());
    };
    if access == Access::ReadWrite {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| StoreError::Db(sqlx::Error::Io(e)))?;
        }
        make_private(&path).map_err(|e| StoreError::Db(sqlx::Error::Io(e)))?;
    }
    let mode = match access {
        Access::ReadWrite => "rwc",
        Access::ReadOnly => "ro",
    };
    let separator = if url.contains('?') { '&' } else { '?' };
    Ok(format!("{url}{separator}mode={mode}"))
}

/// Creates the SQLite file readable by its owner only (0600) before SQLite opens it, whatever the
/// umask, and tightens (where it may) a file, WAL and shared-memory file left from before. SQLite gives the
/// `-wal` and `-shm` files it creates the database file's mode.
fn make_private(path: &std::path::Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let created = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path);
        match created {
            Ok(_) => {}
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(error) => return Err(error),
        }
        for suffix in ["", "-wal", "-shm"] {
            let mut file = path.as_os_str().to_owned();
            file.push(suffix);
            match std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)) {
                Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                    tracing::warn!(file = ?file, %error, "could not make the database file private (0600)");
                }
                _ => {}
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Milliseconds since the Unix epoch: the unit of every time column.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_paths_are_found_in_urls() {
        assert_eq!(
            sqlite_path("sqlite://data/keyhub.db"),
            Some(PathBuf::from("data/keyhub.db"))
        );
        assert_eq!(
            sqlite_path("sqlite:///tmp/k.db?mode=rwc"),
            Some(PathBuf::from("/tmp/k.db"))
        );
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://x/y"), None);
    }

    #[test]
    fn backends_are_chosen_by_url_scheme() {
        assert_eq!(Backend::from_url("sqlite://a.db"), Some(Backend::Sqlite));
        assert_eq!(
            Backend::from_url("postgresql://h/d"),
            Some(Backend::Postgres)
        );
        assert_eq!(Backend::from_url("mysql://h/d"), None);
    }
}
