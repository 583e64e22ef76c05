//! A key's on/off switch: a real switch for assistive technology (`role="switch"`, `aria-checked`),
//! and a plain form that flips it without JavaScript.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use crate::api::keys::SetKeyEnabled;

/// Switches the key `id` on or off. `name` is what it switches ("Use 'Main' (sk-...1111)");
/// `page` is the provider page that confirms the change, if the switch sits on one. A plain form
/// (switches are never inside an island): the answer is the next page.
#[component]
pub fn EnableSwitch(
    id: String,
    enabled: bool,
    name: String,
    #[prop(optional)] page: Option<&'static str>,
) -> impl IntoView {
    view! {
        <form action=SetKeyEnabled::url() method="post">
            <input type="hidden" name="id" value=id/>
            <input type="hidden" name="enabled" value=(!enabled).to_string()/>
            {page.map(|page| view! { <input type="hidden" name="page" value=page/> })}
            <button type="submit" role="switch" aria-checked=enabled.to_string() aria-label=name class="switch">
                <span aria-hidden="true" class="switch-track">
                    <span class="switch-knob"></span>
                </span>
                {if enabled { "On" } else { "Off" }}
            </button>
        </form>
    }
}
