//! `/hub`: the provider catalog as cards with each provider's keys.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::layout::PageHeader;
use crate::api::keys::{hub_data, SetKeyEnabled};
use crate::components::category_tabs::CategoryTabs;
use crate::components::provider_card::ProviderCard;
use crate::domain::catalog::{provider, providers_in, Category, Provider, PROVIDERS};

/// Whether a provider matches the search: its name, id, description, category, what it serves
/// (and what people call that: "speech") or another name it goes by ("claude").
pub(super) fn matches(provider: &Provider, search: &str) -> bool {
    let search = search.trim().to_lowercase();
    let has = |text: &str| text.to_lowercase().contains(&search);
    search.is_empty()
        || has(provider.name)
        || has(provider.id)
        || has(provider.summary)
        || has(provider.category.label())
        || provider.modalities.iter().any(|m| has(m.search_words()))
        || provider.aliases().iter().any(|alias| has(alias))
}

/// Filtered by `?category=` and `?q=`: plain links and a GET form, so the tabs and the search work
/// without JavaScript; with it, the router swaps the cards without a page load.
#[component]
pub fn HubPage() -> impl IntoView {
    let query = use_query_map();
    let category = Memo::new(move |_| {
        query
            .read()
            .get("category")
            .and_then(|value| Category::parse(&value))
    });
    let submitted = Memo::new(move |_| query.read().get("q").unwrap_or_default());
    // With JavaScript the cards filter as you type; Enter (or no JavaScript) submits `?q=`.
    let typed = RwSignal::new(None::<String>);
    Effect::watch(
        move || submitted.get(),
        move |_, _, _| typed.set(None),
        false,
    );
    let search = Signal::derive(move || typed.get().unwrap_or_else(|| submitted.get()));
    let toggle = ServerAction::<SetKeyEnabled>::new();
    let data = Resource::new(move || toggle.version().get(), |_| hub_data());
    view! {
        <PageHeader
            title="Provider Hub"
            description="Bring your own keys for AI providers. Keys are encrypted at rest, shown only as masked hints, and checked with the provider."
        />
        <div class="flex flex-wrap items-center justify-between gap-3">
            <CategoryTabs selected=category/>
            <form method="get" action="/hub" role="search" class="flex items-center gap-2">
                {move || category.get().map(|c| view! { <input type="hidden" name="category" value=c.id()/> })}
                <label for="hub-search" class="sr-only">"Search providers"</label>
                <input
                    id="hub-search"
                    type="search"
                    name="q"
                    prop:value=move || search.get()
                    on:input=move |event| typed.set(Some(event_target_value(&event)))
                    placeholder="Search providers"
                    class="w-56 rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/30"
                />
                <button type="submit" class="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-50">
                    "Search"
                </button>
            </form>
        </div>
        <Transition fallback=|| view! { <p class="mt-6 text-sm text-slate-500">"Loading keys…"</p> }>
            {move || {
                data.get().map(|result| {
                    let (cards, can_manage) = match result {
                        Ok(hub) => (hub.cards, hub.can_manage),
                        Err(_) => (Vec::new(), false),
                    };
                    let configured = |p: &Provider| {
                        cards.iter().any(|c| c.provider == p.id && (c.key_count > 0 || c.platform_key))
                    };
                    let no_keys_yet = !PROVIDERS.iter().any(configured);
                    // Configured providers first, each group in the catalog's order.
                    let mut providers: Vec<_> = providers_in(category.get())
                        .filter(|p| matches(p, &search.get()))
                        .collect();
                    providers.sort_by_key(|p| !configured(p));
                    let first_steps = no_keys_yet.then(|| first_key(can_manage));
                    if providers.is_empty() {
                        return view! {
                            <p class="mt-6 rounded-lg border border-dashed border-slate-300 p-6 text-sm text-slate-600">
                                "No provider matches your search. Try another word, or "
                                <a href="/hub" class="font-medium text-indigo-700 hover:underline">"show all providers"</a>"."
                            </p>
                        }
                        .into_any();
                    }
                    view! {
                        {first_steps}
                        <ul role="list" aria-label="Providers" class="mt-6 grid gap-4 sm:grid-cols-2 xl:grid-cols-3">
                            {providers
                                .into_iter()
                                .map(|provider| {
                                    let card = cards.iter().find(|c| c.provider == provider.id).cloned();
                                    view! {
                                        <li class="flex">
                                            <ProviderCard provider data=card can_manage toggle/>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                    .into_any()
                })
            }}
        </Transition>
    }
}

/// The providers most teams start with, offered first in the empty hub.
const STARTERS: [&str; 3] = ["openai", "anthropic", "google"];

/// The hub before the org has any key: what to do first.
fn first_key(can_manage: bool) -> impl IntoView {
    let starters = STARTERS.iter().filter_map(|id| provider(id)).map(|p| {
        view! {
            <li>
                <a href=format!("/hub/add?provider={}", p.id) class="inline-flex rounded-md border border-indigo-200 bg-white px-3 py-1.5 text-sm font-medium text-indigo-700 hover:bg-indigo-50 focus:outline-none focus:ring-2 focus:ring-indigo-500">
                    {p.name}
                </a>
            </li>
        }
    });
    view! {
        <section aria-labelledby="first-key-heading" class="mt-6 rounded-xl border border-indigo-200 bg-indigo-50/60 p-5">
            <h2 id="first-key-heading" class="text-base font-semibold text-slate-900">"No keys yet"</h2>
            {if can_manage {
                view! {
                    <p class="mt-1 max-w-2xl text-sm text-slate-700">
                        "Add your organization's first key: it is checked with the provider, encrypted, and from then on shown only as a hint. Experts and assistants then pick it up."
                    </p>
                    <div class="mt-4 flex flex-wrap items-center gap-3">
                        <a href="/hub/add" class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500 focus:ring-offset-2">
                            "Add your first key"
                        </a>
                        <span class="text-sm text-slate-600">"or start with"</span>
                        <ul role="list" aria-label="Most used providers" class="flex flex-wrap gap-2">{starters.collect_view()}</ul>
                    </div>
                }
                .into_any()
            } else {
                view! {
                    <p class="mt-1 max-w-2xl text-sm text-slate-700">
                        "Your admins have not added keys yet. Ask one of them, or add a personal key of your own where your organization allows it."
                    </p>
                }
                .into_any()
            }}
        </section>
    }
}
