//! API tokens: stored by the SHA-256 of their secret, scoped to one org.

use sqlx::FromRow;

use super::{Db, StoreError};
use crate::domain::accounts::TokenScope;

/// A token as admins see it: never its secret.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct ApiToken {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub prefix: String,
    #[sqlx(try_from = "ScopeList")]
    pub scopes: Vec<TokenScope>,
    pub created_by_email: Option<String>,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// What a new token row holds besides its id, org and secret hash.
#[derive(Clone, Debug)]
pub struct NewTokenRow<'a> {
    pub id: &'a str,
    pub org_id: &'a str,
    pub name: &'a str,
    pub prefix: &'a str,
    pub secret_hash: &'a str,
    pub scopes: &'a [TokenScope],
    pub created_by: Option<&'a str>,
    pub created_at: i64,
    pub expires_at: Option<i64>,
}

/// Scopes are stored as one space-separated column.
fn scopes_text(scopes: &[TokenScope]) -> String {
    scopes
        .iter()
        .map(|scope| scope.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The `scopes` column: scope names separated by spaces, each one KeyHub knows.
pub struct ScopeList(Vec<TokenScope>);

crate::text_column!(ScopeList, |text: String| {
    let scopes = text
        .split_whitespace()
        .map(|scope| TokenScope::parse(scope).ok_or(format!("unexpected scope {scope:?}")))
        .collect::<Result<_, _>>()?;
    Ok(ScopeList(scopes))
});

impl From<ScopeList> for Vec<TokenScope> {
    fn from(list: ScopeList) -> Self {
        list.0
    }
}

const TOKEN_COLUMNS: &str =
    "t.id, t.org_id, t.name, t.prefix, t.scopes, u.email AS created_by_email, \
     t.created_at, t.expires_at, t.last_used_at, t.revoked_at";

impl Db {
    pub async fn insert_token(&self, token: &NewTokenRow<'_>) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO api_tokens (id, org_id, name, prefix, secret_hash, scopes, created_by, \
             created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(token.id)
        .bind(token.org_id)
        .bind(token.name)
        .bind(token.prefix)
        .bind(token.secret_hash)
        .bind(scopes_text(token.scopes))
        .bind(token.created_by)
        .bind(token.created_at)
        .bind(token.expires_at)
        .execute(self.pool())
        .await
        .map_err(|e| StoreError::from_write(e, "this token already exists"))?;
        self.changed(token.org_id);
        Ok(())
    }

    /// Every token of an org, newest first, revoked ones included (for the record).
    pub async fn org_tokens(&self, org_id: &str) -> Result<Vec<ApiToken>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens t LEFT JOIN users u ON u.id = t.created_by \
             WHERE t.org_id = $1 ORDER BY t.created_at DESC, t.id DESC"
        ))
        .bind(org_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// One token of an org.
    pub async fn org_token(&self, org_id: &str, id: &str) -> Result<Option<ApiToken>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens t LEFT JOIN users u ON u.id = t.created_by \
             WHERE t.org_id = $1 AND t.id = $2"
        ))
        .bind(org_id)
        .bind(id)
        .fetch_optional(self.pool())
        .await?)
    }

    /// Revokes a live token of the org; false when there is no such live token.
    pub async fn revoke_token(
        &self,
        org_id: &str,
        id: &str,
        by: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1, revoked_by = $2 \
             WHERE org_id = $3 AND id = $4 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(by)
        .bind(org_id)
        .bind(id)
        .execute(self.pool())
        .await?;
        self.changed(org_id);
        Ok(done.rows_affected() == 1)
    }
}
