//! Settings → Members: the members table with role changes and removal, and adding a member with
//! an initial password (an email that already has an account gets an invite link instead) or an
//! invite link.

use leptos::prelude::*;

use super::invites::{pending_invites, InviteForm, PendingInvites};
use super::{
    error_text, grantable, RoleSelect, ShownOnce, CARD, DANGER_BUTTON, SELECT, SMALL_BUTTON,
};
use crate::api::invites::{CreateInvite, RevokeInvite};
use crate::api::members::{
    members, AddMember, ChangeMemberRole, MemberInfo, MembersView, RemoveMember,
};
use crate::components::form::{
    action_entered, action_errors, Field, FormError, SubmitButton, FORM,
};
use crate::domain::accounts::OrgRole;

#[component]
pub fn MembersSection() -> impl IntoView {
    let add = ServerAction::<AddMember>::new();
    let change = ServerAction::<ChangeMemberRole>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let list = Resource::new(|| (), |_| members());
    let row_error = Signal::derive(move || {
        error_text(change.value().get()).or_else(|| error_text(remove.value().get()))
    });
    let invite = ServerAction::<CreateInvite>::new();
    let revoke_invite = ServerAction::<RevokeInvite>::new();
    let invites = pending_invites();
    view! {
        <section aria-labelledby="members-heading" class="rounded-xl border border-slate-200 bg-white shadow-sm">
            <div class="border-b border-slate-100 px-6 py-4">
                <h2 id="members-heading" class="text-base font-semibold text-slate-900">"Members"</h2>
                <p class="mt-1 text-sm text-slate-600">
                    "Owners and admins manage keys, members and tokens. Members use keys and manage their own."
                </p>
            </div>
            <div class="px-6 py-4">
                <FormError error=row_error/>
                <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Loading members…"</p> }>
                    {move || {
                        list.get()
                            .map(|result| match result {
                                Ok(view) => members_table(view, change, remove).into_any(),
                                Err(error) => {
                                    view! { <p role="alert" class="text-sm text-red-700">{error.to_string()}</p> }
                                        .into_any()
                                }
                            })
                    }}
                </Transition>
            </div>
        </section>
        <Transition fallback=|| ()>
            {move || {
                list.get()
                    .and_then(Result::ok)
                    .filter(|view| view.can_manage)
                    .map(|view| {
                        view! {
                            <PendingInvites created=invite revoke=revoke_invite list=invites/>
                            <div class="mt-6 grid gap-6 xl:grid-cols-2">
                                <AddMemberForm add viewer_is_owner=view.viewer_is_owner/>
                                <InviteForm invite viewer_is_owner=view.viewer_is_owner/>
                            </div>
                            {view.viewer_is_owner.then(|| view! { <super::export::ExportSection/> })}
                        }
                    })
            }}
        </Transition>
    }
}

fn members_table(
    view: MembersView,
    change: ServerAction<ChangeMemberRole>,
    remove: ServerAction<RemoveMember>,
) -> impl IntoView {
    let MembersView {
        can_manage,
        viewer_is_owner,
        members,
        ..
    } = view;
    view! {
        // On phones each member is a block; from md up, a table.
        <table role="table" class="block w-full text-left text-sm md:table">
            <thead class="hidden text-xs uppercase tracking-wide text-slate-500 md:table-header-group">
                <tr>
                    <th scope="col" class="py-2">"Email"</th>
                    <th scope="col" class="py-2">"Role"</th>
                    {can_manage.then(|| view! { <th scope="col" class="py-2 text-right">"Actions"</th> })}
                </tr>
            </thead>
            <tbody role="rowgroup" class="block divide-y divide-slate-100 md:table-row-group">
                {members
                    .into_iter()
                    .map(|member| member_row(member, can_manage, viewer_is_owner, change, remove))
                    .collect_view()}
            </tbody>
        </table>
    }
}

fn member_row(
    member: MemberInfo,
    can_manage: bool,
    viewer_is_owner: bool,
    change: ServerAction<ChangeMemberRole>,
    remove: ServerAction<RemoveMember>,
) -> impl IntoView {
    let editable = can_manage && (viewer_is_owner || member.role != OrgRole::Owner);
    let label = if member.is_you {
        format!("{} (you)", member.email)
    } else {
        member.email.clone()
    };
    let actions = editable.then(|| {
        let current = member.role;
        let select_id = format!("role-{}", member.user_id);
        let select_label = format!("Role of {}", member.email);
        let change_label = format!("Change role of {}", member.email);
        let remove_label = format!("Remove {}", member.email);
        let (change_user, remove_user) = (member.user_id.clone(), member.user_id.clone());
        view! {
            <td role="cell" class="block py-1 md:table-cell md:py-2">
                <div class="flex flex-wrap items-center gap-2 md:justify-end">
                    <ActionForm action=change attr:class="flex items-center gap-2">
                        <input type="hidden" name="user_id" value=change_user/>
                        <label class="sr-only" for=select_id.clone()>{select_label}</label>
                        <select id=select_id name="role" class=SELECT>
                            {grantable(viewer_is_owner)
                                .into_iter()
                                .map(|role| {
                                    view! {
                                        <option value=role.as_str() selected=role == current>
                                            {role.label()}
                                        </option>
                                    }
                                })
                                .collect_view()}
                        </select>
                        <button type="submit" class=SMALL_BUTTON aria-label=change_label>
                            "Change role"
                        </button>
                    </ActionForm>
                    <details class="relative">
                        <summary class="cursor-pointer list-none rounded-md border border-red-200 px-2.5 py-1 text-xs font-medium text-red-700 hover:bg-red-50 focus:outline-none focus:ring-2 focus:ring-red-500" aria-label=format!("Remove {}…", member.email)>
                            "Remove…"
                        </summary>
                        <ActionForm action=remove attr:class="mt-2 space-y-2 rounded-md border border-red-200 bg-white p-3 text-left md:absolute md:right-0 md:z-10 md:w-64 md:shadow">
                            <input type="hidden" name="user_id" value=remove_user/>
                            <p class="text-xs text-slate-700">{format!("{} loses access to this organization at once.", member.email)}</p>
                            <button type="submit" class=DANGER_BUTTON aria-label=remove_label>"Remove member"</button>
                        </ActionForm>
                    </details>
                </div>
            </td>
        }
    });
    let placeholder = (can_manage && !editable)
        .then(|| view! { <td role="cell" class="hidden md:table-cell md:py-2"></td> });
    view! {
        <tr role="row" class="block py-3 md:table-row md:py-0">
            <td role="cell" class="block break-all py-0.5 text-slate-900 md:table-cell md:py-2">{label}</td>
            <td role="cell" class="block py-0.5 md:table-cell md:py-2">
                <span class="rounded-full bg-slate-100 px-2 py-0.5 text-xs font-medium text-slate-700">
                    {member.role.label()}
                </span>
            </td>
            {actions}
            {placeholder}
        </tr>
    }
}

#[component]
fn AddMemberForm(add: ServerAction<AddMember>, viewer_is_owner: bool) -> impl IntoView {
    let error = action_errors(Signal::derive(move || {
        add.value().get().map(|result| result.map(|_| ()))
    }));
    let entered = action_entered(Signal::derive(move || {
        add.value().get().map(|result| result.map(|_| ()))
    }));
    let added = move || add.value().get().and_then(Result::ok);
    view! {
        <section aria-labelledby="add-member-heading" class=CARD>
            <h2 id="add-member-heading" class="text-base font-semibold text-slate-900">"Add a member"</h2>
            <p class="mt-1 text-sm text-slate-600">
                "Give them an initial password and share it with them in person, never by chat or email; they choose their own when they first sign in. Someone who already has a KeyHub account gets an invite link instead."
            </p>
            <ActionForm action=add attr:class="mt-4 space-y-4" attr:novalidate=true>
                <div>
                    <FormError error=error(FORM)/>
                    {move || added().map(|added| view! {
                        <p role="status" class="rounded-md border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-800">
                            {added.message}
                        </p>
                        {added.invite_link.map(|link| view! {
                            <div class="mt-2">
                                <ShownOnce
                                    label="Invite link"
                                    value=link
                                    note="It works once, for 7 days, and is not shown again."
                                />
                            </div>
                        })}
                    })}
                </div>
                <Field label="Email" name="email" kind="email" value=entered("email").unwrap_or_default() error=error("email")/>
                <Field label="Initial password" name="password" kind="password" autocomplete="new-password" error=error("password")/>
                <RoleSelect name="role" viewer_is_owner/>
                <div class="sm:w-56">
                    <SubmitButton label="Add member" busy_label="Adding…"/>
                </div>
            </ActionForm>
        </section>
    }
}
