//! The Leptos application: the HTML shell, the routes and the layout around every page.

mod activity;
mod add_key;
mod auth_pages;
mod consumer_editor;
mod consumers;
mod fragments;
mod hub;
mod layout;
mod profile;
mod provider_page;
mod sections;
mod settings;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{path, SsrMode};

use crate::components::form::{FormProgress, PROGRESS_ANNOUNCER};
use layout::Layout;

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                <link rel="icon" type="image/svg+xml" href="/favicon.svg"/>
                <link rel="stylesheet" id="leptos" href=format!("/{}/keyhub.css", options.site_pkg_dir)/>
                <HydrationScripts options islands=true/>
                <MetaTags/>
            </head>
            <body class="bg-slate-50 text-slate-900 antialiased">
                <App/>
                <FormProgress/>
                // What a pressed button is doing ("Checking with the provider…"), read out by
                // screen readers; FormProgress fills it. Not `role="status"`: each page has at most
                // one of those, the outcome of the last change.
                <div id=PROGRESS_ANNOUNCER aria-live="polite" aria-atomic="true" class="sr-only"></div>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title formatter=|page: String| format!("{page} · KeyHub")/>
        <Router>
            <Routes fallback=sections::NotFound>
                <Route path=path!("/login") view=auth_pages::LoginPage/>
                <Route path=path!("/setup") view=auth_pages::SetupPage/>
                <Route path=path!("/choose-password") view=auth_pages::ChoosePasswordPage/>
                <Route path=path!("/invite/:secret") view=auth_pages::InvitePage ssr=SsrMode::Async/>
                // Async: every page is sent whole once its data is ready, so browsers without
                // JavaScript see everything (streamed parts would need a script to be swapped in).
                <ParentRoute path=path!("") view=Layout ssr=SsrMode::Async>
                    <Route path=path!("/hub") view=hub::HubPage ssr=SsrMode::Async/>
                    <Route path=path!("/hub/add") view=add_key::AddKeyPage ssr=SsrMode::Async/>
                    <Route path=path!("/hub/:provider") view=provider_page::ProviderPage ssr=SsrMode::Async/>
                    <Route path=path!("/experts") view=consumers::ExpertsPage ssr=SsrMode::Async/>
                    <Route path=path!("/experts/:id") view=consumers::ExpertPage ssr=SsrMode::Async/>
                    <Route path=path!("/assistants") view=consumers::AssistantsPage ssr=SsrMode::Async/>
                    <Route path=path!("/assistants/:id") view=consumers::AssistantPage ssr=SsrMode::Async/>
                    <Route path=path!("/activity") view=activity::ActivityPage ssr=SsrMode::Async/>
                    <Route path=path!("/settings") view=settings::SettingsPage ssr=SsrMode::Async/>
                    <Route path=path!("/profile") view=profile::ProfilePage ssr=SsrMode::Async/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
