//! The page for addresses that lead nowhere.

use leptos::prelude::*;

use super::layout::PageHeader;

#[component]
fn NothingYet(what: &'static str) -> impl IntoView {
    view! {
        <div class="rounded-lg border border-dashed border-slate-300 bg-white p-8 text-center">
            <p class="text-sm text-slate-600">{what}</p>
            <a href="/hub" class="mt-3 inline-block text-sm font-medium text-indigo-700 hover:underline">
                "Go to the Provider Hub"
            </a>
        </div>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <PageHeader title="Page not found" description="There is nothing at this address."/>
        <NothingYet what="Check the address, or start again from the hub."/>
    }
}
