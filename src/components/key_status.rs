//! A key's health as a badge people can read.

use leptos::prelude::*;

use crate::domain::keys::KeyStatus;

fn status_class(status: KeyStatus) -> &'static str {
    match status {
        KeyStatus::Valid | KeyStatus::ValidRestricted => {
            "bg-emerald-50 text-emerald-800 ring-emerald-200"
        }
        KeyStatus::Unverified | KeyStatus::Unsupported => {
            "bg-slate-100 text-slate-700 ring-slate-200"
        }
        KeyStatus::RateLimited
        | KeyStatus::ProviderDown
        | KeyStatus::NetworkError
        | KeyStatus::NeedsReentry => "bg-amber-50 text-amber-800 ring-amber-200",
        KeyStatus::Invalid | KeyStatus::Expired | KeyStatus::NoCredits | KeyStatus::Forbidden => {
            "bg-red-50 text-red-800 ring-red-200"
        }
    }
}

/// The status, and "Disabled" beside it when the key is switched off.
#[component]
pub fn StatusBadge(status: KeyStatus, enabled: bool) -> impl IntoView {
    view! {
        <span class="inline-flex flex-wrap items-center gap-1">
            <span class=format!("rounded-full px-2 py-0.5 text-xs font-medium ring-1 {}", status_class(status))>
                {status.label()}
            </span>
            {(!enabled).then(|| view! {
                <span class="rounded-full bg-slate-800 px-2 py-0.5 text-xs font-medium text-white">"Disabled"</span>
            })}
        </span>
    }
}
