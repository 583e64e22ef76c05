//! API tokens (SPEC.md §7): admins create them for one org with scopes and an optional expiry; the
//! secret is shown once and stored as a hash; a revoked or expired token authenticates nobody.

use super::{random_secret, record, secret_hash, AccountError, Actor};
use crate::domain::accounts::{parse_token_name, TokenScope};
use crate::domain::problems::{AllChecked, FieldProblem};
use crate::store::orgs::Organization;
use crate::store::tokens::{ApiToken, NewTokenRow};
use crate::store::{new_id, now_ms, Db};
use crate::vault::SecretString;

/// Every token starts with this, so leaked tokens are easy to recognise in logs and scanners.
pub const TOKEN_PREFIX: &str = "kh_";
/// How many characters of a token are kept to tell tokens apart (`kh_` and 8 random characters).
const SHOWN_PREFIX_CHARS: usize = 11;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// What a new token is for.
#[derive(Debug)]
pub struct TokenRequest<'a> {
    pub name: &'a str,
    pub scopes: &'a [TokenScope],
    /// Days until it expires; `None` never expires.
    pub lifetime_days: Option<u32>,
}

/// A token just created: its record and the secret, which is never available again.
#[derive(Debug)]
pub struct NewToken {
    pub token: ApiToken,
    pub secret: SecretString,
}

/// Who is calling the REST API: a live token, its org and its scopes.
#[derive(Clone, Debug)]
pub struct TokenCaller {
    pub token_id: String,
    /// How the activity log names it: "API token ci (kh_Ab3dE9xQ…)".
    pub label: String,
    pub org: Organization,
    pub scopes: Vec<TokenScope>,
}

impl TokenCaller {
    pub fn allows(&self, scope: TokenScope) -> bool {
        self.scopes.contains(&scope)
    }
}

/// API tokens, in the database.
#[derive(Clone, Copy)]
pub struct Tokens<'a>(pub &'a Db);

impl Tokens<'_> {
    /// Creates a token in the acting admin's org.
    pub async fn create(
        self,
        actor: Actor<'_>,
        request: TokenRequest<'_>,
    ) -> Result<NewToken, AccountError> {
        let db = self.0;
        actor.require_admin()?;
        let created = self
            .create_in(&actor.membership.org, Some(actor.user_id), request)
            .await?;
        let token = &created.token;
        let scopes: Vec<&str> = token.scopes.iter().map(|s| s.as_str()).collect();
        let target = ("token", token.id.as_str(), token.name.as_str());
        record(db, actor, "token.created", target, scopes.join(" ")).await?;
        Ok(created)
    }

    /// Creates a token in `org` on behalf of `created_by` (`None` from the CLI).
    pub async fn create_in(
        self,
        org: &Organization,
        created_by: Option<&str>,
        request: TokenRequest<'_>,
    ) -> Result<NewToken, AccountError> {
        let db = self.0;
        let (name, (), ()) = (
            parse_token_name(request.name).map_err(|m| FieldProblem::new("name", m)),
            match request.scopes.is_empty() {
                true => Err(FieldProblem::new("scopes", "Choose at least one scope.")),
                false => Ok(()),
            },
            match request
                .lifetime_days
                .is_some_and(|days| !(1..=3650).contains(&days))
            {
                true => Err(FieldProblem::new(
                    "expires",
                    "Choose a lifetime between 1 day and 10 years, or none.",
                )),
                false => Ok(()),
            },
        )
            .all_checked()?;
        let mut scopes = request.scopes.to_vec();
        scopes.sort_by_key(|scope| TokenScope::ALL.iter().position(|s| s == scope));
        scopes.dedup();
        let secret = random_secret(TOKEN_PREFIX);
        let now = now_ms();
        let id = new_id();
        let prefix: String = secret.expose().chars().take(SHOWN_PREFIX_CHARS).collect();
        let expires_at = request
            .lifetime_days
            .map(|days| now + i64::from(days) * DAY_MS);
        db.insert_token(&NewTokenRow {
            id: &id,
            org_id: &org.id,
            name: &name,
            prefix: &prefix,
            secret_hash: &secret_hash(secret.expose()),
            scopes: &scopes,
            created_by,
            created_at: now,
            expires_at,
        })
        .await?;
        let token = db
            .org_token(&org.id, &id)
            .await?
            .ok_or(AccountError::NotFound)?;
        Ok(NewToken { token, secret })
    }

    /// The org's tokens, for admins.
    pub async fn list(self, actor: Actor<'_>) -> Result<Vec<ApiToken>, AccountError> {
        let db = self.0;
        actor.require_admin()?;
        Ok(db.org_tokens(actor.org_id()).await?)
    }

    /// Revokes a live token of the acting admin's org; another org's token is not found.
    pub async fn revoke(self, actor: Actor<'_>, id: &str) -> Result<ApiToken, AccountError> {
        let db = self.0;
        actor.require_admin()?;
        if !db
            .revoke_token(actor.org_id(), id, actor.user_id, now_ms())
            .await?
        {
            return Err(AccountError::NotFound);
        }
        let token = db
            .org_token(actor.org_id(), id)
            .await?
            .ok_or(AccountError::NotFound)?;
        record(
            db,
            actor,
            "token.revoked",
            ("token", id, &token.name),
            String::new(),
        )
        .await?;
        Ok(token)
    }

    /// The caller behind a presented token, if it is live, from the org's in-memory view. Its
    /// last use is kept in memory and written with the gateway's usage, so a busy client does not
    /// write on every request.
    pub async fn authenticate(self, presented: &str) -> Result<Option<TokenCaller>, AccountError> {
        let db = self.0;
        if !presented.starts_with(TOKEN_PREFIX) || presented.len() > 128 {
            return Ok(None);
        }
        let hash = secret_hash(presented);
        let Some(view) = db.token_view(&hash).await? else {
            return Ok(None);
        };
        let now = now_ms();
        let Some(token) = view.token(&hash).filter(|token| token.is_live(now)) else {
            return Ok(None);
        };
        db.note_token_use(&token.id, now);
        Ok(Some(TokenCaller {
            label: format!("API token {} ({}…)", token.name, token.prefix),
            token_id: token.id.clone(),
            org: view.org.clone(),
            scopes: token.scopes.clone(),
        }))
    }
}
