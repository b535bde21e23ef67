//! The typed runbook: what the executor runs. Built from a rendered [`Node`](super::Node)
//! tree by [`build`](super::build), with every default applied.

use super::node::Pos;
use super::values::{RestorePoint, ServerTimeZone};
use std::time::Duration;

/// Built-in defaults, used where neither the step nor `defaults` says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2 * 3600);
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(2);
pub const DEFAULT_RETRIES: u32 = 3;
pub const DEFAULT_RETRY_DELAY: Duration = Duration::from_secs(2);

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

impl OnFailure {
    pub fn parse(text: &str) -> Option<OnFailure> {
        match text {
            "abort" => Some(OnFailure::Abort),
            "continue" => Some(OnFailure::Continue),
            "rollback" => Some(OnFailure::Rollback),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Runbook {
    pub version: u64,
    pub name: String,
    pub description: Option<String>,
    pub server: Option<String>,
    pub server_time_zone: Option<ServerTimeZone>,
    pub poll_interval: Duration,
    /// Per-request limits from `defaults` (the command line overrides them).
    pub request_timeout: Option<Duration>,
    pub connect_timeout: Option<Duration>,
    /// `defaults.retries` / `defaults.retry_delay`, for calls outside steps (the login).
    pub retries: u32,
    pub retry_delay: Duration,
    pub states: StateOverrides,
    pub steps: Vec<Step>,
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
    pub action: Action,
    /// The step's own policy, or the runbook's.
    pub on_failure: OnFailure,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Failover(Failover),
    Wait(Duration),
}

impl Action {
    /// The plan the step acts on, if any.
    pub fn plan_id(&self) -> Option<uuid::Uuid> {
        match self {
            Action::Failover(f) => Some(f.plan_id),
            Action::Wait(_) => None,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Action::Failover(_) => "failover",
            Action::Wait(_) => "wait",
        }
    }
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
}
