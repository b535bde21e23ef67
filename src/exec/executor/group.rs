//! Parallel groups: steps a runbook says are independent run at the same time, at most
//! `max_concurrency` at once, each exactly as it would run alone.
//!
//! Each step gets an executor of its own (so each keeps its own guard baseline and its own
//! ledger of failovers, merged into the run's when the group ends) that shares the run's client, options, interrupt and
//! listeners. Everything runs on the one task: the steps take turns at every await, so the
//! listeners (journal first) see every event in the order it happened, and no lock is
//! needed beyond a `RefCell` that is never held across an await.

use super::{Executor, Resume, UnitEnd};
use crate::exec::event::{Event, Listener, StepResult};
use crate::exec::ledger::PlanLedger;
use crate::runbook::{Action, Group, OnFailure, Step};
use std::cell::{Cell, RefCell};

/// One of the run's listeners, shared by the steps of a group.
struct Shared<'r, 'l, 'o>(&'r RefCell<&'l mut (dyn Listener + 'o)>);

impl Listener for Shared<'_, '_, '_> {
    fn on_event(&mut self, event: &Event) {
        self.0.borrow_mut().on_event(event);
    }
}

/// How one step of a group ended, and what it changed.
struct Member {
    step: usize,
    result: StepResult,
    error: Option<String>,
    /// Failovers it got accepted or may have sent: what a rollback or a drill's clean-up
    /// undoes.
    ledger: PlanLedger,
}

impl Executor<'_> {
    /// Runs the group's steps that are not done yet. With `abort` or `rollback`, a failure
    /// starts no further step of the group; steps already running are waited for.
    pub(super) async fn group(&mut self, group: &Group, resume: &Resume) -> UnitEnd {
        // After a failure an earlier process saw, only the steps it left under way go on.
        let steps: Vec<&Step> = self.runbook.steps[group.first - 1..group.last]
            .iter()
            .filter(|s| !resume.done.contains(&s.number))
            .filter(|s| {
                resume.group_failure.is_none()
                    || resume.in_flight.iter().any(|f| f.step == s.number)
            })
            .collect();
        let (runbook, client) = (self.runbook, self.client);
        let options = self.options.clone();
        let interrupt = self.interrupt.clone();
        let stop_starting = Cell::new(false);
        let permits = tokio::sync::Semaphore::new(group.max_concurrency);
        let members: Vec<Member> = {
            let listener = RefCell::new(&mut *self.listener);
            let futures = steps.iter().map(|step| {
                let step: &Step = step;
                let (listener, permits, stop_starting) = (&listener, &permits, &stop_starting);
                let (options, interrupt) = (options.clone(), interrupt.clone());
                async move {
                    let _permit = permits.acquire().await.ok();
                    let mut shared = Shared(listener);
                    let why = if *interrupt.borrow() {
                        Some("not run: drbook was interrupted")
                    } else if stop_starting.get() {
                        Some("not run: another step of its parallel group failed")
                    } else {
                        None
                    };
                    if let Some(why) = why {
                        shared.on_event(&Event::step_finished(
                            step.number,
                            StepResult::Skipped,
                            Some(why.to_owned()),
                        ));
                        return Member {
                            step: step.number,
                            result: StepResult::Skipped,
                            error: None,
                            ledger: PlanLedger::default(),
                        };
                    }
                    let mut executor =
                        Executor::new(runbook, client, options, interrupt, &mut shared);
                    let (result, error) = executor.run_one(step, resume).await;
                    if result == StepResult::Failed && group.on_failure != OnFailure::Continue {
                        stop_starting.set(true);
                    }
                    Member {
                        step: step.number,
                        result,
                        error,
                        ledger: executor.ledger,
                    }
                }
            });
            futures_util::future::join_all(futures).await
        };
        let mut end = UnitEnd::default();
        end.failures.extend(resume.group_failure.clone());
        let mut running = Vec::new();
        for member in members {
            let step = &self.runbook.steps[member.step - 1];
            self.ledger.merge(member.ledger);
            // A plan the group undid is failed over no more.
            if let Action::UndoFailover(call) = &step.action
                && member.result.is_success()
            {
                self.ledger.forget(call.plan_id);
            }
            match member.result {
                StepResult::Failed => end.failures.push(format!(
                    "step {} \"{}\" (in parallel group \"{}\") failed: {}",
                    step.number,
                    step.name,
                    group.name,
                    member.error.unwrap_or_default()
                )),
                StepResult::Interrupted => running.push(self.leave_or_halt(step).await),
                _ => {}
            }
        }
        if !running.is_empty() {
            end.interrupted = Some(running.join("; "));
        } else if self.is_interrupted() {
            // Steps still waiting for a slot were not started: the run was interrupted even
            // if every step that ran finished.
            end.interrupted = Some("interrupted".to_owned());
        }
        end
    }
}
