//! Settings → Key policy: what members may use besides the organization's own keys.

use leptos::prelude::*;

use super::{error_text, CARD};
use crate::api::orgs::{policy, PolicyView, SetPolicy, SetPolicyAction};
use crate::components::form::{FormError, SubmitButton};

#[component]
pub fn PolicySection() -> impl IntoView {
    let save: SetPolicyAction = ServerAction::<SetPolicy>::new();
    let current = Resource::new(|| (), |_| policy());
    let saved = move || matches!(save.value().get(), Some(Ok(())));
    let error = Signal::derive(move || error_text(save.value().get()));
    view! {
        <section aria-labelledby="policy-heading" class=format!("mt-6 {CARD}")>
            <h2 id="policy-heading" class="text-base font-semibold text-slate-900">"Key policy"</h2>
            <p class="mt-1 text-sm text-slate-600">"What members may use besides the organization's own keys."</p>
            <FormError error/>
            <Transition fallback=|| ()>
                {move || {
                    current.get().and_then(Result::ok).map(|view| policy_form(view, save, saved))
                }}
            </Transition>
        </section>
    }
}

fn policy_form(
    view: PolicyView,
    save: SetPolicyAction,
    saved: impl Fn() -> bool + Send + Sync + 'static,
) -> impl IntoView {
    let disabled = !view.can_manage;
    let checkbox = "h-4 w-4 rounded border-slate-300 text-indigo-600 focus:ring-indigo-500";
    view! {
        <ActionForm action=save attr:class="mt-4 space-y-3">
            <label class="flex items-start gap-3 text-sm text-slate-700">
                <input type="checkbox" name="allow_personal_keys" value="on" checked=view.allow_personal_keys disabled=disabled class=checkbox/>
                <span>
                    <span class="font-medium text-slate-900">"Allow personal keys"</span>
                    <span class="block text-slate-600">"Members may add keys of their own, used before the organization's."</span>
                </span>
            </label>
            <label class="flex items-start gap-3 text-sm text-slate-700">
                <input type="checkbox" name="allow_platform_keys" value="on" checked=view.allow_platform_keys disabled=disabled class=checkbox/>
                <span>
                    <span class="font-medium text-slate-900">"Allow platform keys"</span>
                    <span class="block text-slate-600">
                        "Use this instance's keys from the environment for providers the organization has no key for."
                    </span>
                </span>
            </label>
            {if view.can_manage {
                view! {
                    <div class="flex items-center gap-3 pt-1">
                        <div class="w-40">
                            <SubmitButton label="Save policy" busy_label="Saving…"/>
                        </div>
                        <Show when=saved>
                            <p role="status" class="text-sm text-emerald-700">"Policy saved."</p>
                        </Show>
                    </div>
                }
                    .into_any()
            } else {
                view! { <p class="text-sm text-slate-500">"Only owners and admins change the policy."</p> }.into_any()
            }}
        </ActionForm>
    }
}
