//! The ledger of plans a run failed over: what a rollback or a drill's clean-up must undo.
//!
//! Two kinds of entry, each at most once per plan and kept in the order they came: failovers
//! VAO *accepted*, and failovers whose request was *sent* (it may have reached VAO even if
//! no answer said so). The executor writes it as it goes, each step of a parallel group
//! keeps its own and the group merges them, and `resume` rebuilds it from the journal.

use uuid::Uuid;

/// A failover in the ledger: the step that made it, and its plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub step: usize,
    pub plan: Uuid,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanLedger {
    accepted: Vec<Entry>,
    sent: Vec<Entry>,
}

/// Adds the entry unless its plan is there already (the first step that failed it over
/// stays its step).
fn add(entries: &mut Vec<Entry>, step: usize, plan: Uuid) {
    if !entries.iter().any(|e| e.plan == plan) {
        entries.push(Entry { step, plan });
    }
}

impl PlanLedger {
    /// VAO accepted the failover of `plan` by `step`.
    pub fn accept(&mut self, step: usize, plan: Uuid) {
        add(&mut self.accepted, step, plan);
    }

    /// The failover request of `plan` by `step` may reach VAO from now on.
    pub fn send(&mut self, step: usize, plan: Uuid) {
        add(&mut self.sent, step, plan);
    }

    /// The requests sent for `plan` are known to have done nothing (refused, or the plan
    /// shows them without effect): nothing to undo for them.
    pub fn unsend(&mut self, plan: Uuid) {
        self.sent.retain(|e| e.plan != plan);
    }

    /// `plan` was undone: it is failed over no more, and nothing undoes it again.
    pub fn forget(&mut self, plan: Uuid) {
        self.accepted.retain(|e| e.plan != plan);
        self.unsend(plan);
    }

    /// Whether VAO accepted a failover of `plan` in this run.
    pub fn is_accepted(&self, plan: Uuid) -> bool {
        self.accepted.iter().any(|e| e.plan == plan)
    }

    /// Takes in what another ledger (a step of a parallel group) recorded.
    pub fn merge(&mut self, other: PlanLedger) {
        for e in other.accepted {
            self.accept(e.step, e.plan);
        }
        for e in other.sent {
            self.send(e.step, e.plan);
        }
    }

    /// What the ledger holds of one plan: what a step acting on it starts from.
    pub fn of_plan(&self, plan: Uuid) -> PlanLedger {
        let only = |entries: &[Entry]| entries.iter().filter(|e| e.plan == plan).copied().collect();
        PlanLedger {
            accepted: only(&self.accepted),
            sent: only(&self.sent),
        }
    }

    /// Every plan the run may have failed over, newest step first: each accepted failover,
    /// then each one sent whose outcome is unknown (an undo reads the plan before sending
    /// anything: a plan still ready needs none).
    pub fn failed_over(&self) -> Vec<Entry> {
        let mut plans = self.accepted.clone();
        for e in &self.sent {
            add(&mut plans, e.step, e.plan);
        }
        plans.sort_by_key(|e| std::cmp::Reverse(e.step));
        plans
    }
}

/// Plans, for a message: `a, b`.
pub fn list(plans: &[Uuid]) -> String {
    let names: Vec<String> = plans.iter().map(Uuid::to_string).collect();
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    /// A ledger after these sends (`s`) and acceptances (`a`), in order: (what, step, plan).
    fn ledger(entries: &[(char, usize, u128)]) -> PlanLedger {
        let mut ledger = PlanLedger::default();
        for &(what, step, n) in entries {
            match what {
                's' => ledger.send(step, plan(n)),
                _ => ledger.accept(step, plan(n)),
            }
        }
        ledger
    }

    fn plans(ledger: &PlanLedger) -> Vec<(usize, Uuid)> {
        ledger
            .failed_over()
            .iter()
            .map(|e| (e.step, e.plan))
            .collect()
    }

    #[test]
    fn each_plan_is_listed_once_newest_step_first() {
        let ledger = ledger(&[
            ('s', 1, 1),
            ('a', 1, 1),
            ('s', 3, 3),
            ('a', 2, 2),
            ('a', 4, 1),
            ('s', 5, 2),
        ]);
        assert_eq!(plans(&ledger), [(3, plan(3)), (2, plan(2)), (1, plan(1))]);
        assert!(ledger.is_accepted(plan(1)));
        assert!(!ledger.is_accepted(plan(3)));
    }

    #[test]
    fn unsending_keeps_an_accepted_failover_and_forgetting_drops_both() {
        let mut ledger = ledger(&[('s', 1, 1), ('a', 1, 1), ('s', 2, 2)]);
        ledger.unsend(plan(1));
        ledger.unsend(plan(2));
        assert_eq!(plans(&ledger), [(1, plan(1))]);
        ledger.send(1, plan(1));
        ledger.forget(plan(1));
        assert_eq!(plans(&ledger), []);
        assert!(!ledger.is_accepted(plan(1)));
    }

    #[test]
    fn merging_adds_only_plans_not_yet_listed() {
        let mut run = ledger(&[('a', 1, 1)]);
        run.merge(ledger(&[('a', 2, 2), ('s', 3, 3), ('a', 4, 1)]));
        assert_eq!(plans(&run), [(3, plan(3)), (2, plan(2)), (1, plan(1))]);
        assert!(run.is_accepted(plan(2)));
        assert!(!run.is_accepted(plan(3)));
    }
}
