//! `/login`, `/setup` and `/invite/{secret}`: standalone pages outside the app layout.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::auth::{Login, LoginAction, Logout, LogoutAction, Setup, SetupAction};
use crate::api::invites::{invite_offer, AcceptInvite, AcceptInviteAction, InviteOfferView};
use crate::api::profile::{ChangePassword, ChangePasswordAction};
use crate::components::form::{
    action_entered, action_errors, Field, FormError, SubmitButton, FORM,
};

#[component]
pub(super) fn AuthCard(
    title: &'static str,
    intro: &'static str,
    children: Children,
) -> impl IntoView {
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

#[component]
pub fn LoginPage() -> impl IntoView {
    let login: LoginAction = ServerAction::<Login>::new();
    let error = action_errors(Signal::derive(move || login.value().get()));
    let entered = action_entered(Signal::derive(move || login.value().get()));
    view! {
        <AuthCard title="Sign in" intro="Sign in to manage your organization's provider keys.">
            <ActionForm action=login attr:class="space-y-4" attr:novalidate=true>
                <FormError error=error(FORM)/>
                <Field label="Email" name="email" kind="email" autocomplete="username" value=entered("email").unwrap_or_default() error=error("email")/>
                <Field label="Password" name="password" kind="password" autocomplete="current-password" error=error("password")/>
                <SubmitButton label="Sign in" busy_label="Signing in…"/>
            </ActionForm>
        </AuthCard>
    }
}

#[component]
pub fn SetupPage() -> impl IntoView {
    let setup: SetupAction = ServerAction::<Setup>::new();
    let error = action_errors(Signal::derive(move || setup.value().get()));
    let entered = action_entered(Signal::derive(move || setup.value().get()));
    view! {
        <AuthCard
            title="Set up KeyHub"
            intro="Create the first owner account and your organization. This page disappears once it is done."
        >
            <ActionForm action=setup attr:class="space-y-4" attr:novalidate=true>
                <FormError error=error(FORM)/>
                <Field
                    label="Setup code"
                    name="setup_code"
                    hint="KeyHub printed it in its log when it started, and wrote it to the file setup-code in its data folder."
                    placeholder="XXXX-XXXX-XXXX"
                    error=error("setup_code")
                />
                <Field label="Your email" name="email" kind="email" autocomplete="username" value=entered("email").unwrap_or_default() error=error("email")/>
                <Field
                    label="Password"
                    name="password"
                    kind="password"
                    autocomplete="new-password"
                    hint="At least 12 characters. A short sentence is easy to remember and hard to guess."
                    error=error("password")
                />
                <Field label="Organization name" name="org_name" autocomplete="organization" placeholder="Acme Labs" value=entered("org_name").unwrap_or_default() error=error("org_name")/>
                <Field
                    label="Organization slug"
                    name="org_slug"
                    placeholder="acme-labs"
                    hint="Lowercase letters, digits and dashes; it appears in API paths."
                    value=entered("org_slug").unwrap_or_default()
                    error=error("org_slug")
                />
                <SlugFollowsName/>
                <SubmitButton label="Create owner and organization" busy_label="Creating…"/>
            </ActionForm>
        </AuthCard>
    }
}

/// With JavaScript, the slug field of the form around it follows the organization's name as it is
/// typed, until someone types in the slug field itself. An island with nothing to show.
#[island]
fn SlugFollowsName() -> impl IntoView {
    use leptos::wasm_bindgen::JsCast;
    use leptos::web_sys::HtmlInputElement;
    let marker = NodeRef::<leptos::html::Span>::new();
    Effect::new(move || {
        let Some(form) = marker
            .get()
            .and_then(|marker| marker.closest("form").ok().flatten())
        else {
            return;
        };
        let mut slug_typed = false;
        crate::components::browser::listen(&form, "input", move |event| {
            let Some(input) = event
                .target()
                .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
            else {
                return;
            };
            match input.name().as_str() {
                "org_slug" => slug_typed = true,
                "org_name" if !slug_typed => {
                    let slug = document()
                        .get_element_by_id("field-org_slug")
                        .and_then(|element| element.dyn_into::<HtmlInputElement>().ok());
                    if let Some(slug) = slug {
                        slug.set_value(&crate::domain::accounts::slug_from_name(&input.value()));
                    }
                }
                _ => {}
            }
        });
    });
    view! { <span node_ref=marker hidden=true></span> }
}

/// `/choose-password`: where someone whose password an admin chose lands after signing in, until
/// they have chosen their own (or sign out).
#[component]
pub fn ChoosePasswordPage() -> impl IntoView {
    let change: ChangePasswordAction = ServerAction::<ChangePassword>::new();
    let logout: LogoutAction = ServerAction::<Logout>::new();
    let error = action_errors(Signal::derive(move || change.value().get()));
    view! {
        <AuthCard
            title="Choose your password"
            intro="An admin created your account with a password they know. Choose your own before you go on."
        >
            <ActionForm action=change attr:class="space-y-4" attr:novalidate=true>
                <FormError error=error(FORM)/>
                <Field
                    label="Password you were given"
                    name="current_password"
                    kind="password"
                    autocomplete="current-password"
                    error=error("current_password")
                />
                <Field
                    label="New password"
                    name="new_password"
                    kind="password"
                    autocomplete="new-password"
                    hint="At least 12 characters, not the one you were given."
                    error=error("new_password")
                />
                <SubmitButton label="Save my password" busy_label="Saving…"/>
            </ActionForm>
            <ActionForm action=logout attr:class="mt-4 text-center">
                <button type="submit" class="text-sm font-medium text-indigo-700 hover:underline">"Sign out"</button>
            </ActionForm>
        </AuthCard>
    }
}

/// `/invite/{secret}`: join an organization with an invite link.
#[component]
pub fn InvitePage() -> impl IntoView {
    let params = leptos_router::hooks::use_params_map();
    let secret = move || params.read().get("secret").unwrap_or_default();
    let offer = Resource::new(secret, invite_offer);
    let accept: AcceptInviteAction = ServerAction::<AcceptInvite>::new();
    view! {
        <AuthCard title="Join an organization" intro="You were invited to KeyHub, where your team keeps its AI provider keys.">
            <Suspense fallback=|| view! { <p class="text-sm text-slate-500">"Checking the invite…"</p> }>
                {move || {
                    offer.get().map(|result| match result {
                        Ok(offer) => invite_form(offer, secret(), accept).into_any(),
                        Err(problem) => view! {
                            <p role="alert" class="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
                                {problem.to_string()}
                            </p>
                            <a href="/login" class="mt-4 inline-block text-sm font-medium text-indigo-700 hover:underline">"Go to sign in"</a>
                        }
                        .into_any(),
                    })
                }}
            </Suspense>
        </AuthCard>
    }
}

fn invite_form(
    offer: InviteOfferView,
    secret: String,
    accept: AcceptInviteAction,
) -> impl IntoView {
    let error = action_errors(Signal::derive(move || accept.value().get()));
    let (label, hint, autocomplete) = if offer.has_account {
        (
            "Your password",
            "You already have a KeyHub account with this email: confirm it with your password.",
            "current-password",
        )
    } else {
        (
            "Choose a password",
            "At least 12 characters. A short sentence is easy to remember and hard to guess.",
            "new-password",
        )
    };
    view! {
        <p class="rounded-md bg-indigo-50 px-3 py-2 text-sm text-indigo-900">
            "Join " <strong>{offer.org_name.clone()}</strong> " as " {offer.role.label().to_lowercase()}
            ", signed in as " <strong>{offer.email}</strong> "."
        </p>
        <ActionForm action=accept attr:class="mt-4 space-y-4" attr:novalidate=true>
            <FormError error=error(FORM)/>
            <input type="hidden" name="secret" value=secret/>
            <Field label name="password" kind="password" autocomplete hint error=error("password")/>
            <SubmitButton label="Join organization" busy_label="Joining…"/>
        </ActionForm>
    }
}
