//! Polling: a plan that takes T seconds; how long after it finished drbook noticed, how many
//! reads it made, and the pauses between them (as the server saw them), with the default
//! poll settings and with `--poll-interval`.

use super::measure::{self, fmt_duration, quiet};
use super::server::Server;
use super::table::{Table, Verdicts};
use super::tools::{self, Programs, Setup};
use std::path::Path;
use std::time::Duration;

/// The default poll interval (`defaults.poll_interval`).
const DEFAULT_INTERVAL: Duration = Duration::from_secs(2);

pub fn bench(
    programs: &Programs,
    dir: &Path,
    server: &Server,
    times: &[Duration],
    verdicts: &mut Verdicts,
) {
    println!("## Polling a plan that takes T seconds\n");
    println!(
        "Delay: from the moment the plan finished (failover accepted + T) to the first read that saw it done, both on the server's clock. Pauses: between consecutive runtime-details reads.\n"
    );
    let url = server.url();
    let mut table = Table::new(&[
        "T",
        "settings",
        "reads",
        "reads at a fixed interval",
        "delay",
        "shortest pause",
        "longest pause",
    ]);
    for &time in times {
        for interval in [None, Some(Duration::from_millis(500))] {
            let setup = Setup::http_waiting(programs, dir, &url, 1);
            tools::fresh(dir);
            server.set_failover_time(time);
            server.reset();
            let mut command = tools::drbook(&setup, &dir.join("state"));
            let settings = match interval {
                Some(i) => {
                    command.args(["--poll-interval", &format!("{}ms", i.as_millis())]);
                    format!("--poll-interval {}ms", i.as_millis())
                }
                None => "default (2s)".to_owned(),
            };
            let sample = measure::run(quiet(&mut command)).expect("drbook run");
            let (_, tracks) = server.reset();
            server.set_failover_time(Duration::ZERO);
            let interval = interval.unwrap_or(DEFAULT_INTERVAL);
            let Some(track) = tracks.into_values().next().filter(|_| sample.exit == 0) else {
                table.row(vec![
                    format!("{}s", time.as_secs()),
                    settings,
                    format!("run failed (exit {})", sample.exit),
                ]);
                continue;
            };
            let finished = track.posted + time;
            let seen = track
                .reads
                .iter()
                .find(|(_, done)| *done)
                .map(|(at, _)| *at);
            let delay = seen.map(|at| at.saturating_duration_since(finished));
            let pauses: Vec<Duration> = track
                .reads
                .windows(2)
                .map(|w| w[1].0.duration_since(w[0].0))
                .collect();
            let shortest = pauses.iter().min().copied().unwrap_or_default();
            let longest = pauses.iter().max().copied().unwrap_or_default();
            let fixed = time.as_millis() / interval.as_millis() + 1;
            table.row(vec![
                format!("{}s", time.as_secs()),
                settings.clone(),
                track.reads.len().to_string(),
                fixed.to_string(),
                delay.map_or("never".to_owned(), fmt_duration),
                fmt_duration(shortest),
                fmt_duration(longest),
            ]);
            // The end of a plan is noticed within one poll interval, however long it ran:
            // a late notice would delay every step that waits for it (issue: recovery at
            // the critical path). `defaults.poll_backoff` opts into fewer reads instead.
            verdicts.check(
                delay.is_some_and(|d| d <= interval.mul_f64(1.05)),
                format!(
                    "T = {}s, {settings}: completion noticed within one poll interval ({} ≤ {})",
                    time.as_secs(),
                    delay.map_or("never".to_owned(), fmt_duration),
                    fmt_duration(interval)
                ),
            );
            verdicts.check(
                shortest.as_secs_f64() >= interval.as_secs_f64() * 0.95 || pauses.is_empty(),
                format!(
                    "T = {}s, {settings}: at most one read per interval (shortest pause {})",
                    time.as_secs(),
                    fmt_duration(shortest)
                ),
            );
            verdicts.check(
                longest.as_secs_f64() <= interval.as_secs_f64() * 1.05 || pauses.is_empty(),
                format!(
                    "T = {}s, {settings}: read every interval however long the plan runs (longest pause {}, {} reads, {fixed} at a fixed interval)",
                    time.as_secs(),
                    fmt_duration(longest),
                    track.reads.len()
                ),
            );
        }
    }
    table.print();
}
