//! A key's on/off switch: a real switch for assistive technology (`role="switch"`, `aria-checked`),
//! and a plain form that flips it without JavaScript.

use leptos::prelude::*;

use crate::api::keys::SetKeyEnabled;

/// Switches the key `id` on or off. `name` is what it switches ("Use 'Main' (sk-...1111)");
/// `page` is the provider page that confirms the change, if the switch sits on one.
#[component]
pub fn EnableSwitch(
    action: ServerAction<SetKeyEnabled>,
    id: String,
    enabled: bool,
    name: String,
    #[prop(optional)] page: Option<&'static str>,
) -> impl IntoView {
    let (track, knob) = if enabled {
        ("bg-emerald-600", "translate-x-4")
    } else {
        ("bg-slate-300", "translate-x-0")
    };
    view! {
        <ActionForm action>
            <input type="hidden" name="id" value=id/>
            <input type="hidden" name="enabled" value=(!enabled).to_string()/>
            {page.map(|page| view! { <input type="hidden" name="page" value=page/> })}
            <button type="submit" role="switch" aria-checked=enabled.to_string() aria-label=name class="inline-flex items-center gap-2 rounded-md px-1 py-0.5 text-xs font-medium text-slate-700 focus:outline-none focus:ring-2 focus:ring-indigo-500">
                <span aria-hidden="true" class=format!("relative inline-flex h-5 w-9 shrink-0 rounded-full transition-colors {track}")>
                    <span class=format!("absolute left-0.5 top-0.5 h-4 w-4 rounded-full bg-white shadow transition-transform {knob}")></span>
                </span>
                {if enabled { "On" } else { "Off" }}
            </button>
        </ActionForm>
    }
}
