//! Which schema version a database is at, against the version this binary knows. A binary never
//! runs on a schema it does not know (a newer release's), and only migrates when asked to.

use sqlx::migrate::Migrator;

use super::{Backend, Db, StoreError};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

pub(super) fn migrator(backend: Backend) -> &'static Migrator {
    match backend {
        Backend::Sqlite => &SQLITE_MIGRATIONS,
        Backend::Postgres => &POSTGRES_MIGRATIONS,
    }
}

/// The newest schema version this binary knows (the same on both backends).
pub fn schema_version() -> i64 {
    newest(&SQLITE_MIGRATIONS)
}

fn newest(migrator: &Migrator) -> i64 {
    migrator.iter().map(|m| m.version).max().unwrap_or(0)
}

/// A database's schema, seen from this binary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SchemaState {
    /// No KeyHub schema yet.
    Empty,
    /// Every migration this binary knows is applied, and nothing else.
    Current,
    /// Older: migrations this binary knows are still to run. `at` is the newest one applied.
    Behind { at: i64 },
    /// Migrated by a newer release: `at` is a version this binary does not know.
    Newer { at: i64 },
}

impl SchemaState {
    /// Why this binary may not run on the schema, `KEYHUB_AUTO_MIGRATE` being `auto_migrate`;
    /// `None` when it may: as it is, or once migrated.
    pub fn refusal(self, auto_migrate: bool) -> Option<StoreError> {
        match self {
            SchemaState::Current => None,
            SchemaState::Empty | SchemaState::Behind { .. } if auto_migrate => None,
            SchemaState::Empty => Some(StoreError::SchemaBehind { at: None }),
            SchemaState::Behind { at } => Some(StoreError::SchemaBehind { at: Some(at) }),
            SchemaState::Newer { at } => Some(StoreError::SchemaNewer { at }),
        }
    }
}

impl Db {
    /// Reads the applied migrations without changing anything.
    pub async fn schema_state(&self) -> Result<SchemaState, StoreError> {
        if !self.has_table("_sqlx_migrations").await? {
            return Ok(SchemaState::Empty);
        }
        let applied: Vec<i64> =
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success = TRUE")
                .fetch_all(&self.pool)
                .await?;
        Ok(compare(migrator(self.backend), &applied))
    }

    /// Brings the schema to this binary's version. A schema from a newer release is refused
    /// before anything is written.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        if let SchemaState::Newer { at } = self.schema_state().await? {
            return Err(StoreError::SchemaNewer { at });
        }
        migrator(self.backend).run(&self.pool).await?;
        Ok(())
    }
}

fn compare(migrator: &Migrator, applied: &[i64]) -> SchemaState {
    let known = |version: &i64| migrator.iter().any(|m| m.version == *version);
    let newest_applied = applied.iter().copied().max();
    match newest_applied {
        None => SchemaState::Empty,
        Some(at) if applied.iter().any(|v| !known(v)) => SchemaState::Newer {
            at: applied
                .iter()
                .copied()
                .filter(|v| !known(v))
                .max()
                .unwrap_or(at),
        },
        Some(at) if migrator.iter().any(|m| !applied.contains(&m.version)) => {
            SchemaState::Behind { at }
        }
        Some(_) => SchemaState::Current,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_know_the_same_versions() {
        let versions = |m: &Migrator| m.iter().map(|m| m.version).collect::<Vec<_>>();
        assert_eq!(versions(&SQLITE_MIGRATIONS), versions(&POSTGRES_MIGRATIONS));
    }

    #[test]
    fn a_schema_is_compared_with_what_this_binary_knows() {
        let migrator = &SQLITE_MIGRATIONS;
        let all: Vec<i64> = migrator.iter().map(|m| m.version).collect();
        let newest = schema_version();
        assert_eq!(compare(migrator, &[]), SchemaState::Empty);
        assert_eq!(compare(migrator, &all), SchemaState::Current);
        assert_eq!(
            compare(migrator, &all[..all.len() - 1]),
            SchemaState::Behind {
                at: all[all.len() - 2]
            }
        );
        let mut from_newer_release = all.clone();
        from_newer_release.push(newest + 1);
        assert_eq!(
            compare(migrator, &from_newer_release),
            SchemaState::Newer { at: newest + 1 }
        );
    }
}
