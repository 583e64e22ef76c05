//! `/hub`: the provider catalog as cards with each provider's keys.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::fragments;
use super::layout::PageHeader;
use crate::api::keys::hub_data;
use crate::components::category_tabs::CategoryTabs;
use crate::components::provider_card::ProviderCard;
use crate::domain::catalog::{provider, Category, Provider, PROVIDERS};

/// What a search looks through: a provider's name, id, description, category, what it serves
/// (and what people call that: "speech") and other names it goes by ("claude"), in lower case.
fn search_text(provider: &Provider) -> String {
    let modalities = provider.modalities.iter().map(|m| m.search_words());
    [
        provider.name,
        provider.id,
        provider.summary,
        provider.category.label(),
    ]
    .into_iter()
    .chain(modalities)
    .chain(provider.aliases().iter().copied())
    .collect::<Vec<_>>()
    .join("\n")
    .to_lowercase()
}

/// A search as [`search_text`] is looked through: trimmed, in lower case.
fn normalized(search: &str) -> String {
    search.trim().to_lowercase()
}

/// Whether a provider matches the search.
pub(super) fn matches(provider: &Provider, search: &str) -> bool {
    search_text(provider).contains(&normalized(search))
}

/// Filtered by `?category=` and `?q=`: plain links and a GET form, so the tabs and the search work
/// without JavaScript. Every card is on the page, those filtered out `hidden`, so that with
/// JavaScript the tabs and the search filter them in place ([`HubFilter`]).
#[component]
pub fn HubPage() -> impl IntoView {
    let query = use_query_map();
    let (category, search) = query.with_untracked(|query| {
        let category = query
            .get("category")
            .and_then(|value| Category::parse(&value));
        (category, query.get("q").unwrap_or_default())
    });
    let data = Resource::new(|| (), |_| hub_data());
    view! {
        <PageHeader
            title="Provider Hub"
            description="Bring your own keys for AI providers. Keys are encrypted at rest, shown only as masked hints, and checked with the provider."
        />
        <Suspense fallback=|| view! { <p class="mt-6 text-sm text-slate-500">"Loading keys…"</p> }>
            {move || {
                let (search, needle) = (search.clone(), normalized(&search));
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
                    let mut providers: Vec<_> = PROVIDERS.iter().collect();
                    providers.sort_by_key(|p| !configured(p));
                    let mut matching = 0;
                    let items = providers
                        .into_iter()
                        .map(|provider| {
                            let card = cards.iter().find(|c| c.provider == provider.id).cloned();
                            let text = search_text(provider);
                            let shown = category.is_none_or(|c| c == provider.category)
                                && text.contains(&needle);
                            matching += usize::from(shown);
                            // A card shows only its data: drawn once, copied while it stays.
                            let data = ("hub::ProviderCard", provider.id, &card, can_manage);
                            let drawn = fragments::html(&data, || {
                                view! { <ProviderCard provider data=card.clone() can_manage/> }.to_html()
                            });
                            view! {
                                <li class="flex" data-category=provider.category.id() data-search=text hidden=!shown inner_html=drawn></li>
                            }
                        })
                        .collect_view();
                    view! {
                        <HubFilter category=category.map(|c| c.id().to_owned()) search=search.clone() matching>
                            {no_keys_yet.then(|| first_key(can_manage))}
                            <ul role="list" aria-label="Providers" class="mt-6 grid gap-4 sm:grid-cols-2 xl:grid-cols-3">
                                {items}
                            </ul>
                        </HubFilter>
                    }
                })
            }}
        </Suspense>
    }
}

/// The tabs and the search above the cards (its children). With JavaScript they filter the cards
/// in place, by the `data-category` and `data-search` of each `li`, and keep the address in step.
#[island]
fn HubFilter(
    category: Option<String>,
    search: String,
    /// How many cards the server left visible.
    matching: usize,
    children: Children,
) -> impl IntoView {
    let category = RwSignal::new(category.as_deref().and_then(Category::parse));
    let search = RwSignal::new(search);
    let matching = RwSignal::new(matching);
    let cards = NodeRef::<leptos::html::Div>::new();
    Effect::new(move || {
        let (category, search) = (category.get(), search.get());
        if let Some(cards) = cards.get() {
            matching.set(filter_cards(&cards, category, &search));
        }
    });
    Effect::new(move || {
        crate::components::browser::listen(&window(), "popstate", move |_| {
            let (at, searched) = filter_in_address();
            category.set(at);
            search.set(searched);
        });
    });
    let pick_tab = move |event: leptos::ev::MouseEvent| {
        use leptos::wasm_bindgen::JsCast;
        let modified = event.button() != 0
            || event.ctrl_key()
            || event.meta_key()
            || event.shift_key()
            || event.alt_key();
        let link = event
            .target()
            .and_then(|target| target.dyn_into::<leptos::web_sys::Element>().ok())
            .and_then(|element| element.closest("a[data-category]").ok().flatten());
        if let (false, Some(link)) = (modified, link) {
            event.prevent_default();
            let picked = link.get_attribute("data-category").unwrap_or_default();
            category.set(Category::parse(&picked));
            search.set(String::new());
            show_address(&link.get_attribute("href").unwrap_or_default());
        }
    };
    let submit_search = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Ok(query) = leptos::web_sys::UrlSearchParams::new() else {
            return;
        };
        if let Some(category) = category.get_untracked() {
            query.append("category", category.id());
        }
        let searched = search.get_untracked();
        if !searched.is_empty() {
            query.append("q", &searched);
        }
        let query = String::from(query.to_string());
        show_address(&if query.is_empty() {
            "/hub".to_owned()
        } else {
            format!("/hub?{query}")
        });
    };
    view! {
        <div class="flex flex-wrap items-center justify-between gap-3">
            <div on:click=pick_tab>
                <CategoryTabs selected=category/>
            </div>
            <form method="get" action="/hub" role="search" class="flex items-center gap-2" on:submit=submit_search>
                {move || category.get().map(|c| view! { <input type="hidden" name="category" value=c.id()/> })}
                <label for="hub-search" class="sr-only">"Search providers"</label>
                <input
                    id="hub-search"
                    type="search"
                    name="q"
                    prop:value=move || search.get()
                    on:input=move |event| search.set(event_target_value(&event))
                    placeholder="Search providers"
                    class="w-56 rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/30"
                />
                <button type="submit" class="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-50">
                    "Search"
                </button>
            </form>
        </div>
        <div node_ref=cards>{children()}</div>
        <p hidden=move || { matching.get() > 0 } class="mt-6 rounded-lg border border-dashed border-slate-300 p-6 text-sm text-slate-600">
            "No provider matches your search. Try another word, or "
            <a href="/hub" class="font-medium text-indigo-700 hover:underline">"show all providers"</a>"."
        </p>
    }
}

/// Shows the cards of `category` that match `search` and hides the others; returns how many show.
fn filter_cards(
    cards: &leptos::web_sys::HtmlDivElement,
    category: Option<Category>,
    search: &str,
) -> usize {
    use leptos::wasm_bindgen::JsCast;
    let Ok(items) = cards.query_selector_all("li[data-category]") else {
        return 0;
    };
    let needle = normalized(search);
    let mut shown = 0;
    for index in 0..items.length() {
        let Some(item) = items
            .item(index)
            .and_then(|node| node.dyn_into::<leptos::web_sys::Element>().ok())
        else {
            continue;
        };
        let in_category =
            category.is_none_or(|c| item.get_attribute("data-category").as_deref() == Some(c.id()));
        let show = in_category
            && item
                .get_attribute("data-search")
                .unwrap_or_default()
                .contains(&needle);
        let _ = item.toggle_attribute_with_force("hidden", !show);
        shown += usize::from(show);
    }
    shown
}

/// The category and search in the browser's address now.
fn filter_in_address() -> (Option<Category>, String) {
    let query = window().location().search().unwrap_or_default();
    let Ok(params) = leptos::web_sys::UrlSearchParams::new_with_str(&query) else {
        return (None, String::new());
    };
    let category = params
        .get("category")
        .and_then(|value| Category::parse(&value));
    (category, params.get("q").unwrap_or_default())
}

/// Puts `address` in the browser's address bar and history, without loading it.
fn show_address(address: &str) {
    if let Ok(history) = window().history() {
        let _ =
            history.push_state_with_url(&leptos::wasm_bindgen::JsValue::NULL, "", Some(address));
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
