//! The report's instants: chrono date-times that read, print and serialise the way the
//! report has always written them (RFC 3339, UTC, `Z`; to the millisecond, or to the
//! second for the template clock), so the JSON and every rendering stay as they were.

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An instant of the run, to the millisecond: `2026-11-28T02:00:05.250Z`. Kept to the
/// millisecond it is written with, so that a duration measured between two of them is the
/// one a reader of the report measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    pub fn utc(self) -> DateTime<Utc> {
        self.0
    }

    /// Milliseconds from this instant to `to`; `None` when `to` comes first.
    pub fn millis_until(self, to: impl Into<Timestamp>) -> Option<u64> {
        u64::try_from((to.into().0 - self.0).num_milliseconds()).ok()
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(at: DateTime<Utc>) -> Timestamp {
        Timestamp(at.trunc_subsecs(3))
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
        DateTime::<Utc>::deserialize(deserializer).map(Timestamp::from)
    }
}

/// `#[serde(with = "whole_seconds")]`: an instant written to the second,
/// `2026-11-28T02:00:00Z` (the template clock, which `--now` takes back).
pub mod whole_seconds {
    use super::*;

    /// The instant as written.
    pub fn text(at: DateTime<Utc>) -> String {
        at.to_rfc3339_opts(SecondsFormat::Secs, true)
    }

    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&text(*at))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<DateTime<Utc>, D::Error> {
        DateTime::<Utc>::deserialize(deserializer).map(|at| at.trunc_subsecs(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 28, 2, 0, 5).unwrap()
            + chrono::Duration::microseconds(250_700)
    }

    #[test]
    fn instants_are_written_as_reports_always_wrote_them() {
        let stamp = Timestamp::from(at());
        assert_eq!(stamp.to_string(), "2026-11-28T02:00:05.250Z");
        assert_eq!(
            serde_json::to_string(&stamp).unwrap(),
            "\"2026-11-28T02:00:05.250Z\""
        );
        let whole = Timestamp::from(Utc.with_ymd_and_hms(2026, 11, 28, 2, 0, 0).unwrap());
        assert_eq!(whole.to_string(), "2026-11-28T02:00:00.000Z");
        assert_eq!(whole_seconds::text(at()), "2026-11-28T02:00:05Z");
    }

    #[test]
    fn instants_read_back_unchanged_and_measure_to_the_written_millisecond() {
        let stamp = Timestamp::from(at());
        let read: Timestamp =
            serde_json::from_str(&serde_json::to_string(&stamp).unwrap()).unwrap();
        assert_eq!(read, stamp);
        let older: Timestamp = serde_json::from_str("\"2026-11-28T02:00:00Z\"").unwrap();
        assert_eq!(older.millis_until(stamp), Some(5_250));
        assert_eq!(stamp.millis_until(older), None);
        // What lies past the written millisecond does not count.
        assert_eq!(
            stamp.millis_until(at() + chrono::Duration::microseconds(200)),
            Some(0)
        );
    }
}
