//! When to try again after a rate limit: `retry-after-ms`, then `retry-after` as seconds or as an
//! HTTP date (what the providers' own SDKs read), then Google's `RetryInfo.retryDelay` in the body.

use std::time::{Duration, SystemTime};

/// The wait the provider asked for, if it said.
pub fn retry_after(
    retry_after_ms: Option<&str>,
    retry_after: Option<&str>,
    body: &str,
    now: SystemTime,
) -> Option<Duration> {
    if let Some(ms) = retry_after_ms.and_then(|v| v.trim().parse::<f64>().ok()) {
        return seconds(ms / 1000.0);
    }
    if let Some(value) = retry_after.map(str::trim) {
        if let Ok(secs) = value.parse::<f64>() {
            return seconds(secs);
        }
        if let Ok(at) = httpdate::parse_http_date(value) {
            // A date in the past means now; one beyond the bound is not believed either.
            return seconds(at.duration_since(now).unwrap_or_default().as_secs_f64());
        }
    }
    google_retry_delay(body)
}

fn seconds(value: f64) -> Option<Duration> {
    (value.is_finite() && (0.0..7.0 * 86_400.0).contains(&value))
        .then(|| Duration::from_secs_f64(value))
}

/// `"retryDelay": "47s"` inside a `google.rpc.RetryInfo` detail.
fn google_retry_delay(body: &str) -> Option<Duration> {
    let json: serde_json::Value = serde_json::from_str(body).ok()?;
    json["error"]["details"]
        .as_array()?
        .iter()
        .filter_map(|detail| detail["retryDelay"].as_str())
        .find_map(|delay| delay.strip_suffix('s')?.parse::<f64>().ok())
        .and_then(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_of_retry_after_is_read() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_443_720);
        assert_eq!(
            retry_after(Some("1500"), Some("9"), "", now),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            retry_after(None, Some("20"), "", now),
            Some(Duration::from_secs(20))
        );
        assert_eq!(
            retry_after(None, Some("0.5"), "", now),
            Some(Duration::from_millis(500))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(90));
        assert_eq!(
            retry_after(None, Some(&later), "", now),
            Some(Duration::from_secs(90))
        );
        let google = r#"{"error":{"code":429,"status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"47s"}]}}"#;
        assert_eq!(
            retry_after(None, None, google, now),
            Some(Duration::from_secs(47))
        );
        assert_eq!(retry_after(None, Some("soon"), "{}", now), None);
        assert_eq!(retry_after(None, Some("-3"), "", now), None);
    }
}
