//! `/login` and `/setup`: standalone pages outside the app layout.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::auth::{Login, LoginAction, Setup, SetupAction};
use crate::api::error::ApiError;
use crate::components::form::{Field, FormError, SubmitButton};

#[component]
fn AuthCard(title: &'static str, intro: &'static str, children: Children) -> impl IntoView {
    view! {
        <Title text=title/>
        <main id="main" class="flex min-h-screen items-center justify-center bg-slate-100 px-4 py-12">
            <div class="w-full max-w-md">
                <div class="mb-6 flex items-center justify-center gap-2">
                    <span aria-hidden="true" class="grid h-9 w-9 place-items-center rounded-lg bg-indigo-500 font-bold text-white">
                        "K"
                    </span>
                    <span class="text-xl font-semibold tracking-tight">"KeyHub"</span>
                </div>
                <section class="rounded-xl border border-slate-200 bg-white p-8 shadow-sm">
                    <h1 class="text-xl font-semibold text-slate-900">{title}</h1>
                    <p class="mt-1 text-sm text-slate-600">{intro}</p>
                    <div class="mt-6">{children()}</div>
                </section>
            </div>
        </main>
    }
}

/// The error of the last submission, split for fields and the form.
fn errors(
    value: Signal<Option<Result<(), ApiError>>>,
) -> impl Fn(&'static str) -> Signal<Option<String>> + Copy {
    move |field| {
        Signal::derive(move || {
            value.with(|v| match v {
                Some(Err(error)) if field.is_empty() => error.for_form(),
                Some(Err(error)) => error.for_field(field),
                _ => None,
            })
        })
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let login: LoginAction = ServerAction::<Login>::new();
    let error = errors(Signal::derive(move || login.value().get()));
    view! {
        <AuthCard title="Sign in" intro="Sign in to manage your organization's provider keys.">
            <ActionForm action=login attr:class="space-y-4" attr:novalidate=true>
                <FormError error=error("")/>
                <Field label="Email" name="email" kind="email" autocomplete="username" error=error("email")/>
                <Field label="Password" name="password" kind="password" autocomplete="current-password" error=error("password")/>
                <SubmitButton label="Sign in" busy_label="Signing in…" pending=login.pending()/>
            </ActionForm>
        </AuthCard>
    }
}

#[component]
pub fn SetupPage() -> impl IntoView {
    let setup: SetupAction = ServerAction::<Setup>::new();
    let error = errors(Signal::derive(move || setup.value().get()));
    view! {
        <AuthCard
            title="Set up KeyHub"
            intro="Create the first owner account and your organization. This page disappears once it is done."
        >
            <ActionForm action=setup attr:class="space-y-4" attr:novalidate=true>
                <FormError error=error("")/>
                <Field label="Your email" name="email" kind="email" autocomplete="username" error=error("email")/>
                <Field
                    label="Password"
                    name="password"
                    kind="password"
                    autocomplete="new-password"
                    hint="At least 12 characters. A short sentence is easy to remember and hard to guess."
                    error=error("password")
                />
                <Field label="Organization name" name="org_name" autocomplete="organization" placeholder="Acme Labs" error=error("org_name")/>
                <Field
                    label="Organization slug"
                    name="org_slug"
                    placeholder="acme-labs"
                    hint="Lowercase letters, digits and dashes; it appears in API paths."
                    error=error("org_slug")
                />
                <SubmitButton label="Create owner and organization" busy_label="Creating…" pending=setup.pending()/>
            </ActionForm>
        </AuthCard>
    }
}
