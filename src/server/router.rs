use std::sync::OnceLock;

use axum::http::{header, HeaderValue};
use axum::middleware;
use axum::response::Redirect;
use axum::routing::{any, get, post};
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes, ResponseOptions};

use super::site_files::EmbeddedSite;
use super::{csrf, export_download, guard, health, security_headers, serving};
use crate::app::{shell, App};
use crate::gateway::{forward, GatewayState};
use crate::web::state::AppState;

const GATEWAY_ROUTE: &str = "/gateway/{org}/{provider}/{*path}";

/// The whole HTTP surface: pages, server functions, health, static files (from `site` when the
/// binary carries them, else from the site folder), and the gateway unless it has a listener of its
/// own. Serve it with [`serving::serve`].
pub fn build_router(state: AppState, gateway: GatewayState, site: Option<EmbeddedSite>) -> Router {
    let https = state.is_https();
    let routes = route_list();
    let context = {
        let state = state.clone();
        move || page_context(&state)
    };
    let app = {
        let options = state.leptos_options().clone();
        move || shell(options.clone())
    };
    let files = site.map(EmbeddedSite::routes).unwrap_or_default();
    let router = Router::new()
        .merge(files)
        .route("/", get(|| async { Redirect::to("/hub") }))
        .route("/healthz", get(health::healthz))
        .route("/settings/export", post(export_download::download))
        .nest("/api/v1", crate::rest::router())
        .leptos_routes_with_context(&state, routes, context.clone(), app)
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, shell))
        .layer(middleware::from_fn_with_state(
            state.settings().http.request,
            serving::limit_request_time,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            guard::guard_pages,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            csrf::check_origin,
        ));
    let pages = security_headers::apply(router, https).with_state(state.clone());
    // The gateway skips the pages' layers, as on a listener of its own: it reads no cookie and no
    // page lives under it, and a stream has its own upstream timeouts. With a listener of its own
    // it is not served here at all.
    match state.settings().gateway_addr {
        None => gateway_router(gateway, https).fallback_service(pages),
        Some(_) => pages,
    }
}

/// The pages' routes, found by rendering the app once per process. While leptos does that it
/// holds back every resource that starts loading anywhere in the process, for good: a page another
/// server of the process renders meanwhile never finishes (a process-wide flag in leptos_server
/// 0.8, leptos-rs/leptos#4773; tests/render_on_many_runtimes.rs shows it). Done once, before any
/// router exists, no page can be rendering then.
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The gateway alone, for its own listener (`KEYHUB_GATEWAY_ADDR`): an origin where no KeyHub page
/// or session cookie lives, so nothing an upstream answers can act as KeyHub.
pub fn gateway_router(gateway: GatewayState, https: bool) -> Router {
    let router = Router::new().route(GATEWAY_ROUTE, any(forward));
    security_headers::apply(router, https).with_state(gateway)
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
