//! The state guards: whether a plan, as read (or, for `drbook check`, as the runbook's
//! earlier steps leave it), allows an action. The executor refuses a step on these verdicts
//! before anything is sent; `check` reports them. One set of rules, so the two never differ.
//! A [`Refusal`] says why a guard says no; a [`GuardError`] also covers the read that failed
//! before a guard could judge, worded the same for a run and for `check`.

use crate::vao::{PlanInfo, StateSets, VaoError};
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

/// Why a guarded step sends nothing: its plan cannot be read, or its guard refuses it.
#[derive(Debug, thiserror::Error)]
pub enum GuardError {
    #[error("plan {plan} does not exist on the server ({error})")]
    Missing { plan: Uuid, error: VaoError },
    /// `before` says what the read was for (" before the failover"), or is empty.
    #[error("could not read plan {plan}{before}: {error}")]
    Unreadable {
        plan: Uuid,
        before: &'static str,
        error: VaoError,
    },
    #[error(transparent)]
    Refused(#[from] Refusal),
}

impl GuardError {
    /// The plan could not be read for its guard: it is gone (404), or unreadable.
    pub fn unread(plan: Uuid, before: &'static str, error: VaoError) -> GuardError {
        if error.status() == Some(404) {
            GuardError::Missing { plan, error }
        } else {
            GuardError::Unreadable {
                plan,
                before,
                error,
            }
        }
    }
}

/// A guard's verdict: the action is allowed, or refused and why.
pub type Verdict = Result<(), Refusal>;

/// An action needs an enabled plan.
fn enabled(info: &PlanInfo, plan: Uuid, action: &'static str) -> Verdict {
    if info.enabled == Some(false) {
        Err(Refusal::Disabled { plan, action })
    } else {
        Ok(())
    }
}

/// A failover: an enabled replica or storage plan in a ready state.
pub fn failover(states: &StateSets, info: &PlanInfo, plan: Uuid, because: &str) -> Verdict {
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
pub fn undo(states: &StateSets, info: &PlanInfo, plan: Uuid, because: &str) -> Verdict {
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
pub fn readiness_check(states: &StateSets, info: &PlanInfo, plan: Uuid, because: &str) -> Verdict {
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
            id: None,
            verification: None,
        }
    }

    type Guard = fn(&StateSets, &PlanInfo, Uuid, &str) -> Verdict;

    #[test]
    fn each_guard_says_why_it_refuses() {
        let states = StateSets::default();
        let id = Uuid::nil();
        let because = " (as step 1 leaves it)";
        let cases: [(Guard, &str, &str, bool, Option<&str>); 7] = [
            (failover, "Ready", "Replica", true, None),
            (
                failover,
                "Ready",
                "Replica",
                false,
                Some("is disabled; a failover needs an enabled plan"),
            ),
            (
                failover,
                "Failover",
                "Replica",
                true,
                Some("is in state Failover (as step 1 leaves it); a failover needs a ready state"),
            ),
            (undo, "Failover", "Replica", true, None),
            (
                undo,
                "Ready",
                "Storage",
                true,
                Some("is Ready (as step 1 leaves it) (Storage); an undo needs a replica plan"),
            ),
            (
                readiness_check,
                "Ready",
                "Replica",
                false,
                Some("is disabled; a readiness check needs an enabled plan"),
            ),
            (
                readiness_check,
                "Failover in progress",
                "Replica",
                true,
                Some("is busy (Failover in progress) (as step 1 leaves it); a readiness check"),
            ),
        ];
        for (guard, state, plan_type, enabled, refusal) in cases {
            let verdict = guard(&states, &plan(state, plan_type, enabled), id, because);
            match (verdict, refusal) {
                (Ok(()), None) => {}
                (Err(why), Some(want)) => {
                    let why = why.to_string();
                    assert!(why.starts_with(&format!("plan {id} {want}")), "{why}");
                }
                (verdict, want) => panic!("{state} {plan_type}: {verdict:?}, wanted {want:?}"),
            }
        }
    }
}
