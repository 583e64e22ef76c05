//! Settings → Members → invite links: create one for an email and role, see the pending ones,
//! revoke them.

use leptos::prelude::*;

use super::{error_text, RoleSelect, ShownOnce, CARD, DANGER_BUTTON};
use crate::api::error::ApiError;
use crate::api::invites::{
    invites, CreateInvite, CreatedInvite, InviteInfo, InvitesView, RevokeInvite,
};
use crate::components::form::{
    action_entered, action_errors, Field, FormError, SubmitButton, FORM,
};
use crate::domain::time::utc_date;

/// The link just created (shown once) and the invites not used yet.
/// The pending invites. Made at the top of the page section: a resource made inside a
/// `Transition` would miss the request's context on the server.
pub fn pending_invites() -> Resource<Result<InvitesView, ApiError>> {
    Resource::new(|| (), |_| invites())
}

#[component]
pub fn PendingInvites(
    created: ServerAction<CreateInvite>,
    revoke: ServerAction<RevokeInvite>,
    list: Resource<Result<InvitesView, ApiError>>,
) -> impl IntoView {
    let new_link = move || match created.value().get() {
        Some(Ok(Some(created))) => Some(created),
        _ => list
            .get()
            .and_then(Result::ok)
            .and_then(|view| view.just_created),
    };
    view! {
        <Transition fallback=|| ()>
            {move || {
                let link = new_link();
                let pending = list.get().and_then(Result::ok).map(|view| view.invites).unwrap_or_default();
                (link.is_some() || !pending.is_empty())
                    .then(|| {
                        view! {
                            <section aria-labelledby="invites-heading" class=format!("mt-6 {CARD}")>
                                <h2 id="invites-heading" class="text-base font-semibold text-slate-900">"Pending invites"</h2>
                                <FormError error=Signal::derive(move || error_text(revoke.value().get()))/>
                                {link.map(|CreatedInvite { link, email, has_account }| view! {
                                    <div class="mt-4">
                                        {has_account.then(|| view! {
                                            <p role="status" class="mb-2 text-sm text-slate-700">
                                                {format!("{email} already has a KeyHub account: an invite was created; send them this link. They join by opening it and confirming with their own password.")}
                                            </p>
                                        })}
                                        <ShownOnce
                                            label="Invite link"
                                            value=link
                                            note="Send this link to the person you invited. It works once, for 7 days, and is not shown again."
                                        />
                                    </div>
                                })}
                                <ul class="mt-4 divide-y divide-slate-100">
                                    {pending.into_iter().map(|invite| invite_row(invite, revoke)).collect_view()}
                                </ul>
                            </section>
                        }
                    })
            }}
        </Transition>
    }
}

fn invite_row(invite: InviteInfo, revoke: ServerAction<RevokeInvite>) -> impl IntoView {
    let revoke_label = format!("Revoke the invite for {}", invite.email);
    view! {
        <li class="flex flex-wrap items-center justify-between gap-2 py-2 text-sm">
            <span class="min-w-0">
                <span class="break-all font-medium text-slate-900">{invite.email}</span>
                <span class="text-slate-600">
                    {format!(" · {} · invited by {} · expires {}", invite.role.label(), invite.created_by, utc_date(invite.expires_at))}
                </span>
            </span>
            <ActionForm action=revoke>
                <input type="hidden" name="id" value=invite.id/>
                <button type="submit" class=DANGER_BUTTON aria-label=revoke_label>"Revoke"</button>
            </ActionForm>
        </li>
    }
}

#[component]
pub fn InviteForm(invite: ServerAction<CreateInvite>, viewer_is_owner: bool) -> impl IntoView {
    let error = action_errors(Signal::derive(move || invite.value().get()));
    let entered = action_entered(Signal::derive(move || invite.value().get()));
    view! {
        <section aria-labelledby="invite-heading" class=CARD>
            <h2 id="invite-heading" class="text-base font-semibold text-slate-900">"Invite by link"</h2>
            <p class="mt-1 text-sm text-slate-600">
                "They choose their own password when they open the link. Each link works once, for 7 days."
            </p>
            <ActionForm action=invite attr:class="mt-4 space-y-4" attr:novalidate=true>
                <FormError error=error(FORM)/>
                <Field label="Email" name="invite_email" kind="email" value=entered("invite_email").unwrap_or_default() error=error("email")/>
                <RoleSelect name="invite_role" viewer_is_owner/>
                <div class="sm:w-56">
                    <SubmitButton label="Create invite link" busy_label="Creating…"/>
                </div>
            </ActionForm>
        </section>
    }
}
