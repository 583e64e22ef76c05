use leptos::prelude::*;
use leptos_router::components::{Outlet, A};

use crate::api::auth::{viewer, Logout, LogoutAction, ViewerInfo};
use crate::api::error::ApiError;
use crate::api::orgs::{SwitchOrg, SwitchOrgAction};

/// The sections: path, name, what it is for, and whether only owners and admins may open it.
const NAV: &[(&str, &str, &str, bool)] = &[
    ("/hub", "Provider Hub", "Keys for every AI provider", false),
    ("/experts", "Experts", "Which key each expert uses", false),
    ("/assistants", "Assistants", "Keys for assistants", false),
    ("/activity", "Activity", "Who changed what", true),
    (
        "/settings",
        "Settings",
        "Policy, members, API tokens",
        false,
    ),
];

/// The frame of every signed-in page: a sidebar with the sections (members are not offered those
/// only admins may open), a header with the viewer and their org, and the page below.
#[component]
pub fn Layout() -> impl IntoView {
    let switch: SwitchOrgAction = ServerAction::<SwitchOrg>::new();
    let viewer = Resource::new(|| (), |_| viewer());
    let is_admin = move || {
        viewer
            .get()
            .and_then(Result::ok)
            .flatten()
            .is_some_and(|viewer| viewer.role.is_admin())
    };
    view! {
        <a href="#main" class="sr-only focus:not-sr-only focus:absolute focus:left-4 focus:top-4 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2 focus:shadow">
            "Skip to content"
        </a>
        <div class="min-h-screen md:flex">
            <aside class="border-b border-slate-800 bg-slate-900 text-slate-100 md:sticky md:top-0 md:h-screen md:w-64 md:shrink-0 md:border-b-0">
                <div class="flex items-center gap-2 px-5 py-4">
                    <span aria-hidden="true" class="grid h-8 w-8 place-items-center rounded-lg bg-indigo-500 font-bold text-white">
                        "K"
                    </span>
                    <span class="text-lg font-semibold tracking-tight">"KeyHub"</span>
                </div>
                <nav aria-label="Sections" class="px-3 pb-4">
                    <ul class="flex flex-wrap gap-1 md:flex-col md:flex-nowrap">
                        <Transition fallback=|| ()>
                        {move || NAV
                            .iter()
                            .filter(|(.., admins_only)| !admins_only || is_admin())
                            .map(|(href, label, description, _)| {
                                view! {
                                    <li>
                                        <A
                                            href=*href
                                            attr:class="group block whitespace-nowrap rounded-md px-3 py-2 text-sm text-slate-300 hover:bg-slate-800 hover:text-white aria-[current=page]:bg-slate-800 aria-[current=page]:text-white"
                                        >
                                            <span class="block font-medium">{*label}</span>
                                            <span class="hidden text-xs text-slate-400 md:block">
                                                {*description}
                                            </span>
                                        </A>
                                    </li>
                                }
                            })
                            .collect_view()}
                        </Transition>
                    </ul>
                </nav>
            </aside>
            <div class="flex min-w-0 flex-1 flex-col">
                <header class="flex flex-wrap items-center justify-between gap-3 border-b border-slate-200 bg-white px-4 py-3 sm:px-6">
                    <p class="text-sm text-slate-500">
                        "Provider keys, encrypted at rest and shown only as hints"
                    </p>
                    <ViewerMenu viewer switch/>
                </header>
                <main id="main" class="mx-auto w-full min-w-0 max-w-6xl flex-1 px-4 py-6 sm:px-6 sm:py-8">
                    <Outlet/>
                </main>
            </div>
        </div>
    }
}

/// Who is signed in, in which org, and the way out.
#[component]
fn ViewerMenu(
    viewer: Resource<Result<Option<ViewerInfo>, ApiError>>,
    switch: SwitchOrgAction,
) -> impl IntoView {
    let logout: LogoutAction = ServerAction::<Logout>::new();
    view! {
        <Transition fallback=|| ()>
            {move || {
                viewer
                    .get()
                    .and_then(Result::ok)
                    .flatten()
                    .map(|viewer| {
                        let switcher = (viewer.orgs.len() > 1)
                            .then(|| org_switcher(switch, &viewer.org_slug, viewer.orgs.clone()));
                        view! {
                            <div class="flex min-w-0 flex-wrap items-center gap-x-4 gap-y-2 text-sm">
                                {switcher}
                                <div class="text-right">
                                    <a
                                        href="/profile"
                                        class="font-medium text-slate-900 hover:underline"
                                        data-testid="viewer-email"
                                    >
                                        {viewer.email}
                                    </a>
                                    <p class="text-xs text-slate-500">
                                        {format!("{} · {}", viewer.org_name, viewer.role.label())}
                                    </p>
                                </div>
                                <ActionForm action=logout>
                                    <button
                                        type="submit"
                                        class="rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-50 focus:outline-none focus:ring-2 focus:ring-indigo-500"
                                    >
                                        "Sign out"
                                    </button>
                                </ActionForm>
                            </div>
                        }
                    })
            }}
        </Transition>
    }
}

/// Switches the current organization (only shown to people in more than one).
fn org_switcher(
    switch: SwitchOrgAction,
    current: &str,
    orgs: Vec<(String, String)>,
) -> impl IntoView {
    let current = current.to_owned();
    view! {
        <ActionForm action=switch attr:class="flex items-center gap-2">
            <label for="org-switcher" class="sr-only">"Organization"</label>
            <select
                id="org-switcher"
                name="slug"
                class="max-w-[10rem] rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/30"
            >
                {orgs
                    .into_iter()
                    .map(|(slug, name)| {
                        let selected = slug == current;
                        view! { <option value=slug selected=selected>{name}</option> }
                    })
                    .collect_view()}
            </select>
            <button
                type="submit"
                class="rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-50 focus:outline-none focus:ring-2 focus:ring-indigo-500"
            >
                "Switch"
            </button>
        </ActionForm>
    }
}

/// The title block at the top of a page.
#[component]
pub fn PageHeader(title: &'static str, description: &'static str) -> impl IntoView {
    view! {
        <leptos_meta::Title text=title/>
        <div class="mb-6">
            <h1 class="text-2xl font-semibold tracking-tight text-slate-900">{title}</h1>
            <p class="mt-1 max-w-3xl text-sm text-slate-600">{description}</p>
        </div>
    }
}
