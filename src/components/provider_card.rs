use leptos::prelude::*;

use crate::domain::catalog::{Category, Provider, Validation};

fn category_badge_class(category: Category) -> &'static str {
    match category {
        Category::Llm => "rounded-full bg-indigo-50 px-2 py-0.5 text-xs font-medium text-indigo-700 ring-1 ring-indigo-200",
        Category::Voice => "rounded-full bg-emerald-50 px-2 py-0.5 text-xs font-medium text-emerald-700 ring-1 ring-emerald-200",
        Category::Image => "rounded-full bg-amber-50 px-2 py-0.5 text-xs font-medium text-amber-800 ring-1 ring-amber-200",
    }
}

/// One provider of the catalog: what it is, what it serves, how its keys look and where to get one.
#[component]
pub fn ProviderCard(provider: &'static Provider) -> impl IntoView {
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
            <dl class="mt-4 space-y-1 border-t border-slate-100 pt-3 text-sm">
                <div class="flex justify-between gap-2">
                    <dt class="text-slate-500">"Status"</dt>
                    <dd class="font-medium text-slate-700">"Not configured"</dd>
                </div>
                <div class="flex justify-between gap-2">
                    <dt class="text-slate-500">"Keys look like"</dt>
                    <dd>
                        <code class="rounded bg-slate-100 px-1 font-mono text-xs text-slate-700">
                            {provider.key_format.example_hint}
                        </code>
                    </dd>
                </div>
            </dl>
            <a
                href=provider.get_key.url
                target="_blank"
                rel="noopener noreferrer"
                class="mt-auto pt-4 text-sm font-medium text-indigo-700 hover:underline"
            >
                {format!("Get a key from {}", provider.name)}
                <span class="sr-only">" (opens the provider's site in a new tab)"</span>
            </a>
        </article>
    }
}
