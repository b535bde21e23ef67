//! What the executor reports as it goes. Listeners (the progress printer, the report
//! builder, the journal) turn events into output; the executor itself prints nothing.
//!
//! Events carry types: a [`StepKind`], `Uuid` plan ids, a [`DrillPhase`], chrono instants.
//! They are also the journal's lines, so their serialised names never change (a journal
//! written by an earlier drbook must still be resumable).

use crate::runbook::{Action, Step};
use crate::vao::{ContinueOption, Phase, PlanInfo, PlanStatus};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use uuid::Uuid;

/// How a run talks to the world.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Nothing is sent; the requests are shown.
    DryRun,
    /// Against drbook's built-in simulator on loopback.
    Simulate,
    /// Against a real VAO server.
    Live,
    /// `drbook check`: every read for real, no state-changing request.
    Check,
    /// `drbook drill`: the runbook, then every failover it made undone.
    Drill,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::DryRun => "dry-run",
            Mode::Simulate => "simulate",
            Mode::Live => "live",
            Mode::Check => "check",
            Mode::Drill => "drill",
        }
    }
}

/// What a step does: one kind per runbook step kind, and the undos of a rollback or a
/// drill's clean-up, which are steps the runbook does not list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    Failover,
    Wait,
    UndoFailover,
    ReadinessCheck,
    ExpectState,
    Pause,
    /// An undo of a rollback or of a drill's clean-up.
    Undo,
    HttpCheck,
    TcpCheck,
    Command,
}

impl StepKind {
    /// Whether a step of this kind changes the world (a VAO action, a command), so that
    /// its intent is journalled; the others only read or wait, and are run again on resume.
    pub fn changes_the_world(self) -> bool {
        match self {
            StepKind::Failover
            | StepKind::UndoFailover
            | StepKind::ReadinessCheck
            | StepKind::Undo
            | StepKind::Command => true,
            StepKind::Wait
            | StepKind::ExpectState
            | StepKind::Pause
            | StepKind::HttpCheck
            | StepKind::TcpCheck => false,
        }
    }

    /// The kind of a runbook step.
    pub fn of(action: &Action) -> StepKind {
        match action {
            Action::Failover(_) => StepKind::Failover,
            Action::Wait(_) => StepKind::Wait,
            Action::UndoFailover(_) => StepKind::UndoFailover,
            Action::ReadinessCheck(_) => StepKind::ReadinessCheck,
            Action::ExpectState(_) => StepKind::ExpectState,
            Action::Pause(_) => StepKind::Pause,
            Action::HttpCheck(_) => StepKind::HttpCheck,
            Action::TcpCheck(_) => StepKind::TcpCheck,
            Action::Command(_) => StepKind::Command,
        }
    }

    /// The name the runbook, the journal and the report use.
    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::Failover => "failover",
            StepKind::Wait => "wait",
            StepKind::UndoFailover => "undo_failover",
            StepKind::ReadinessCheck => "readiness_check",
            StepKind::ExpectState => "expect_state",
            StepKind::Pause => "pause",
            StepKind::Undo => "undo",
            StepKind::HttpCheck => "http_check",
            StepKind::TcpCheck => "tcp_check",
            StepKind::Command => "command",
        }
    }
}

/// A drill's phases: the runbook's steps, then the undos of its clean-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DrillPhase {
    Failover,
    Cleanup,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepResult {
    Succeeded,
    SucceededWithWarnings,
    Failed,
    /// Not started, because an earlier step failed or the run was interrupted.
    Skipped,
    Interrupted,
    /// Dry run: what would be sent.
    Planned,
    /// `drbook check`: the step would run now.
    CheckPassed,
    /// `drbook check`: the step would fail now.
    CheckFailed,
}

impl StepResult {
    /// Whether the step did (or, for a check, would) succeed.
    pub fn is_success(self) -> bool {
        matches!(
            self,
            StepResult::Succeeded | StepResult::SucceededWithWarnings | StepResult::CheckPassed
        )
    }
}

/// The state guard's verdict before a failover.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GuardVerdict {
    Passed,
    /// `--force`: not checked.
    Skipped,
    Refused(String),
}

impl GuardVerdict {
    /// The verdict of a guard that was applied: passed, or refused for its reason.
    pub fn of(verdict: &Result<(), impl std::fmt::Display>) -> GuardVerdict {
        match verdict {
            Ok(()) => GuardVerdict::Passed,
            Err(reason) => GuardVerdict::Refused(reason.to_string()),
        }
    }
}

/// What the operator decided about a step that failed or did not run: on `drbook resume`
/// (`--retry`, `--continue`, `--skip`) or at the terminal when the step failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Take the step up again; for a failover, its plan is read first (finished in VAO:
    /// recorded as succeeded; still ready: sent again after the state guard; running:
    /// waited for).
    Retry,
    /// Send VAO's Continue (with its option) to the step's halted plan, then wait for it.
    Continue,
    /// Record the step as skipped by the operator and go on after it.
    Skip,
    /// Stop the run here (the policy `abort`).
    Abort,
    /// Undo the run's failovers (the policy `rollback`).
    Rollback,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Retry => "retry",
            Decision::Continue => "continue",
            Decision::Skip => "skip",
            Decision::Abort => "abort",
            Decision::Rollback => "rollback",
        }
    }
}

/// Who takes an operator decision: the name recorded (`--operator`, else the account) and
/// the operating-system account drbook runs as, kept beside a name `--operator` gave.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decider {
    pub by: String,
    pub account: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunResult {
    Succeeded,
    Failed,
    Interrupted,
    DryRun,
}

/// One thing that happened in a run. Events are also the journal's lines, so they are
/// (de)serialisable and carry owned data only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    RunStarted {
        at: DateTime<Utc>,
        steps: usize,
    },
    Authenticated {
        at: DateTime<Utc>,
        how: String,
    },
    StepStarted {
        step: usize,
        name: String,
        kind: StepKind,
        /// The plan the step acts on.
        plan_id: Option<Uuid>,
        at: DateTime<Utc>,
    },
    /// What the state guard read before a failover, and its verdict.
    Guard {
        step: usize,
        plan: Option<PlanInfo>,
        verdict: GuardVerdict,
        at: DateTime<Utc>,
    },
    /// A state-changing request is about to be sent (or, in a dry run, would be).
    Request {
        step: usize,
        /// 1 for the first try; more when an earlier try was shown not to be accepted.
        attempt: u32,
        method: String,
        path: String,
        body: Option<serde_json::Value>,
        at: DateTime<Utc>,
    },
    Answer {
        step: usize,
        status: u16,
        body: String,
        elapsed: Duration,
        /// 2 when the first try was refused with 401 and sent again with a renewed token.
        attempts: u32,
    },
    /// A try of a state-changing request that ended without a usable answer.
    AttemptFailed {
        step: usize,
        attempt: u32,
        status: Option<u16>,
        error: String,
        at: DateTime<Utc>,
    },
    /// After a failed try, the plan was read to learn whether the server had accepted it.
    Reconciled {
        step: usize,
        status: PlanStatus,
        accepted: bool,
        at: DateTime<Utc>,
        /// The try was a Continue of the halted plan (not the step's own request).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        of_continue: bool,
    },
    /// Reads that failed and were tried again.
    ReadsRetried {
        step: usize,
        errors: Vec<String>,
    },
    /// A line for the dry-run listing (what a real run would also do, such as a read).
    Note {
        step: usize,
        text: String,
    },
    /// A plan state read while waiting for completion.
    Polled {
        step: usize,
        status: PlanStatus,
        phase: Phase,
        at: DateTime<Utc>,
    },
    /// A poll that failed; polling goes on until the step's timeout.
    PollFailed {
        step: usize,
        error: String,
        at: DateTime<Utc>,
    },
    Waiting {
        step: usize,
        duration: Duration,
        /// In a dry run, what polling would do.
        note: Option<String>,
    },
    StepFinished {
        step: usize,
        result: StepResult,
        at: DateTime<Utc>,
        error: Option<String>,
    },
    RunFinished {
        result: RunResult,
        at: DateTime<Utc>,
        error: Option<String>,
    },
    /// `drbook resume` took the run over from a process that stopped.
    Resumed {
        at: DateTime<Utc>,
        steps: usize,
    },
    /// A pause step waits for approval; `asking` when the operator is asked at the
    /// terminal.
    Paused {
        step: usize,
        message: String,
        asking: bool,
    },
    /// A pause step was approved: by whom (the operator at a terminal, or `--approve`).
    Approved {
        step: usize,
        by: String,
        how: String,
        at: DateTime<Utc>,
    },
    /// An operator decided what becomes of a step that failed or did not run. Journalled
    /// (and made durable) before drbook acts on it.
    Decided {
        step: usize,
        decision: Decision,
        /// With `continue`: VAO's `executionContinueOptions`.
        #[serde(default)]
        option: Option<crate::vao::ContinueOption>,
        /// Who decided (`--operator`, else the account drbook runs as).
        by: String,
        /// The operating-system account drbook ran as.
        #[serde(default)]
        account: Option<String>,
        /// `resume --retry`, `resume --skip`, `terminal`, ...
        how: String,
        /// Why (a skip's `--reason`, or what the operator typed).
        #[serde(default)]
        reason: Option<String>,
        at: DateTime<Utc>,
    },
    /// The executor asks the operator what to do about a step that failed (on a terminal);
    /// `problem` says what was wrong with the last answer.
    Asking {
        step: usize,
        /// The step's plan is halted, so VAO's Continue is one of the answers.
        halted: bool,
        /// What the step's `on_failure` does when the operator just presses Enter.
        default: Decision,
        problem: Option<String>,
    },
    /// A failover's plan was seen stably HALTED and drbook continues it with VAO's
    /// `Continue`: the request (its intent journalled) follows. `times` is the step's
    /// `on_halt.times` (`try_number` of them), or `None` for a Continue the operator asked
    /// for.
    Continuing {
        step: usize,
        option: ContinueOption,
        try_number: u32,
        times: Option<u32>,
        /// The halted plan, as read.
        halted: PlanStatus,
        at: DateTime<Utc>,
    },
    /// A drill's phase begins.
    PhaseStarted {
        phase: DrillPhase,
        at: DateTime<Utc>,
    },
    /// A drill's clean-up ended: the plans undone and verified ready, and those left
    /// failed over.
    CleanupFinished {
        undone: Vec<Uuid>,
        left_failed_over: Vec<Uuid>,
        /// An interrupt stopped it.
        #[serde(default)]
        interrupted: bool,
        at: DateTime<Utc>,
        /// The runbook's own clean-up steps (`cleanup:`) that did not succeed.
        #[serde(default)]
        failed_steps: Vec<usize>,
    },
    /// One try of a health check (a read: tried again until its timeout, never an intent).
    Probed {
        step: usize,
        attempt: u32,
        /// The answer matched: the service is healthy.
        healthy: bool,
        /// The HTTP status, when there was an answer.
        status: Option<u16>,
        /// The answer in words: `200 OK`, `connection refused`, `body does not contain …`.
        answer: String,
        /// The start of the answer's body (HTTP).
        body: Option<String>,
        at: DateTime<Utc>,
    },
    /// A command is about to start: the intent, durable before the process is spawned.
    Spawning {
        step: usize,
        /// The command line, words quoted for a shell.
        command: String,
        cwd: Option<String>,
        /// The names of the variables added to its environment (values are not written).
        env: Vec<String>,
        at: DateTime<Utc>,
    },
    /// A line a command printed: for progress only (the journal does not keep it; the
    /// output's tail is in [`Event::Exited`]).
    Output {
        step: usize,
        stream: Stream,
        line: String,
    },
    /// A command ended (or was killed at its timeout).
    Exited {
        step: usize,
        /// The exit status; none when a signal ended it.
        code: Option<i32>,
        signal: Option<i32>,
        timed_out: bool,
        elapsed: Duration,
        /// The last part of what it printed (bounded), and whether earlier output was cut.
        stdout: String,
        stderr: String,
        truncated: bool,
        at: DateTime<Utc>,
    },
}

/// How a command's process ended, as its [`Event::Exited`] records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exit {
    /// The exit status; none when a signal ended it.
    pub code: Option<i32>,
    pub signal: Option<i32>,
    /// Killed at the step's timeout.
    pub timed_out: bool,
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.timed_out, self.code, self.signal) {
            (true, _, _) => f.write_str("killed at its timeout"),
            (false, Some(code), _) => write!(f, "exit status {code}"),
            (false, None, Some(signal)) => write!(f, "killed by signal {signal}"),
            (false, None, None) => f.write_str("exit status unknown"),
        }
    }
}

/// Where a command's output line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Event {
    /// A runbook step starts now.
    pub fn step_started(step: &Step) -> Event {
        Event::StepStarted {
            step: step.number,
            name: step.name.clone(),
            kind: StepKind::of(&step.action),
            plan_id: step.action.plan_id(),
            at: Utc::now(),
        }
    }

    /// A step ends now.
    pub fn step_finished(step: usize, result: StepResult, error: Option<String>) -> Event {
        Event::StepFinished {
            step,
            result,
            at: Utc::now(),
            error,
        }
    }

    /// The run ends now.
    pub fn run_finished(result: RunResult, error: Option<String>) -> Event {
        Event::RunFinished {
            result,
            at: Utc::now(),
            error,
        }
    }

    /// The step the event is about, if any.
    pub fn step(&self) -> Option<usize> {
        match self {
            Event::StepStarted { step, .. }
            | Event::Guard { step, .. }
            | Event::Request { step, .. }
            | Event::Answer { step, .. }
            | Event::AttemptFailed { step, .. }
            | Event::Reconciled { step, .. }
            | Event::ReadsRetried { step, .. }
            | Event::Note { step, .. }
            | Event::Polled { step, .. }
            | Event::PollFailed { step, .. }
            | Event::Waiting { step, .. }
            | Event::StepFinished { step, .. }
            | Event::Paused { step, .. }
            | Event::Approved { step, .. }
            | Event::Decided { step, .. }
            | Event::Asking { step, .. }
            | Event::Continuing { step, .. }
            | Event::Probed { step, .. }
            | Event::Spawning { step, .. }
            | Event::Output { step, .. }
            | Event::Exited { step, .. } => Some(*step),
            Event::RunStarted { .. }
            | Event::Authenticated { .. }
            | Event::RunFinished { .. }
            | Event::Resumed { .. }
            | Event::PhaseStarted { .. }
            | Event::CleanupFinished { .. } => None,
        }
    }
}

/// Receives events as they happen.
pub trait Listener {
    fn on_event(&mut self, event: &Event);
}

/// Sends every event to several listeners, in order.
pub struct Fanout<'a>(pub Vec<&'a mut dyn Listener>);

impl Listener for Fanout<'_> {
    fn on_event(&mut self, event: &Event) {
        for listener in &mut self.0 {
            listener.on_event(event);
        }
    }
}

/// A step's name with its plan's VAO name put next to the id (`Fail over plan "DB tier"
/// (6f1c…)`): operators think in plan names, the id stays for the audit. Only the text
/// `plan <id>` of the step's own plan is changed; a name without it is left as it is.
pub fn with_plan_name(step_name: &str, plan_id: Uuid, plan_name: &str) -> String {
    let bare = format!("plan {plan_id}");
    if plan_name.trim().is_empty() || !step_name.contains(&bare) {
        return step_name.to_owned();
    }
    step_name.replacen(&bare, &format!("plan \"{plan_name}\" ({plan_id})"), 1)
}
