//! Settings → API tokens (admins): create one with scopes and a lifetime, see it once, list and
//! revoke them.

use leptos::prelude::*;

use super::{error_text, ShownOnce, CARD, DANGER_BUTTON, SELECT};
use crate::api::error::ApiError;
use crate::api::tokens::{tokens, CreateToken, RevokeToken, TokenInfo, TokensView};
use crate::components::form::{
    action_entered, action_errors, Field, FormError, SubmitButton, FORM,
};
use crate::domain::accounts::{TokenScope, TOKEN_LIFETIMES};
use crate::domain::time::{utc_date, utc_minute};

#[component]
pub fn TokensSection() -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let list = Resource::new(|| (), |_| tokens());
    view! {
        <Transition fallback=|| ()>
            {move || {
                // Members get `Forbidden`: the section is for admins only.
                list.get().and_then(Result::ok).map(|view| tokens_section(view, create, revoke))
            }}
        </Transition>
    }
}

fn tokens_section(
    view: TokensView,
    create: ServerAction<CreateToken>,
    revoke: ServerAction<RevokeToken>,
) -> impl IntoView {
    let new_token = move || match create.value().get() {
        Some(Ok(Some(created))) => Some(created.token),
        _ => view.just_created.clone().map(|created| created.token),
    };
    let tokens = view.tokens;
    view! {
        <section aria-labelledby="tokens-heading" class=format!("mt-6 {CARD}")>
            <h2 id="tokens-heading" class="text-base font-semibold text-slate-900">"API tokens"</h2>
            <p class="mt-1 text-sm text-slate-600">
                "Services call the KeyHub API with a token (" <code>"Authorization: Bearer kh_…"</code>
                "). A token works only in this organization and only for its scopes."
            </p>
            {move || new_token().map(|token| view! {
                <div class="mt-4">
                    <ShownOnce
                        label="Your new API token"
                        value=token
                        note="Copy it now and store it in your service's secret store. KeyHub keeps only a hash: it cannot show it again."
                    />
                </div>
            })}
            <FormError error=Signal::derive(move || error_text(revoke.value().get()))/>
            {if tokens.is_empty() {
                view! { <p class="mt-4 text-sm text-slate-500">"No tokens yet. Create one below for each service that calls KeyHub."</p> }.into_any()
            } else {
                tokens_table(tokens, revoke).into_any()
            }}
            <CreateTokenForm create/>
        </section>
    }
}

/// A cell: a line of its own on phones, a table cell from lg up.
const CELL: &str = "block py-0.5 text-slate-700 lg:table-cell lg:py-2 lg:pr-4";
/// The column's name before a cell's value, on phones only (the table head says it from lg up).
const CELL_LABEL: &str = "text-xs font-medium uppercase tracking-wide text-slate-500 lg:hidden";

fn tokens_table(tokens: Vec<TokenInfo>, revoke: ServerAction<RevokeToken>) -> impl IntoView {
    view! {
        <div class="mt-4">
            // On phones each token is a block of labelled lines; from lg up, a table.
            <table role="table" class="block w-full text-left text-sm lg:table">
                <thead class="hidden text-xs uppercase tracking-wide text-slate-500 lg:table-header-group">
                    <tr>
                        <th scope="col" class="py-2 pr-4">"Name"</th>
                        <th scope="col" class="py-2 pr-4">"Token"</th>
                        <th scope="col" class="py-2 pr-4">"Scopes"</th>
                        <th scope="col" class="py-2 pr-4">"Created"</th>
                        <th scope="col" class="py-2 pr-4">"Last used"</th>
                        <th scope="col" class="py-2 pr-4">"Status"</th>
                        <th scope="col" class="py-2 text-right">"Actions"</th>
                    </tr>
                </thead>
                <tbody role="rowgroup" class="block divide-y divide-slate-100 lg:table-row-group">
                    {tokens.into_iter().map(|token| token_row(token, revoke)).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

fn token_row(token: TokenInfo, revoke: ServerAction<RevokeToken>) -> impl IntoView {
    let (status, badge) = if token.revoked {
        ("Revoked".to_owned(), "bg-slate-100 text-slate-600")
    } else if token.expired {
        ("Expired".to_owned(), "bg-amber-100 text-amber-800")
    } else {
        let until = token
            .expires_at
            .map(|at| format!("Active until {}", utc_date(at)))
            .unwrap_or_else(|| "Active, no expiry".to_owned());
        (until, "bg-emerald-100 text-emerald-800")
    };
    let created = match &token.created_by {
        Some(by) => format!("{} by {by}", utc_date(token.created_at)),
        None => format!("{} from the command line", utc_date(token.created_at)),
    };
    let live = !token.revoked && !token.expired;
    let revoke_label = format!("Revoke token {}", token.name);
    view! {
        <tr role="row" class="block py-3 lg:table-row lg:py-0">
            <td role="cell" class="block break-all py-0.5 font-medium text-slate-900 lg:table-cell lg:py-2 lg:pr-4">{token.name}</td>
            <td role="cell" class=CELL><span class=CELL_LABEL>"Token "</span><span class="font-mono text-xs">{format!("{}…", token.prefix)}</span></td>
            <td role="cell" class=CELL><span class=CELL_LABEL>"Scopes "</span>{token.scopes.join(", ")}</td>
            <td role="cell" class=CELL><span class=CELL_LABEL>"Created "</span><span class="break-words">{created}</span></td>
            <td role="cell" class=CELL>
                <span class=CELL_LABEL>"Last used "</span>
                {token.last_used_at.map(utc_minute).unwrap_or_else(|| "Never".to_owned())}
            </td>
            <td role="cell" class=CELL>
                <span class=format!("rounded-full px-2 py-0.5 text-xs font-medium {badge}")>{status}</span>
            </td>
            <td role="cell" class="block py-1 lg:table-cell lg:py-2 lg:text-right">
                {live.then(|| view! {
                    <ActionForm action=revoke>
                        <input type="hidden" name="id" value=token.id/>
                        <button type="submit" class=DANGER_BUTTON aria-label=revoke_label>"Revoke"</button>
                    </ActionForm>
                })}
            </td>
        </tr>
    }
}

#[component]
fn CreateTokenForm(create: ServerAction<CreateToken>) -> impl IntoView {
    let value = Signal::derive(move || {
        create
            .value()
            .get()
            .map(|result: Result<_, ApiError>| result.map(|_| ()))
    });
    let error = action_errors(value);
    // Without JavaScript a refused form comes back with its name (scopes and lifetime are not
    // taken from a URL: see `keeping`).
    let entered = action_entered(value);
    let checkbox = "mt-0.5 h-4 w-4 rounded border-slate-300 text-indigo-600 focus:ring-indigo-500";
    view! {
        <div class="mt-6 border-t border-slate-100 pt-6">
            <h3 id="create-token-heading" class="text-sm font-semibold text-slate-900">"Create a token"</h3>
            <ActionForm action=create attr:class="mt-3 space-y-4" attr:novalidate=true attr:aria-labelledby="create-token-heading">
                <FormError error=error(FORM)/>
                <div class="grid gap-4 sm:grid-cols-2">
                    <Field label="Token name" name="name" placeholder="billing-service" hint="Who uses it, so you know what breaks when you revoke it." value=entered("name").unwrap_or_default() error=error("name")/>
                    <div>
                        <label for="field-expires" class="block text-sm font-medium text-slate-700">"Expires"</label>
                        <select id="field-expires" name="expires" class=format!("{SELECT} mt-1 block w-full py-2")>
                            {TOKEN_LIFETIMES
                                .iter()
                                .map(|(days, label)| {
                                    let value = days.map(|d| d.to_string()).unwrap_or_else(|| "never".to_owned());
                                    view! { <option value=value selected=*days == Some(90)>{*label}</option> }
                                })
                                .collect_view()}
                        </select>
                        <p class="mt-1 text-sm text-red-700" role="alert">{move || error("expires").get()}</p>
                    </div>
                </div>
                <fieldset aria-describedby="field-scopes-error">
                    <legend class="text-sm font-medium text-slate-700">"Scopes"</legend>
                    <div class="mt-2 grid gap-2 sm:grid-cols-2">
                        {TokenScope::ALL
                            .iter()
                            .map(|scope| view! {
                                <label class="flex items-start gap-3 text-sm text-slate-700">
                                    <input type="checkbox" name=scope.field() value="on" checked=*scope == TokenScope::KeysRead class=checkbox/>
                                    <span>
                                        <code class="font-medium text-slate-900">{scope.as_str()}</code>
                                        <span class="block text-slate-600">{scope.description()}</span>
                                    </span>
                                </label>
                            })
                            .collect_view()}
                    </div>
                    <p id="field-scopes-error" class="mt-1 text-sm text-red-700" role="alert">{move || error("scopes").get()}</p>
                </fieldset>
                <div class="sm:w-56">
                    <SubmitButton label="Create token" busy_label="Creating…"/>
                </div>
            </ActionForm>
        </div>
    }
}
