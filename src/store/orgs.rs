use sqlx::{AnyConnection, FromRow};

use super::{new_id, now_ms, Db, Flag, StoreError};

#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct Organization {
    pub id: String,
    pub slug: String,
    pub name: String,
    #[sqlx(try_from = "Flag")]
    pub allow_personal_keys: bool,
    #[sqlx(try_from = "Flag")]
    pub allow_platform_keys: bool,
    pub created_at: i64,
}

const COLUMNS: &str = "id, slug, name, allow_personal_keys, allow_platform_keys, created_at";

impl Db {
    pub async fn create_org(&self, slug: &str, name: &str) -> Result<Organization, StoreError> {
        let org = Organization {
            id: new_id(),
            slug: slug.to_owned(),
            name: name.to_owned(),
            allow_personal_keys: true,
            allow_platform_keys: true,
            created_at: now_ms(),
        };
        let mut conn = self.pool().acquire().await?;
        insert_org(&mut conn, &org).await?;
        Ok(org)
    }

    pub async fn org_by_slug(&self, slug: &str) -> Result<Option<Organization>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM organizations WHERE slug = $1"
        ))
        .bind(slug)
        .fetch_optional(self.pool())
        .await?)
    }
}

impl Db {
    pub async fn set_org_policy(
        &self,
        org_id: &str,
        allow_personal_keys: bool,
        allow_platform_keys: bool,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE organizations SET allow_personal_keys = $1, allow_platform_keys = $2 WHERE id = $3",
        )
        .bind(allow_personal_keys)
        .bind(allow_platform_keys)
        .bind(org_id)
        .execute(self.pool())
        .await?;
        self.changed(org_id);
        self.sessions_changed();
        Ok(())
    }
}

/// Inserts an organization row; its slug must be new.
pub async fn insert_org(conn: &mut AnyConnection, org: &Organization) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO organizations (id, slug, name, allow_personal_keys, allow_platform_keys, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&org.id)
    .bind(&org.slug)
    .bind(&org.name)
    .bind(org.allow_personal_keys)
    .bind(org.allow_platform_keys)
    .bind(org.created_at)
    .execute(conn)
    .await
    .map_err(|e| StoreError::from_write(e, "an organization with this slug already exists"))?;
    Ok(())
}
