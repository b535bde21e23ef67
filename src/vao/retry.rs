//! Retrying: exponential backoff with jitter, `Retry-After` honoured, and which statuses
//! allow a retry at all ([`super::VaoError::is_retryable`] judges whole errors).
//!
//! Reads (GET, token requests) are safe to repeat and are retried freely within a policy. A
//! failover is not: the executor retries it only after reading the plan shows that the
//! earlier attempt was not accepted.

use std::time::Duration;

/// The longest pause between two tries, whatever the doubling or the server says.
const MAX_PAUSE: Duration = Duration::from_secs(300);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries after the first.
    pub retries: u32,
    /// The first pause; it doubles with each retry.
    pub delay: Duration,
}

impl RetryPolicy {
    pub const NONE: RetryPolicy = RetryPolicy {
        retries: 0,
        delay: Duration::ZERO,
    };

    /// The pause before retry number `retry` (1-based): `delay × 2^(retry-1)` with ±50 %
    /// jitter (so clients that failed together do not come back together), at least what
    /// the server asked for with `Retry-After`, never more than five minutes.
    pub fn pause(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let doubled = self
            .delay
            .saturating_mul(2u32.saturating_pow(retry.saturating_sub(1)).max(1));
        let jittered = doubled.mul_f64(0.5 + jitter());
        jittered.max(retry_after.unwrap_or_default()).min(MAX_PAUSE)
    }
}

/// A number in [0, 1) from the operating system's randomness (through UUID v4), so that no
/// extra crate is needed for jitter.
fn jitter() -> f64 {
    (uuid::Uuid::new_v4().as_u128() % 1_000_000) as f64 / 1_000_000.0
}

/// Whether an answer's status asks for another try of a read: the server is too busy or
/// failed (5xx, 429, 408). Any other answer would be the same the next time.
pub fn is_retryable_status(status: u16) -> bool {
    status >= 500 || status == 429 || status == 408
}

/// `Retry-After` in seconds or as an HTTP date.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    (at.with_timezone(&chrono::Utc) - chrono::Utc::now())
        .to_std()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_double_with_jitter_and_respect_retry_after() {
        let policy = RetryPolicy {
            retries: 5,
            delay: Duration::from_secs(2),
        };
        for _ in 0..50 {
            let first = policy.pause(1, None);
            assert!(first >= Duration::from_secs(1) && first < Duration::from_secs(3));
            let third = policy.pause(3, None);
            assert!(third >= Duration::from_secs(4) && third < Duration::from_secs(12));
        }
        assert!(policy.pause(1, Some(Duration::from_secs(30))) >= Duration::from_secs(30));
        assert_eq!(policy.pause(40, None), MAX_PAUSE);
        assert_eq!(
            policy.pause(1, Some(Duration::from_secs(86_400))),
            MAX_PAUSE
        );
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        assert_eq!(parse_retry_after(" 7 "), Some(Duration::from_secs(7)));
        let later = (chrono::Utc::now() + chrono::Duration::seconds(90)).to_rfc2822();
        let parsed = parse_retry_after(&later).unwrap();
        assert!(parsed > Duration::from_secs(80) && parsed <= Duration::from_secs(90));
        assert_eq!(parse_retry_after("soon"), None);
    }
}
