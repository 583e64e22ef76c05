//! `POST /settings/export`: an owner's download of their organization, in the format of
//! `keyhub export`, under the passphrase they typed (a plain form: it works without JavaScript).

use axum::extract::{Form, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::keys::KeyError;
use crate::vault::SecretString;
use crate::web::session::viewer;
use crate::web::state::AppState;

#[derive(Deserialize)]
pub struct ExportForm {
    passphrase: String,
}

pub async fn download(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<ExportForm>,
) -> Response {
    let viewer = match viewer(&state, &headers).await {
        Ok(Some(viewer)) if !viewer.must_change_password => viewer,
        Ok(_) => return Redirect::to("/login").into_response(),
        Err(error) => return refused(StatusCode::INTERNAL_SERVER_ERROR, &error.to_string()),
    };
    let passphrase = SecretString::new(form.passphrase);
    match state
        .transfer()
        .export_org(viewer.key_actor(), &passphrase)
        .await
    {
        Ok(file) => {
            let name = format!(
                "{}-{}.keyhub",
                viewer.membership.org.slug,
                crate::domain::time::rfc3339(crate::store::now_ms())
                    .get(..10)
                    .unwrap_or_default()
            );
            (
                [
                    (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{name}\""),
                    ),
                    (header::CACHE_CONTROL, "no-store".to_owned()),
                ],
                file,
            )
                .into_response()
        }
        Err(KeyError::Forbidden(why)) => refused(StatusCode::FORBIDDEN, why),
        Err(KeyError::Invalid(problems)) => {
            refused(StatusCode::UNPROCESSABLE_ENTITY, &problems.first().message)
        }
        Err(error) => {
            let reference = crate::store::new_id();
            tracing::error!(%reference, %error, "export download failed");
            refused(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("The export failed (reference {reference})."),
            )
        }
    }
}

/// A short page saying why, with the way back.
fn refused(status: StatusCode, why: &str) -> Response {
    let why = why
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        format!(
            "<!doctype html><title>Export refused</title><main><h1>Export refused</h1>\
             <p role=\"alert\">{why}</p><p><a href=\"/settings\">Back to Settings</a></p></main>"
        ),
    )
        .into_response()
}
