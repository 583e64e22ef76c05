//! Response headers every answer carries (SPEC.md §9). Pages get a nonce-based CSP of their own
//! ([`page_csp`]); everything else falls back to a CSP that allows nothing.

use axum::http::{header, HeaderName, HeaderValue};
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;

/// CSP for an SSR page whose inline hydration script carries `nonce`.
pub fn page_csp(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

const FALLBACK_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

type Header = SetResponseHeaderLayer<HeaderValue>;

/// Adds the headers to every response of `router`; HSTS only when KeyHub is served over https.
pub fn apply<S: Clone + Send + Sync + 'static>(router: Router<S>, https: bool) -> Router<S> {
    let hsts = if https {
        "max-age=31536000"
    } else {
        "max-age=0"
    };
    router
        .layer(overriding(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(overriding(header::REFERRER_POLICY, "same-origin"))
        .layer(overriding(header::X_FRAME_OPTIONS, "DENY"))
        .layer(overriding(
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ))
        .layer(overriding(header::STRICT_TRANSPORT_SECURITY, hsts))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(FALLBACK_CSP),
        ))
}

fn overriding(name: HeaderName, value: &'static str) -> Header {
    SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
}
