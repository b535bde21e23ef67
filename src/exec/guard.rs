//! The state guards: whether a plan, as read (or, for `drbook check`, as the runbook's
//! earlier steps leave it), allows an action. The executor refuses a step on these verdicts
//! before anything is sent; `check` reports them. One set of rules, so the two never differ.

use crate::vao::{PlanInfo, StateSets};

/// `because`: where the state comes from when it is not the server's answer (`check`'s
/// prediction, " (as step 2 leaves it)"), else empty.
pub fn failover(
    states: &StateSets,
    info: &PlanInfo,
    id: uuid::Uuid,
    because: &str,
) -> Result<(), String> {
    if info.enabled == Some(false) {
        Err(format!(
            "plan {id} is disabled; a failover needs an enabled plan"
        ))
    } else if !info.allows_failover() {
        Err(format!(
            "plan {id} is a {} plan; failover applies to replica and storage plans",
            info.plan_type.as_deref().unwrap_or("different")
        ))
    } else if !states.is_ready(&info.status) {
        Err(format!(
            "plan {id} is in state {}{because}; a failover needs a ready state ({}) — use --force to send it anyway",
            info.status.summary(),
            states.ready_names()
        ))
    } else {
        Ok(())
    }
}

/// An undo: a replica plan in FAILOVER, FAILBACK or HALTED; a storage plan in HALTED.
pub fn undo(
    states: &StateSets,
    info: &PlanInfo,
    id: uuid::Uuid,
    because: &str,
) -> Result<(), String> {
    if states.allows_undo(info) {
        Ok(())
    } else {
        Err(format!(
            "plan {id} is {}{because} ({}); an undo needs a replica plan in FAILOVER, FAILBACK or HALTED, or a storage plan in HALTED — use --force to send it anyway",
            info.status.summary(),
            info.plan_type.as_deref().unwrap_or("type unknown")
        ))
    }
}

/// A readiness check: an enabled plan on which nothing runs.
pub fn readiness_check(
    states: &StateSets,
    info: &PlanInfo,
    id: uuid::Uuid,
    because: &str,
) -> Result<(), String> {
    if info.enabled == Some(false) {
        Err(format!(
            "plan {id} is disabled; a readiness check needs an enabled plan"
        ))
    } else if states.is_running(&info.status) {
        Err(format!(
            "plan {id} is busy ({}){because}; a readiness check needs an idle plan",
            info.status.summary()
        ))
    } else {
        Ok(())
    }
}
