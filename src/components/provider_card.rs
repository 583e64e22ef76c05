use leptos::prelude::*;

use crate::api::keys::CardData;
use crate::components::enable_switch::EnableSwitch;
use crate::components::key_status::StatusBadge;
use crate::domain::catalog::{Category, Provider, Validation};
use crate::domain::time::readable;

fn category_badge_class(category: Category) -> &'static str {
    match category {
        Category::Llm => "rounded-full bg-indigo-50 px-2 py-0.5 text-xs font-medium text-indigo-700 ring-1 ring-indigo-200",
        Category::Voice => "rounded-full bg-emerald-50 px-2 py-0.5 text-xs font-medium text-emerald-700 ring-1 ring-emerald-200",
        Category::Image => "rounded-full bg-amber-50 px-2 py-0.5 text-xs font-medium text-amber-800 ring-1 ring-amber-200",
    }
}

/// One provider of the catalog: what it is, what it serves, its keys (the primary's hint, health
/// and switch, the count) or how to get one.
#[component]
pub fn ProviderCard(
    provider: &'static Provider,
    data: Option<CardData>,
    can_manage: bool,
) -> impl IntoView {
    let heading_id = format!("provider-{}", provider.id);
    let labelled_by = heading_id.clone();
    let validation_note = match provider.validation {
        Validation::Probe { .. } => None,
        Validation::Manual { reason } => Some(reason),
    };
    view! {
        <article
            aria-labelledby=labelled_by
            data-provider=provider.id
            class="flex w-full flex-col rounded-xl border border-slate-200 bg-white p-5 shadow-sm"
        >
            <div class="flex items-start justify-between gap-3">
                <h2 id=heading_id class="text-base font-semibold text-slate-900">
                    {provider.name}
                </h2>
                <span class=category_badge_class(provider.category)>{provider.category.label()}</span>
            </div>
            <p class="mt-2 text-sm text-slate-600">{provider.summary}</p>
            <ul aria-label="Serves" class="mt-3 flex flex-wrap gap-1.5">
                {provider
                    .modalities
                    .iter()
                    .map(|m| {
                        view! {
                            <li class="rounded bg-slate-100 px-1.5 py-0.5 text-xs text-slate-700">
                                {m.label()}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            {validation_note
                .map(|reason| view! { <p class="mt-3 text-xs text-amber-800">{reason}</p> })}
            <KeySummary provider data can_manage/>
            <div class="mt-auto flex flex-wrap items-center gap-x-4 gap-y-1 pt-4 text-sm">
                <a href=format!("/hub/{}", provider.id) class="font-medium text-indigo-700 hover:underline">
                    "Keys"<span class="sr-only">{format!(" of {}", provider.name)}</span>
                </a>
                <a href=format!("/hub/add?provider={}", provider.id) class="font-medium text-indigo-700 hover:underline">
                    "Add a key"<span class="sr-only">{format!(" for {}", provider.name)}</span>
                </a>
            </div>
            <a
                href=provider.get_key.url
                target="_blank"
                rel="noopener noreferrer"
                class="pt-2 text-sm text-slate-600 hover:underline"
            >
                {format!("Get a key from {}", provider.name)}
                <span class="sr-only">" (opens the provider's site in a new tab)"</span>
            </a>
        </article>
    }
}

/// The card's key section: the primary key, "Using platform key", or "Not configured".
#[component]
fn KeySummary(
    provider: &'static Provider,
    data: Option<CardData>,
    can_manage: bool,
) -> impl IntoView {
    let count = data.as_ref().map(|d| d.key_count).unwrap_or_default();
    let count_text = match count {
        0 => "No keys".to_owned(),
        1 => "1 key".to_owned(),
        n => format!("{n} keys"),
    };
    let primary = data.as_ref().and_then(|d| d.primary.clone());
    let platform = data.as_ref().is_some_and(|d| d.platform_key);
    let state = match (primary, platform, count) {
        (Some(key), _, _) => {
            let switch_name = format!("Use the {} primary key", provider.name);
            let may_toggle = can_manage || key.scope == crate::domain::keys::Scope::Personal;
            view! {
                <div class="flex justify-between gap-2">
                    <dt class="text-slate-500">"Primary"</dt>
                    <dd><code class="rounded bg-slate-100 px-1 font-mono text-xs text-slate-800">{key.hint.clone()}</code></dd>
                </div>
                <div class="flex items-center justify-between gap-2">
                    <dt class="text-slate-500">"Status"</dt>
                    <dd><StatusBadge status=key.status enabled=key.enabled/></dd>
                </div>
                <div class="flex justify-between gap-2">
                    <dt class="text-slate-500">"Last validated"</dt>
                    <dd class="text-slate-700">{key.last_validated_at.as_deref().map(readable).unwrap_or_else(|| "Never".to_owned())}</dd>
                </div>
                {may_toggle.then(|| view! {
                    <div class="flex justify-end pt-1">
                        <EnableSwitch id=key.id.clone() enabled=key.enabled name=switch_name/>
                    </div>
                })}
            }
            .into_any()
        }
        (None, true, _) => view! {
            <div class="flex justify-between gap-2">
                <dt class="text-slate-500">"Status"</dt>
                <dd class="font-medium text-emerald-700">"Using platform key"</dd>
            </div>
        }
        .into_any(),
        (None, false, 0) => view! {
            <div class="flex justify-between gap-2">
                <dt class="text-slate-500">"Status"</dt>
                <dd class="font-medium text-slate-700">"Not configured"</dd>
            </div>
            <div class="flex justify-between gap-2">
                <dt class="text-slate-500">"Key format"</dt>
                <dd class="text-xs italic text-slate-500">"for example "<span class="font-mono not-italic">{provider.key_format.example_hint}</span></dd>
            </div>
        }
        .into_any(),
        (None, false, _) => view! {
            <div class="flex justify-between gap-2">
                <dt class="text-slate-500">"Status"</dt>
                <dd class="font-medium text-amber-800">"No primary key"</dd>
            </div>
        }
        .into_any(),
    };
    view! {
        <dl class="mt-4 space-y-1.5 border-t border-slate-100 pt-3 text-sm">
            <div class="flex justify-between gap-2">
                <dt class="text-slate-500">"Keys"</dt>
                <dd class="text-slate-700">{count_text}</dd>
            </div>
            {state}
        </dl>
    }
}
