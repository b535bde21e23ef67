//! Steps that run at the same time: the steps of a parallel group, or every step of a
//! runbook whose steps have `needs`. Each step starts as soon as what it waits for
//! ([`schedule::waits_for`]) has finished, within the limits that apply to it: its group's
//! `max_concurrency`, the runbook's `max_concurrency` (plan steps only), and one step per
//! plan at a time.
//!
//! What a step waits for decides whether it may start after a failure there: a step with
//! `needs` needs the steps it names to have succeeded (or been skipped by scope or by the
//! operator), and is not run when one failed or was not run; a step without `needs` waits,
//! as it always did, for the step or group before it to finish, which after a failure under
//! `on_failure: continue` lets it run. A failure under `abort` or `rollback` starts nothing
//! new; the steps already running are waited for.
//!
//! Each step gets an executor of its own (so each keeps its own guard baseline and its own
//! ledger of failovers, merged into the run's as it ends) that shares the run's client,
//! options, interrupt and listeners. Everything runs on the one task: the steps take turns
//! at every await, so the listeners (journal first) see every event in the order it
//! happened, and no lock is needed beyond a `RefCell` that is never held across an await.
//!
//! [`schedule::waits_for`]: crate::runbook::schedule::waits_for

use super::{Executor, Resume, UnitEnd};
use crate::exec::event::{Event, Listener, StepResult};
use crate::exec::ledger::PlanLedger;
use crate::runbook::{Action, OnFailure, Runbook, Step};
use futures_util::StreamExt as _;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use tokio::sync::{Mutex, Semaphore};

/// The steps asking the operator what their failure means: while any does, no new step
/// starts (the answer may be to stop the run).
#[derive(Debug, Default)]
pub struct Asking {
    count: std::sync::atomic::AtomicUsize,
    /// Wakes the scheduler when a step is taken up again after its question.
    resumed: tokio::sync::Notify,
}

/// A step's question, open until released or dropped.
pub struct Held<'a>(&'a Asking);

impl Asking {
    pub fn hold(&self) -> Held<'_> {
        self.count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Held(self)
    }

    fn open(&self) -> bool {
        self.count.load(std::sync::atomic::Ordering::SeqCst) > 0
    }
}

impl Held<'_> {
    /// The step goes on (taken up again): the other steps may start.
    pub fn release(self) {
        let asking = self.0;
        drop(self);
        asking.resumed.notify_one();
    }
}

impl Drop for Held<'_> {
    /// Without a release (the answer stops the run, or skips the step), the step's end
    /// follows at once and wakes the scheduler itself.
    fn drop(&mut self) {
        self.0
            .count
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// One of the run's listeners, shared by the steps that run at the same time.
struct Shared<'r, 'l, 'o>(&'r RefCell<&'l mut (dyn Listener + 'o)>);

impl Listener for Shared<'_, '_, '_> {
    fn on_event(&mut self, event: &Event) {
        self.0.borrow_mut().on_event(event);
    }
}

/// How a step that was started ended, and what it changed.
struct Member {
    step: usize,
    /// `None`: not run after all (a failure elsewhere, or an interrupt, came first).
    result: Option<StepResult>,
    end: UnitEnd,
    /// Failovers it got accepted or may have sent: what a rollback or a drill's clean-up
    /// undoes.
    ledger: PlanLedger,
}

/// Where a step of the batch is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Waiting,
    Running,
    /// Succeeded, or skipped by scope or by the operator: what needs it may start.
    Done,
    Failed,
    NotRun,
}

/// The failure that stopped the starting of steps: its step's group, and its policy.
#[derive(Clone, Copy)]
struct Stop {
    group: Option<usize>,
    policy: OnFailure,
}

/// Why a step that was waiting is not run after a failure that stops the run.
fn stopped_because(stop: Stop, step: &Step) -> &'static str {
    if step.group.is_some() && step.group == stop.group {
        "not run: another step of its parallel group failed"
    } else if stop.policy == OnFailure::Rollback {
        "not run: an earlier step failed and the run rolled back"
    } else {
        "not run: an earlier step failed"
    }
}

/// Why a step that has not started does not start now: the run was interrupted, or a
/// failure stopped it (`None`: it may start).
fn not_started_because(interrupted: bool, stop: Option<Stop>, step: &Step) -> Option<&'static str> {
    if interrupted {
        Some("not run: drbook was interrupted")
    } else {
        stop.map(|stop| stopped_because(stop, step))
    }
}

/// Whether a step that ended so lets what needs it start: it succeeded, or was skipped (by
/// scope, or by the operator).
fn satisfies(result: StepResult) -> bool {
    result.is_success() || result == StepResult::Skipped
}

/// The policy a failure of the step has for the run: its group's, or its own.
fn policy_of(runbook: &Runbook, step: &Step) -> OnFailure {
    step.group
        .map_or(step.on_failure, |g| runbook.groups[g].on_failure)
}

impl<'a> Executor<'a> {
    /// Runs `steps` (in file order, none of them done yet), each as soon as what it waits
    /// for has finished. After a failure an earlier process saw while other steps were under
    /// way ([`Resume::group_failure`]), only the steps it left under way go on. Returns the
    /// failures, the policy of the one that stopped the run (if any), and what an interrupt
    /// left.
    pub(super) async fn concurrently(&mut self, steps: Vec<&'a Step>, resume: &Resume) -> UnitEnd {
        let runbook = self.runbook;
        let waits = crate::runbook::schedule::waits_for(runbook);
        let mut state: HashMap<usize, State> = HashMap::new();
        for &(number, result) in &resume.results {
            if resume.done.contains(&number) {
                let done = satisfies(result);
                state.insert(number, if done { State::Done } else { State::Failed });
            }
        }
        for step in &steps {
            state.insert(step.number, State::Waiting);
        }
        let mut end = UnitEnd::default();
        let mut stop: Option<Stop> = None;
        // A failure that stopped the steps an earlier process ran at the same time: this
        // batch's (every step, with `needs`; else the failed step's group).
        if let Some((failed, failure, policy)) = &resume.group_failure {
            let group = runbook.steps[failed - 1].group;
            if runbook.has_needs() || steps.iter().any(|s| s.group.is_some() && s.group == group) {
                end.failures.push(failure.clone());
                stop = Some(Stop {
                    group,
                    policy: *policy,
                });
            }
        }
        let stopped = Cell::new(stop);
        let client = self.client;
        let asking = std::sync::Arc::new(Asking::default());
        let mut options = self.options.clone();
        options.asking = Some(asking.clone());
        let interrupt = self.interrupt.clone();
        let everywhere = runbook.max_concurrency.map(Semaphore::new);
        let groups: Vec<Semaphore> = runbook
            .groups
            .iter()
            .map(|g| Semaphore::new(g.max_concurrency))
            .collect();
        let plans: HashMap<uuid::Uuid, Mutex<()>> = steps
            .iter()
            .filter_map(|s| s.action.plan_id())
            .map(|plan| (plan, Mutex::new(())))
            .collect();
        let listener = RefCell::new(&mut *self.listener);
        let mut running = futures_util::stream::FuturesUnordered::new();
        let mut interrupted = Vec::new();
        loop {
            // One pass in file order starts (or rules out) every step it can: a step waits
            // only for earlier ones, so what a pass decides is final for the steps after.
            // While a step asks the operator about its failure, nothing new starts.
            for &step in steps.iter().filter(|_| !asking.open()) {
                if state[&step.number] != State::Waiting {
                    continue;
                }
                let in_flight = resume.in_flight.iter().any(|f| f.step == step.number);
                if *interrupt.borrow() || (stopped.get().is_some() && !in_flight) {
                    continue;
                }
                let mut blocked = None;
                let mut ready = true;
                for &before in &waits[step.number - 1] {
                    match state.get(&before).copied().unwrap_or(State::Done) {
                        State::Waiting | State::Running => ready = false,
                        State::Done => {}
                        // After a failure under `continue`, or a step that was not run, what
                        // only comes after it (no `needs`) goes on.
                        State::Failed | State::NotRun if step.needs.is_none() => {}
                        other => {
                            let needed = &runbook.steps[before - 1];
                            let what = if other == State::Failed {
                                "failed"
                            } else {
                                "was not run"
                            };
                            blocked.get_or_insert(format!(
                                "not run: it needs step {before} \"{}\", which {what}",
                                needed.name
                            ));
                        }
                    }
                }
                if let Some(why) = blocked {
                    listener.borrow_mut().on_event(&Event::step_finished(
                        step.number,
                        StepResult::Skipped,
                        Some(why),
                    ));
                    state.insert(step.number, State::NotRun);
                    continue;
                }
                if !ready {
                    continue;
                }
                state.insert(step.number, State::Running);
                let (listener, stopped) = (&listener, &stopped);
                let mut options = options.clone();
                // The operator is asked at the terminal about a step on its own, not about
                // one of a group (its policy is the group's).
                options.ask &= step.group.is_none();
                let interrupt = interrupt.clone();
                let group = step.group.map(|g| &groups[g]);
                let plan_id = step.action.plan_id();
                let everywhere = everywhere.as_ref().filter(|_| plan_id.is_some());
                let plan = plan_id.and_then(|p| plans.get(&p));
                // What the run knows of the step's plan (a failover an earlier process got
                // accepted), for an interrupt to name or halt it.
                let known = plan_id.map(|p| self.ledger.of_plan(p)).unwrap_or_default();
                running.push(async move {
                    let _group = match group {
                        Some(permits) => permits.acquire().await.ok(),
                        None => None,
                    };
                    let _everywhere = match everywhere {
                        Some(permits) => permits.acquire().await.ok(),
                        None => None,
                    };
                    let _plan = match plan {
                        Some(lock) => Some(lock.lock().await),
                        None => None,
                    };
                    let mut shared = Shared(listener);
                    let stop = stopped.get().filter(|_| !in_flight);
                    if let Some(why) = not_started_because(*interrupt.borrow(), stop, step) {
                        shared.on_event(&Event::step_finished(
                            step.number,
                            StepResult::Skipped,
                            Some(why.to_owned()),
                        ));
                        return Member {
                            step: step.number,
                            result: None,
                            end: UnitEnd::default(),
                            ledger: PlanLedger::default(),
                        };
                    }
                    let mut executor =
                        Executor::new(runbook, client, options, interrupt, &mut shared);
                    executor.ledger = known;
                    let (result, end) = executor.unit(step, resume).await;
                    Member {
                        step: step.number,
                        result: Some(result),
                        end,
                        ledger: executor.ledger,
                    }
                });
            }
            let member = tokio::select! {
                member = running.next() => match member {
                    Some(member) => member,
                    None => break,
                },
                () = asking.resumed.notified() => continue,
            };
            let step = &runbook.steps[member.step - 1];
            self.ledger.merge(member.ledger);
            // A plan undone is failed over no more.
            if let Action::UndoFailover(call) = &step.action
                && member.result.is_some_and(StepResult::is_success)
            {
                self.ledger.forget(call.plan_id);
            }
            let failed = !member.end.failures.is_empty();
            let now = if failed {
                State::Failed
            } else if member.result.is_some_and(satisfies) {
                State::Done
            } else {
                State::NotRun
            };
            state.insert(member.step, now);
            if failed {
                let policy = member.end.policy.unwrap_or(policy_of(runbook, step));
                if policy != OnFailure::Continue && stopped.get().is_none() {
                    stopped.set(Some(Stop {
                        group: step.group,
                        policy,
                    }));
                }
            }
            end.failures.extend(member.end.failures);
            interrupted.extend(member.end.interrupted);
        }
        drop(running);
        // What never started: the run stopped or was interrupted first.
        for step in &steps {
            if state[&step.number] == State::Waiting {
                // Nothing stopped it and still it did not start: the run was interrupted.
                let why = not_started_because(*interrupt.borrow(), stopped.get(), step)
                    .unwrap_or("not run: drbook was interrupted");
                listener.borrow_mut().on_event(&Event::step_finished(
                    step.number,
                    StepResult::Skipped,
                    Some(why.to_owned()),
                ));
            }
        }
        end.policy = stopped.get().map(|stop| stop.policy);
        if !interrupted.is_empty() {
            end.interrupted = Some(interrupted.join("; "));
        } else if *interrupt.borrow() {
            // Steps still waiting were not started: the run was interrupted even if every
            // step that ran finished.
            end.interrupted = Some("interrupted".to_owned());
        }
        end
    }
}
