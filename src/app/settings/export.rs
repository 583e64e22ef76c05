//! The owners' export download: the organization in the format `keyhub export` writes.

use leptos::prelude::*;

use super::CARD;

/// A plain form (no server function): the answer is the file itself, so it works the same with
/// and without JavaScript.
#[component]
pub fn ExportSection() -> impl IntoView {
    view! {
        <section aria-labelledby="export-heading" class=format!("{CARD} mt-6")>
            <h2 id="export-heading" class="text-base font-semibold text-slate-900">"Export"</h2>
            <p class="mt-1 text-sm text-slate-600">
                "Download this organization — its keys with their secrets, policy, members and experts — as one file encrypted under a passphrase you choose. An operator imports it into another KeyHub with keyhub import. Members' personal keys stay out: only their owners see them."
            </p>
            <form method="post" action="/settings/export" class="mt-4 flex flex-wrap items-end gap-3">
                <div class="min-w-0 flex-1">
                    <label for="field-passphrase" class="block text-sm font-medium text-slate-700">"Passphrase"</label>
                    <input id="field-passphrase" name="passphrase" type="password" required=true minlength="12" autocomplete="new-password" aria-describedby="field-passphrase-hint" class="mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/30"/>
                    <p id="field-passphrase-hint" class="mt-1 text-xs text-slate-500">"At least 12 characters. Whoever has the file and the passphrase has every key: keep them apart."</p>
                </div>
                <button type="submit" class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500 focus:ring-offset-2">"Download export"</button>
            </form>
        </section>
    }
}
