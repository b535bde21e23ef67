//! One process, measured from the outside as `/usr/bin/time -v` would: wall time from spawn
//! to exit, and its peak resident memory (`ru_maxrss` from `wait4`).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub wall: Duration,
    /// Peak resident set, KiB.
    pub max_rss_kib: u64,
    pub exit: i32,
}

/// Runs `command` to its end, output discarded unless the caller set it.
pub fn run(command: &mut Command) -> std::io::Result<Sample> {
    command.stdin(Stdio::null());
    let started = Instant::now();
    let child = command.spawn()?;
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain old data; wait4 fills it for the child we just spawned.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = loop {
        // SAFETY: waits for our own child; `status` and `usage` outlive the call.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == -1 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        break r;
    };
    let wall = started.elapsed();
    if waited == -1 {
        return Err(std::io::Error::last_os_error());
    }
    // The child is reaped: `Child` must not wait for it again (it does not on drop).
    drop(child);
    let exit = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        128 + libc::WTERMSIG(status)
    };
    Ok(Sample {
        wall,
        max_rss_kib: usage.ru_maxrss as u64,
        exit,
    })
}

/// The median of some durations (the upper one of an even count).
pub fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values.get(values.len() / 2).copied().unwrap_or_default()
}

pub fn median_u64(mut values: Vec<u64>) -> u64 {
    values.sort();
    values.get(values.len() / 2).copied().unwrap_or_default()
}

/// `12.3 ms`, `1.23 s`, `456 µs`.
pub fn fmt_duration(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us < 1_000.0 {
        format!("{us:.0} µs")
    } else if us < 1_000_000.0 {
        format!("{:.1} ms", us / 1e3)
    } else {
        format!("{:.2} s", us / 1e6)
    }
}

pub fn fmt_mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

pub fn quiet(command: &mut Command) -> &mut Command {
    command.stdout(Stdio::null()).stderr(Stdio::null())
}
