use axum::http::{header, HeaderValue};
use axum::middleware;
use axum::response::Redirect;
use axum::routing::get;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes, ResponseOptions};

use super::{auth, csrf, health, security_headers, state::AppState};
use crate::app::{shell, App};

/// The whole HTTP surface: pages, server functions, health, static files. Serve it with
/// `into_make_service_with_connect_info::<SocketAddr>()` so sign-in attempts are limited per address.
pub fn build_router(state: AppState) -> Router {
    let https = state
        .settings
        .public_url
        .as_deref()
        .is_some_and(|url| url.starts_with("https://"));
    let routes = generate_route_list(App);
    let context = {
        let state = state.clone();
        move || page_context(&state)
    };
    let app = {
        let options = state.leptos_options.clone();
        move || shell(options.clone())
    };
    let router = Router::new()
        .route("/", get(|| async { Redirect::to("/hub") }))
        .route("/healthz", get(health::healthz))
        .nest("/api/v1", crate::rest::router())
        .route(
            "/gateway/{org}/{provider}/{*path}",
            axum::routing::any(crate::gateway::forward),
        )
        .leptos_routes_with_context(&state, routes, context.clone(), app)
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, shell))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::guard_pages,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            csrf::check_origin,
        ));
    security_headers::apply(router, https).with_state(state)
}

/// Per-request context of every rendered page: the state, a fresh CSP nonce and no caching.
fn page_context(state: &AppState) {
    provide_context(state.clone());
    leptos::nonce::provide_nonce();
    if let (Some(nonce), Some(response)) =
        (leptos::nonce::use_nonce(), use_context::<ResponseOptions>())
    {
        if let Ok(csp) = HeaderValue::from_str(&security_headers::page_csp(nonce.as_inner())) {
            response.insert_header(header::CONTENT_SECURITY_POLICY, csp);
        }
        response.insert_header(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}
