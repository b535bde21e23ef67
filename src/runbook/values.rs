//! Parsers for the runbook's scalar types, shared by the schema check (as custom formats)
//! and the typed document's reader, so the two can never disagree on what a valid value is.

use chrono::{DateTime, FixedOffset, NaiveDateTime};
use std::time::Duration;

/// A template variable name: letters, digits and underscores, not starting with a digit.
pub fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// [`is_variable_name`] as a JSON Schema pattern.
pub const VARIABLE_NAME_PATTERN: &str = "^[A-Za-z_][A-Za-z0-9_]*$";

/// Whether a string holds a handlebars template.
pub fn is_template(text: &str) -> bool {
    text.contains("{{")
}

/// What follows `https://` or `http://` in a URL of printable ASCII only: no control
/// characters for a terminal to obey, no look-alike Unicode host names (write an IDN host in
/// its xn-- form). `None` for any other text.
fn after_http_scheme(text: &str) -> Option<&str> {
    if !text.chars().all(|c| c.is_ascii_graphic()) {
        return None;
    }
    text.strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
}

/// A VAO server base URL: `http://` or `https://`, a host, an optional path; no query,
/// fragment or white space.
pub fn is_server_url(text: &str) -> bool {
    let Some(rest) = after_http_scheme(text) else {
        return false;
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    !authority.is_empty()
        // No `user:password@`: credentials never live in a runbook or on a command line.
        && !authority.contains(|c: char| c.is_whitespace() || matches!(c, '?' | '#' | '@'))
        && !path.contains(|c: char| c.is_whitespace() || c == '?' || c == '#')
        && reqwest::Url::parse(text).is_ok_and(|url| url.host().is_some())
}

/// A health check's URL: `http://` or `https://`, a host, no user name or password (a
/// credential belongs in a header from a secret variable, where it is masked); a query is
/// allowed, a fragment is not (it is never sent).
pub fn is_check_url(text: &str) -> bool {
    let Some(rest) = after_http_scheme(text) else {
        return false;
    };
    let authority = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
    !authority.is_empty()
        && !authority.contains('@')
        && !text.contains('#')
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

impl RestorePoint {
    /// The instant this restore point names, where it can be known: a time with an offset,
    /// or a server-local time when the server's zone is known. `latest` names none.
    pub fn instant(&self, zone: Option<ServerTimeZone>) -> Option<DateTime<chrono::Utc>> {
        match (self, zone) {
            (RestorePoint::Latest, _) | (RestorePoint::Local(_), None) => None,
            (RestorePoint::Offset(at), _) => Some(at.with_timezone(&chrono::Utc)),
            (RestorePoint::Local(local), Some(ServerTimeZone::Fixed(offset))) => local
                .and_local_timezone(offset)
                .earliest()
                .map(|at| at.with_timezone(&chrono::Utc)),
            (RestorePoint::Local(local), Some(ServerTimeZone::Named(zone))) => local
                .and_local_timezone(zone)
                .earliest()
                .map(|at| at.with_timezone(&chrono::Utc)),
        }
    }
}

impl std::fmt::Display for RestorePoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RestorePoint::Latest => f.write_str("latest"),
            RestorePoint::Local(local) => write!(f, "{}", local.format("%Y-%m-%dT%H:%M:%S")),
            RestorePoint::Offset(at) => f.write_str(&at.to_rfc3339()),
        }
    }
}

/// Parses `latest` or an ISO 8601 date-time: `YYYY-MM-DDTHH:MM[:SS[.fraction]]`, optionally
/// with `Z` or `±HH:MM`. Every digit is where it belongs (chrono alone would take `T2:00`),
/// and leap seconds are refused (VAO's form cannot carry one).
pub fn parse_restore_point(text: &str) -> Option<RestorePoint> {
    if text == "latest" {
        return Some(RestorePoint::Latest);
    }
    let (local, offset) = split_offset(text);
    if !has_date_time_shape(local) {
        return None;
    }
    let with_seconds = if local.len() == 16 {
        format!("{local}:00")
    } else {
        local.to_owned()
    };
    let naive = NaiveDateTime::parse_from_str(&with_seconds, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
    if naive.and_utc().timestamp_subsec_nanos() >= 1_000_000_000 {
        return None;
    }
    match offset {
        None => Some(RestorePoint::Local(naive)),
        Some(offset) => {
            let offset = if offset == "Z" {
                FixedOffset::east_opt(0)?
            } else {
                parse_offset(offset)?
            };
            naive
                .and_local_timezone(offset)
                .single()
                .map(RestorePoint::Offset)
        }
    }
}

/// Splits `…Z` or `…±HH:MM` off a date-time.
fn split_offset(text: &str) -> (&str, Option<&str>) {
    if let Some(local) = text.strip_suffix('Z') {
        return (local, Some("Z"));
    }
    // A local date-time has at least 16 characters, an offset 6.
    if text.len() >= 22 && text.is_char_boundary(text.len() - 6) {
        let (local, offset) = text.split_at(text.len() - 6);
        if offset.starts_with(['+', '-']) {
            return (local, Some(offset));
        }
    }
    (text, None)
}

/// `YYYY-MM-DDTHH:MM`, optionally `:SS`, optionally `.` and 1 to 9 digits.
fn has_date_time_shape(text: &str) -> bool {
    let bytes = text.as_bytes();
    let shape = b"dddd-dd-ddTdd:dd:dd";
    let matches = |n: usize| {
        bytes.len() >= n
            && bytes[..n].iter().zip(&shape[..n]).all(|(b, s)| match s {
                b'd' => b.is_ascii_digit(),
                other => b == other,
            })
    };
    match bytes.len() {
        16 => matches(16),
        19 => matches(19),
        20..=29 => matches(19) && bytes[19] == b'.' && bytes[20..].iter().all(u8::is_ascii_digit),
        _ => false,
    }
}

/// `±HH:MM`, digits only.
fn parse_offset(text: &str) -> Option<FixedOffset> {
    let bytes = text.as_bytes();
    let shape_ok = bytes.len() == 6
        && matches!(bytes[0], b'+' | b'-')
        && bytes[3] == b':'
        && [1, 2, 4, 5].iter().all(|&i| bytes[i].is_ascii_digit());
    if !shape_ok {
        return None;
    }
    let hours: i32 = text[1..3].parse().ok()?;
    let minutes: i32 = text[4..6].parse().ok()?;
    if hours > 23 || minutes > 59 {
        return None;
    }
    let sign = if bytes[0] == b'-' { -1 } else { 1 };
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))
}

/// The VAO server's time zone, which restore points with an offset are converted into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerTimeZone {
    /// A fixed offset (`Z`, `UTC`, `+01:00`): right only where there is no daylight saving.
    Fixed(FixedOffset),
    /// An IANA zone (`Europe/Berlin`): daylight saving is applied for the date converted.
    Named(chrono_tz::Tz),
}

impl ServerTimeZone {
    /// The server-local wall-clock time of an instant.
    pub fn local(&self, at: &DateTime<FixedOffset>) -> NaiveDateTime {
        match self {
            ServerTimeZone::Fixed(offset) => at.with_timezone(offset).naive_local(),
            ServerTimeZone::Named(zone) => at.with_timezone(zone).naive_local(),
        }
    }
}

/// Parses a server time zone: `Z`, `UTC`, `±HH:MM`, or an IANA name such as `Europe/Berlin`.
pub fn parse_time_zone(text: &str) -> Option<ServerTimeZone> {
    match text {
        "Z" | "UTC" => FixedOffset::east_opt(0).map(ServerTimeZone::Fixed),
        _ if text.starts_with(['+', '-']) => parse_offset(text).map(ServerTimeZone::Fixed),
        _ => text
            .parse::<chrono_tz::Tz>()
            .ok()
            .map(ServerTimeZone::Named),
    }
}

/// The longest duration a runbook may ask for (a year): beyond it a value is a typo.
pub const MAX_DURATION: Duration = Duration::from_secs(366 * 24 * 3600);

/// Parses a humantime duration (`30s`, `5m`, `1h30m`); refuses negative, malformed and
/// absurdly long values.
pub fn parse_duration(text: &str) -> Option<Duration> {
    // Only ASCII spaces: `str::trim` would also strip Unicode spaces the schema refuses.
    let trimmed = text.trim_matches(' ');
    if !has_duration_shape(trimmed) {
        return None;
    }
    humantime::parse_duration(trimmed)
        .ok()
        .filter(|d| *d <= MAX_DURATION)
}

/// One or more `<digits><unit letters>` pairs, spaces allowed between the parts: the shape the
/// schema's pattern describes (humantime alone would also take a bare `0`).
fn has_duration_shape(text: &str) -> bool {
    let mut chars = text.chars().peekable();
    let mut pairs = 0;
    loop {
        while chars.next_if_eq(&' ').is_some() {}
        if chars.peek().is_none() {
            return pairs > 0;
        }
        let mut digits = 0;
        while chars.next_if(char::is_ascii_digit).is_some() {
            digits += 1;
        }
        while chars.next_if_eq(&' ').is_some() {}
        let mut letters = 0;
        while chars.next_if(char::is_ascii_alphabetic).is_some() {
            letters += 1;
        }
        if digits == 0 || letters == 0 {
            return false;
        }
        pairs += 1;
    }
}

/// A duration that must be greater than zero (timeouts, poll intervals).
pub fn parse_positive_duration(text: &str) -> Option<Duration> {
    parse_duration(text).filter(|d| !d.is_zero())
}

/// Formats a duration the way a runbook writes it (`1h 30m`).
pub fn format_duration(duration: Duration) -> String {
    humantime::format_duration(duration).to_string()
}

/// A measured span for people: whole seconds from a minute up (`18h 21m 21s`, not
/// `18h 21m 21s 18ms`), milliseconds below.
pub fn format_span_ms(ms: u64) -> String {
    let ms = if ms >= 60_000 { ms - ms % 1000 } else { ms };
    format_duration(Duration::from_millis(ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_drop_milliseconds_past_a_minute() {
        assert_eq!(format_span_ms(66_061_018), "18h 21m 1s");
        assert_eq!(format_span_ms(1_500), "1s 500ms");
    }

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
            "2026-11-25T2:00:00",
            "2026-11-25T22:00:00.1234567890",
            "2026-11-25T23:59:60",
            "2026-11-25T22:00:00+01",
            "2026-11-25T22:00:00-+1:00",
            "2026-11-25T22:00:00Zz",
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
        let offset = |t| match parse_time_zone(t) {
            Some(ServerTimeZone::Fixed(o)) => Some(o.local_minus_utc()),
            _ => None,
        };
        assert_eq!(offset("Z"), Some(0));
        assert_eq!(offset("+01:30"), Some(5400));
        assert_eq!(offset("-05:00"), Some(-18000));
        for bad in ["+1", "+24:00", "-+1:00", "+1a:00", "Mars/Olympus", ""] {
            assert_eq!(parse_time_zone(bad), None, "{bad}");
        }
        assert!(matches!(
            parse_time_zone("Europe/Berlin"),
            Some(ServerTimeZone::Named(_))
        ));
    }

    #[test]
    fn named_zones_follow_daylight_saving() {
        let berlin = parse_time_zone("Europe/Berlin").unwrap();
        let at = |t| match parse_restore_point(t) {
            Some(RestorePoint::Offset(at)) => berlin.local(&at).to_string(),
            other => panic!("{other:?}"),
        };
        assert_eq!(at("2026-01-15T12:00:00Z"), "2026-01-15 13:00:00");
        assert_eq!(at("2026-07-15T12:00:00Z"), "2026-07-15 14:00:00");
    }
}
