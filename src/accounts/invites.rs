//! Invite links: an admin invites an email with a role; the link works once, for 7 days. A new
//! person chooses their password when they accept; someone who already has an account confirms
//! theirs, which must be their own: a password an admin set and its owner has not replaced yet
//! does not prove who is accepting.

use super::{invalid, password, random_secret, record, secret_hash, AccountError, Actor};
use crate::domain::accounts::{parse_email, password_problem, OrgRole};
use crate::store::accounts::User;
use crate::store::activity::NewEvent;
use crate::store::invites::{Invite, INVITE_GONE};
use crate::store::{new_id, now_ms, Db, StoreError};
use crate::vault::SecretString;

pub const INVITE_LIFETIME_DAYS: i64 = 7;
const INVITE_PREFIX: &str = "khi_";

/// An invite just created, with the secret for its link (never available again).
#[derive(Debug)]
pub struct NewInvite {
    pub invite: Invite,
    pub secret: SecretString,
}

/// The path of the page that accepts an invite.
pub fn invite_path(secret: &SecretString) -> String {
    format!("/invite/{}", secret.expose())
}

/// Invitations, in the database.
#[derive(Clone, Copy)]
pub struct Invites<'a>(pub &'a Db);

impl Invites<'_> {
    pub async fn create(
        self,
        actor: Actor<'_>,
        email: &str,
        role: OrgRole,
    ) -> Result<NewInvite, AccountError> {
        let db = self.0;
        actor.may_touch(role)?;
        let email = parse_email(email).map_err(|m| invalid("email", m))?;
        if db
            .org_members(actor.org_id())
            .await?
            .iter()
            .any(|member| member.user.email == email)
        {
            return Err(invalid("email", "This person is already a member."));
        }
        let now = now_ms();
        let invite = Invite {
            id: new_id(),
            org_id: actor.org_id().to_owned(),
            org_name: actor.membership.org.name.clone(),
            email,
            role,
            created_by_email: String::new(),
            created_at: now,
            expires_at: now + INVITE_LIFETIME_DAYS * 24 * 60 * 60 * 1000,
        };
        let secret = random_secret(INVITE_PREFIX);
        db.insert_invite(&invite, &secret_hash(secret.expose()), actor.user_id)
            .await?;
        let target = ("invite", invite.id.as_str(), invite.email.as_str());
        record(db, actor, "invite.created", target, role.label().to_owned()).await?;
        Ok(NewInvite { invite, secret })
    }

    /// The org's invites that can still be used.
    pub async fn list(self, actor: Actor<'_>) -> Result<Vec<Invite>, AccountError> {
        let db = self.0;
        actor.require_admin()?;
        Ok(db.org_invites(actor.org_id(), now_ms()).await?)
    }

    pub async fn revoke(self, actor: Actor<'_>, id: &str) -> Result<(), AccountError> {
        let db = self.0;
        actor.require_admin()?;
        if !db.revoke_invite(actor.org_id(), id, now_ms()).await? {
            return Err(AccountError::NotFound);
        }
        record(
            db,
            actor,
            "invite.revoked",
            ("invite", id, id),
            String::new(),
        )
        .await
    }

    /// The invite behind a link, if it can still be used.
    pub async fn offer(self, secret: &str) -> Result<InviteOffer, AccountError> {
        let db = self.0;
        let invite = db
            .live_invite(&secret_hash(secret), now_ms())
            .await?
            .ok_or_else(gone)?;
        let has_account = db.user_with_password(&invite.email).await?.is_some();
        Ok(InviteOffer {
            invite,
            has_account,
        })
    }

    /// Accepts an invite: with a new password for a new person, or the existing account's password.
    pub async fn accept(
        self,
        secret: &str,
        given_password: SecretString,
    ) -> Result<(User, Invite), AccountError> {
        let db = self.0;
        let invite = self.offer(secret).await?.invite;
        let now = now_ms();
        let (user, new_password_hash) = match db.user_with_password(&invite.email).await? {
            Some((user, stored)) => {
                if !password::verify(given_password, stored).await {
                    return Err(invalid(
                        "password",
                        format!(
                            "That is not the password of {}. Use the password you sign in with.",
                            invite.email
                        ),
                    ));
                }
                if db
                    .user_and_password_duty(&user.id)
                    .await?
                    .is_some_and(|(_, must_change)| must_change)
                {
                    return Err(AccountError::Refused(format!(
                        "The password of {} was set by an admin and not changed since. Sign in, \
                         choose your own password, then open this link again.",
                        invite.email
                    )));
                }
                (user, None)
            }
            None => {
                if let Some(problem) = password_problem(given_password.expose()) {
                    return Err(invalid("password", problem));
                }
                let user = User {
                    id: new_id(),
                    email: invite.email.clone(),
                    created_at: now,
                };
                (user, Some(password::hash(given_password).await))
            }
        };
        let joined = NewEvent {
            org_id: invite.org_id.clone(),
            actor_user_id: Some(user.id.clone()),
            actor_label: user.email.clone(),
            action: "member.joined",
            target_kind: "member",
            target_id: user.id.clone(),
            target_label: user.email.clone(),
            provider: None,
            detail: invite.role.label().to_owned(),
            at: now,
        };
        match db
            .accept_invite(&invite, &user, new_password_hash.as_deref(), &joined, now)
            .await
        {
            Ok(()) => Ok((user, invite)),
            Err(StoreError::Conflict(INVITE_GONE)) => Err(gone()),
            Err(StoreError::Conflict(reason)) => {
                Err(AccountError::Refused(format!("Not joined: {reason}.")))
            }
            Err(error) => Err(error.into()),
        }
    }
}

/// What an invite link offers, and whether its email already has an account.
#[derive(Clone, Debug)]
pub struct InviteOffer {
    pub invite: Invite,
    pub has_account: bool,
}

fn gone() -> AccountError {
    AccountError::Refused(
        "This invite link has expired, was revoked or was already used. Ask an admin of the \
         organization for a new one."
            .to_owned(),
    )
}
