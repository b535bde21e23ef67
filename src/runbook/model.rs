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
    /// Per-request limits from `defaults` (the command line overrides them).
    pub request_timeout: Option<Duration>,
    pub connect_timeout: Option<Duration>,
    /// `defaults.retries` / `defaults.retry_delay`, for calls outside steps (the login).
    pub retries: u32,
    pub retry_delay: Duration,
    pub states: StateOverrides,
    /// Run-level recovery objectives (`objectives:`).
    pub objectives: Objectives,
    /// Every step, in order, the steps of parallel groups included (numbered through).
    pub steps: Vec<Step>,
    /// Parallel groups: runs of consecutive steps that run at the same time.
    pub groups: Vec<Group>,
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
}

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
            Action::Wait(_) | Action::Pause(_) => None,
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
        }
    }

    /// The settings every call on a plan has (not for waits and pauses).
    pub fn call(&self) -> Option<PlanCall> {
        match self {
            Action::Failover(f) => Some(f.call()),
            Action::UndoFailover(c) => Some(*c),
            Action::ReadinessCheck(c) => Some(c.call),
            Action::ExpectState(e) => Some(e.call),
            Action::Wait(_) | Action::Pause(_) => None,
        }
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
