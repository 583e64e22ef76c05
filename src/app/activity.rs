//! `/activity`: who changed what and when, for admins; filters and pages are query parameters, so
//! they work without JavaScript.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::layout::PageHeader;
use crate::api::activity::{activity, ActivityView};
use crate::api::error::ApiError;
use crate::domain::catalog::PROVIDERS;

const SELECT: &str =
    "mt-1 block w-full rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm";

#[derive(Clone, Debug, PartialEq, Eq)]
struct Filters {
    provider: String,
    actor: String,
    action: String,
    page: i64,
}

impl Filters {
    /// The query string for another page with the same filters.
    fn page_link(&self, page: i64) -> String {
        let encode = |text: &str| {
            text.bytes()
                .map(|b| match b {
                    b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect::<String>()
        };
        format!(
            "/activity?provider={}&actor={}&action={}&page={page}",
            encode(&self.provider),
            encode(&self.actor),
            encode(&self.action)
        )
    }
}

#[component]
pub fn ActivityPage() -> impl IntoView {
    let query = use_query_map();
    let filters = Memo::new(move |_| {
        let query = query.read();
        Filters {
            provider: query.get("provider").unwrap_or_default(),
            actor: query.get("actor").unwrap_or_default(),
            action: query.get("action").unwrap_or_default(),
            page: query.get("page").and_then(|p| p.parse().ok()).unwrap_or(1),
        }
    });
    let log = Resource::new(
        move || filters.get(),
        |f| activity(f.provider, f.actor, f.action, f.page),
    );
    view! {
        <PageHeader title="Activity" description="Every change to keys, members, tokens and policy: who, when, what. Never a secret."/>
        <Transition fallback=|| view! { <p class="text-sm text-slate-500">"Loading activity…"</p> }>
            {move || log.get().map(|result| match result {
                Ok(view) => activity_view(view, filters.get()).into_any(),
                Err(ApiError::Forbidden) => view! {
                    <p class="rounded-lg border border-dashed border-slate-300 bg-white p-6 text-sm text-slate-600">
                        "Only owners and admins see the activity log."
                    </p>
                }.into_any(),
                Err(error) => view! { <p role="alert" class="text-sm text-red-700">{error.to_string()}</p> }.into_any(),
            })}
        </Transition>
    }
}

fn picker(
    name: &'static str,
    label: &'static str,
    chosen: String,
    choices: Vec<(String, String)>,
) -> impl IntoView {
    let id = format!("filter-{name}");
    view! {
        <div>
            <label for=id.clone() class="block text-xs font-medium text-slate-600">{label}</label>
            <select id=id name=name class=SELECT>
                <option value="" selected=chosen.is_empty()>"All"</option>
                {choices.into_iter().map(|(value, text)| {
                    let selected = value == chosen;
                    view! { <option value=value selected=selected>{text}</option> }
                }).collect_view()}
            </select>
        </div>
    }
}

/// What an event's action code did, in words ("changed the role of"); the code is shown beside it
/// for those who filter or script by it.
fn action_words(action: &str) -> &'static str {
    match action {
        "key.created" => "added a key",
        "key.updated" => "edited a key",
        "key.rotated" => "rotated a key",
        "key.enabled" => "enabled a key",
        "key.disabled" => "disabled a key",
        "key.role_changed" => "changed the role of a key",
        "key.deleted" => "deleted a key",
        "key.revealed" => "handed a key to an API client",
        "key.failover" => "moved on to the next key",
        "member.added" => "added a member",
        "member.joined" => "joined through an invite",
        "member.removed" => "removed a member",
        "member.role_changed" => "changed the role of a member",
        "invite.created" => "invited someone",
        "invite.revoked" => "revoked an invite",
        "token.created" => "created an API token",
        "token.revoked" => "revoked an API token",
        "org.policy_changed" => "changed the key policy",
        "expert.created" => "created an expert",
        "expert.updated" => "changed an expert",
        "expert.deleted" => "deleted an expert",
        "assistant.created" => "created an assistant",
        "assistant.updated" => "changed an assistant",
        "assistant.deleted" => "deleted an assistant",
        "org.exported" => "downloaded an encrypted export",
        "org.imported" => "imported the organization from an export",
        "vault.secrets_forgotten" => "wiped every stored secret (the master key was lost)",
        _ => "changed something",
    }
}

/// A cell: a line of its own on phones, a table cell from md up.
const CELL: &str = "block py-0.5 text-slate-600 md:table-cell md:px-4 md:py-2";
/// The column's name before a cell's value, on phones only (the table head says it from md up).
const CELL_LABEL: &str = "text-xs font-medium uppercase tracking-wide text-slate-500 md:hidden";

fn activity_view(view: ActivityView, filters: Filters) -> impl IntoView {
    let providers = PROVIDERS
        .iter()
        .map(|p| (p.id.to_owned(), p.name.to_owned()))
        .collect();
    let actors = view.actors.iter().map(|a| (a.clone(), a.clone())).collect();
    let actions = view
        .actions
        .iter()
        .map(|a| (a.clone(), action_words(a).to_owned()))
        .collect();
    let previous = (view.page > 1).then(|| filters.page_link(view.page - 1));
    let next = view.has_more.then(|| filters.page_link(view.page + 1));
    view! {
        <form method="get" action="/activity" class="mb-4 grid gap-3 rounded-xl border border-slate-200 bg-white p-4 shadow-sm sm:grid-cols-4 sm:items-end">
            {picker("provider", "Provider", filters.provider.clone(), providers)}
            {picker("actor", "Who", filters.actor.clone(), actors)}
            {picker("action", "What", filters.action.clone(), actions)}
            <button type="submit" class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500">"Filter"</button>
        </form>
        {if view.events.is_empty() {
            view! {
                <p class="rounded-lg border border-dashed border-slate-300 bg-white p-6 text-sm text-slate-600">
                    "Nothing recorded that matches. Changes to keys, members, tokens and the policy appear here."
                </p>
            }.into_any()
        } else {
            view! {
                <div class="rounded-xl border border-slate-200 bg-white shadow-sm">
                    // On phones each event is a block of labelled lines; from md up, a table.
                    <table role="table" class="block w-full text-left text-sm md:table">
                        <thead class="hidden bg-slate-50 text-xs uppercase tracking-wide text-slate-500 md:table-header-group">
                            <tr>
                                <th scope="col" class="px-4 py-2">"When"</th>
                                <th scope="col" class="px-4 py-2">"Who"</th>
                                <th scope="col" class="px-4 py-2">"What"</th>
                                <th scope="col" class="px-4 py-2">"Which"</th>
                                <th scope="col" class="px-4 py-2">"Details"</th>
                            </tr>
                        </thead>
                        <tbody role="rowgroup" class="block divide-y divide-slate-100 md:table-row-group">
                            {view.events.into_iter().map(|event| view! {
                                <tr role="row" class="block px-4 py-3 md:table-row md:p-0">
                                    <td role="cell" class=CELL><span class=CELL_LABEL>"When "</span>{event.at}</td>
                                    <td role="cell" class=CELL><span class=CELL_LABEL>"Who "</span><span class="break-all text-slate-900">{event.actor}</span></td>
                                    <td role="cell" class=CELL>
                                        <span class=CELL_LABEL>"What "</span>
                                        <span class="text-slate-900">{action_words(&event.action)}</span>
                                        " "<code class="text-xs text-slate-500">{event.action.clone()}</code>
                                    </td>
                                    <td role="cell" class=CELL><span class=CELL_LABEL>"Which "</span><span class="break-words text-slate-900">{event.target}</span></td>
                                    <td role="cell" class=CELL><span class=CELL_LABEL>"Details "</span>{event.detail}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()
        }}
        <nav aria-label="Pages" class="mt-4 flex justify-between text-sm">
            {previous.map(|href| view! { <a href=href class="font-medium text-indigo-700 hover:underline">"Newer"</a> })}
            <span></span>
            {next.map(|href| view! { <a href=href class="font-medium text-indigo-700 hover:underline">"Older"</a> })}
        </nav>
    }
}
