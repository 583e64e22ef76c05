//! Accounts: first-run setup, sign-in and server-side sessions (SPEC.md §2, §9).

pub mod invites;
pub mod login_limiter;
pub mod members;
pub mod password;
pub mod setup_code;
pub mod tokens;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use sha2::{Digest, Sha256};

use crate::domain::accounts::{parse_email, parse_slug, password_problem, OrgRole};
use crate::domain::problems::{AllChecked, FieldProblem, Problems};
use crate::store::accounts::{Membership, SessionRow, User};
use crate::store::activity::NewEvent;
use crate::store::orgs::Organization;
use crate::store::{new_id, now_ms, Db, StoreError};
use crate::vault::SecretString;

/// Who acts, in which org.
#[derive(Clone, Copy, Debug)]
pub struct Actor<'a> {
    pub user_id: &'a str,
    pub membership: &'a Membership,
}

impl Actor<'_> {
    pub(super) fn org_id(&self) -> &str {
        &self.membership.org.id
    }

    pub(super) fn require_admin(&self) -> Result<(), AccountError> {
        if self.membership.role.is_admin() {
            Ok(())
        } else {
            Err(AccountError::Forbidden)
        }
    }

    /// Owners may touch owners; admins may touch admins and members.
    pub(super) fn may_touch(&self, role: OrgRole) -> Result<(), AccountError> {
        self.require_admin()?;
        if role == OrgRole::Owner && self.membership.role != OrgRole::Owner {
            return Err(AccountError::Forbidden);
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{0}")]
    Invalid(Problems),
    #[error("KeyHub is already set up; sign in instead")]
    AlreadySetUp,
    #[error("the email or password is not right")]
    WrongCredentials,
    #[error("only owners and admins may do that")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn invalid(field: &'static str, message: impl Into<String>) -> AccountError {
    AccountError::Invalid(FieldProblem::new(field, message).into())
}

impl From<Problems> for AccountError {
    fn from(problems: Problems) -> Self {
        AccountError::Invalid(problems)
    }
}

/// How long a session lives: idle and absolute limits (ASVS 7.3: 30 minutes idle, 12 hours).
#[derive(Clone, Copy, Debug)]
pub struct SessionPolicy {
    pub idle_ms: i64,
    pub absolute_ms: i64,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy {
            idle_ms: 30 * 60 * 1000,
            absolute_ms: 12 * 60 * 60 * 1000,
        }
    }
}

/// What the first-run form (or `keyhub create-admin`) asks for.
#[derive(Debug)]
pub struct FirstOwner {
    pub email: String,
    pub password: SecretString,
    pub org_name: String,
    pub org_slug: String,
}

/// A signed-in user's live session.
#[derive(Clone, Debug)]
pub struct Session {
    pub user: User,
    pub org_id: Option<String>,
    /// An admin chose the user's password: until they choose their own they may do nothing else.
    pub must_change_password: bool,
    /// Every org the user belongs to.
    pub memberships: Vec<Membership>,
}

/// How often a session's last use is written: its idle time counts from there.
const SEEN_EVERY_MS: i64 = 60_000;

#[derive(Clone, Debug)]
pub struct Accounts {
    db: Db,
    policy: SessionPolicy,
}

/// The stored form of a session id, API token or invite: its SHA-256, so a copy of the database
/// cannot be replayed. The values are 256 random bits, so a fast hash is enough.
fn secret_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Records an admin's change in the activity log. Account changes are written by their own
/// statements, so the event follows the change rather than sharing its transaction.
async fn record(
    db: &Db,
    actor: Actor<'_>,
    action: &'static str,
    target: (&'static str, &str, &str),
    detail: String,
) -> Result<(), AccountError> {
    let (target_kind, target_id, target_label) = target;
    let actor_label = db
        .user(actor.user_id)
        .await?
        .map(|user| user.email)
        .unwrap_or_default();
    db.record(&NewEvent {
        org_id: actor.membership.org.id.clone(),
        actor_user_id: Some(actor.user_id.to_owned()),
        actor_label,
        action,
        target_kind,
        target_id: target_id.to_owned(),
        target_label: target_label.to_owned(),
        provider: None,
        detail,
        at: now_ms(),
    })
    .await?;
    Ok(())
}

/// A fresh random secret: `prefix` and 256 random bits in URL-safe base64.
fn random_secret(prefix: &str) -> SecretString {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    SecretString::new(format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

impl Accounts {
    pub fn new(db: Db, policy: SessionPolicy) -> Accounts {
        Accounts { db, policy }
    }

    /// Members' emails by user id, to say who created or owns something (from the org's
    /// in-memory view).
    pub async fn member_emails(
        &self,
        org_id: &str,
    ) -> Result<std::sync::Arc<std::collections::HashMap<String, String>>, AccountError> {
        Ok(self
            .db
            .org_view(org_id)
            .await?
            .map(|view| std::sync::Arc::clone(view.member_emails()))
            .unwrap_or_default())
    }

    pub fn members(&self) -> members::Members<'_> {
        members::Members(&self.db)
    }

    pub fn tokens(&self) -> tokens::Tokens<'_> {
        tokens::Tokens(&self.db)
    }

    pub fn invites(&self) -> invites::Invites<'_> {
        invites::Invites(&self.db)
    }

    pub async fn needs_setup(&self) -> Result<bool, AccountError> {
        Ok(self.db.user_count().await? == 0)
    }

    /// Creates the first owner and their organization. Refused once any user exists; two racing
    /// requests cannot both succeed (the setup marker is a unique row written in the same transaction).
    pub async fn create_first_owner(
        &self,
        input: FirstOwner,
    ) -> Result<(User, Organization), AccountError> {
        self.create_org_with_owner(input, true).await
    }

    /// Creates another organization (from the CLI) owned by the given email: a new user with the
    /// given password, or an existing user, who keeps their own password.
    pub async fn create_org(
        &self,
        input: FirstOwner,
    ) -> Result<(User, Organization), AccountError> {
        self.create_org_with_owner(input, false).await
    }

    async fn create_org_with_owner(
        &self,
        input: FirstOwner,
        first_run: bool,
    ) -> Result<(User, Organization), AccountError> {
        if first_run && !self.needs_setup().await? {
            return Err(AccountError::AlreadySetUp);
        }
        let org_name = input.org_name.trim().to_owned();
        let (email, (), org_name, slug) = (
            parse_email(&input.email).map_err(|m| FieldProblem::new("email", m)),
            match password_problem(input.password.expose()) {
                Some(problem) => Err(FieldProblem::new("password", problem)),
                None => Ok(()),
            },
            match org_name.is_empty() || org_name.chars().count() > 120 {
                true => Err(FieldProblem::new(
                    "org_name",
                    "Give the organization a name of up to 120 characters.",
                )),
                false => Ok(org_name),
            },
            parse_slug(&input.org_slug).map_err(|m| FieldProblem::new("org_slug", m)),
        )
            .all_checked()?;
        let now = now_ms();
        let org = Organization {
            id: new_id(),
            slug,
            name: org_name,
            allow_personal_keys: true,
            allow_platform_keys: true,
            created_at: now,
        };
        let user = User {
            id: new_id(),
            email,
            created_at: now,
        };
        let hash = password::hash(input.password).await;
        match self
            .db
            .create_org_with_owner(&org, &user, &hash, first_run)
            .await
        {
            Ok(user) => Ok((user, org)),
            Err(StoreError::Conflict(reason)) if reason == crate::store::accounts::SETUP_DONE => {
                Err(AccountError::AlreadySetUp)
            }
            Err(StoreError::Conflict(reason)) => {
                Err(invalid("org_slug", format!("Choose another: {reason}.")))
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Checks an email and password. Unknown emails take as long as wrong passwords.
    pub async fn authenticate(
        &self,
        email: &str,
        password: SecretString,
    ) -> Result<User, AccountError> {
        let found = match parse_email(email) {
            Ok(email) => self.db.user_with_password(&email).await?,
            Err(_) => None,
        };
        let (user, stored) = match found {
            Some((user, stored)) => (Some(user), stored),
            None => (None, None),
        };
        match (password::verify(password, stored).await, user) {
            (true, Some(user)) => Ok(user),
            _ => Err(AccountError::WrongCredentials),
        }
    }

    /// Starts a new session (a fresh id on every sign-in) and returns the cookie value.
    pub async fn start_session(
        &self,
        user_id: &str,
        org_id: Option<&str>,
    ) -> Result<SecretString, AccountError> {
        let token = random_secret("");
        let now = now_ms();
        let row = SessionRow {
            user_id: user_id.to_owned(),
            org_id: org_id.map(str::to_owned),
            last_seen_at: now,
            expires_at: now + self.policy.absolute_ms,
        };
        self.db
            .insert_session(&secret_hash(token.expose()), &row, now)
            .await?;
        Ok(token)
    }

    /// The live session behind a cookie value, refreshing its idle timer at most once a minute.
    pub async fn session(&self, token: &str) -> Result<Option<Session>, AccountError> {
        let id_hash = secret_hash(token);
        let now = now_ms();
        let Some(signed_in) = self
            .db
            .signed_in(&id_hash, now, now - self.policy.idle_ms)
            .await?
        else {
            return Ok(None);
        };
        if now - signed_in.session.last_seen_at > SEEN_EVERY_MS {
            self.db.touch_session(&id_hash, now).await?;
            self.db.session_seen(&id_hash, now);
        }
        let live = &signed_in.session;
        Ok(Some(Session {
            user: live.user.clone(),
            org_id: live.org_id.clone(),
            must_change_password: live.must_change_password,
            memberships: signed_in.memberships.clone(),
        }))
    }

    /// Whether the user must still replace the password an admin gave them.
    pub async fn must_change_password(&self, user_id: &str) -> Result<bool, AccountError> {
        Ok(self
            .db
            .user_and_password_duty(user_id)
            .await?
            .is_some_and(|(_, duty)| duty))
    }

    /// Deletes the sessions that expired or went idle by `now`.
    pub async fn purge_dead_sessions(&self, now: i64) -> Result<u64, AccountError> {
        Ok(self
            .db
            .delete_dead_sessions(now, now - self.policy.idle_ms)
            .await?)
    }

    /// Destroys the session on the server: the old cookie value is worthless afterwards.
    /// Deletes invites that were used, revoked or expired by `now`.
    pub async fn purge_spent_invites(&self, now: i64) -> Result<u64, AccountError> {
        Ok(self.db.delete_spent_invites(now).await?)
    }

    pub async fn end_session(&self, token: &str) -> Result<(), AccountError> {
        Ok(self.db.delete_session(&secret_hash(token)).await?)
    }

    /// Changes a password after checking the current one; every other session of the user ends,
    /// and a password an admin chose no longer needs changing.
    pub async fn change_password(
        &self,
        user: &User,
        current: SecretString,
        new: SecretString,
        session_token: Option<&str>,
    ) -> Result<(), AccountError> {
        if let Some(problem) = password_problem(new.expose()) {
            return Err(invalid("new_password", problem));
        }
        if new.expose() == current.expose() {
            return Err(invalid(
                "new_password",
                "Choose a new password, not the current one.",
            ));
        }
        if self.authenticate(&user.email, current).await.is_err() {
            return Err(invalid(
                "current_password",
                "Your current password is not right.",
            ));
        }
        let hash = password::hash(new).await;
        let keep = session_token.map(secret_hash);
        self.db
            .set_password(&user.id, &hash, keep.as_deref())
            .await?;
        Ok(())
    }

    /// Makes `slug` the session's current org, if the user is a member of it.
    pub async fn switch_org(
        &self,
        token: &str,
        user_id: &str,
        slug: &str,
    ) -> Result<(), AccountError> {
        let membership = self
            .memberships(user_id)
            .await?
            .into_iter()
            .find(|m| m.org.slug == slug)
            .ok_or(AccountError::NotFound)?;
        Ok(self
            .db
            .set_session_org(&secret_hash(token), &membership.org.id)
            .await?)
    }

    pub async fn memberships(&self, user_id: &str) -> Result<Vec<Membership>, AccountError> {
        Ok(self.db.memberships(user_id).await?)
    }
}
