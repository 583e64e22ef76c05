//! `/hub/add`: add a key. Without `?provider=` it offers the providers to choose from (a GET form,
//! so it works without JavaScript); with one, the form for that provider's key and options.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::layout::PageHeader;
use crate::api::keys::{provider_keys, AddKey, AddKeyAction, ProviderView};
use crate::components::form::{
    action_entered, action_errors, Field, FormError, SubmitButton, FORM,
};
use crate::domain::catalog::{provider, with_article, Category, Provider, PROVIDERS};
use crate::domain::keys::Scope;

const SELECT: &str = "field";

#[component]
pub fn AddKeyPage() -> impl IntoView {
    let query = use_query_map();
    let chosen = move || query.read().get("provider").and_then(|id| provider(&id));
    move || match chosen() {
        None => view! { <ChooseProvider/> }.into_any(),
        Some(provider) => view! { <AddKeyForm provider/> }.into_any(),
    }
}

/// The providers to choose from, filtered by `?q=` (a GET form: no JavaScript needed).
#[component]
fn ChooseProvider() -> impl IntoView {
    let query = use_query_map();
    let search = move || query.read().get("q").unwrap_or_default();
    view! {
        <PageHeader title="Add a key" description="Choose the provider the key is for."/>
        <form method="get" action="/hub/add" role="search" class="mb-6 flex max-w-xl items-end gap-2">
            <div class="flex-1">
                <label for="provider-search" class="block text-sm font-medium text-slate-700">"Filter providers"</label>
                <input id="provider-search" type="search" name="q" prop:value=search placeholder="e.g. voice, Azure, image" class=SELECT/>
            </div>
            <button type="submit" class="rounded-md border border-slate-300 bg-white px-3 py-2 text-sm font-medium text-slate-700 hover:bg-slate-50">"Filter"</button>
        </form>
        {move || {
            let search = search();
            Category::ALL.into_iter().map(|category| {
                let providers: Vec<_> = PROVIDERS
                    .iter()
                    .filter(|p| p.category == category && super::hub::matches(p, &search))
                    .collect();
                (!providers.is_empty()).then(|| view! {
                    <section class="mb-6">
                        <h2 class="mb-2 text-sm font-semibold uppercase tracking-wide text-slate-500">{category.label()}</h2>
                        <ul role="list" class="grid gap-2 sm:grid-cols-2 lg:grid-cols-3">
                            {providers.into_iter().map(|p| view! {
                                <li>
                                    <a href=format!("/hub/add?provider={}", p.id) class="block rounded-lg border border-slate-200 bg-white p-3 shadow-sm hover:border-indigo-300 focus:outline-none focus:ring-2 focus:ring-indigo-500">
                                        <span class="block text-sm font-medium text-slate-900">{p.name}</span>
                                        <span class="block text-xs text-slate-600">{p.summary}</span>
                                    </a>
                                </li>
                            }).collect_view()}
                        </ul>
                    </section>
                })
            }).collect_view()
        }}
    }
}

#[component]
fn AddKeyForm(provider: &'static Provider) -> impl IntoView {
    let add: AddKeyAction = ServerAction::<AddKey>::new();
    let error = action_errors(Signal::derive(move || add.value().get()));
    // Without JavaScript a refused form comes back as a new page: filled in again, but the key.
    let entered = action_entered(Signal::derive(move || add.value().get()));
    let rights = Resource::new(move || provider.id, |id| provider_keys(id.to_owned()));
    let key_hint = if provider.key_required {
        provider.key_format.description
    } else {
        "Optional for this provider."
    };
    view! {
        <PageHeader title="Add a key" description="Paste the key once: KeyHub encrypts it and shows only its hint from now on."/>
        <div class="grid gap-6 lg:grid-cols-3">
            <section aria-labelledby="add-key-heading" class="rounded-xl border border-slate-200 bg-white p-6 shadow-sm lg:col-span-2">
                <h2 id="add-key-heading" class="text-base font-semibold text-slate-900">{format!("{} key", provider.name)}</h2>
                <p class="mt-1 text-sm text-slate-600">
                    <a href="/hub/add" class="font-medium text-indigo-700 hover:underline">"Choose another provider"</a>
                </p>
                <ActionForm action=add attr:class="mt-4 space-y-4" attr:novalidate=true>
                    <FormError error=error(FORM)/>
                    <p id="field-provider-error" role="alert" class="text-sm text-red-700">{move || error("provider").get()}</p>
                    <input type="hidden" name="provider" value=provider.id/>
                    <Field label="API key" name="api_key" kind="password" hint=key_hint error=error("api_key")/>
                    <Field label="Nickname" name="nickname" placeholder="Production" hint="Optional: how people tell this key apart." value=entered("nickname").unwrap_or_default() error=error("nickname")/>
                    <Transition fallback=|| ()>
                        {move || rights.get().and_then(Result::ok).map(|rights| role_and_scope(provider, rights))}
                    </Transition>
                    <details class="rounded-lg border border-slate-200 p-4" open=provider.options.iter().any(|o| o.required)>
                        <summary class="cursor-pointer text-sm font-medium text-slate-800">"Advanced"</summary>
                        <div class="mt-3 space-y-4">
                            <div>
                                <label for="field-api_base" class="block text-sm font-medium text-slate-700">"API base URL"</label>
                                <input id="field-api_base" type="url" name="api_base" placeholder=provider.default_base_url.unwrap_or("https://llm.example.com/v1") class=SELECT/>
                                <p class="mt-1 text-xs text-slate-500">"Leave empty for the provider's own address."</p>
                                <p id="field-api_base-error" role="alert" class="mt-1 text-sm text-red-700">{move || error("api_base").get()}</p>
                            </div>
                            {provider.options.iter().map(|option| {
                                let id = format!("option-{}", option.name);
                                let name = format!("options[{}]", option.name);
                                view! {
                                    <div>
                                        <label for=id.clone() class="block text-sm font-medium text-slate-700">
                                            {option.label}{(!option.required).then_some(" (optional)")}
                                        </label>
                                        <input id=id type="text" name=name placeholder=option.placeholder class=SELECT/>
                                        <p class="mt-1 text-xs text-slate-500">{option.help}</p>
                                    </div>
                                }
                            }).collect_view()}
                            <p id="field-options-error" role="alert" class="text-sm text-red-700">{move || error("options").get()}</p>
                        </div>
                    </details>
                    <label class="flex items-start gap-3 text-sm text-slate-700">
                        <input type="checkbox" name="allow_unverified" value="on" class="mt-0.5 h-4 w-4 rounded border-slate-300 text-indigo-600 focus:ring-indigo-500"/>
                        <span>
                            "Save even if the provider cannot be reached"
                            <span class="block text-xs text-slate-500">"The key is then kept as not verified until a check succeeds. A key the provider rejects is never saved."</span>
                        </span>
                    </label>
                    <div class="sm:w-64">
                        <SubmitButton label="Save key" busy_label="Checking with the provider…"/>
                    </div>
                </ActionForm>
            </section>
            <aside aria-labelledby="get-key-heading" class="rounded-xl border border-slate-200 bg-white p-6 shadow-sm">
                <h2 id="get-key-heading" class="text-base font-semibold text-slate-900">{format!("Getting {} key", with_article(provider.name))}</h2>
                <ol class="mt-3 list-decimal space-y-2 pl-5 text-sm text-slate-700">
                    {provider.get_key.steps.iter().map(|step| view! { <li>{*step}</li> }).collect_view()}
                </ol>
                <a href=provider.get_key.url target="_blank" rel="noopener noreferrer" class="mt-4 inline-block text-sm font-medium text-indigo-700 hover:underline">
                    {format!("Open {}", provider.name)}<span class="sr-only">" (opens in a new tab)"</span>
                </a>
            </aside>
        </div>
    }
}

/// Role and whose key, as the viewer may choose them for `provider`.
fn role_and_scope(provider: &Provider, rights: ProviderView) -> impl IntoView {
    let primary = |scope| rights.primary(provider.id, scope).map(|key| key.quoted());
    view! {
        <RoleAndScope
            org_primary=primary(Scope::Org)
            own_primary=primary(Scope::Personal)
            can_manage=rights.can_manage
            personal_allowed=rights.personal_allowed
        />
    }
}

/// When a primary exists the role defaults to the next fallback, and choosing primary says which
/// key it replaces (in the option itself, so it is read without JavaScript too; with it, a note
/// under the menu follows the choice of role and scope). `org_primary` and `own_primary` name the
/// primaries now: "'Production' (sk-...7xQ2)".
#[island]
fn RoleAndScope(
    org_primary: Option<String>,
    own_primary: Option<String>,
    can_manage: bool,
    personal_allowed: bool,
) -> impl IntoView {
    let default_scope = if can_manage {
        Scope::Org
    } else {
        Scope::Personal
    };
    let scope = RwSignal::new(default_scope);
    let replaced = move |scope: Scope| match scope {
        Scope::Org => org_primary.clone(),
        Scope::Personal => own_primary.clone(),
    };
    let first_replaced = replaced(default_scope);
    let role = RwSignal::new(
        if first_replaced.is_some() {
            "fallback"
        } else {
            "primary"
        }
        .to_owned(),
    );
    let chosen = move |value: &str| role.with_untracked(|role| role == value);
    let primary_label = match &first_replaced {
        Some(key) => format!("Primary: used first, replacing {key}"),
        None => "Primary: used first".to_owned(),
    };
    let replacing = move || {
        (role.get() == "primary")
            .then(|| replaced(scope.get()))
            .flatten()
            .map(|key| format!("This replaces {key} as primary; it becomes fallback 1."))
    };
    view! {
        <div class="grid gap-4 sm:grid-cols-2">
            <div>
                <label for="field-role" class="block text-sm font-medium text-slate-700">"Role"</label>
                <select id="field-role" name="role" class=SELECT aria-describedby="field-role-note" on:change=move |event| role.set(event_target_value(&event))>
                    <option value="primary" selected=chosen("primary")>{primary_label}</option>
                    <option value="fallback" selected=chosen("fallback")>"Fallback: used when the keys before it fail"</option>
                    <option value="none" selected=chosen("none")>"Neither: only when chosen explicitly"</option>
                </select>
                <p id="field-role-note" role="status" class="mt-1 text-sm text-amber-800">{replacing}</p>
            </div>
            <div>
                <label for="field-scope" class="block text-sm font-medium text-slate-700">"Whose key"</label>
                <select id="field-scope" name="scope" class=SELECT on:change=move |event| {
                    scope.set(if event_target_value(&event) == "personal" { Scope::Personal } else { Scope::Org })
                }>
                    {can_manage.then(|| view! { <option value="org" selected=default_scope == Scope::Org>"The organization's"</option> })}
                    {personal_allowed.then(|| view! { <option value="personal" selected=default_scope == Scope::Personal>"Mine (personal)"</option> })}
                </select>
                {(!can_manage && !personal_allowed).then(|| view! {
                    <p class="mt-1 text-sm text-amber-800">"Only admins add keys here, and your organization does not allow personal keys."</p>
                })}
            </div>
        </div>
    }
}
