//! A key's health as a badge people can read.

use leptos::prelude::*;

use crate::domain::keys::KeyStatus;

/// The badge's colour (see `.badge-*` in style/tailwind.css): fine, not judged, passing trouble,
/// broken.
fn status_class(status: KeyStatus) -> &'static str {
    match status {
        KeyStatus::Valid | KeyStatus::ValidRestricted => "badge badge-good",
        KeyStatus::Unverified | KeyStatus::Unsupported => "badge badge-unknown",
        KeyStatus::RateLimited
        | KeyStatus::ProviderDown
        | KeyStatus::NetworkError
        | KeyStatus::NeedsReentry => "badge badge-warn",
        KeyStatus::Invalid | KeyStatus::Expired | KeyStatus::NoCredits | KeyStatus::Forbidden => {
            "badge badge-bad"
        }
    }
}

/// The status, and "Disabled" beside it when the key is switched off.
#[component]
pub fn StatusBadge(status: KeyStatus, enabled: bool) -> impl IntoView {
    view! {
        <span class="badges">
            <span class=status_class(status)>{status.label()}</span>
            {(!enabled).then(|| view! { <span class="badge badge-off">"Disabled"</span> })}
        </span>
    }
}
