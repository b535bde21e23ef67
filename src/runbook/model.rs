//! The typed runbook: what the executor runs. Built from a rendered [`Node`](super::Node)
//! tree by [`build`](super::build), with every default applied.

use super::node::Pos;
use super::values::{RestorePoint, ServerTimeZone};
use std::time::Duration;

/// Built-in defaults, used where neither the step nor `defaults` says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2 * 3600);
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, PartialEq)]
pub struct Runbook {
    pub version: u64,
    pub name: String,
    pub description: Option<String>,
    pub server: Option<String>,
    pub server_time_zone: Option<ServerTimeZone>,
    pub poll_interval: Duration,
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
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Failover(Failover),
    Wait(Duration),
}

impl Action {
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
}
