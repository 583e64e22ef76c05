//! Times as people read them. Stored times are milliseconds since the Unix epoch; pages show UTC
//! dates, the same on the server and in the browser so hydration matches.

/// `2026-11-23` for a time in milliseconds.
pub fn utc_date(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// `2026-11-23 14:02 UTC` for a time in milliseconds.
pub fn utc_minute(ms: i64) -> String {
    let minutes = ms.div_euclid(60_000).rem_euclid(24 * 60);
    format!(
        "{} {:02}:{:02} UTC",
        utc_date(ms),
        minutes / 60,
        minutes % 60
    )
}

/// `2026-11-23T14:22:05Z` (RFC 3339) for a time in milliseconds, as the REST API gives times.
pub fn rfc3339(ms: i64) -> String {
    let seconds = ms.div_euclid(1000).rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        utc_date(ms),
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

/// An RFC 3339 time from the API (`2026-11-23T14:22:05Z`) as pages show it: `2026-11-23 14:22:05 UTC`.
pub fn readable(rfc3339: &str) -> String {
    rfc3339.replace('T', " ").replace('Z', " UTC")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_civil_utc() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(951_782_400_000), "2000-02-29");
        assert_eq!(utc_minute(1_795_443_720_000), "2026-11-23 14:22 UTC");
        assert_eq!(utc_date(-86_400_000), "1969-12-31");
        assert_eq!(rfc3339(1_795_443_725_999), "2026-11-23T14:22:05Z");
        assert_eq!(
            readable(&rfc3339(1_795_443_725_999)),
            "2026-11-23 14:22:05 UTC"
        );
    }
}
