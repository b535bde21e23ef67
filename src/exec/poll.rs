//! How often a running plan is read: every poll interval, so that the end of a plan that
//! another step waits for is noticed within one interval, however long the plan runs
//! (a late notice adds up along a runbook's chain of steps). With `defaults.poll_backoff`,
//! at first every poll interval; once the plan has run for twenty intervals, every
//! twentieth of the time it has run so far, up to [`MAX_BACKOFF`]. A long failover is then read a few times a minute instead of every two
//! seconds for hours, and its completion is still noticed within one pause: at most 5 % of
//! the time the plan took, and never more than [`MAX_BACKOFF`] (or the poll interval, when
//! that is longer).

use std::time::Duration;

/// The longest pause backing off reaches; a longer poll interval is kept as it is.
pub const MAX_BACKOFF: Duration = Duration::from_secs(15);

/// The pause is at most this fraction of the time the plan has been running.
const SHARE_OF_RUNNING_TIME: u32 = 20;

/// The pause before the next read of a plan whose action was sent `running_for` ago: the
/// interval, or with `backoff` [`pause`].
pub fn next(interval: Duration, backoff: bool, running_for: Duration) -> Duration {
    if backoff {
        pause(interval, running_for)
    } else {
        interval
    }
}

/// The backing-off pause before the next read of a plan whose action was sent
/// `running_for` ago: never shorter than `interval` (so never more than one read per
/// interval).
pub fn pause(interval: Duration, running_for: Duration) -> Duration {
    interval.max((running_for / SHARE_OF_RUNNING_TIME).min(MAX_BACKOFF))
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn without_backoff_every_plan_is_read_every_interval_however_long_it_runs() {
        for running in [0, 40, 300, 7200, 100_000] {
            assert_eq!(next(S(2), false, S(running)), S(2), "after {running}s");
            assert_eq!(next(S(2), true, S(running)), pause(S(2), S(running)));
        }
        assert_eq!(next(S(2), true, S(7200)), MAX_BACKOFF);
    }

    #[test]
    fn short_runs_are_read_every_interval() {
        assert_eq!(pause(S(2), Duration::ZERO), S(2));
        assert_eq!(pause(S(2), S(40)), S(2));
        assert_eq!(
            pause(Duration::from_millis(100), Duration::ZERO),
            Duration::from_millis(100)
        );
    }

    #[test]
    fn long_runs_back_off_to_a_twentieth_of_their_time_then_stop_growing() {
        assert_eq!(pause(S(2), S(60)), S(3));
        assert_eq!(pause(S(2), S(200)), S(10));
        assert_eq!(pause(S(2), S(300)), MAX_BACKOFF);
        assert_eq!(pause(S(2), S(7200)), MAX_BACKOFF);
        assert_eq!(pause(Duration::from_millis(500), S(60)), S(3));
    }

    #[test]
    fn never_more_often_than_the_interval_asks() {
        for interval in [1, 2, 10, 15, 60, 600] {
            for running in [0, 1, 30, 100, 1000, 100_000] {
                let p = pause(S(interval), S(running));
                assert!(p >= S(interval), "{interval}s after {running}s: {p:?}");
                assert!(p <= S(interval).max(MAX_BACKOFF));
            }
        }
        // A poll interval over the cap is honoured, not shortened.
        assert_eq!(pause(S(60), S(100_000)), S(60));
    }
}
