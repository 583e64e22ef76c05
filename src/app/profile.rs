//! `/profile`: change your password, and your personal provider keys.

use leptos::prelude::*;

use super::layout::PageHeader;
use crate::api::keys::{personal_keys, MaskedKey};
use crate::api::profile::{ChangePassword, ChangePasswordAction};
use crate::components::enable_switch::EnableSwitch;
use crate::components::form::{action_errors, Field, FormError, SubmitButton, FORM};
use crate::components::key_status::StatusBadge;
use crate::domain::catalog::provider;

#[component]
pub fn ProfilePage() -> impl IntoView {
    let change: ChangePasswordAction = ServerAction::<ChangePassword>::new();
    let error = action_errors(Signal::derive(move || change.value().get()));
    let changed = move || matches!(change.value().get(), Some(Ok(())));
    view! {
        <PageHeader title="Profile" description="Your own account."/>
        <div class="grid gap-6 lg:grid-cols-2">
            <section aria-labelledby="password-heading" class="rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
                <h2 id="password-heading" class="text-base font-semibold text-slate-900">"Change password"</h2>
                <p class="mt-1 text-sm text-slate-600">"Your other sessions are signed out when you change it."</p>
                <ActionForm action=change attr:class="mt-4 space-y-4" attr:novalidate=true>
                    <FormError error=error(FORM)/>
                    <Show when=changed>
                        <p role="status" class="rounded-md border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-800">
                            "Password changed. Other sessions were signed out."
                        </p>
                    </Show>
                    <Field label="Current password" name="current_password" kind="password" autocomplete="current-password" error=error("current_password")/>
                    <Field
                        label="New password"
                        name="new_password"
                        kind="password"
                        autocomplete="new-password"
                        hint="At least 12 characters."
                        error=error("new_password")
                    />
                    <div class="sm:w-56">
                        <SubmitButton label="Change password" busy_label="Changing…"/>
                    </div>
                </ActionForm>
            </section>
            <PersonalKeysSection/>
        </div>
    }
}

/// "Provider Keys": the viewer's personal keys, each with its switch and the way to its actions in
/// the hub; the organization's keys are the hub's.
#[component]
fn PersonalKeysSection() -> impl IntoView {
    let mine = Resource::new(|| (), |_| personal_keys());
    view! {
        <section aria-labelledby="keys-heading" class="rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
            <h2 id="keys-heading" class="text-base font-semibold text-slate-900">"Provider Keys"</h2>
            <p class="mt-1 text-sm text-slate-600">
                "Your personal keys: only you see them, and your experts and assistants use them before the organization's. The organization's keys are in the Provider Hub."
            </p>
            <Transition fallback=|| view! { <p class="mt-4 text-sm text-slate-500">"Loading your keys…"</p> }>
                {move || mine.get().map(|result| match result {
                    Ok(mine) if mine.keys.is_empty() => view! {
                        <p class="mt-4 text-sm text-slate-700">
                            {if mine.allowed {
                                "You have no personal keys. Add one from a provider's page in the Provider Hub."
                            } else {
                                "You have no personal keys, and your organization does not allow them."
                            }}
                        </p>
                    }.into_any(),
                    Ok(mine) => view! {
                        <ul role="list" aria-label="Your personal keys" class="mt-4 divide-y divide-slate-100">
                            {mine.keys.into_iter().map(personal_key_row).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(error) => view! { <p role="alert" class="mt-4 text-sm text-red-700">{error.to_string()}</p> }.into_any(),
                })}
            </Transition>
            <a href="/hub" class="mt-4 inline-block text-sm font-medium text-indigo-700 hover:underline">
                "Open the Provider Hub"
            </a>
        </section>
    }
}

fn personal_key_row(key: MaskedKey) -> impl IntoView {
    let provider_name = provider(&key.provider).map_or(key.provider.clone(), |p| p.name.to_owned());
    let name = key
        .nickname
        .clone()
        .unwrap_or_else(|| "Unnamed key".to_owned());
    let label = key.control_name();
    view! {
        <li class="flex flex-wrap items-center justify-between gap-2 py-3">
            <div class="min-w-0">
                <p class="break-words text-sm font-medium text-slate-900">{name}</p>
                <p class="mt-0.5 flex flex-wrap items-center gap-2 text-xs text-slate-600">
                    <span>{provider_name}</span>
                    <code class="rounded bg-slate-100 px-1 font-mono text-slate-800">{key.hint.clone()}</code>
                    <StatusBadge status=key.status enabled=key.enabled/>
                </p>
            </div>
            <div class="flex items-center gap-3">
                <EnableSwitch id=key.id.clone() enabled=key.enabled name=format!("Use {label}")/>
                <a href=format!("/hub/{}", key.provider) class="text-sm font-medium text-indigo-700 hover:underline">
                    "Manage"<span class="sr-only">{format!(" {label}")}</span>
                </a>
            </div>
        </li>
    }
}
