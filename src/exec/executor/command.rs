//! `command` steps: a program run once, the steps around the plans that VAO does not do
//! (a DNS switch, a smoke test).
//!
//! A command changes the world, so it keeps the promise every state-changing step keeps:
//! its intent (a `spawning` event) is made durable in the journal before the process is
//! started, and `resume` does not start again a command an earlier process had started,
//! unless the runbook says it is `idempotent` (see `Executor::resume_step`).
//!
//! No shell unless the runbook asks for one (`shell:`, run as `sh -c`). The program runs in
//! a process group of its own, so that its timeout kills everything it started
//! (`killpg`), not only the first process. Its output is read as it comes: each line is a
//! progress event, and the last [`TAIL_BYTES`] of each stream are kept for the report.
//! Secrets are masked by every listener (the journal, the report, the progress), like
//! everything else the executor emits.

use super::{Executor, StepEnd};
use crate::exec::event::{Event, Exit, StepResult, Stream};
use crate::runbook::Command;
use crate::runbook::values::format_duration;
use chrono::Utc;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::time::Instant;

/// How much of each stream the report keeps: the end of it.
pub const TAIL_BYTES: usize = 8 * 1024;
/// How much is held to cut that tail from: twice as much, so a secret that the raw cut
/// halves is dropped with the part before the final cut (the mask runs in between).
const HELD_BYTES: usize = 2 * TAIL_BYTES;
/// The longest line held whole for progress (a line without an end comes in pieces of this
/// size; the progress printer shortens what it shows, after masking).
const MAX_LINE_BYTES: usize = 64 * 1024;
/// How long the output is still read after the program ended: a process it left behind
/// that holds the pipes open must not hold the step.
const DRAIN: Duration = Duration::from_secs(1);

/// One stream of a command's output: its tail, and the line being assembled.
#[derive(Default)]
struct Capture {
    tail: Vec<u8>,
    truncated: bool,
    line: Vec<u8>,
}

impl Capture {
    /// Takes in a chunk; returns the complete lines it ended.
    fn take(&mut self, chunk: &[u8]) -> Vec<String> {
        self.tail.extend_from_slice(chunk);
        if self.tail.len() > HELD_BYTES {
            let cut = self.tail.len() - HELD_BYTES;
            self.tail.drain(..cut);
            self.truncated = true;
        }
        let mut lines = Vec::new();
        for &byte in chunk {
            if byte == b'\n' {
                lines.push(self.flush());
            } else {
                self.line.push(byte);
                if self.line.len() >= MAX_LINE_BYTES {
                    lines.push(self.flush());
                }
            }
        }
        lines
    }

    /// Takes in what a read into `buf` gave: the lines it ended, and whether the stream is
    /// still open. At the stream's end (or a failed read) its unfinished last line ends too.
    fn take_read(&mut self, read: std::io::Result<usize>, buf: &[u8]) -> (Vec<String>, bool) {
        match read {
            Ok(n) if n > 0 => (self.take(&buf[..n]), true),
            _ => {
                let last = self.flush();
                let lines = if last.is_empty() {
                    Vec::new()
                } else {
                    vec![last]
                };
                (lines, false)
            }
        }
    }

    fn flush(&mut self) -> String {
        let line = String::from_utf8_lossy(&self.line)
            .trim_end_matches('\r')
            .to_owned();
        self.line.clear();
        line
    }

    /// What the report keeps: the held output masked, then its last [`TAIL_BYTES`],
    /// from a line's beginning where there is one.
    fn text(&self, redactor: &crate::secret::Redactor) -> String {
        let masked = redactor.redact(&String::from_utf8_lossy(&self.tail));
        if masked.len() <= TAIL_BYTES && !self.truncated {
            return masked;
        }
        let mut start = masked.len().saturating_sub(TAIL_BYTES);
        while !masked.is_char_boundary(start) {
            start += 1;
        }
        let tail = &masked[start..];
        match tail.find('\n') {
            Some(at) if at + 1 < tail.len() => tail[at + 1..].to_owned(),
            _ => tail.to_owned(),
        }
    }

    /// Whether the report's tail is not all the stream held.
    fn cut(&self) -> bool {
        self.truncated || self.tail.len() > TAIL_BYTES
    }
}

/// The step's end, from how its command ended and the last line it wrote to stderr: one
/// judgement, for a command that ran now and for one an earlier process saw end.
pub(super) fn judge(command: &Command, ended: &Exit, stderr: &str) -> StepEnd {
    let last_words = stderr
        .lines()
        .rfind(|l| !l.trim().is_empty())
        .map(|l| format!(": {}", l.trim()))
        .unwrap_or_default();
    if ended.timed_out {
        return StepEnd::Done(
            StepResult::Failed,
            Some(format!(
                "the command did not finish within {}: its process group was killed{last_words}",
                format_duration(command.timeout)
            )),
        );
    }
    match (ended.code, ended.signal) {
        (Some(code), _) if code == command.expect_exit => {
            StepEnd::Done(StepResult::Succeeded, None)
        }
        (Some(code), _) => StepEnd::Done(
            StepResult::Failed,
            Some(format!(
                "the command exited with status {code}, expected {}{last_words}",
                command.expect_exit
            )),
        ),
        (None, Some(signal)) => StepEnd::Done(
            StepResult::Failed,
            Some(format!(
                "the command was killed by signal {signal}{last_words}"
            )),
        ),
        (None, None) => StepEnd::Done(
            StepResult::Failed,
            Some("drbook lost track of the command: its exit status is unknown".to_owned()),
        ),
    }
}

/// Kills the whole process group the command leads.
fn kill_group(pid: Option<u32>) {
    #[cfg(unix)]
    if let Some(pid) = pid.and_then(|p| rustix::process::Pid::from_raw(p as i32)) {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
}

impl Executor<'_> {
    /// `command`: journal the intent, start the program in its own process group, stream
    /// its output, and judge its exit status (killing the group at the timeout).
    pub(super) async fn command(&mut self, number: usize, command: &Command) -> StepEnd {
        if self.is_interrupted() {
            return StepEnd::Interrupted(
                "interrupted before the command was started; it was not started".to_owned(),
            );
        }
        let argv = command.line.argv();
        self.emit(Event::Spawning {
            step: number,
            command: command.line.to_string(),
            cwd: command.cwd.as_ref().map(|c| c.display().to_string()),
            env: command.env.iter().map(|(name, _)| name.clone()).collect(),
            at: Utc::now(),
        });
        // The intent must be durable before the program starts.
        if !self.journal_ok() {
            return StepEnd::Done(
                StepResult::Failed,
                Some(
                    "the run's journal cannot be written, so the intent to run this command is not durable: it was not started"
                        .to_owned(),
                ),
            );
        }
        let mut process = tokio::process::Command::new(&argv[0]);
        process
            .args(&argv[1..])
            .envs(command.env.iter().map(|(k, v)| (k, v)))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true);
        #[cfg(unix)]
        process.process_group(0);
        if let Some(cwd) = &command.cwd {
            process.current_dir(cwd);
        }
        let started = Instant::now();
        let mut child = match process.spawn() {
            Ok(child) => child,
            Err(error) => {
                return StepEnd::Done(
                    StepResult::Failed,
                    Some(format!("could not start {}: {error}", argv[0])),
                );
            }
        };
        let pid = child.id();
        let (mut out, mut err) = (Capture::default(), Capture::default());
        let ended = self
            .supervise(number, command, &mut child, pid, &mut out, &mut err)
            .await;
        let elapsed = started.elapsed();
        let redactor = self.options.redactor.clone();
        let (stdout, stderr) = (out.text(&redactor), err.text(&redactor));
        self.emit(Event::Exited {
            step: number,
            code: ended.code,
            signal: ended.signal,
            timed_out: ended.timed_out,
            elapsed,
            stdout,
            stderr: stderr.clone(),
            truncated: out.cut() || err.cut(),
            at: Utc::now(),
        });
        judge(command, &ended, &stderr)
    }

    /// Reads the output as it comes until the program has ended and its pipes are closed
    /// (or [`DRAIN`] after its end); at the timeout, kills its process group.
    async fn supervise(
        &mut self,
        number: usize,
        command: &Command,
        child: &mut tokio::process::Child,
        pid: Option<u32>,
        out: &mut Capture,
        err: &mut Capture,
    ) -> Exit {
        let mut stdout = child.stdout.take();
        let mut stderr = child.stderr.take();
        let (mut out_buf, mut err_buf) = (vec![0u8; 8192], vec![0u8; 8192]);
        let deadline = Instant::now() + command.timeout;
        let mut timed_out = false;
        let mut status: Option<std::process::ExitStatus> = None;
        let mut drain_until: Option<Instant> = None;
        loop {
            let reading = stdout.is_some() || stderr.is_some();
            if status.is_some() && !reading {
                break;
            }
            tokio::select! {
                n = async { stdout.as_mut().unwrap().read(&mut out_buf).await }, if stdout.is_some() => {
                    let (lines, open) = out.take_read(n, &out_buf);
                    self.lines(number, Stream::Stdout, lines);
                    if !open { stdout = None; }
                }
                n = async { stderr.as_mut().unwrap().read(&mut err_buf).await }, if stderr.is_some() => {
                    let (lines, open) = err.take_read(n, &err_buf);
                    self.lines(number, Stream::Stderr, lines);
                    if !open { stderr = None; }
                }
                waited = child.wait(), if status.is_none() => {
                    status = waited.ok();
                    // The group goes with its leader at a timeout; otherwise what it left
                    // running may keep the pipes a moment longer.
                    drain_until = Some(Instant::now() + DRAIN);
                    if status.is_none() {
                        break;
                    }
                }
                _ = tokio::time::sleep_until(deadline), if !timed_out && status.is_none() => {
                    timed_out = true;
                    kill_group(pid);
                }
                _ = tokio::time::sleep_until(drain_until.unwrap_or(deadline)), if drain_until.is_some() => {
                    break;
                }
            }
        }
        if timed_out {
            // Whatever of the group outlived its leader goes too.
            kill_group(pid);
        }
        #[cfg(unix)]
        let signal = status.and_then(|s| std::os::unix::process::ExitStatusExt::signal(&s));
        #[cfg(not(unix))]
        let signal = None;
        Exit {
            code: status.and_then(|s| s.code()),
            signal,
            timed_out,
        }
    }

    fn lines(&mut self, number: usize, stream: Stream, lines: Vec<String>) {
        for line in lines {
            self.emit(Event::Output {
                step: number,
                stream,
                line,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tail_is_kept_from_a_line_start_and_lines_are_split() {
        let none = crate::secret::Redactor::default();
        let mut capture = Capture::default();
        assert_eq!(capture.take(b"one\ntw"), ["one"]);
        assert_eq!(capture.take(b"o\n"), ["two"]);
        assert_eq!(capture.text(&none), "one\ntwo\n");
        assert!(!capture.cut());
        let long: Vec<u8> = (0..TAIL_BYTES)
            .map(|i| if i % 10 == 9 { b'\n' } else { b'x' })
            .collect();
        capture.take(&long);
        assert!(capture.cut());
        let text = capture.text(&none);
        assert!(
            text.len() < TAIL_BYTES && text.starts_with("xxxxxxxxx\n"),
            "{text:?}"
        );
        assert!(!text.contains("two"));
    }

    #[test]
    fn a_secret_the_cut_would_halve_is_masked_first() {
        let secret = "s3cr3t-".repeat(10);
        let redactor = crate::secret::Redactor::new([secret.clone()]);
        let mut capture = Capture::default();
        // One long line with the secret across the point where a raw cut would fall (its
        // last 20 characters inside the tail).
        let after = "z".repeat(TAIL_BYTES - 20);
        let line = format!("{}{secret}{after}", "y".repeat(100));
        capture.take(line.as_bytes());
        let text = capture.text(&redactor);
        assert!(
            !text.contains("3cr3t"),
            "a part of the secret is left: {text}"
        );
        assert!(text.ends_with(&format!("***{after}")));
    }

    #[test]
    fn a_line_without_an_end_comes_in_pieces() {
        let mut capture = Capture::default();
        let lines = capture.take(&vec![b'y'; MAX_LINE_BYTES * 2 + 3]);
        assert_eq!(lines.len(), 2);
        assert_eq!(capture.flush(), "yyy");
    }
}
