//! One process, measured from the outside as `/usr/bin/time -v` would: wall time from spawn
//! to exit, and its peak resident memory (`ru_maxrss` from `wait4`).
//!
//! A process's `ru_maxrss` starts at its parent's resident size when it execs (Linux carries
//! the peak of the image it replaces over, after `fork` and `vfork` alike), so a program
//! spawned by this benchmark, tens of MB with its servers and clients' buffers, would be
//! charged the benchmark's own size: the floor looked 2 to 5 MB larger than it is. Every
//! program is therefore spawned by a waiter, this executable started afresh (`e2e waiter`,
//! a few MB, less than anything it measures), which times it and reads its peak, as
//! `/usr/bin/time` does.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub wall: Duration,
    /// Peak resident set, KiB.
    pub max_rss_kib: u64,
    pub exit: i32,
}

/// The waiter's mode: `e2e waiter REPORT PROGRAM [ARGS...]`.
pub const WAITER: &str = "waiter";

/// Runs `command` to its end through a waiter (see the module's doc), its input and output
/// discarded: its program, arguments, environment and directory are the waiter's to use.
pub fn run(command: &mut Command) -> std::io::Result<Sample> {
    let report = tempfile::NamedTempFile::new()?;
    let mut waiter = Command::new(std::env::current_exe()?);
    waiter.arg(WAITER).arg(report.path());
    let mut waiter = wrapping(waiter, command);
    let status = quiet(&mut waiter).stdin(Stdio::null()).status()?;
    let text = std::fs::read_to_string(report.path())?;
    let fields: Vec<u64> = text
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    match fields[..] {
        [wall_ns, max_rss_kib, exit] if status.success() => Ok(Sample {
            wall: Duration::from_nanos(wall_ns),
            max_rss_kib,
            exit: exit as i32,
        }),
        _ => Err(std::io::Error::other(format!(
            "the waiter failed ({status}): {text:?}"
        ))),
    }
}

/// `wrapper` (a program and its first arguments) followed by `inner`'s program and
/// arguments, with `inner`'s environment and directory: `inner` run by another program.
pub fn wrapping(mut wrapper: Command, inner: &Command) -> Command {
    wrapper.arg(inner.get_program()).args(inner.get_args());
    for (name, value) in inner.get_envs() {
        match value {
            Some(value) => wrapper.env(name, value),
            None => wrapper.env_remove(name),
        };
    }
    if let Some(dir) = inner.get_current_dir() {
        wrapper.current_dir(dir);
    }
    wrapper
}

/// `e2e waiter REPORT PROGRAM [ARGS...]`: runs the program (input, output, environment and
/// directory as given to the waiter) and writes `WALL_NS MAX_RSS_KIB EXIT` to REPORT.
pub fn waiter(args: &[String]) -> i32 {
    let [report, program, rest @ ..] = args else {
        eprintln!("waiter REPORT PROGRAM [ARGS...]");
        return 2;
    };
    let mut command = Command::new(program);
    command.args(rest);
    match sample(&mut command) {
        Ok(s) => {
            let line = format!("{} {} {}\n", s.wall.as_nanos(), s.max_rss_kib, s.exit);
            if std::fs::write(report, line).is_err() {
                return 1;
            }
            0
        }
        Err(e) => {
            eprintln!("waiter: {program}: {e}");
            1
        }
    }
}

/// Spawns `command` and waits for it: its wall time and its own `ru_maxrss`.
fn sample(command: &mut Command) -> std::io::Result<Sample> {
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
