//! The journal: every event of a run, appended as JSON lines to one file per run, so a run
//! that dies (SIGKILL, power loss, reboot) can be taken over by `drbook resume`.
//!
//! The first line is a [`JournalHeader`] (what was run, with which variables); each further
//! line is one [`Event`]. The intent to send a state-changing request (the `request` event,
//! emitted before the request leaves) is made durable with `fdatasync` before the request
//! is sent; other lines reach the operating system at once and the disk with the next sync.
//! Secrets are masked before a line is written.

use super::event::{Event, Listener, Mode};
use crate::secret::Redactor;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The version of the journal format (`drbook_journal` in the header).
pub const JOURNAL_VERSION: u32 = 1;

/// Event fields that hold fixed vocabulary or typed values (instants, plan ids): never
/// masked, or the journal could not be read back (see `report::write`).
const ENUM_KEYS: &[&str] = &[
    "event",
    "result",
    "phase",
    "method",
    "kind",
    "source",
    "plan_id",
    "undone",
    "left_failed_over",
    "at",
    "decision",
    "option",
    "default",
    "stream",
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalHeader {
    pub drbook_journal: u32,
    pub drbook_version: String,
    pub run_id: String,
    pub mode: Mode,
    pub runbook: JournalRunbook,
    pub server: Option<String>,
    pub variables: Vec<JournalVariable>,
    pub started_at: DateTime<Utc>,
    /// The template clock the runbook was rendered at, so `resume` renders it the same.
    #[serde(default)]
    pub template_clock: Option<DateTime<Utc>>,
    pub force: bool,
    /// A drill (`drbook drill`): a resumed run cleans up too.
    #[serde(default)]
    pub drill: bool,
    /// How the run reached the server, so `resume` reaches it the same way.
    #[serde(default)]
    pub connection: JournalConnection,
    /// Where the run's reports are (absolute), so `resume` keeps them there unless told
    /// otherwise; absent in journals written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JournalConnection {
    /// The API flavour; a journal written before flavours existed reads as VAO 3.
    #[serde(default)]
    pub api: crate::vao::ApiFlavour,
    pub api_prefix: String,
    pub token_path: String,
    pub request_timeout_ms: Option<u64>,
    pub connect_timeout_ms: Option<u64>,
    pub poll_interval_ms: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalRunbook {
    /// Absolute, so `resume` finds it from anywhere.
    pub path: PathBuf,
    pub name: String,
    pub sha256: String,
    pub rendered_sha256: String,
}

/// A variable as the run used it. A secret's value is not written: `resume` needs it again
/// (environment, `--var`, `--vars-file`) and checks it through the rendered runbook's hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalVariable {
    pub name: String,
    pub value: Option<serde_json::Value>,
    pub secret: bool,
    pub source: String,
}

/// The journal file of a run.
pub fn path_for(dir: &Path, run_id: &str) -> PathBuf {
    dir.join(format!("{run_id}.journal.jsonl"))
}

pub struct Journal {
    file: File,
    path: PathBuf,
    redactor: Redactor,
    /// Cleared when a line could not be written (or made durable): the executor then sends
    /// no further state-changing request.
    ok: Arc<AtomicBool>,
    /// How many lines were made durable (`fdatasync`) since the journal was opened.
    syncs: u64,
    /// The line being written, kept for the next one.
    line: Vec<u8>,
}

impl Journal {
    /// Creates a run's journal and makes its header durable.
    pub fn create(
        dir: &Path,
        header: &JournalHeader,
        redactor: Redactor,
    ) -> std::io::Result<Journal> {
        std::fs::create_dir_all(dir)?;
        let path = path_for(dir, &header.run_id);
        // The journal appears whole, header included: a process killed while creating it
        // leaves no journal (nothing was sent yet), never an empty one that `resume` would
        // have to refuse.
        let mut tmp = path.clone().into_os_string();
        tmp.push(".tmp");
        let tmp = std::path::PathBuf::from(tmp);
        {
            let mut file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
            let line = serde_json::to_string(header).map_err(std::io::Error::other)?;
            writeln!(file, "{line}")?;
            file.sync_all()?;
        }
        if path.exists() {
            let _ = std::fs::remove_file(&tmp);
            return Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!("{} exists already", path.display()),
            ));
        }
        std::fs::rename(&tmp, &path)?;
        // The new file's name must survive a power loss too.
        if let Ok(dir) = File::open(dir) {
            let _ = dir.sync_all();
        }
        let file = OpenOptions::new().append(true).open(&path)?;
        Ok(Journal {
            file,
            path,
            redactor,
            ok: Arc::new(AtomicBool::new(true)),
            syncs: 0,
            line: Vec::new(),
        })
    }

    /// Opens an existing journal to append the events of a resumed run.
    pub fn append_to(path: &Path, redactor: Redactor) -> std::io::Result<Journal> {
        // A torn last line (the first process died mid-write) was ignored when the journal
        // was read; cut it off, so that it stays the journal's only possible torn line.
        let bytes = std::fs::read(path)?;
        let whole = bytes
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |at| at + 1);
        let file = OpenOptions::new().append(true).open(path)?;
        if whole < bytes.len() {
            file.set_len(whole as u64)?;
            file.sync_all()?;
        }
        Ok(Journal {
            file,
            path: path.to_path_buf(),
            redactor,
            ok: Arc::new(AtomicBool::new(true)),
            syncs: 0,
            line: Vec::new(),
        })
    }

    /// The flag the executor reads before each state-changing request.
    pub fn health(&self) -> Arc<AtomicBool> {
        self.ok.clone()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Lines made durable so far: one per state-changing request, and the run's end.
    pub fn syncs(&self) -> u64 {
        self.syncs
    }

    fn append(&mut self, event: &Event, durable: bool) -> std::io::Result<()> {
        self.line.clear();
        self.redactor
            .write_json(&mut self.line, event, ENUM_KEYS, false)
            .map_err(std::io::Error::other)?;
        self.line.push(b'\n');
        // One write per line: a crash tears at most the last line.
        self.file.write_all(&self.line)?;
        if durable {
            self.file.sync_data()?;
            self.syncs += 1;
        }
        Ok(())
    }
}

impl Listener for Journal {
    fn on_event(&mut self, event: &Event) {
        // A command's output lines are progress only: its tail is in its `exited` line.
        if matches!(event, Event::Output { .. }) {
            return;
        }
        // The intent to change state is durable before the request leaves (or the command
        // starts), and so is an operator's decision before drbook acts on it.
        let durable = matches!(
            event,
            Event::Request { .. }
                | Event::Decided { .. }
                | Event::Spawning { .. }
                | Event::RunFinished { .. }
        );
        if let Err(e) = self.append(event, durable)
            && self.ok.swap(false, Ordering::SeqCst)
        {
            tracing::error!(
                "could not write the journal {}: {e}; no further failover or undo will be sent",
                self.path.display()
            );
        }
    }
}

/// A journal as read back.
#[derive(Debug)]
pub struct ReadJournal {
    pub header: JournalHeader,
    pub events: Vec<Event>,
    /// Problems that did not stop the reading (a torn last line).
    pub warnings: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("{0}: cannot read the journal: {1}")]
    Io(String, std::io::Error),
    #[error("{0}: not a drbook journal ({1})")]
    NotAJournal(String, String),
    #[error("{0}: journal format {1} is not one this drbook reads (it reads {JOURNAL_VERSION})")]
    Version(String, u32),
    #[error("{0}:{1}: the journal is damaged ({2}); only its last line may be torn")]
    Corrupt(String, usize, String),
}

/// Reads a journal. A torn or corrupt *last* line is dropped with a warning (the process
/// died while writing it; `resume` reconciles with the server anyway); damage anywhere else
/// is an error.
pub fn read(path: &Path) -> Result<ReadJournal, JournalError> {
    read_lines(path, false)
}

/// Reads what can be read of a journal: every event line that parses, and a warning for
/// each one that does not, wherever it is (`drbook status` shows a damaged journal rather
/// than refusing it; `resume` still refuses it, through [`read`]). The header must be read.
pub fn read_lenient(path: &Path) -> Result<ReadJournal, JournalError> {
    read_lines(path, true)
}

fn read_lines(path: &Path, lenient: bool) -> Result<ReadJournal, JournalError> {
    let name = path.display().to_string();
    let file = File::open(path).map_err(|e| JournalError::Io(name.clone(), e))?;
    let meta = file
        .metadata()
        .map_err(|e| JournalError::Io(name.clone(), e))?;
    if meta.len() > 256 * 1024 * 1024 {
        return Err(JournalError::NotAJournal(
            name,
            "larger than 256 MiB".to_owned(),
        ));
    }
    let mut lines = Vec::new();
    for line in BufReader::new(file).split(b'\n') {
        let line = line.map_err(|e| JournalError::Io(name.clone(), e))?;
        lines.push(line);
    }
    while lines
        .last()
        .is_some_and(|l| l.iter().all(u8::is_ascii_whitespace))
    {
        lines.pop();
    }
    let Some(first) = lines.first() else {
        return Err(JournalError::NotAJournal(name, "empty file".to_owned()));
    };
    let header_value: serde_json::Value = serde_json::from_slice(first).map_err(|_| {
        JournalError::NotAJournal(name.clone(), "the first line is not JSON".to_owned())
    })?;
    let version = header_value
        .get("drbook_journal")
        .and_then(|v| v.as_u64())
        .ok_or_else(|| {
            JournalError::NotAJournal(name.clone(), "no drbook_journal header".to_owned())
        })?;
    if version != u64::from(JOURNAL_VERSION) {
        return Err(JournalError::Version(name, version as u32));
    }
    let header: JournalHeader = serde_json::from_value(header_value)
        .map_err(|e| JournalError::NotAJournal(name.clone(), format!("bad header: {e}")))?;
    let mut events = Vec::new();
    let mut warnings = Vec::new();
    let count = lines.len();
    for (index, line) in lines.iter().enumerate().skip(1) {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Event>(line) {
            Ok(event) => events.push(event),
            Err(e) if index + 1 == count => warnings.push(format!(
                "{name}:{}: the last line is torn or damaged ({e}); it is ignored and the server is asked instead",
                index + 1
            )),
            Err(e) if lenient => warnings.push(format!(
                "{name}:{}: the line is damaged ({e}); it is left out",
                index + 1
            )),
            Err(e) => return Err(JournalError::Corrupt(name, index + 1, e.to_string())),
        }
    }
    Ok(ReadJournal {
        header,
        events,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::{RunResult, StepResult};

    fn header() -> JournalHeader {
        JournalHeader {
            drbook_journal: JOURNAL_VERSION,
            drbook_version: "0".into(),
            run_id: "20261126T000000Z-t-abcdef".into(),
            mode: Mode::Live,
            runbook: JournalRunbook {
                path: "/rb.yaml".into(),
                name: "t".into(),
                sha256: "a".into(),
                rendered_sha256: "b".into(),
            },
            server: None,
            variables: vec![],
            started_at: Utc::now(),
            template_clock: None,
            force: false,
            drill: false,
            connection: JournalConnection::default(),
            report_dir: None,
        }
    }

    #[test]
    fn a_journal_written_before_api_flavours_reads_as_vao3() {
        let old: JournalConnection = serde_json::from_str(
            r#"{"api_prefix":"/api/v3","token_path":"/token","request_timeout_ms":null,"connect_timeout_ms":null,"poll_interval_ms":null}"#,
        )
        .unwrap();
        assert_eq!(old.api, crate::vao::ApiFlavour::Vao3);
        let vro = JournalConnection {
            api: crate::vao::ApiFlavour::Vro13,
            ..JournalConnection::default()
        };
        let text = serde_json::to_string(&vro).unwrap();
        assert!(text.contains(r#""api":"vro13""#), "{text}");
        assert_eq!(
            serde_json::from_str::<JournalConnection>(&text).unwrap(),
            vro
        );
    }

    #[test]
    fn events_round_trip_and_secrets_are_masked() {
        let dir = tempfile::tempdir().unwrap();
        let redactor = Redactor::new(["s3cret-token".to_owned()]);
        let mut journal = Journal::create(dir.path(), &header(), redactor).unwrap();
        let events = vec![
            Event::Request {
                step: 1,
                attempt: 1,
                method: "POST".into(),
                path: "/api/v3/Plans/x/Failover".into(),
                body: Some(serde_json::json!({"executeChainedPlans": false})),
                at: Utc::now(),
            },
            Event::step_finished(
                1,
                StepResult::Failed,
                Some("server said: Bearer s3cret-token".into()),
            ),
            Event::run_finished(RunResult::Failed, None),
        ];
        for e in &events {
            journal.on_event(e);
        }
        let text = std::fs::read_to_string(journal.path()).unwrap();
        assert!(!text.contains("s3cret-token"));
        let read = read(journal.path()).unwrap();
        assert_eq!(read.header, header_with(&read.header));
        assert_eq!(read.events.len(), 3);
        assert_eq!(read.events[0], events[0]);
        assert!(read.warnings.is_empty());
    }

    #[test]
    fn only_intents_and_the_end_are_synced_never_reads() {
        use crate::exec::GuardVerdict;
        use crate::vao::{Phase, PlanStatus};
        let dir = tempfile::tempdir().unwrap();
        let mut journal = Journal::create(dir.path(), &header(), Redactor::default()).unwrap();
        let status = PlanStatus {
            state: "Failover".into(),
            ..PlanStatus::default()
        };
        for step in 1..=3 {
            for event in [
                Event::Guard {
                    step,
                    plan: None,
                    verdict: GuardVerdict::Passed,
                    at: Utc::now(),
                },
                Event::Request {
                    step,
                    attempt: 1,
                    method: "POST".into(),
                    path: "/api/v3/Plans/x/Failover".into(),
                    body: None,
                    at: Utc::now(),
                },
                Event::Answer {
                    step,
                    status: 200,
                    body: "{}".into(),
                    elapsed: std::time::Duration::ZERO,
                    attempts: 1,
                },
                Event::Polled {
                    step,
                    status: status.clone(),
                    phase: Phase::Succeeded,
                    at: Utc::now(),
                },
                Event::step_finished(step, StepResult::Succeeded, None),
            ] {
                journal.on_event(&event);
            }
            assert_eq!(
                journal.syncs(),
                step as u64,
                "one sync per failover request"
            );
        }
        journal.on_event(&Event::run_finished(RunResult::Succeeded, None));
        assert_eq!(journal.syncs(), 4);
        assert_eq!(read(journal.path()).unwrap().events.len(), 16);
    }

    fn header_with(h: &JournalHeader) -> JournalHeader {
        JournalHeader {
            started_at: h.started_at,
            ..header()
        }
    }

    #[test]
    fn a_torn_last_line_is_dropped_with_a_warning_and_damage_elsewhere_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let head = serde_json::to_string(&header()).unwrap();
        let event = r#"{"event":"resumed","at":"2026-11-26T00:00:00Z","steps":1}"#;
        std::fs::write(&path, format!("{head}\n{event}\n{{\"event\":\"req")).unwrap();
        let read = read(&path).unwrap();
        assert_eq!(read.events.len(), 1);
        assert_eq!(read.warnings.len(), 1);
        std::fs::write(&path, format!("{head}\ngarbage\n{event}\n")).unwrap();
        assert!(matches!(
            super::read(&path),
            Err(JournalError::Corrupt(_, 2, _))
        ));
        let lenient = read_lenient(&path).unwrap();
        assert_eq!(lenient.events.len(), 1);
        assert_eq!(lenient.warnings.len(), 1);
        assert!(
            lenient.warnings[0].contains(":2: the line is damaged"),
            "{:?}",
            lenient.warnings
        );
    }

    #[test]
    fn foreign_files_are_refused_clearly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x");
        for (text, want) in [
            ("", "empty"),
            ("hello\n", "not JSON"),
            ("{\"a\":1}\n", "no drbook_journal"),
        ] {
            std::fs::write(&path, text).unwrap();
            let err = read(&path).unwrap_err().to_string();
            assert!(err.contains(want), "{err}");
        }
        std::fs::write(&path, "{\"drbook_journal\":99}\n").unwrap();
        assert!(matches!(read(&path), Err(JournalError::Version(_, 99))));
    }
}
