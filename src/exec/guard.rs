//! The state guards: whether a plan, as read (or, for `drbook check`, as the runbook's
//! earlier steps leave it), allows an action. The executor refuses a step on these verdicts
//! before anything is sent; `check` reports them. One set of rules, so the two never differ.

use crate::vao::{PlanInfo, StateSets};
use uuid::Uuid;

/// Why a guard refuses a step. `because` says where the state comes from when it is not
/// the server's answer (`check`'s prediction, " (as step 2 leaves it)"), else it is empty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("plan {plan} is disabled; a {action} needs an enabled plan")]
    Disabled { plan: Uuid, action: &'static str },
    #[error("plan {plan} is a {plan_type} plan; failover applies to replica and storage plans")]
    NoFailover { plan: Uuid, plan_type: String },
    #[error(
        "plan {plan} is in state {state}{because}; a failover needs a ready state ({ready}) — use --force to send it anyway"
    )]
    NotReady {
        plan: Uuid,
        state: String,
        because: String,
        ready: String,
    },
    #[error(
        "plan {plan} is {state}{because} ({plan_type}); an undo needs a replica plan in FAILOVER, FAILBACK or HALTED, or a storage plan in HALTED — use --force to send it anyway"
    )]
    NotUndoable {
        plan: Uuid,
        state: String,
        because: String,
        plan_type: String,
    },
    #[error("plan {plan} is busy ({state}){because}; a readiness check needs an idle plan")]
    Busy {
        plan: Uuid,
        state: String,
        because: String,
    },
}

/// An action needs an enabled plan.
fn enabled(info: &PlanInfo, plan: Uuid, action: &'static str) -> Result<(), Refusal> {
    if info.enabled == Some(false) {
        Err(Refusal::Disabled { plan, action })
    } else {
        Ok(())
    }
}

/// A failover: an enabled replica or storage plan in a ready state.
pub fn failover(
    states: &StateSets,
    info: &PlanInfo,
    plan: Uuid,
    because: &str,
) -> Result<(), Refusal> {
    enabled(info, plan, "failover")?;
    if !info.allows_failover() {
        Err(Refusal::NoFailover {
            plan,
            plan_type: info.plan_type.as_deref().unwrap_or("different").to_owned(),
        })
    } else if !states.is_ready(&info.status) {
        Err(Refusal::NotReady {
            plan,
            state: info.status.summary(),
            because: because.to_owned(),
            ready: states.ready_names(),
        })
    } else {
        Ok(())
    }
}

/// An undo: a replica plan in FAILOVER, FAILBACK or HALTED; a storage plan in HALTED.
pub fn undo(states: &StateSets, info: &PlanInfo, plan: Uuid, because: &str) -> Result<(), Refusal> {
    if states.allows_undo(info) {
        Ok(())
    } else {
        Err(Refusal::NotUndoable {
            plan,
            state: info.status.summary(),
            because: because.to_owned(),
            plan_type: info
                .plan_type
                .as_deref()
                .unwrap_or("type unknown")
                .to_owned(),
        })
    }
}

/// A readiness check: an enabled plan on which nothing runs.
pub fn readiness_check(
    states: &StateSets,
    info: &PlanInfo,
    plan: Uuid,
    because: &str,
) -> Result<(), Refusal> {
    enabled(info, plan, "readiness check")?;
    if states.is_running(&info.status) {
        Err(Refusal::Busy {
            plan,
            state: info.status.summary(),
            because: because.to_owned(),
        })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vao::PlanStatus;

    fn plan(state: &str, plan_type: &str, enabled: bool) -> PlanInfo {
        PlanInfo {
            status: PlanStatus {
                state: state.to_owned(),
                ..PlanStatus::default()
            },
            name: None,
            plan_type: Some(plan_type.to_owned()),
            enabled: Some(enabled),
        }
    }

    #[test]
    fn each_guard_says_why_it_refuses() {
        let states = StateSets::default();
        let id = Uuid::nil();
        assert_eq!(
            failover(&states, &plan("Ready", "Replica", true), id, ""),
            Ok(())
        );
        assert_eq!(
            failover(&states, &plan("Ready", "Replica", false), id, "")
                .unwrap_err()
                .to_string(),
            format!("plan {id} is disabled; a failover needs an enabled plan")
        );
        assert!(matches!(
            failover(&states, &plan("Failover", "Replica", true), id, " (as step 1 leaves it)"),
            Err(Refusal::NotReady { because, .. }) if because == " (as step 1 leaves it)"
        ));
        assert_eq!(
            undo(&states, &plan("Failover", "Replica", true), id, ""),
            Ok(())
        );
        assert!(matches!(
            undo(&states, &plan("Ready", "Storage", true), id, ""),
            Err(Refusal::NotUndoable { .. })
        ));
        assert_eq!(
            readiness_check(&states, &plan("Ready", "Replica", false), id, "")
                .unwrap_err()
                .to_string(),
            format!("plan {id} is disabled; a readiness check needs an enabled plan")
        );
        assert!(matches!(
            readiness_check(
                &states,
                &plan("Failover in progress", "Replica", true),
                id,
                ""
            ),
            Err(Refusal::Busy { .. })
        ));
    }
}
