//! The site's static files (the WASM bundle, its JS and CSS, the public files) when the binary
//! carries them (`embedded-site`, see build.rs): each in brotli or gzip as the browser accepts,
//! the bundle under `/pkg/<version>/`, kept by browsers for good since the version changes with
//! the content. Without the feature, or whenever `LEPTOS_SITE_ROOT` names a folder, the files
//! come from that folder instead (development).

use axum::body::Body;
use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// One embedded file, with its precompressed copies where they are worth it.
pub struct SiteFile {
    /// Its path under the site's root, e.g. `pkg/keyhub.wasm` or `favicon.svg`.
    pub name: &'static str,
    pub body: &'static [u8],
    pub gzip: Option<&'static [u8]>,
    pub brotli: Option<&'static [u8]>,
}

#[cfg(feature = "embedded-site")]
mod embedded {
    use super::SiteFile;
    include!(concat!(env!("OUT_DIR"), "/embedded_site.rs"));
}

/// The files a binary carries, and the version their bundle is served under.
#[derive(Clone, Copy)]
pub struct EmbeddedSite {
    version: &'static str,
    files: &'static [SiteFile],
}

const PKG: &str = "pkg/";
const FOR_GOOD: &str = "public, max-age=31536000, immutable";
/// Public files keep their names across versions: browsers ask again, and get 304 if unchanged.
const ASK_AGAIN: &str = "no-cache";

impl EmbeddedSite {
    /// The site this binary carries, unless `LEPTOS_SITE_ROOT` points at one on disk.
    pub fn in_force() -> Option<EmbeddedSite> {
        #[cfg(feature = "embedded-site")]
        if std::env::var_os("LEPTOS_SITE_ROOT").is_none() {
            return Some(EmbeddedSite::new(embedded::VERSION, embedded::FILES));
        }
        None
    }

    pub fn new(version: &'static str, files: &'static [SiteFile]) -> EmbeddedSite {
        EmbeddedSite { version, files }
    }

    /// What `LeptosOptions::site_pkg_dir` must say, so pages link the bundle by its version.
    pub fn pkg_dir(&self) -> String {
        format!("{PKG}{}", self.version)
    }

    /// `/pkg/<version>/…` and each public file by its own path; anything else is not theirs.
    pub fn routes<S: Clone + Send + Sync + 'static>(self) -> Router<S> {
        let bundle = format!("/{}/{{*file}}", self.pkg_dir());
        let mut router = Router::new().route(
            &bundle,
            get(
                move |Path(file): Path<String>, headers: HeaderMap| async move {
                    match self.file(&format!("{PKG}{file}")) {
                        Some(found) => self.answer(found, &headers, FOR_GOOD),
                        None => StatusCode::NOT_FOUND.into_response(),
                    }
                },
            ),
        );
        for file in self.files.iter().filter(|f| !f.name.starts_with(PKG)) {
            router = router.route(
                &format!("/{}", file.name),
                get(
                    move |headers: HeaderMap| async move { self.answer(file, &headers, ASK_AGAIN) },
                ),
            );
        }
        router
    }

    fn file(&self, name: &str) -> Option<&'static SiteFile> {
        self.files.iter().find(|file| file.name == name)
    }

    fn answer(&self, file: &SiteFile, request: &HeaderMap, cache: &'static str) -> Response {
        let etag = format!("\"{}\"", self.version);
        let unchanged = request
            .get(header::IF_NONE_MATCH)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == etag));
        let accepted = request
            .get(header::ACCEPT_ENCODING)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default();
        let (body, encoding) = match (file.brotli, file.gzip) {
            (Some(brotli), _) if accepts(accepted, "br") => (brotli, Some("br")),
            (_, Some(gzip)) if accepts(accepted, "gzip") => (gzip, Some("gzip")),
            _ => (file.body, None),
        };
        let mut response = if unchanged {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            Body::from(body).into_response()
        };
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, content_type(file.name));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        if let Ok(etag) = HeaderValue::from_str(&etag) {
            headers.insert(header::ETAG, etag);
        }
        if let Some(encoding) = encoding.filter(|_| !unchanged) {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
        }
        response
    }
}

/// Whether an `Accept-Encoding` value takes `coding`: named or `*`, and not with `q=0`.
fn accepts(accept_encoding: &str, coding: &str) -> bool {
    let mut named = None;
    let mut any = None;
    for item in accept_encoding.split(',') {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or_default().trim();
        let quality = parts
            .filter_map(|param| param.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if name.eq_ignore_ascii_case(coding) {
            named = Some(quality > 0.0);
        } else if name == "*" {
            any = Some(quality > 0.0);
        }
    }
    named.or(any).unwrap_or(false)
}

fn content_type(name: &str) -> HeaderValue {
    let extension = name.rsplit('.').next().unwrap_or_default();
    HeaderValue::from_static(match extension {
        "wasm" => "application/wasm",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "html" => "text/html; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "txt" => "text/plain; charset=utf-8",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    })
}

#[cfg(test)]
mod tests {
    use axum::http::Request;
    use tower::ServiceExt;

    use super::*;

    static FILES: &[SiteFile] = &[
        SiteFile {
            name: "pkg/keyhub.wasm",
            body: b"raw wasm",
            gzip: Some(b"gzip wasm"),
            brotli: Some(b"brotli wasm"),
        },
        SiteFile {
            name: "pkg/keyhub.css",
            body: b"raw css",
            gzip: Some(b"gzip css"),
            brotli: None,
        },
        SiteFile {
            name: "favicon.svg",
            body: b"<svg/>",
            gzip: None,
            brotli: None,
        },
    ];

    async fn get(path: &str, headers: &[(&str, &str)]) -> (StatusCode, HeaderMap, Vec<u8>) {
        let mut request = Request::get(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let site = EmbeddedSite::new("0123abcd", FILES);
        let response = site
            .routes::<()>()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let (parts, body) = response.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        (parts.status, parts.headers, body.to_vec())
    }

    #[tokio::test]
    async fn the_bundle_comes_compressed_as_accepted_and_is_kept_for_good() {
        let brotli = [("accept-encoding", "gzip, deflate, br")];
        let (status, headers, body) = get("/pkg/0123abcd/keyhub.wasm", &brotli).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, b"brotli wasm");
        assert_eq!(headers["content-encoding"], "br");
        assert_eq!(headers["content-type"], "application/wasm");
        assert_eq!(headers["cache-control"], FOR_GOOD);
        assert_eq!(headers["vary"], "accept-encoding");

        let (_, headers, body) =
            get("/pkg/0123abcd/keyhub.wasm", &[("accept-encoding", "gzip")]).await;
        assert_eq!(body, b"gzip wasm");
        assert_eq!(headers["content-encoding"], "gzip");
        let (_, headers, body) = get("/pkg/0123abcd/keyhub.wasm", &[]).await;
        assert_eq!(body, b"raw wasm");
        assert!(headers.get("content-encoding").is_none());
        // No brotli copy of the CSS: gzip it is.
        let (_, headers, body) = get("/pkg/0123abcd/keyhub.css", &brotli).await;
        assert_eq!(body, b"gzip css");
        assert_eq!(headers["content-type"], "text/css; charset=utf-8");
    }

    #[tokio::test]
    async fn another_version_or_an_unknown_file_is_not_found() {
        assert_eq!(
            get("/pkg/99999999/keyhub.wasm", &[]).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            get("/pkg/0123abcd/nope.js", &[]).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            get("/pkg/0123abcd/../favicon.svg", &[]).await.0,
            StatusCode::NOT_FOUND
        );
    }

    #[tokio::test]
    async fn public_files_are_asked_for_again_and_answered_304_when_unchanged() {
        let (status, headers, body) = get("/favicon.svg", &[("accept-encoding", "br")]).await;
        assert_eq!((status, body.as_slice()), (StatusCode::OK, &b"<svg/>"[..]));
        assert_eq!(headers["cache-control"], ASK_AGAIN);
        assert_eq!(headers["content-type"], "image/svg+xml");
        let etag = headers["etag"].to_str().unwrap().to_owned();
        let (status, headers, body) = get("/favicon.svg", &[("if-none-match", &etag)]).await;
        assert_eq!(status, StatusCode::NOT_MODIFIED);
        assert!(body.is_empty() && headers.get("content-encoding").is_none());
    }

    #[test]
    fn accept_encoding_is_read_with_its_qualities() {
        assert!(accepts("gzip, deflate, br, zstd", "br"));
        assert!(accepts("BR;q=0.5", "br"));
        assert!(!accepts("gzip, br;q=0", "br"));
        assert!(accepts("*", "gzip"));
        assert!(!accepts("*, gzip;q=0", "gzip"));
        assert!(!accepts("identity", "gzip"));
        assert!(!accepts("", "br"));
    }
}
