//! `/settings`: members and invites, the export, the key policy, and API tokens.

mod export;
mod invites;
mod members;
mod policy;
mod tokens;

use leptos::prelude::*;

use super::layout::PageHeader;
use crate::api::error::ApiError;
use crate::domain::accounts::OrgRole;

const SMALL_BUTTON: &str = "btn-sm";
const DANGER_BUTTON: &str = "btn-sm-danger";
const SELECT: &str = "select-sm";
const CARD: &str = "card";

fn error_text<T>(value: Option<Result<T, ApiError>>) -> Option<String> {
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
    view! {
        <PageHeader title="Settings" description="Members and their roles, the export of the organization, the key policy, and API tokens."/>
        <members::MembersSection/>
        <policy::PolicySection/>
        <tokens::TokensSection/>
        <ApiKeysSection/>
    }
}

/// Where people who look for "API Keys" under settings expect them: the providers' keys live in
/// the hub (KeyHub's own API credentials are the tokens above).
#[component]
fn ApiKeysSection() -> impl IntoView {
    view! {
        <section aria-labelledby="api-keys-heading" class=format!("{CARD} mt-6")>
            <h2 id="api-keys-heading" class="text-base font-semibold text-slate-900">"API Keys"</h2>
            <p class="mt-1 text-sm text-slate-600">
                "Your AI providers' API keys (OpenAI, Anthropic, ElevenLabs, …) are added, validated, rotated and chosen in the Provider Hub. KeyHub's own API credentials are the API tokens above."
            </p>
            <a href="/hub" class="mt-4 inline-block text-sm font-medium text-indigo-700 hover:underline">"Open the Provider Hub"</a>
        </section>
    }
}

/// The role picker of the add-member and invite forms; new people are members unless chosen.
#[component]
fn RoleSelect(name: &'static str, viewer_is_owner: bool) -> impl IntoView {
    let id = format!("field-{name}");
    view! {
        <div>
            <label for=id.clone() class="block text-sm font-medium text-slate-700">"Role"</label>
            <select id=id name=name class=format!("{SELECT} mt-1 block w-full py-2")>
                {grantable(viewer_is_owner)
                    .into_iter()
                    .map(|role| view! { <option value=role.as_str() selected=role == OrgRole::Member>{role.label()}</option> })
                    .collect_view()}
            </select>
        </div>
    }
}

/// A secret shown once (a new token, an invite link): selectable, with a plain warning, and a Copy
/// button once the page runs JavaScript (without it, the field is selected and copied by hand).
#[component]
fn ShownOnce(label: &'static str, value: String, note: &'static str) -> impl IntoView {
    let id = format!("shown-{}", label.to_lowercase().replace(' ', "-"));
    view! {
        <div role="status" class="rounded-lg border border-amber-300 bg-amber-50 p-4">
            <label for=id.clone() class="block text-sm font-semibold text-amber-900">{label}</label>
            <div class="mt-2 flex gap-2">
                <input
                    id=id.clone()
                    type="text"
                    readonly=true
                    value=value
                    class="block w-full min-w-0 rounded-md border border-amber-300 bg-white px-3 py-2 font-mono text-sm text-slate-900"
                />
                <CopyButton field=id/>
            </div>
            <p class="mt-2 text-sm text-amber-900">{note}</p>
        </div>
    }
}

/// Copies the value of the input `field` to the clipboard. An island: it reads the value from the
/// page, so the secret is never part of its props, and it shows only where JavaScript runs.
#[island]
fn CopyButton(field: String) -> impl IntoView {
    let scripted = RwSignal::new(false);
    Effect::new(move || scripted.set(true));
    // None until a copy was tried; then whether the browser took it.
    let copied = RwSignal::new(None::<bool>);
    let field = StoredValue::new(field);
    view! {
        <Show when=move || scripted.get()>
            <button type="button" class=SMALL_BUTTON on:click=move |_| copy_to_clipboard(&field.get_value(), copied)>
                {move || match copied.get() {
                    None => "Copy",
                    Some(true) => "Copied",
                    Some(false) => "Select and copy it by hand",
                }}
            </button>
        </Show>
    }
}

/// Puts the value of the input `field` on the browser's clipboard and says in `copied` whether it
/// took it (the server never runs a click).
fn copy_to_clipboard(field: &str, copied: RwSignal<Option<bool>>) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        let text = document()
            .get_element_by_id(field)
            .and_then(|element| element.dyn_into::<web_sys::HtmlInputElement>().ok())
            .map(|input| input.value());
        leptos::task::spawn_local(async move {
            let taken = match (text, web_sys::window()) {
                (Some(text), Some(window)) => {
                    let promise = window.navigator().clipboard().write_text(&text);
                    wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
                }
                _ => false,
            };
            copied.set(Some(taken));
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (field, copied);
}
