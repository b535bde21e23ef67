//! The report on disk, kept current while the run goes, so that nothing a run did is lost:
//! not when a step fails, not on Ctrl-C, SIGTERM or a second Ctrl-C, not on a panic.
//!
//! The report is shared (the executor's listener and the signal handler both reach it) and
//! written: before the first request (an unwritable report directory stops the run before
//! anything is sent); when a wait begins; after other events at most once a second; and at
//! the end. Each write holds the report's lock, so a write can never
//! interleave with the signal handler's last one.

use super::exit::Exit;
use crate::exec::{Event, Listener, RunResult};
use crate::report::{self, Format, Report, Written};
use crate::secret::Redactor;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How often the report is rewritten while steps finish.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

#[derive(Clone)]
pub struct Checkpoint {
    report: Arc<Mutex<Report>>,
    dir: PathBuf,
    /// Every format is written at every checkpoint, so the files on disk always describe
    /// the same moment. Measured (release build): a 3-step report costs 0.9 ms for JSON and
    /// Markdown and 1.7 ms with JUnit and HTML too; a 300-step one 7 ms and 20 ms, each
    /// write at most once a second.
    formats: Vec<Format>,
    redactor: Redactor,
    last_write: Arc<Mutex<Option<Instant>>>,
}

impl Checkpoint {
    pub fn new(
        report: Report,
        dir: PathBuf,
        formats: Vec<Format>,
        redactor: Redactor,
    ) -> Checkpoint {
        Checkpoint {
            report: Arc::new(Mutex::new(report)),
            dir,
            formats,
            redactor,
            last_write: Arc::default(),
        }
    }

    /// The report, even if a panic poisoned its lock (what it holds is still the truth of
    /// what happened before).
    pub fn report(&self) -> MutexGuard<'_, Report> {
        self.report.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn write(&self) -> std::io::Result<Written> {
        self.write_locked(&self.report())
    }

    fn write_locked(&self, report: &Report) -> std::io::Result<Written> {
        let written = report::write(report, &self.dir, &self.redactor, &self.formats)?;
        *self.last_write.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
        Ok(written)
    }

    /// Closes the report (if the run did not) and writes it for the last time.
    pub fn finish(&self, result: RunResult, error: Option<String>) -> std::io::Result<Written> {
        let mut report = self.report();
        report.close(result, error);
        self.write_locked(&report)
    }

    /// Waits for SIGINT, SIGTERM or SIGHUP: the first asks the executor to stop; the second
    /// writes the report as it stands and quits at once.
    pub fn handle_signals(
        &self,
        stop: tokio::sync::watch::Sender<bool>,
    ) -> tokio::task::JoinHandle<()> {
        let checkpoint = self.clone();
        tokio::spawn(async move {
            let Some(signal) = next_signal().await else {
                return;
            };
            let _ = stop.send(true);
            say!(
                "\n{signal}: finishing the request in flight, then stopping (again to quit at once)"
            );
            if let Some(signal) = next_signal().await {
                say!("{signal} again: quitting now; plans already started keep running in VAO");
                let message = format!("stopped by a second {signal} while a step was in flight");
                match checkpoint.finish(RunResult::Interrupted, Some(message)) {
                    Ok(written) => say!("{}", written.listing()),
                    Err(e) => say!("error: could not write the report: {e}"),
                }
                std::process::exit(i32::from(Exit::Interrupted.code()));
            }
        })
    }
}

impl Listener for Checkpoint {
    fn on_event(&mut self, event: &Event) {
        let mut report = self.report();
        report.on_event(event);
        // A long wait is worth a write before it (its step and everything before it are
        // then on disk); everything else at most once a second, which keeps a long run's
        // cost linear. The journal is the durable record of each request.
        let now = matches!(event, Event::Waiting { .. });
        let due = now
            || self
                .last_write
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .is_none_or(|at| at.elapsed() >= CHECKPOINT_EVERY);
        if due && let Err(e) = self.write_locked(&report) {
            tracing::warn!("could not update the report: {e}");
        }
    }
}

/// The next termination signal's name, or `None` if signals cannot be watched.
#[cfg(unix)]
async fn next_signal() -> Option<&'static str> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).ok()?;
    let mut hup = signal(SignalKind::hangup()).ok()?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result.ok().map(|()| "interrupt"),
        _ = term.recv() => Some("SIGTERM"),
        _ = hup.recv() => Some("SIGHUP"),
    }
}

#[cfg(not(unix))]
async fn next_signal() -> Option<&'static str> {
    tokio::signal::ctrl_c().await.ok().map(|()| "interrupt")
}
