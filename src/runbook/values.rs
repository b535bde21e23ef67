//! Parsers for the runbook's scalar types, shared by the schema check (as custom formats)
//! and the typed builder, so the two can never disagree on what a valid value is.

use chrono::{DateTime, FixedOffset, NaiveDateTime};
use std::time::Duration;

/// Whether a string holds a handlebars template.
pub fn is_template(text: &str) -> bool {
    text.contains("{{")
}

/// A VAO server base URL: `http://` or `https://`, a host, an optional path; no query,
/// fragment or white space.
pub fn is_server_url(text: &str) -> bool {
    let Some(rest) = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
    else {
        return false;
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    !authority.is_empty()
        // No `user:password@`: credentials never live in a runbook or on a command line.
        && !authority.contains(|c: char| c.is_whitespace() || matches!(c, '?' | '#' | '@'))
        && !path.contains(|c: char| c.is_whitespace() || c == '?' || c == '#')
        && reqwest::Url::parse(text).is_ok_and(|url| url.host().is_some())
}

/// A plan ID: a hyphenated UUID.
pub fn parse_plan_id(text: &str) -> Option<uuid::Uuid> {
    // `Uuid::parse_str` also takes braced, URN and simple forms; VAO shows the hyphenated one.
    let hyphenated = text.len() == 36 && text.chars().filter(|c| *c == '-').count() == 4;
    hyphenated
        .then(|| uuid::Uuid::parse_str(text).ok())
        .flatten()
}

/// A restore point as written in a runbook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestorePoint {
    /// The latest restore point: sent as JSON `null`.
    Latest,
    /// A date-time without an offset: the server's local time, sent as written.
    Local(NaiveDateTime),
    /// A date-time with an offset: converted to the server's time zone before sending.
    Offset(DateTime<FixedOffset>),
}

/// Parses `latest` or an ISO 8601 date-time (`YYYY-MM-DDTHH:MM[:SS[.fff]]`, optionally with
/// `Z` or `±HH:MM`).
pub fn parse_restore_point(text: &str) -> Option<RestorePoint> {
    if text == "latest" {
        return Some(RestorePoint::Latest);
    }
    // Whole characters only: chrono is lenient about some spellings the schema's pattern
    // refuses (lower-case `t`, a space), and the two must agree.
    let shape_ok = text.len() >= 16
        && text.is_ascii()
        && text.as_bytes()[10] == b'T'
        && !text.contains(' ')
        && !text.ends_with('z');
    if !shape_ok {
        return None;
    }
    let has_offset = text.ends_with('Z') || text[16..].contains(['+', '-']);
    if has_offset {
        let normalised = with_seconds(text, text.rfind(['Z', '+', '-']).unwrap_or(text.len()));
        DateTime::parse_from_rfc3339(&normalised)
            .ok()
            .map(RestorePoint::Offset)
    } else {
        let normalised = with_seconds(text, text.len());
        NaiveDateTime::parse_from_str(&normalised, "%Y-%m-%dT%H:%M:%S%.f")
            .ok()
            .map(RestorePoint::Local)
    }
}

/// Adds `:00` seconds to `YYYY-MM-DDTHH:MM` (the part before `offset_at`).
fn with_seconds(text: &str, offset_at: usize) -> String {
    let (time, offset) = text.split_at(offset_at);
    if time.len() == 16 {
        format!("{time}:00{offset}")
    } else {
        text.to_owned()
    }
}

/// Parses a server time zone: `Z`, `UTC` or `±HH:MM`.
pub fn parse_time_zone(text: &str) -> Option<FixedOffset> {
    match text {
        "Z" | "UTC" => FixedOffset::east_opt(0),
        _ => {
            let sign = match text.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let (hours, minutes) = text.get(1..)?.split_once(':')?;
            if hours.len() != 2 || minutes.len() != 2 {
                return None;
            }
            let hours: i32 = hours.parse().ok()?;
            let minutes: i32 = minutes.parse().ok()?;
            if hours > 23 || minutes > 59 {
                return None;
            }
            FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))
        }
    }
}

/// The longest duration a runbook may ask for (a year): beyond it a value is a typo.
pub const MAX_DURATION: Duration = Duration::from_secs(366 * 24 * 3600);

/// Parses a humantime duration (`30s`, `5m`, `1h30m`); refuses negative, malformed and
/// absurdly long values.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let trimmed = text.trim();
    let shape_ok = trimmed.starts_with(|c: char| c.is_ascii_digit())
        && trimmed
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == ' ');
    if !shape_ok {
        return None;
    }
    humantime::parse_duration(trimmed)
        .ok()
        .filter(|d| *d <= MAX_DURATION)
}

/// A duration that must be greater than zero (timeouts, poll intervals).
pub fn parse_positive_duration(text: &str) -> Option<Duration> {
    parse_duration(text).filter(|d| !d.is_zero())
}

/// Formats a duration the way a runbook writes it (`1h 30m`).
pub fn format_duration(duration: Duration) -> String {
    humantime::format_duration(duration).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restore_points() {
        assert_eq!(parse_restore_point("latest"), Some(RestorePoint::Latest));
        let local = parse_restore_point("2026-11-25T22:00:00").unwrap();
        assert_eq!(
            local,
            RestorePoint::Local(
                NaiveDateTime::parse_from_str("2026-11-25 22:00:00", "%Y-%m-%d %H:%M:%S").unwrap()
            )
        );
        assert_eq!(parse_restore_point("2026-11-25T22:00"), Some(local));
        assert!(matches!(
            parse_restore_point("2026-11-25T22:00:00+01:00"),
            Some(RestorePoint::Offset(_))
        ));
        assert!(matches!(
            parse_restore_point("2026-11-25T22:00Z"),
            Some(RestorePoint::Offset(_))
        ));
        for bad in [
            "Latest",
            "2026-02-30T00:00:00",
            "2026-11-25 22:00:00",
            "2026-11-25",
            "yesterday",
            "2026-11-25T25:00:00",
            "2026-11-25t22:00:00",
            "",
            "2026-11-25T22:00:00+1",
            "२०२६-11-25T22:00:00",
        ] {
            assert_eq!(parse_restore_point(bad), None, "{bad}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_duration("0s"), Some(Duration::ZERO));
        assert_eq!(parse_positive_duration("0s"), None);
        for bad in [
            "-5m",
            "5",
            "m",
            "",
            "5 parsecs",
            "99999999999999999999h",
            "400days",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn plan_ids_must_be_hyphenated_uuids() {
        assert!(parse_plan_id("6f1c2d9e-3b4a-4c5d-8e7f-0a1b2c3d4e5f").is_some());
        assert!(parse_plan_id("6f1c2d9e3b4a4c5d8e7f0a1b2c3d4e5f").is_none());
        assert!(parse_plan_id("{6f1c2d9e-3b4a-4c5d-8e7f-0a1b2c3d4e5f}").is_none());
        assert!(parse_plan_id("6f1c2d9e-3b4a-4c5d-8e7f-0a1b2c3d4e5g").is_none());
    }

    #[test]
    fn server_urls() {
        assert!(is_server_url("https://vao.example.internal:9899"));
        assert!(is_server_url("http://127.0.0.1:9899/vao"));
        for bad in [
            "vao:9899",
            "https://",
            "https://a b",
            "https://h/?q=1",
            "ftp://h",
            "https://h:99999",
        ] {
            assert!(!is_server_url(bad), "{bad}");
        }
    }

    #[test]
    fn time_zones() {
        assert_eq!(parse_time_zone("Z").unwrap().local_minus_utc(), 0);
        assert_eq!(parse_time_zone("+01:30").unwrap().local_minus_utc(), 5400);
        assert_eq!(parse_time_zone("-05:00").unwrap().local_minus_utc(), -18000);
        assert!(parse_time_zone("+1").is_none());
        assert!(parse_time_zone("+24:00").is_none());
    }
}
