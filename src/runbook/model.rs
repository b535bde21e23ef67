//! The typed runbook: what the executor runs. Built from the typed document (a rendered
//! [`Node`](super::Node) tree read by `de`) by `build`, with every default applied.

use super::node::Pos;
use super::values::{RestorePoint, ServerTimeZone};
use std::time::Duration;

/// Built-in defaults, used where neither the step nor `defaults` says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2 * 3600);
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(2);
pub const DEFAULT_RETRIES: u32 = 3;
pub const DEFAULT_RETRY_DELAY: Duration = Duration::from_secs(2);
/// Health checks: how long to keep trying, how often, and how long one try may take.
pub const DEFAULT_CHECK_TIMEOUT: Duration = Duration::from_secs(5 * 60);
pub const DEFAULT_CHECK_INTERVAL: Duration = Duration::from_secs(5);
pub const DEFAULT_CHECK_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a command may run.
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// Which edition of the orchestrator's REST API the runbook's server speaks (`api:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Api {
    /// Veeam Availability Orchestrator 3.0: `/api/v3`, `POST /token`.
    #[default]
    Vao3,
    /// Veeam Recovery Orchestrator 7.x: `/api/v7.21`, `POST /api/token`.
    Vro7,
    /// Veeam Recovery Orchestrator 13: `/api/v13`, `POST /api/token`.
    Vro13,
}

/// What a failed step does to the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnFailure {
    /// Stop: later steps are not sent.
    #[default]
    Abort,
    /// Record the failure and go on; the run still fails.
    Continue,
    /// Undo, in reverse order, every plan this run failed over, then stop.
    Rollback,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Runbook {
    pub version: u64,
    pub name: String,
    pub description: Option<String>,
    pub server: Option<String>,
    /// `api:`, where the runbook says (the command line's `--api` wins; default vao3).
    pub api: Option<Api>,
    pub server_time_zone: Option<ServerTimeZone>,
    pub poll_interval: Duration,
    /// `defaults.poll_backoff`: a plan that runs long is read less often (`exec::poll`).
    /// Off by default, so a step that waits for a plan starts within one poll interval of
    /// the plan's end.
    pub poll_backoff: bool,
    /// Per-request limits from `defaults` (the command line overrides them).
    pub request_timeout: Option<Duration>,
    pub connect_timeout: Option<Duration>,
    /// `defaults.retries` / `defaults.retry_delay`, for calls outside steps (the login).
    pub retries: u32,
    pub retry_delay: Duration,
    pub states: StateOverrides,
    /// Run-level recovery objectives (`objectives:`).
    pub objectives: Objectives,
    /// `max_concurrency:`: how many plan steps act at once in the whole run (`None`: no
    /// limit beyond each parallel group's own).
    pub max_concurrency: Option<usize>,
    /// Every step, in order, the steps of parallel groups included (numbered through).
    pub steps: Vec<Step>,
    /// Parallel groups: runs of consecutive steps that run at the same time.
    pub groups: Vec<Group>,
    /// A drill's own clean-up steps (`cleanup:`), numbered after `steps`: run after the
    /// drill's undos, in order, whatever happened.
    pub cleanup: Vec<Step>,
}

impl Runbook {
    /// The number of the first undo of a rollback or a drill's clean-up: after every step
    /// the runbook lists, its clean-up steps included.
    pub fn first_undo(&self) -> usize {
        self.steps.len() + self.cleanup.len() + 1
    }

    /// Whether any step has `needs`: then the steps run as their dependencies allow, not
    /// one after another.
    pub fn has_needs(&self) -> bool {
        self.steps.iter().any(|s| s.needs.is_some())
    }

    /// A step the runbook lists, by number: one of `steps` or of `cleanup`.
    pub fn step(&self, number: usize) -> Option<&Step> {
        let index = number.checked_sub(1)?;
        self.steps
            .get(index)
            .or_else(|| self.cleanup.get(index - self.steps.len()))
    }
}

/// A `parallel:` step: its steps run at the same time, at most `max_concurrency` at once;
/// the group completes when every step in it has.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub name: String,
    pub max_concurrency: usize,
    /// Applies to the group as a whole.
    pub on_failure: OnFailure,
    /// The numbers of its steps (consecutive).
    pub first: usize,
    pub last: usize,
}

/// Recovery targets. At run level, `rto` bounds the time from the first failover request
/// to the last plan failed over; on a failover step it bounds that plan's own recovery.
/// `rpo` bounds the age of the restore point used, counted from the run's start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Objectives {
    pub rto: Option<Duration>,
    pub rpo: Option<Duration>,
    /// Where the run's recovery time ends (run level only).
    pub until: RecoveryUntil,
}

/// Where the run's recovery time ends: the last plan seen failed over, or the last
/// successful health check.
pub use super::document::RecoveryUntil;

/// Plan state names that replace drbook's built-in sets (see `vao::StateSets`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StateOverrides {
    pub ready: Option<Vec<String>>,
    pub in_progress: Option<Vec<String>>,
    pub succeeded: Option<Vec<String>>,
    pub failed: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// 1-based, as shown to people.
    pub number: usize,
    pub name: String,
    /// Where the step starts in the runbook.
    pub pos: Pos,
    /// Where the step is in the document: `["steps", "2"]`, or `["steps", "2",
    /// "parallel", "steps", "0"]` inside a group.
    pub segments: Vec<String>,
    /// The index of its parallel group in `Runbook::groups`.
    pub group: Option<usize>,
    pub action: Action,
    /// The step's own policy, or the runbook's.
    pub on_failure: OnFailure,
    /// The runs it belongs to (`only:`; default both).
    pub only: Scope,
    /// `id:`, which other steps' `needs` name.
    pub id: Option<String>,
    /// `needs:`, resolved to the numbers of earlier steps. `None`: the step waits for the
    /// step (or the whole group) before it, as every step did before `needs`; `Some`
    /// (even empty): it waits only for the steps named, and runs only if they succeeded
    /// (`exec`'s scheduler; `schedule` computes the shape).
    pub needs: Option<Vec<usize>>,
    /// `expected_duration:`, for the critical path in time.
    pub expected_duration: Option<Duration>,
}

/// The runs a step belongs to: a real run, a drill, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    pub run: bool,
    pub drill: bool,
}

impl Default for Scope {
    fn default() -> Scope {
        Scope {
            run: true,
            drill: true,
        }
    }
}

impl Scope {
    /// How the reason of a step left out by its scope begins.
    pub const SKIPPED: &str = "skipped by scope";

    /// Whether a run (`drill: false`) or a drill includes the step.
    pub fn includes(self, drill: bool) -> bool {
        if drill { self.drill } else { self.run }
    }

    /// Why a step is left out of this kind of run.
    pub fn excluded_because(self, drill: bool) -> Option<String> {
        match (self.includes(drill), drill) {
            (true, _) => None,
            (false, true) => {
                Some("skipped by scope: `only: [run]`, and this is a drill".to_owned())
            }
            (false, false) => {
                Some("skipped by scope: `only: [drill]`, and this is not a drill".to_owned())
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Failover(Failover),
    Wait(Duration),
    /// `POST .../Undo`, then wait for UNDO FAILOVER.
    UndoFailover(PlanCall),
    /// `POST .../ReadinessCheck`, then wait for the check's result.
    ReadinessCheck(ReadinessCheck),
    /// Reads the plan until it is in one of the named states (reads only).
    ExpectState(ExpectState),
    /// A manual gate: the operator approves, or `--approve` does.
    Pause(Pause),
    /// An HTTP request until an answer matches (a read).
    HttpCheck(HttpCheck),
    /// A TCP connection until one opens (a read).
    TcpCheck(TcpCheck),
    /// A program run once (state-changing: journalled before it starts).
    Command(Command),
}

/// A document path for messages: `["steps", "2", "parallel"]` → `steps[2].parallel`.
pub fn display_segments(segments: &[String]) -> String {
    let mut path = String::new();
    for segment in segments {
        if segment.parse::<usize>().is_ok() {
            path.push_str(&format!("[{segment}]"));
        } else {
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(segment);
        }
    }
    path
}

impl Step {
    /// `3 (db-a)`, or `3` without an id: how the schedule names a step.
    pub fn label(&self) -> String {
        match &self.id {
            Some(id) => format!("{} ({id})", self.number),
            None => self.number.to_string(),
        }
    }

    /// Its path for messages: `steps[2]`, `steps[2].parallel.steps[0]`.
    pub fn path(&self) -> String {
        display_segments(&self.segments)
    }

    /// The segments of one of its fields (`failover`, `plan_id` → …`.failover.plan_id`).
    pub fn field(&self, keys: &[&str]) -> Vec<String> {
        let mut segments = self.segments.clone();
        segments.extend(keys.iter().map(|k| (*k).to_owned()));
        segments
    }
}

impl Action {
    /// The plan the step acts on, if any.
    pub fn plan_id(&self) -> Option<uuid::Uuid> {
        match self {
            Action::Failover(f) => Some(f.plan_id),
            Action::UndoFailover(c) => Some(c.plan_id),
            Action::ReadinessCheck(c) => Some(c.call.plan_id),
            Action::ExpectState(e) => Some(e.call.plan_id),
            _ => None,
        }
    }

    /// The plan a state-changing step acts on: what the run locks.
    pub fn changes_plan(&self) -> Option<uuid::Uuid> {
        match self {
            Action::ExpectState(_) => None,
            action => action.plan_id(),
        }
    }

    /// The step's key in the runbook, also its `kind` in reports.
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Failover(_) => "failover",
            Action::Wait(_) => "wait",
            Action::UndoFailover(_) => "undo_failover",
            Action::ReadinessCheck(_) => "readiness_check",
            Action::ExpectState(_) => "expect_state",
            Action::Pause(_) => "pause",
            Action::HttpCheck(_) => "http_check",
            Action::TcpCheck(_) => "tcp_check",
            Action::Command(_) => "command",
        }
    }

    /// The settings every call on a plan has (not for waits and pauses).
    pub fn call(&self) -> Option<PlanCall> {
        match self {
            Action::Failover(f) => Some(f.call()),
            Action::UndoFailover(c) => Some(*c),
            Action::ReadinessCheck(c) => Some(c.call),
            Action::ExpectState(e) => Some(e.call),
            _ => None,
        }
    }
}

impl Action {
    /// Whether it is a health check (what `objectives: { until: healthy }` measures to).
    pub fn is_health_check(&self) -> bool {
        matches!(self, Action::HttpCheck(_) | Action::TcpCheck(_))
    }
}

/// What every step that acts on one plan has: the plan, how long to wait for it, and how
/// failed reads are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanCall {
    pub plan_id: uuid::Uuid,
    pub timeout: Duration,
    pub retries: u32,
    pub retry_delay: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadinessCheck {
    pub call: PlanCall,
    /// `generateReport` in the request body.
    pub generate_report: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectState {
    /// `timeout` here is how long to wait for the state (0: read once).
    pub call: PlanCall,
    /// Any of these names (compared ignoring case and separators).
    pub states: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pause {
    /// Shown to the operator, and recorded in the report.
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Failover {
    pub plan_id: uuid::Uuid,
    pub restore_point: RestorePoint,
    pub execute_chained_plans: bool,
    pub protect_storage_volumes: bool,
    pub wait_for_completion: bool,
    pub timeout: Duration,
    /// How many times a call that failed in a way that allows it may be tried again.
    pub retries: u32,
    /// The first pause before a retry; it doubles each time (with jitter).
    pub retry_delay: Duration,
    /// This plan's recovery objectives (the step's own, else `defaults`).
    pub objectives: Objectives,
    /// What to do when the plan halts (the step's own, else `defaults`); `None`: the step
    /// fails.
    pub on_halt: Option<OnHalt>,
}

/// `on_halt:` send VAO's Continue with `option` when the plan is seen stably HALTED, at
/// most `times` times for the step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OnHalt {
    pub option: crate::vao::ContinueOption,
    /// At least 1.
    pub times: u32,
}

impl Failover {
    /// What it has in common with every step on a plan.
    pub fn call(&self) -> PlanCall {
        PlanCall {
            plan_id: self.plan_id,
            timeout: self.timeout,
            retries: self.retries,
            retry_delay: self.retry_delay,
        }
    }
}

/// How a health check's answer must look and how it is tried.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpCheck {
    pub url: String,
    /// `GET` or `HEAD`.
    pub method: &'static str,
    /// Any of these statuses.
    pub expect_status: Vec<u16>,
    pub expect_body: Option<BodyMatch>,
    pub timeout: Duration,
    pub interval: Duration,
    pub request_timeout: Duration,
    pub insecure: bool,
    pub ca_cert: Option<std::path::PathBuf>,
    /// Names and values, in the order written (values may hold secrets: masked in output).
    pub headers: Vec<(String, String)>,
}

/// What a healthy answer's body holds: a text, or a match of a regular expression.
#[derive(Debug, Clone)]
pub enum BodyMatch {
    Contains(String),
    Regex(regex::Regex),
}

impl PartialEq for BodyMatch {
    fn eq(&self, other: &BodyMatch) -> bool {
        self.to_string() == other.to_string()
    }
}

impl BodyMatch {
    /// `"/…/"` is a regular expression; anything else a text the body contains.
    pub fn parse(text: &str) -> Result<BodyMatch, regex::Error> {
        match text.strip_prefix('/').and_then(|t| t.strip_suffix('/')) {
            Some(pattern) if text.len() >= 2 => regex::Regex::new(pattern).map(BodyMatch::Regex),
            _ => Ok(BodyMatch::Contains(text.to_owned())),
        }
    }

    pub fn matches(&self, body: &str) -> bool {
        match self {
            BodyMatch::Contains(text) => body.contains(text.as_str()),
            BodyMatch::Regex(regex) => regex.is_match(body),
        }
    }
}

impl BodyMatch {
    /// What a body that does not match fails to do: `contain "ok"`, `match /up/`.
    pub fn wanted(&self) -> String {
        match self {
            BodyMatch::Contains(text) => format!("contain {text:?}"),
            BodyMatch::Regex(regex) => format!("match /{}/", regex.as_str()),
        }
    }
}

impl std::fmt::Display for BodyMatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyMatch::Contains(text) => write!(f, "contains {text:?}"),
            BodyMatch::Regex(regex) => write!(f, "matches /{}/", regex.as_str()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpCheck {
    pub host: String,
    pub port: u16,
    pub timeout: Duration,
    pub interval: Duration,
    pub connect_timeout: Duration,
}

/// What a command runs: a program and its arguments (no shell), or a script for `sh -c`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandLine {
    Program(Vec<String>),
    Shell(String),
}

impl CommandLine {
    /// The program and its arguments as they are started.
    pub fn argv(&self) -> Vec<String> {
        match self {
            CommandLine::Program(argv) => argv.clone(),
            CommandLine::Shell(script) => vec!["sh".to_owned(), "-c".to_owned(), script.clone()],
        }
    }
}

impl std::fmt::Display for CommandLine {
    /// The command line for people: each word quoted where a shell would need it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let words: Vec<String> = self.argv().iter().map(|w| quote(w)).collect();
        f.write_str(&words.join(" "))
    }
}

/// A word as a POSIX shell would read it back.
fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub line: CommandLine,
    /// Added to drbook's environment, in the order written.
    pub env: Vec<(String, String)>,
    pub cwd: Option<std::path::PathBuf>,
    pub timeout: Duration,
    pub expect_exit: i32,
    /// Running it again is harmless: `resume` may start it again.
    pub idempotent: bool,
}
