//! `/hub`: the provider catalog as cards with each provider's keys.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::layout::PageHeader;
use crate::api::keys::{hub_data, SetKeyEnabled};
use crate::components::category_tabs::CategoryTabs;
use crate::components::provider_card::ProviderCard;
use crate::domain::catalog::{providers_in, Category, Provider};

/// Whether a provider matches the search words (name, id, category or what it serves).
pub(super) fn matches(provider: &Provider, search: &str) -> bool {
    let search = search.trim().to_lowercase();
    search.is_empty()
        || provider.name.to_lowercase().contains(&search)
        || provider.id.contains(&search)
        || provider.category.label().to_lowercase().contains(&search)
        || provider
            .modalities
            .iter()
            .any(|m| m.label().to_lowercase().contains(&search))
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
    let search = Memo::new(move |_| query.read().get("q").unwrap_or_default());
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
                    let providers: Vec<_> = providers_in(category.get())
                        .filter(|p| matches(p, &search.get()))
                        .collect();
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
