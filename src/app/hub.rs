use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::layout::PageHeader;
use crate::components::category_tabs::CategoryTabs;
use crate::components::provider_card::ProviderCard;
use crate::domain::catalog::{providers_in, Category};

/// `/hub`: the provider catalog as cards, filtered by `?category=` (a plain link, so the tabs work
/// without JavaScript; with it, the router swaps the cards without a page load).
#[component]
pub fn HubPage() -> impl IntoView {
    let query = use_query_map();
    let category = Memo::new(move |_| {
        query
            .read()
            .get("category")
            .and_then(|value| Category::parse(&value))
    });
    let providers = move || providers_in(category.get()).collect::<Vec<_>>();
    view! {
        <PageHeader
            title="Provider Hub"
            description="Bring your own keys for AI providers. Keys are encrypted at rest, shown only as masked hints, and checked with the provider."
        />
        <CategoryTabs selected=category/>
        <ul role="list" aria-label="Providers" class="mt-6 grid gap-4 sm:grid-cols-2 xl:grid-cols-3">
            <For
                each=providers
                key=|provider| provider.id
                let:provider
            >
                <li class="flex">
                    <ProviderCard provider/>
                </li>
            </For>
        </ul>
    }
}
