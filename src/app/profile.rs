//! `/profile`: change your password; your provider keys live in the hub.

use leptos::prelude::*;

use super::layout::PageHeader;
use crate::api::profile::{ChangePassword, ChangePasswordAction};
use crate::components::form::{action_errors, Field, FormError, SubmitButton, FORM};

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
                        <SubmitButton label="Change password" busy_label="Changing…" pending=change.pending()/>
                    </div>
                </ActionForm>
            </section>
            <section aria-labelledby="keys-heading" class="rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
                <h2 id="keys-heading" class="text-base font-semibold text-slate-900">"Provider Keys"</h2>
                <p class="mt-1 text-sm text-slate-600">
                    "Keys for AI providers, yours and your organization's, are managed in the Provider Hub."
                </p>
                <a href="/hub" class="mt-4 inline-block text-sm font-medium text-indigo-700 hover:underline">
                    "Open the Provider Hub"
                </a>
            </section>
        </div>
    }
}
