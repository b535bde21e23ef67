//! Date helpers for runbook templates: `now`, `today`, `ago` and `format_date`.
//!
//! A scheduled drill wants "yesterday's restore point" without anyone editing the runbook
//! every night, yet a run must stay reproducible: `drbook resume` checks that the runbook
//! renders to the same hash as before, and a report should say exactly what was asked for.
//! So every helper is relative to one instant, the [`Clock`], taken once per run before
//! rendering (or pinned with `--now`, or a resumed run's), never to the wall clock at the
//! moment a helper is called.
//!
//! A helper that cannot do what it is asked returns a [`HelperError`]; the renderer reports
//! it like any other template problem, at the value's position.

use crate::runbook::text::did_you_mean;
use crate::runbook::values::{self, RestorePoint, ServerTimeZone};
use chrono::format::{Item, StrftimeItems};
use chrono::{
    DateTime, Days, FixedOffset, NaiveDate, NaiveDateTime, SecondsFormat, SubsecRound, TimeDelta,
    Utc,
};
use chrono_tz::Tz;
use handlebars::{
    Context, Handlebars, Helper, HelperDef, RenderContext, RenderError, RenderErrorReason,
    ScopedJson,
};
use serde_json::Value as Json;
use std::fmt::Write as _;

/// The names of the date helpers.
pub const HELPERS: [&str; 4] = ["now", "today", "ago", "format_date"];

/// How far `today days=N` may move: the same bound as durations (a year).
const MAX_DAYS: i64 = 366;

/// The instant a run's templates are rendered at, in whole seconds of UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock(DateTime<Utc>);

impl Clock {
    /// The current time. Taken once per run, before rendering.
    pub fn now() -> Clock {
        Clock::at(Utc::now())
    }

    /// A clock at `instant`, without its fraction of a second: reports show the clock to
    /// the second, and `--now` with that value must render the same runbook (`%f` too).
    pub fn at(instant: DateTime<Utc>) -> Clock {
        Clock(instant.trunc_subsecs(0))
    }

    /// Parses `--now`: an RFC 3339 date-time with an offset, such as
    /// `2026-11-28T02:00:00Z`. A fraction of a second is dropped.
    pub fn parse(text: &str) -> Result<Clock, NotAClock> {
        DateTime::parse_from_rfc3339(text)
            .map(|at| Clock::at(at.with_timezone(&Utc)))
            .map_err(|_| NotAClock(text.to_owned()))
    }

    pub fn instant(self) -> DateTime<Utc> {
        self.0
    }
}

impl std::fmt::Display for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::Secs, true))
    }
}

/// A `--now` value that is not a date-time with an offset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an RFC 3339 date-time with an offset, such as 2026-11-28T02:00:00Z")]
pub struct NotAClock(pub String);

/// A helper call that cannot be evaluated: a template problem with a message and a hint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct HelperError {
    pub message: String,
    pub hint: Option<String>,
}

/// More help for a restore point with an offset and no `server_time_zone`, when the value
/// came from `now` or `ago` (which give UTC date-times): how to write the server's local
/// time directly.
/// (The caller decides that the problem is [`Problem::OffsetWithoutTimeZone`].)
///
/// [`Problem::OffsetWithoutTimeZone`]: crate::runbook::diagnostic::Problem::OffsetWithoutTimeZone
pub fn offset_hint(template: &str) -> Option<String> {
    let calls_instant_helper = template
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .any(|word| word == "now" || word == "ago");
    calls_instant_helper.then(|| {
        r#"`now` and `ago` give UTC; for the server's local time, format in its zone: {{format_date (ago "24h") "%Y-%m-%dT%H:%M:%S" tz="Europe/Berlin"}}"#.to_owned()
    })
}

/// Registers the date helpers, all relative to `clock`.
pub fn register(hb: &mut Handlebars<'_>, clock: Clock) {
    for kind in Kind::ALL {
        hb.register_helper(kind.name(), Box::new(DateHelper { kind, clock }));
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Now,
    Today,
    Ago,
    FormatDate,
}

impl Kind {
    const ALL: [Kind; 4] = [Kind::Now, Kind::Today, Kind::Ago, Kind::FormatDate];

    fn name(self) -> &'static str {
        match self {
            Kind::Now => "now",
            Kind::Today => "today",
            Kind::Ago => "ago",
            Kind::FormatDate => "format_date",
        }
    }

    /// How many positional arguments the helper takes.
    fn arity(self) -> usize {
        match self {
            Kind::Now | Kind::Today => 0,
            Kind::Ago => 1,
            Kind::FormatDate => 2,
        }
    }

    fn hash_keys(self) -> &'static [&'static str] {
        match self {
            Kind::Today => &["tz", "days"],
            Kind::Now | Kind::Ago | Kind::FormatDate => &["tz"],
        }
    }

    fn usage(self) -> &'static str {
        match self {
            Kind::Now => r#"{{now}} or {{now tz="Europe/Berlin"}}"#,
            Kind::Today => r#"{{today}} or {{today days=-1 tz="Europe/Berlin"}}"#,
            Kind::Ago => r#"{{ago "24h"}} or {{ago "1d" tz="Europe/Berlin"}}"#,
            Kind::FormatDate => r#"{{format_date (ago "1d") "%Y-%m-%dT%H:%M" tz="Europe/Berlin"}}"#,
        }
    }
}

struct DateHelper {
    kind: Kind,
    clock: Clock,
}

impl HelperDef for DateHelper {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        let params: Vec<&Json> = h.params().iter().map(|p| p.value()).collect();
        let hash: Vec<(&str, &Json)> = h.hash().iter().map(|(k, v)| (*k, v.value())).collect();
        let call = Call {
            kind: self.kind,
            params: &params,
            hash: &hash,
        };
        call.evaluate(self.clock)
            .map(|text| ScopedJson::Derived(Json::String(text)))
            .map_err(|e| RenderErrorReason::NestedError(Box::new(e)).into())
    }
}

/// One call of a date helper, with its arguments as handlebars evaluated them.
struct Call<'a> {
    kind: Kind,
    params: &'a [&'a Json],
    hash: &'a [(&'a str, &'a Json)],
}

impl Call<'_> {
    fn evaluate(&self, clock: Clock) -> Result<String, HelperError> {
        self.check_shape()?;
        let zone = self.zone()?;
        match self.kind {
            Kind::Now => Ok(Zoned::new(clock.0, zone).rfc3339()),
            Kind::Ago => {
                let duration = self.duration()?;
                let at = TimeDelta::from_std(duration)
                    .ok()
                    .and_then(|delta| clock.0.checked_sub_signed(delta))
                    .ok_or_else(|| {
                        self.error(
                            "the result is before the earliest date drbook can represent"
                                .to_owned(),
                            None,
                        )
                    })?;
                Ok(Zoned::new(at, zone).rfc3339())
            }
            Kind::Today => {
                let date = Zoned::new(clock.0, zone).date();
                let days = self.days()?;
                let magnitude = Days::new(days.unsigned_abs());
                let shifted = if days < 0 {
                    date.checked_sub_days(magnitude)
                } else {
                    date.checked_add_days(magnitude)
                };
                let shifted = shifted
                    .ok_or_else(|| self.error("the date is out of range".to_owned(), None))?;
                Ok(shifted.format("%Y-%m-%d").to_string())
            }
            Kind::FormatDate => self.format_date(zone),
        }
    }

    fn error(&self, message: String, hint: Option<String>) -> HelperError {
        HelperError {
            message: format!("`{}`: {message}", self.kind.name()),
            hint,
        }
    }

    fn usage_hint(&self) -> Option<String> {
        Some(format!("write {}", self.kind.usage()))
    }

    /// The number of arguments and the names of the hash parameters.
    fn check_shape(&self) -> Result<(), HelperError> {
        let expected = self.kind.arity();
        if self.params.len() != expected {
            let wanted = match expected {
                0 => "no arguments".to_owned(),
                1 => "1 argument".to_owned(),
                n => format!("{n} arguments"),
            };
            return Err(self.error(
                format!("takes {wanted}, got {}", self.params.len()),
                self.usage_hint(),
            ));
        }
        let allowed = self.kind.hash_keys();
        if let Some((key, _)) = self.hash.iter().find(|(key, _)| !allowed.contains(key)) {
            let hint = crate::runbook::text::unknown_key_hint(key, allowed);
            return Err(self.error(format!("unknown parameter `{key}`"), Some(hint)));
        }
        Ok(())
    }

    fn hash_value(&self, key: &str) -> Option<&Json> {
        self.hash.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    /// The zone of `tz=`, the same forms as `server_time_zone`; `None` is UTC.
    fn zone(&self) -> Result<Option<ServerTimeZone>, HelperError> {
        let Some(value) = self.hash_value("tz") else {
            return Ok(None);
        };
        let forms = "an IANA name such as Europe/Berlin, or Z, UTC or a UTC offset such as +01:00";
        let Json::String(text) = value else {
            return Err(self.error(
                format!("tz= expects a time zone name, got {}", describe(value)),
                Some(format!("a zone is {forms}")),
            ));
        };
        values::parse_time_zone(text).map(Some).ok_or_else(|| {
            let names = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name());
            let hint = match did_you_mean(text, names) {
                Some(name) => format!("did you mean `{name}`? A zone is {forms}"),
                None => format!("a zone is {forms}"),
            };
            self.error(format!("unknown time zone {text:?}"), Some(hint))
        })
    }

    fn duration(&self) -> Result<std::time::Duration, HelperError> {
        let value = self.params[0];
        value
            .as_str()
            .and_then(values::parse_duration)
            .ok_or_else(|| {
                self.error(
                    format!(
                        "expected a duration such as \"24h\", \"1d\" or \"1h30m\" (at most 366 days), got {}",
                        describe(value)
                    ),
                    self.usage_hint(),
                )
            })
    }

    fn days(&self) -> Result<i64, HelperError> {
        let Some(value) = self.hash_value("days") else {
            return Ok(0);
        };
        let days = match value {
            Json::Number(n) => n.as_i64(),
            Json::String(s) => s.trim().parse().ok(),
            _ => None,
        };
        days.filter(|d| d.abs() <= MAX_DAYS).ok_or_else(|| {
            self.error(
                format!(
                    "days= expects a whole number of days from -{MAX_DAYS} to {MAX_DAYS}, got {}",
                    describe(value)
                ),
                Some("days=-1 is yesterday".to_owned()),
            )
        })
    }

    fn format_date(&self, zone: Option<ServerTimeZone>) -> Result<String, HelperError> {
        let (date_value, format_value) = (self.params[0], self.params[1]);
        let date = date_value.as_str().and_then(DateArg::parse).ok_or_else(|| {
            self.error(
                format!(
                    "expected a date-time such as 2026-11-28T22:00:00Z (from `now` or `ago`), 2026-11-28T22:00 or a date such as 2026-11-28, got {}",
                    describe(date_value)
                ),
                self.usage_hint(),
            )
        })?;
        let Json::String(format) = format_value else {
            return Err(self.error(
                format!(
                    "expected a strftime format such as \"%Y-%m-%dT%H:%M\", got {}",
                    describe(format_value)
                ),
                self.usage_hint(),
            ));
        };
        // A specifier chrono does not know makes its `Display` fail (and `to_string()`
        // panic): find it before formatting, to say what is wrong.
        let items: Vec<Item<'_>> = StrftimeItems::new(format).collect();
        if items.iter().any(|item| matches!(item, Item::Error)) {
            return Err(self.error(
                format!("invalid format {format:?}"),
                Some(
                    "use chrono's strftime specifiers, such as %Y-%m-%d %H:%M:%S; write a literal % as %%".to_owned(),
                ),
            ));
        }
        let formatted = match (date, zone) {
            (DateArg::Instant(at), Some(zone)) => {
                Zoned::new(at.with_timezone(&Utc), Some(zone)).format(&items)
            }
            // `Z` (what `now` and `ago` give) stays UTC, so `%Z` says "UTC".
            (DateArg::Instant(at), None) if at.offset().local_minus_utc() == 0 => {
                Zoned::Utc(at.with_timezone(&Utc)).format(&items)
            }
            (DateArg::Instant(at), None) => Zoned::Fixed(at).format(&items),
            (DateArg::Local(_) | DateArg::Day(_), Some(_)) => {
                return Err(self.error(
                    format!(
                        "{} has no UTC offset, so tz= cannot convert it",
                        describe(date_value)
                    ),
                    Some(
                        "give a date-time with an offset (the result of `now` or `ago`), or leave out tz=".to_owned(),
                    ),
                ));
            }
            (DateArg::Local(at), None) => written(at.format_with_items(items.iter())),
            (DateArg::Day(day), None) => written(day.format_with_items(items.iter())),
        };
        formatted.ok_or_else(|| {
            self.error(
                format!(
                    "the format {format:?} asks for a time of day or a UTC offset that {} does not have",
                    describe(date_value)
                ),
                None,
            )
        })
    }
}

/// A value as a message quotes it: strings quoted (and escaped), other JSON as written.
fn describe(value: &Json) -> String {
    match value {
        Json::String(s) => format!("{s:?}"),
        Json::Number(n) => format!("the number {n}"),
        Json::Null => "null".to_owned(),
        other => other.to_string(),
    }
}

/// The date `format_date` formats.
enum DateArg {
    /// With an offset: an instant that `tz=` can convert.
    Instant(DateTime<FixedOffset>),
    /// A wall-clock date-time without an offset, formatted as it is.
    Local(NaiveDateTime),
    /// A calendar date.
    Day(NaiveDate),
}

impl DateArg {
    /// The forms a restore point takes, and a plain `YYYY-MM-DD` (what `today` gives).
    fn parse(text: &str) -> Option<DateArg> {
        match values::parse_restore_point(text) {
            Some(RestorePoint::Offset(at)) => Some(DateArg::Instant(at)),
            Some(RestorePoint::Local(at)) => Some(DateArg::Local(at)),
            Some(RestorePoint::Latest) => None,
            // chrono alone would also take `2026-1-5`.
            None => (text.len() == 10 && text.is_ascii())
                .then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
                .flatten()
                .map(DateArg::Day),
        }
    }
}

/// An instant as it is shown: in UTC, at a fixed offset, or in a named zone.
enum Zoned {
    Utc(DateTime<Utc>),
    Fixed(DateTime<FixedOffset>),
    Named(DateTime<Tz>),
}

impl Zoned {
    fn new(at: DateTime<Utc>, zone: Option<ServerTimeZone>) -> Zoned {
        match zone {
            None => Zoned::Utc(at),
            Some(ServerTimeZone::Fixed(offset)) => Zoned::Fixed(at.with_timezone(&offset)),
            Some(ServerTimeZone::Named(tz)) => Zoned::Named(at.with_timezone(&tz)),
        }
    }

    /// RFC 3339 to the second; `Z` for UTC.
    fn rfc3339(&self) -> String {
        match self {
            Zoned::Utc(at) => at.to_rfc3339_opts(SecondsFormat::Secs, true),
            Zoned::Fixed(at) => at.to_rfc3339_opts(SecondsFormat::Secs, true),
            Zoned::Named(at) => at.to_rfc3339_opts(SecondsFormat::Secs, true),
        }
    }

    /// The calendar date where it is shown.
    fn date(&self) -> NaiveDate {
        match self {
            Zoned::Utc(at) => at.date_naive(),
            Zoned::Fixed(at) => at.date_naive(),
            Zoned::Named(at) => at.date_naive(),
        }
    }

    fn format(&self, items: &[Item<'_>]) -> Option<String> {
        match self {
            Zoned::Utc(at) => written(at.format_with_items(items.iter())),
            Zoned::Fixed(at) => written(at.format_with_items(items.iter())),
            Zoned::Named(at) => written(at.format_with_items(items.iter())),
        }
    }
}

/// The text of a chrono format, or `None` where it asks for a field the value lacks (a time
/// of day of a date, an offset of a wall-clock time). `write!` reports that failure, where
/// `to_string()` would panic.
fn written(formatted: impl std::fmt::Display) -> Option<String> {
    let mut out = String::new();
    write!(out, "{formatted}").ok().map(|()| out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    /// A Saturday night in November: Berlin is at +01:00.
    fn clock() -> Clock {
        Clock::parse("2026-11-28T02:00:00Z").unwrap()
    }

    fn render_at(clock: Clock, template: &str, context: &Json) -> Result<String, String> {
        let mut hb = Handlebars::new();
        hb.set_strict_mode(true);
        hb.register_escape_fn(handlebars::no_escape);
        register(&mut hb, clock);
        hb.render_template(template, context)
            .map_err(|e| match e.reason() {
                RenderErrorReason::NestedError(inner) => inner.to_string(),
                other => format!("other: {other}"),
            })
    }

    fn render(template: &str) -> Result<String, String> {
        render_at(clock(), template, &json!({}))
    }

    fn ok(template: &str) -> String {
        render(template).unwrap_or_else(|e| panic!("{template}: {e}"))
    }

    fn err(template: &str) -> String {
        render(template).expect_err(template)
    }

    #[test]
    fn every_helper_is_registered_under_its_published_name() {
        assert_eq!(Kind::ALL.map(Kind::name), HELPERS);
    }

    #[test]
    fn the_clock_is_whole_seconds_of_utc() {
        let c = Clock::parse("2026-11-28T03:00:00.750+01:00").unwrap();
        assert_eq!(c.to_string(), "2026-11-28T02:00:00Z");
        assert_eq!(c, clock());
        assert!(Clock::parse("2026-11-28T02:00:00").is_err(), "no offset");
        assert!(
            Clock::parse("yesterday")
                .unwrap_err()
                .to_string()
                .contains("RFC 3339")
        );
        assert_eq!(Clock::now().instant().timestamp_subsec_nanos(), 0);
    }

    #[test]
    fn now_is_the_clock() {
        assert_eq!(ok("{{now}}"), "2026-11-28T02:00:00Z");
        assert_eq!(
            ok(r#"{{now tz="Europe/Berlin"}}"#),
            "2026-11-28T03:00:00+01:00"
        );
        assert_eq!(ok(r#"{{now tz="-05:00"}}"#), "2026-11-27T21:00:00-05:00");
        assert_eq!(ok(r#"{{now tz="UTC"}}"#), "2026-11-28T02:00:00Z");
        // A July clock: daylight saving time applies.
        let july = Clock::parse("2026-07-01T12:00:00Z").unwrap();
        assert_eq!(
            render_at(july, r#"{{now tz="Europe/Berlin"}}"#, &json!({})).unwrap(),
            "2026-07-01T14:00:00+02:00"
        );
    }

    #[test]
    fn today_is_the_clocks_date_where_asked() {
        assert_eq!(ok("{{today}}"), "2026-11-28");
        assert_eq!(ok(r#"{{today tz="America/New_York"}}"#), "2026-11-27");
        assert_eq!(ok("{{today days=-1}}"), "2026-11-27");
        assert_eq!(ok("{{today days=3}}"), "2026-12-01");
        assert_eq!(ok(r#"{{today days="-1"}}"#), "2026-11-27");
        assert_eq!(
            ok(r#"{{today days=-1 tz="Europe/Berlin"}}T22:00"#),
            "2026-11-27T22:00"
        );
    }

    #[test]
    fn yesterday_by_the_calendar_survives_a_daylight_saving_night() {
        // 00:30 in Berlin on the day after clocks went forward: 24 hours earlier is already
        // the day before yesterday there, the calendar's yesterday is not.
        let c = Clock::parse("2026-03-29T22:30:00Z").unwrap();
        let at = |t: &str| render_at(c, t, &json!({})).unwrap();
        assert_eq!(at(r#"{{today tz="Europe/Berlin"}}"#), "2026-03-30");
        assert_eq!(at(r#"{{today days=-1 tz="Europe/Berlin"}}"#), "2026-03-29");
        assert_eq!(
            at(r#"{{format_date (ago "24h") "%Y-%m-%d" tz="Europe/Berlin"}}"#),
            "2026-03-28"
        );
    }

    #[test]
    fn ago_subtracts_a_duration_from_the_clock() {
        assert_eq!(ok(r#"{{ago "24h"}}"#), "2026-11-27T02:00:00Z");
        assert_eq!(ok(r#"{{ago "1d 4h 30m"}}"#), "2026-11-26T21:30:00Z");
        assert_eq!(ok(r#"{{ago "0s"}}"#), ok("{{now}}"));
        assert_eq!(
            ok(r#"{{ago "4h" tz="Europe/Berlin"}}"#),
            "2026-11-27T23:00:00+01:00"
        );
        let context = json!({ "lookback": "2h" });
        assert_eq!(
            render_at(clock(), "{{ago lookback}}", &context).unwrap(),
            "2026-11-28T00:00:00Z"
        );
    }

    #[test]
    fn format_date_formats_in_the_zone_asked_for() {
        assert_eq!(
            ok(r#"{{format_date (ago "1d") "%Y-%m-%dT22:00" tz="Europe/Berlin"}}"#),
            "2026-11-27T22:00"
        );
        assert_eq!(
            ok(r#"{{format_date (now) "%Y-%m-%dT%H:%M:%S" tz="Europe/Berlin"}}"#),
            "2026-11-28T03:00:00"
        );
        assert_eq!(
            ok(r#"{{format_date (now) "%d.%m.%Y %H:%M %Z"}}"#),
            "28.11.2026 02:00 UTC"
        );
        assert_eq!(
            ok(r#"{{format_date (now) "%H:%M %Z" tz="Europe/Berlin"}}"#),
            "03:00 CET"
        );
        // An instant keeps its own offset without tz=.
        assert_eq!(
            ok(r#"{{format_date "2026-11-28T22:00:00-05:00" "%H:%M %:z"}}"#),
            "22:00 -05:00"
        );
        // Wall-clock values are formatted as they are.
        assert_eq!(ok(r#"{{format_date (today) "%d.%m.%Y"}}"#), "28.11.2026");
        assert_eq!(ok(r#"{{format_date "2026-11-28T22:00" "%H%M"}}"#), "2200");
        assert_eq!(ok(r#"{{format_date (now) "100%%"}}"#), "100%");
        assert_eq!(ok(r#"{{format_date (now) ""}}"#), "");
    }

    #[test]
    fn bad_calls_are_explained() {
        let e = err(r#"{{ago "3 parsecs"}}"#);
        assert!(e.starts_with("`ago`: expected a duration"), "{e}");
        assert!(e.ends_with(r#"got "3 parsecs""#), "{e}");
        assert!(err(r#"{{ago "-1h"}}"#).contains("expected a duration"));
        assert!(err(r#"{{ago "400d"}}"#).contains("at most 366 days"));
        assert!(err("{{ago 24}}").contains("got the number 24"));
        assert_eq!(err("{{ago}}"), "`ago`: takes 1 argument, got 0");
        assert_eq!(err(r#"{{now "x"}}"#), "`now`: takes no arguments, got 1");
        assert_eq!(
            err(r#"{{now tzz="UTC"}}"#),
            "`now`: unknown parameter `tzz`"
        );
        assert_eq!(
            err(r#"{{today tz="Europe/Berln"}}"#),
            r#"`today`: unknown time zone "Europe/Berln""#
        );
        assert!(err("{{today days=400}}").contains("from -366 to 366"));
        assert!(err("{{today days=1.5}}").contains("whole number"));
        assert!(err(r#"{{format_date (now) "%Q"}}"#).contains(r#"invalid format "%Q""#));
        assert!(err(r#"{{format_date "yesterday" "%Y"}}"#).contains(r#"got "yesterday""#));
        assert!(err(r#"{{format_date "latest" "%Y"}}"#).contains("expected a date-time"));
        assert!(err(r#"{{format_date (now) 5}}"#).contains("strftime format"));
        assert!(
            err(r#"{{format_date (today) "%H"}}"#).contains("asks for a time of day"),
            "a date has no hours"
        );
        assert!(err(r#"{{format_date "2026-11-28T22:00" "%z"}}"#).contains("UTC offset"));
        assert!(
            err(r#"{{format_date (today) "%Y" tz="Europe/Berlin"}}"#)
                .contains("has no UTC offset, so tz= cannot convert it")
        );
    }

    #[test]
    fn a_bad_zone_gets_a_suggestion() {
        let call = Call {
            kind: Kind::Today,
            params: &[],
            hash: &[("tz", &json!("Europe/Berln"))],
        };
        let e = call.evaluate(clock()).unwrap_err();
        assert!(
            e.hint.unwrap().starts_with("did you mean `Europe/Berlin`?"),
            "{}",
            e.message
        );
    }

    #[test]
    fn helpers_use_the_clock_not_the_wall_clock() {
        let past = Clock::parse("2001-02-03T04:05:06Z").unwrap();
        let out = render_at(past, "{{now}} {{today}} {{ago \"1s\"}}", &json!({})).unwrap();
        assert_eq!(out, "2001-02-03T04:05:06Z 2001-02-03 2001-02-03T04:05:05Z");
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

        /// Arbitrary strings (and strftime-looking ones) as every argument of every helper
        /// never panic: each call gives a string or a helper error.
        #[test]
        fn arbitrary_arguments_never_panic(
            a in prop_oneof![any::<String>(), "[%a-zA-Z0-9:.# +-]{0,12}", Just("2026-11-28".to_owned())],
            b in prop_oneof![any::<String>(), "(%[-_0#^:.]{0,2}[0-9]?[a-zA-Z+%.:]){0,4}"],
            tz in prop_oneof![any::<String>(), Just("Europe/Berlin".to_owned()), "[+-][0-9]{2}:[0-9]{2}"],
            days in any::<i64>(),
            seconds in -62_000_000_000i64..250_000_000_000,
        ) {
            let clock = Clock::at(DateTime::from_timestamp(seconds, 0).unwrap());
            let context = json!({ "a": a, "b": b, "tz": tz, "days": days });
            for template in [
                "{{now tz=tz}}",
                "{{now a}}",
                "{{today tz=tz days=days}}",
                "{{today days=a}}",
                "{{ago a}}",
                "{{ago a tz=tz}}",
                "{{format_date a b}}",
                "{{format_date a b tz=tz}}",
                "{{format_date (ago a) b tz=tz}}",
                "{{format_date (now) a}}",
            ] {
                match render_at(clock, template, &context) {
                    Ok(_) => {}
                    Err(e) => prop_assert!(e.starts_with('`'), "{template}: {e}"),
                }
            }
        }
    }
}
