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

fn activity_view(view: ActivityView, filters: Filters) -> impl IntoView {
    let providers = PROVIDERS
        .iter()
        .map(|p| (p.id.to_owned(), p.name.to_owned()))
        .collect();
    let actors = view.actors.iter().map(|a| (a.clone(), a.clone())).collect();
    let actions = view
        .actions
        .iter()
        .map(|a| (a.clone(), a.clone()))
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
                <div class="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm">
                    <table class="w-full text-left text-sm">
                        <thead class="bg-slate-50 text-xs uppercase tracking-wide text-slate-500">
                            <tr>
                                <th scope="col" class="px-4 py-2">"When"</th>
                                <th scope="col" class="px-4 py-2">"Who"</th>
                                <th scope="col" class="px-4 py-2">"What"</th>
                                <th scope="col" class="px-4 py-2">"Which"</th>
                                <th scope="col" class="px-4 py-2">"Details"</th>
                            </tr>
                        </thead>
                        <tbody class="divide-y divide-slate-100">
                            {view.events.into_iter().map(|event| view! {
                                <tr>
                                    <td class="whitespace-nowrap px-4 py-2 text-slate-600">{event.at}</td>
                                    <td class="px-4 py-2 text-slate-900">{event.actor}</td>
                                    <td class="px-4 py-2"><code class="text-xs text-slate-800">{event.action}</code></td>
                                    <td class="px-4 py-2 text-slate-900">{event.target}</td>
                                    <td class="px-4 py-2 text-slate-600">{event.detail}</td>
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
