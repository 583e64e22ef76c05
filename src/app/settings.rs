//! `/settings`: members of the current organization (policy and API tokens come later).

use leptos::prelude::*;

use super::layout::PageHeader;
use crate::api::error::ApiError;
use crate::api::members::{
    members, AddMember, ChangeMemberRole, MemberInfo, MembersView, RemoveMember,
};
use crate::api::orgs::{policy, PolicyView, SetPolicy, SetPolicyAction};
use crate::components::form::{Field, FormError, SubmitButton};
use crate::domain::accounts::OrgRole;

const SMALL_BUTTON: &str = "rounded-md border border-slate-300 px-2.5 py-1 text-xs font-medium text-slate-700 hover:bg-slate-50 focus:outline-none focus:ring-2 focus:ring-indigo-500";
const SELECT: &str = "rounded-md border border-slate-300 bg-white px-2 py-1 text-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/30";

fn error_text(value: Option<Result<(), ApiError>>) -> Option<String> {
    value.and_then(Result::err).map(|e| e.to_string())
}

/// The roles the viewer may hand out: only owners grant the owner role.
fn grantable(viewer_is_owner: bool) -> Vec<OrgRole> {
    OrgRole::ALL
        .iter()
        .copied()
        .filter(|role| viewer_is_owner || *role != OrgRole::Owner)
        .collect()
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let add = ServerAction::<AddMember>::new();
    let change = ServerAction::<ChangeMemberRole>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let list = Resource::new(
        move || {
            (
                add.version().get(),
                change.version().get(),
                remove.version().get(),
            )
        },
        |_| members(),
    );
    let row_error = Signal::derive(move || {
        error_text(change.value().get()).or_else(|| error_text(remove.value().get()))
    });
    view! {
        <PageHeader title="Settings" description="Organization members, their roles, and the key policy."/>
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
                    .map(|view| view! { <AddMemberForm add viewer_is_owner=view.viewer_is_owner/> })
            }}
        </Transition>
        <PolicySection/>
    }
}

#[component]
fn PolicySection() -> impl IntoView {
    let save: SetPolicyAction = ServerAction::<SetPolicy>::new();
    let current = Resource::new(move || save.version().get(), |_| policy());
    let saved = move || matches!(save.value().get(), Some(Ok(())));
    let error = Signal::derive(move || error_text(save.value().get()));
    view! {
        <section aria-labelledby="policy-heading" class="mt-6 rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
            <h2 id="policy-heading" class="text-base font-semibold text-slate-900">"Key policy"</h2>
            <p class="mt-1 text-sm text-slate-600">"What members may use besides the organization's own keys."</p>
            <FormError error/>
            <Transition fallback=|| ()>
                {move || {
                    current.get().and_then(Result::ok).map(|view| policy_form(view, save, saved))
                }}
            </Transition>
        </section>
    }
}

fn policy_form(
    view: PolicyView,
    save: SetPolicyAction,
    saved: impl Fn() -> bool + Send + Sync + 'static,
) -> impl IntoView {
    let disabled = !view.can_manage;
    let checkbox = "h-4 w-4 rounded border-slate-300 text-indigo-600 focus:ring-indigo-500";
    view! {
        <ActionForm action=save attr:class="mt-4 space-y-3">
            <label class="flex items-start gap-3 text-sm text-slate-700">
                <input type="checkbox" name="allow_personal_keys" value="on" checked=view.allow_personal_keys disabled=disabled class=checkbox/>
                <span>
                    <span class="font-medium text-slate-900">"Allow personal keys"</span>
                    <span class="block text-slate-600">"Members may add keys of their own, used before the organization's."</span>
                </span>
            </label>
            <label class="flex items-start gap-3 text-sm text-slate-700">
                <input type="checkbox" name="allow_platform_keys" value="on" checked=view.allow_platform_keys disabled=disabled class=checkbox/>
                <span>
                    <span class="font-medium text-slate-900">"Allow platform keys"</span>
                    <span class="block text-slate-600">
                        "Use this instance's keys from the environment for providers the organization has no key for."
                    </span>
                </span>
            </label>
            {if view.can_manage {
                view! {
                    <div class="flex items-center gap-3 pt-1">
                        <div class="w-40">
                            <SubmitButton label="Save policy" busy_label="Saving…" pending=save.pending()/>
                        </div>
                        <Show when=saved>
                            <p role="status" class="text-sm text-emerald-700">"Policy saved."</p>
                        </Show>
                    </div>
                }
                    .into_any()
            } else {
                view! { <p class="text-sm text-slate-500">"Only owners and admins change the policy."</p> }.into_any()
            }}
        </ActionForm>
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
        <table class="w-full text-left text-sm">
            <thead class="text-xs uppercase tracking-wide text-slate-500">
                <tr>
                    <th scope="col" class="py-2">"Email"</th>
                    <th scope="col" class="py-2">"Role"</th>
                    {can_manage.then(|| view! { <th scope="col" class="py-2 text-right">"Actions"</th> })}
                </tr>
            </thead>
            <tbody class="divide-y divide-slate-100">
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
            <td class="py-2">
                <div class="flex items-center justify-end gap-2">
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
                    <ActionForm action=remove>
                        <input type="hidden" name="user_id" value=remove_user/>
                        <button
                            type="submit"
                            class="rounded-md border border-red-200 px-2.5 py-1 text-xs font-medium text-red-700 hover:bg-red-50 focus:outline-none focus:ring-2 focus:ring-red-500"
                            aria-label=remove_label
                        >
                            "Remove"
                        </button>
                    </ActionForm>
                </div>
            </td>
        }
    });
    let placeholder = (can_manage && !editable).then(|| view! { <td class="py-2"></td> });
    view! {
        <tr>
            <td class="py-2 text-slate-900">{label}</td>
            <td class="py-2">
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
    let field_error = move |field: &'static str| {
        Signal::derive(move || {
            add.value()
                .get()
                .and_then(Result::err)
                .and_then(|e| e.for_field(field))
        })
    };
    let form_error = Signal::derive(move || {
        add.value()
            .get()
            .and_then(Result::err)
            .and_then(|e| e.for_form())
    });
    let added = move || matches!(add.value().get(), Some(Ok(())));
    view! {
        <section aria-labelledby="add-member-heading" class="mt-6 rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
            <h2 id="add-member-heading" class="text-base font-semibold text-slate-900">"Add a member"</h2>
            <p class="mt-1 text-sm text-slate-600">
                "Give them an initial password and share it with them in person, never by chat or email."
            </p>
            <ActionForm action=add attr:class="mt-4 grid gap-4 sm:grid-cols-3" attr:novalidate=true>
                <div class="sm:col-span-3">
                    <FormError error=form_error/>
                    <Show when=added>
                        <p role="status" class="rounded-md border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-800">
                            "Member added."
                        </p>
                    </Show>
                </div>
                <Field label="Email" name="email" kind="email" error=field_error("email")/>
                <Field label="Initial password" name="password" kind="password" autocomplete="new-password" error=field_error("password")/>
                <div>
                    <label for="field-role" class="block text-sm font-medium text-slate-700">"Role"</label>
                    <select id="field-role" name="role" class=format!("{SELECT} mt-1 block w-full py-2")>
                        {grantable(viewer_is_owner)
                            .into_iter()
                            .map(|role| view! { <option value=role.as_str() selected=role == OrgRole::Member>{role.label()}</option> })
                            .collect_view()}
                    </select>
                </div>
                <div class="sm:col-span-3 sm:w-56">
                    <SubmitButton label="Add member" busy_label="Adding…" pending=add.pending()/>
                </div>
            </ActionForm>
        </section>
    }
}
