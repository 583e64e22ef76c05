//! Managing an org: its members and its policy. Every call takes the acting member, and the rules live here:
//! only owners and admins manage members; only owners grant, change or remove the owner role; the
//! last owner stays.

use super::invites::{self, NewInvite};
use super::{password, record, AccountError};
use crate::domain::accounts::{parse_email, password_problem, OrgRole};
use crate::domain::problems::{AllChecked, FieldProblem};
use crate::store::accounts::{Member, User, LAST_OWNER, USER_EXISTS};
use crate::store::{new_id, now_ms, Db, StoreError};
use crate::vault::SecretString;

pub use super::Actor;

fn last_owner(error: StoreError) -> AccountError {
    match error {
        StoreError::Conflict(LAST_OWNER) => AccountError::Refused(
            "An organization needs at least one owner. Make someone else owner first.".to_owned(),
        ),
        StoreError::Conflict(reason) => AccountError::Refused(format!("Not changed: {reason}.")),
        other => other.into(),
    }
}

/// An org's members and policy, in the database.
#[derive(Clone, Copy)]
pub struct Members<'a>(pub &'a Db);

impl Members<'_> {
    pub async fn list(self, actor: Actor<'_>) -> Result<Vec<Member>, AccountError> {
        let db = self.0;
        Ok(db.org_members(actor.org_id()).await?)
    }

    /// Adds a member: a new account with an initial password, or, for an email that already has an
    /// account, an invite for it.
    pub async fn add(
        self,
        actor: Actor<'_>,
        email: &str,
        initial_password: SecretString,
        role: OrgRole,
    ) -> Result<Added, AccountError> {
        let db = self.0;
        actor.may_touch(role)?;
        let email = parse_email(email).map_err(|m| FieldProblem::new("email", m));
        // Someone who already has an account is invited instead: no password is set for them.
        if let Ok(email) = &email {
            if db.user_with_password(email).await?.is_some() {
                return invites::Invites(db)
                    .create(actor, email, role)
                    .await
                    .map(Added::Invited);
            }
        }
        let (email, ()) = (
            email,
            match password_problem(initial_password.expose()) {
                Some(problem) => Err(FieldProblem::new("password", problem)),
                None => Ok(()),
            },
        )
            .all_checked()?;
        let user = User {
            id: new_id(),
            email,
            created_at: now_ms(),
        };
        let hash = password::hash(initial_password).await;
        match db.add_new_member(actor.org_id(), &user, &hash, role).await {
            Ok(()) => {}
            // Someone signed up with this email meanwhile: theirs is an existing account too.
            Err(StoreError::Conflict(USER_EXISTS)) => {
                return invites::Invites(db)
                    .create(actor, &user.email, role)
                    .await
                    .map(Added::Invited)
            }
            Err(error) => return Err(last_owner(error)),
        }
        let target = ("member", user.id.as_str(), user.email.as_str());
        record(db, actor, "member.added", target, role.label().to_owned()).await?;
        Ok(Added::NewAccount(user))
    }

    pub async fn change_role(
        self,
        actor: Actor<'_>,
        user_id: &str,
        role: OrgRole,
    ) -> Result<(), AccountError> {
        let db = self.0;
        let member = current(db, actor, user_id).await?;
        actor.may_touch(member.role)?;
        actor.may_touch(role)?;
        db.change_membership(actor.org_id(), user_id, Some(role))
            .await
            .map_err(last_owner)?;
        let detail = format!("{} → {}", member.role.label(), role.label());
        let target = ("member", user_id, member.user.email.as_str());
        record(db, actor, "member.role_changed", target, detail).await
    }

    pub async fn remove(self, actor: Actor<'_>, user_id: &str) -> Result<(), AccountError> {
        let db = self.0;
        let member = current(db, actor, user_id).await?;
        actor.may_touch(member.role)?;
        db.change_membership(actor.org_id(), user_id, None)
            .await
            .map_err(last_owner)?;
        let target = ("member", user_id, member.user.email.as_str());
        record(db, actor, "member.removed", target, String::new()).await
    }

    /// Sets the org's policy: personal keys for members, platform keys from the environment.
    pub async fn set_policy(
        self,
        actor: Actor<'_>,
        allow_personal_keys: bool,
        allow_platform_keys: bool,
    ) -> Result<(), AccountError> {
        let db = self.0;
        actor.require_admin()?;
        db.set_org_policy(actor.org_id(), allow_personal_keys, allow_platform_keys)
            .await?;
        let on_off = |on: bool| if on { "on" } else { "off" };
        let detail = format!(
            "personal keys {}, platform keys {}",
            on_off(allow_personal_keys),
            on_off(allow_platform_keys)
        );
        let org = &actor.membership.org;
        record(
            db,
            actor,
            "org.policy_changed",
            ("org", &org.id, &org.name),
            detail,
        )
        .await
    }
}

/// What adding an email did.
#[derive(Debug)]
pub enum Added {
    /// A new account with the admin's initial password, which its owner must replace at first
    /// sign-in before doing anything else.
    NewAccount(User),
    /// The email already has a KeyHub account, which was left untouched (an admin never sets or
    /// learns anyone's password): an invite was created instead, which its owner accepts with
    /// their own password.
    Invited(NewInvite),
}

async fn current(db: &Db, actor: Actor<'_>, user_id: &str) -> Result<Member, AccountError> {
    db.org_members(actor.org_id())
        .await?
        .into_iter()
        .find(|m| m.user.id == user_id)
        .ok_or(AccountError::NotFound)
}
