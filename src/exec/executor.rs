//! Runs a runbook's steps against VAO: one after another, or, with `needs`, each as soon as
//! what it waits for allows.
//!
//! Every failover request is sent at most once: a request that failed in transit is not
//! repeated, because VAO may have started the plan anyway. Waits and polls give way to an
//! interrupt at once; a request already on the wire is allowed to finish, so its outcome
//! is known and recorded.
//!
//! This file holds the run (steps in order, failure policies, rollback) and the failover
//! with its guard, tries and reconciliation; `steps.rs` the other step kinds and a drill's
//! clean-up; `graph.rs` the steps that run at the same time (a parallel group's, or a whole
//! runbook's with `needs`); `post.rs` the one way an undo, a readiness check or a Continue
//! is sent (once, intent first, an unclear answer settled by a read); `wait.rs` the one
//! polling loop that every step waiting on a plan uses; `probe.rs` the health checks
//! (`http_check`, `tcp_check`) and the one loop that tries them until healthy; `command.rs`
//! the `command` steps. Which failovers the run made is kept in a [`PlanLedger`]; a resumed
//! run starts from the [`Resume`] its journal folds into.

mod command;
mod decide;
mod graph;
mod halt;
mod post;
mod probe;
mod steps;
#[cfg(test)]
mod tests;
mod wait;

use self::wait::Completion;
use super::event::{
    Decider, Decision, DrillPhase, Event, GuardVerdict, Listener, RunResult, StepKind, StepResult,
};
use super::guard::GuardError;
use super::ledger::{Entry, PlanLedger};
use super::resume::{InFlight, Resume};
use crate::runbook::{Action, Failover, OnFailure, PlanCall, Runbook, Step};
use crate::vao::{self, Phase, PlanInfo, PlanStatus, StateSets, VaoClient, VaoError};
use chrono::Utc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;
use vao::PlanRequest as _;

/// Halting on an interrupt stops this plan, not the plans chained after it.
const HALT: vao::HaltRequest = vao::HaltRequest { full_stop: false };

/// Signals an interrupt (Ctrl-C) to a running executor.
pub type Interrupt = watch::Receiver<bool>;

/// How the executor behaves beyond what the runbook says.
#[derive(Debug, Clone)]
pub struct ExecOptions {
    pub poll_interval: Duration,
    /// Skip the state guard before each failover (`--force`).
    pub force: bool,
    /// Halt a plan that is running when the run is interrupted.
    pub halt_on_interrupt: bool,
    /// Cleared by the journal when it cannot write: no state-changing request is sent then.
    pub journal_ok: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    /// Who may let pause steps go on.
    pub approvals: Approvals,
    /// A drill: after the steps, whatever happened, undo every failover the run made.
    pub cleanup: bool,
    /// Who takes the operator's decisions (retry, skip, ...), for the journal and report.
    pub decider: Decider,
    /// When a step fails, ask the operator at the terminal what to do instead of applying
    /// its `on_failure` at once (stdin and stderr are terminals, and neither `--yes` nor
    /// `--no-ask` was given).
    pub ask: bool,
    /// The run's id, for what a message tells the operator to type (`drbook resume RUN`).
    pub run_id: Option<String>,
    /// The run's secrets: a command's output tail is masked before it is cut, so no secret
    /// is left half there for a later mask to miss.
    pub redactor: crate::secret::Redactor,
    /// Set by the steps that run at the same time (`graph.rs`): while a step asks the
    /// operator what its failure means, no new step starts.
    pub asking: Option<std::sync::Arc<graph::Asking>>,
}

/// How pause steps are approved: by `--approve` (a step's number or name, or `all`), or
/// by the operator at a terminal.
#[derive(Debug, Clone, Default)]
pub struct Approvals {
    pub given: Vec<String>,
    /// Ask on the terminal (stdin and stderr are terminals).
    pub interactive: bool,
    /// The operator's name, recorded with each approval.
    pub operator: String,
}

impl Approvals {
    /// Whether `--approve` lets this step go on.
    pub fn covers(&self, step: &Step) -> bool {
        self.given
            .iter()
            .any(|g| g == "all" || *g == step.name || *g == step.number.to_string())
    }
}

/// One try of a failover request: the step, the try's number, and what is sent where.
#[derive(Clone, Copy)]
struct Attempt<'f> {
    number: usize,
    attempt: u32,
    failover: &'f Failover,
    body: &'f vao::FailoverRequest,
    path: &'f str,
}

/// How one try of a failover ended.
enum Try {
    /// 2xx: accepted.
    Accepted,
    /// The server certainly did not act: nothing was sent, or it refused before acting
    /// (429). Safe to send again.
    NotSent(Option<Duration>),
    /// The outcome is unknown (a lost answer, a 5xx): read the plan before anything else.
    Unknown(Option<Duration>),
    /// A definite refusal (4xx): the step fails, unless an earlier try was accepted.
    Refused(String),
}

/// How a step ended: its result and error, or an interrupt (with what it left).
pub(crate) enum StepEnd {
    Done(StepResult, Option<String>),
    Interrupted(String),
}

/// How a step, or a parallel group, ended: the failures, and what an interrupt left.
#[derive(Default)]
struct UnitEnd {
    failures: Vec<String>,
    interrupted: Option<String>,
    /// The operator's answer at the terminal, instead of the step's `on_failure`.
    policy: Option<OnFailure>,
}

pub struct Executor<'a> {
    runbook: &'a Runbook,
    client: &'a VaoClient,
    states: StateSets,
    options: ExecOptions,
    interrupt: Interrupt,
    listener: &'a mut dyn Listener,
    /// The failovers this run made (accepted by VAO, or sent with an unknown outcome): what
    /// a rollback or a drill's clean-up undoes.
    ledger: PlanLedger,
    /// With `--force`, the state the current step's plan had before its failover.
    baseline: Option<String>,
    /// How the steps ended, before a drill's clean-up.
    outcome: Option<(RunResult, Option<String>)>,
    /// The number of the next undo step (after those of an earlier process).
    next_undo: Option<usize>,
    /// What an earlier process did, for a drill's clean-up steps (taken from the resume).
    resume: Resume,
}

/// The end of a step the operator skipped.
fn skipped_by_operator(step: usize, by: &str, reason: &str) -> Event {
    Event::step_finished(
        step,
        StepResult::Skipped,
        Some(format!("skipped by the operator ({by}): {reason}")),
    )
}

/// Resolves when an interrupt is signalled (never, if the sender is gone without one).
async fn interrupted(interrupt: &mut Interrupt) {
    if interrupt.wait_for(|stop| *stop).await.is_err() {
        std::future::pending::<()>().await;
    }
}

impl<'a> Executor<'a> {
    pub fn new(
        runbook: &'a Runbook,
        client: &'a VaoClient,
        options: ExecOptions,
        interrupt: Interrupt,
        listener: &'a mut dyn Listener,
    ) -> Executor<'a> {
        Executor {
            states: super::to_vao::state_sets(&runbook.states),
            runbook,
            client,
            options,
            interrupt,
            listener,
            ledger: PlanLedger::default(),
            baseline: None,
            outcome: None,
            next_undo: None,
            resume: Resume::default(),
        }
    }

    fn emit(&mut self, event: Event) {
        self.listener.on_event(&event);
    }

    /// A line for the report and the progress: what the step found.
    fn note(&mut self, step: usize, text: String) {
        self.emit(Event::Note { step, text });
    }

    fn emit_answer(&mut self, step: usize, answer: &vao::Answer) {
        self.emit(Event::Answer {
            step,
            status: answer.status,
            body: vao::client::truncate(&answer.body),
            elapsed: answer.elapsed,
            attempts: answer.attempts,
        });
    }

    fn journal_ok(&self) -> bool {
        self.options
            .journal_ok
            .as_ref()
            .is_none_or(|ok| ok.load(std::sync::atomic::Ordering::SeqCst))
    }

    fn is_interrupted(&self) -> bool {
        *self.interrupt.borrow()
    }

    /// Sleeps, unless interrupted first; returns whether it slept the whole time.
    async fn sleep(&mut self, duration: Duration) -> bool {
        let mut interrupt = self.interrupt.clone();
        tokio::select! {
            _ = tokio::time::sleep(duration) => true,
            _ = interrupted(&mut interrupt) => false,
        }
    }

    /// Runs the whole runbook and returns the overall result.
    pub async fn run(self) -> RunResult {
        self.run_resumed(Resume::default()).await
    }

    /// Runs the runbook, skipping what an earlier process finished and reconciling the step
    /// it left in flight (see [`Resume`]).
    pub async fn run_resumed(mut self, resume: Resume) -> RunResult {
        if self.options.cleanup {
            self.emit(Event::PhaseStarted {
                phase: DrillPhase::Failover,
                at: Utc::now(),
            });
        }
        let authenticated = self.run_steps(resume).await;
        let (mut result, mut error) = self.outcome.take().unwrap_or((
            RunResult::Failed,
            Some("the run ended without a result".to_owned()),
        ));
        if self.options.cleanup && authenticated {
            (result, error) = self.cleanup(result, error).await;
        }
        self.end(result, error)
    }

    /// The runbook's steps (and a rollback); returns whether drbook had logged in.
    async fn run_steps(&mut self, resume: Resume) -> bool {
        let steps = self.runbook.steps.len();
        if resume.resumed {
            self.emit(Event::Resumed {
                at: Utc::now(),
                steps,
            });
        } else {
            self.emit(Event::RunStarted {
                at: Utc::now(),
                steps,
            });
        }
        self.ledger = resume.ledger.clone();
        self.next_undo = resume.next_undo;
        // The operator's decisions of this resume are durable before anything acts on them.
        for decision in &resume.decided {
            self.emit(decision.clone());
            if let Event::Decided {
                step,
                decision: Decision::Skip,
                by,
                reason,
                ..
            } = decision
            {
                self.emit(skipped_by_operator(
                    *step,
                    by,
                    reason.as_deref().unwrap_or_default(),
                ));
            }
        }
        if !resume.decided.is_empty() && !self.journal_ok() {
            self.finish(
                RunResult::Failed,
                Some("the run's journal cannot be written, so the operator's decision is not durable: nothing was sent".to_owned()),
            );
            return false;
        }
        self.resume = resume.clone();
        match self.client.authenticate().await {
            Ok(how) => self.emit(Event::Authenticated {
                at: Utc::now(),
                how,
            }),
            Err(error) => {
                let message = error.to_string();
                self.skip_from(0, &resume, "not run: authentication failed");
                self.finish(RunResult::Failed, Some(message));
                return false;
            }
        }
        if let Some(failure) = resume.rolling_back.clone() {
            let rollback = self.rollback().await;
            self.finish(RunResult::Failed, Some(format!("{failure}; {rollback}")));
            return true;
        }
        // A drill whose runbook part had ended (a failed step) was stopped before or during
        // its clean-up: only the clean-up is left.
        if let Some(failure) = resume.cleanup_only.clone() {
            self.finish(RunResult::Failed, Some(failure));
            return true;
        }
        let mut failures = resume.failures.clone();
        let runbook = self.runbook;
        let with_needs = runbook.has_needs();
        let mut index = 0;
        while index < steps {
            let step = &self.runbook.steps[index];
            if resume.done.contains(&step.number) {
                index += 1;
                continue;
            }
            if self.is_interrupted() {
                self.skip_from(index, &resume, "not run: drbook was interrupted");
                self.finish(RunResult::Interrupted, Some("interrupted".to_owned()));
                return true;
            }
            let not_done = |s: &&Step| !resume.done.contains(&s.number);
            let (end, policy, next) = if with_needs {
                // With `needs`, every step starts as soon as what it waits for allows.
                let all = runbook.steps.iter().filter(not_done).collect();
                (
                    self.concurrently(all, &resume).await,
                    OnFailure::Continue,
                    steps,
                )
            } else if let Some(group) = step.group.map(|g| &runbook.groups[g]) {
                let members = runbook.steps[group.first - 1..group.last]
                    .iter()
                    .filter(not_done)
                    .collect();
                (
                    self.concurrently(members, &resume).await,
                    group.on_failure,
                    group.last,
                )
            } else {
                let (_, end) = self.unit(step, &resume).await;
                (end, step.on_failure, index + 1)
            };
            let policy = end.policy.unwrap_or(policy);
            index = next;
            if let Some(running) = end.interrupted {
                self.skip_from(index, &resume, "not run: drbook was interrupted");
                self.finish(RunResult::Interrupted, Some(running));
                return true;
            }
            if end.failures.is_empty() {
                continue;
            }
            let message = end.failures.join("; ");
            match policy {
                OnFailure::Continue => failures.extend(end.failures),
                OnFailure::Abort => {
                    self.skip_from(index, &resume, "not run: an earlier step failed");
                    self.finish(RunResult::Failed, Some(message));
                    return true;
                }
                OnFailure::Rollback => {
                    self.skip_from(
                        index,
                        &resume,
                        "not run: an earlier step failed and the run rolled back",
                    );
                    let rollback = self.rollback().await;
                    self.finish(RunResult::Failed, Some(format!("{message}; {rollback}")));
                    return true;
                }
            }
        }
        if failures.is_empty() {
            self.finish(RunResult::Succeeded, None);
        } else {
            self.finish(RunResult::Failed, Some(failures.join("; ")));
        }
        true
    }

    /// Records how the steps ended; [`run_resumed`](Self::run_resumed) ends the run.
    fn finish(&mut self, result: RunResult, error: Option<String>) -> RunResult {
        self.outcome = Some((result, error));
        result
    }

    /// Runs one step (resuming it if an earlier process left it in flight), between its
    /// start and finish events; returns how it ended.
    async fn run_one(&mut self, step: &Step, resume: &Resume) -> (StepResult, Option<String>) {
        self.emit(Event::step_started(step));
        let scope = step.only.excluded_because(self.options.cleanup);
        let in_flight = resume.in_flight.iter().find(|f| f.step == step.number);
        let end = match (scope, in_flight, resume.retry_of(step.number)) {
            (Some(why), _, _) => StepEnd::Done(StepResult::Skipped, Some(why)),
            // A retry whose request (a failover, or the operator's Continue) may have left is
            // reconciled like any step in flight, never sent again.
            (None, Some(in_flight), Some(_)) if in_flight.sent || in_flight.continues > 0 => {
                self.resume_step(step, in_flight).await
            }
            (None, _, Some(option)) => self.retry_step(step, option).await,
            (None, Some(in_flight), None) => self.resume_step(step, in_flight).await,
            (None, None, None) => self.step(step).await,
        };
        self.step_end(step, end)
    }

    /// The step again, as the operator decided at the terminal.
    async fn run_again(
        &mut self,
        step: &Step,
        option: Option<vao::ContinueOption>,
    ) -> (StepResult, Option<String>) {
        self.emit(Event::step_started(step));
        let end = self.retry_step(step, option).await;
        self.step_end(step, end)
    }

    /// Records how a step ended.
    fn step_end(&mut self, step: &Step, end: StepEnd) -> (StepResult, Option<String>) {
        let (result, error) = match end {
            StepEnd::Done(result, error) => (result, error),
            StepEnd::Interrupted(message) => (StepResult::Interrupted, Some(message)),
        };
        self.emit(Event::step_finished(step.number, result, error.clone()));
        (result, error)
    }

    /// A step: run, then what its failure or interrupt means for the run. Returns its last
    /// result with that.
    async fn unit(&mut self, step: &Step, resume: &Resume) -> (StepResult, UnitEnd) {
        let (mut result, mut error) = self.run_one(step, resume).await;
        let mut unit = UnitEnd::default();
        // On a terminal the operator decides what a failure that would stop the run means.
        while result == StepResult::Failed
            && self.options.ask
            && step.on_failure != OnFailure::Continue
        {
            let asking = self.options.asking.clone();
            let held = asking.as_deref().map(graph::Asking::hold);
            match self.ask(step).await {
                decide::Answered::Again(option) => {
                    // The other steps may start again while this one is taken up again.
                    if let Some(held) = held {
                        held.release();
                    }
                    (result, error) = self.run_again(step, option).await;
                }
                decide::Answered::Skip(reason) => {
                    let by = self.options.decider.by.clone();
                    self.emit(skipped_by_operator(step.number, &by, &reason));
                    result = StepResult::Skipped;
                }
                decide::Answered::Policy(policy) => {
                    unit.policy = Some(policy);
                    break;
                }
                decide::Answered::Interrupted => {
                    unit.interrupted = Some("interrupted while asking the operator".to_owned());
                    return (result, unit);
                }
            }
        }
        match result {
            StepResult::Failed => {
                unit.failures
                    .push(super::resume::failure(self.runbook, step, error.as_deref()))
            }
            StepResult::Interrupted => unit.interrupted = Some(self.leave_or_halt(step).await),
            _ => {}
        }
        (result, unit)
    }

    /// After an interrupt: a plan still running is left alone and named, or halted with
    /// `--halt-on-interrupt`.
    async fn leave_or_halt(&mut self, step: &Step) -> String {
        // Only a failover this step started can be left running (a read, a check or an
        // undo is not halted).
        let Action::Failover(Failover { plan_id, .. }) = &step.action else {
            return "interrupted".to_owned();
        };
        let plan_id = *plan_id;
        if !self.ledger.is_accepted(plan_id) {
            return "interrupted".to_owned();
        }
        if !self.options.halt_on_interrupt {
            return format!(
                "interrupted; plan {plan_id} was left running in VAO (--halt-on-interrupt would halt it)"
            );
        }
        let path = self.client.options().plan_path(&plan_id, "Halt");
        self.emit(Event::Request {
            step: step.number,
            attempt: 1,
            method: "POST".to_owned(),
            path: path.clone(),
            body: HALT.body(),
            at: Utc::now(),
        });
        match self.client.plan_action(&plan_id, &HALT).await {
            Ok(answer) if (200..300).contains(&answer.status) => {
                self.emit_answer(step.number, &answer);
                format!("interrupted; plan {plan_id} was halted (--halt-on-interrupt)")
            }
            Ok(answer) => format!(
                "interrupted; halting plan {plan_id} failed: {}",
                vao::client::http_error("POST", &path, &answer)
            ),
            Err(error) => format!("interrupted; halting plan {plan_id} failed: {error}"),
        }
    }

    /// Undoes, newest first, every failover this run may have made (each accepted one, and
    /// each one whose answer was lost: an undo reads the plan before sending anything, and
    /// a plan still ready needs none), waiting for each; the undos are steps of their own
    /// after the runbook's, and one the earlier process had sent is not sent again when the
    /// plan shows it under way or done. Returns a summary.
    async fn rollback(&mut self) -> String {
        let first = self.next_undo.unwrap_or(self.runbook.first_undo());
        let plans = self.ledger.failed_over();
        let (undone, failed) = self
            .undo_plans(plans, first, |original, plan| {
                format!("Roll back step {original}: undo the failover of plan {plan}")
            })
            .await;
        if undone.is_empty() && failed.is_empty() {
            "nothing (more) to roll back".to_owned()
        } else if failed.is_empty() {
            format!("rolled back: undid {} failover(s)", undone.len())
        } else {
            format!(
                "the rollback FAILED for plan(s) {}: they are still failed over",
                super::ledger::list(&failed)
            )
        }
    }

    /// Undoes `plans` in the order given, as steps numbered from `first`; in a drill's
    /// clean-up each plan must also be seen ready again. Returns the plans undone and those
    /// left failed over. An interrupt stops it: no further undo is sent.
    async fn undo_plans(
        &mut self,
        plans: Vec<Entry>,
        first: usize,
        name: impl Fn(usize, uuid::Uuid) -> String,
    ) -> (Vec<uuid::Uuid>, Vec<uuid::Uuid>) {
        let mut number = first - 1;
        let (mut undone, mut failed) = (Vec::new(), Vec::new());
        for Entry {
            step: original,
            plan: plan_id,
        } in plans
        {
            if self.is_interrupted() {
                failed.push(plan_id);
                continue;
            }
            number += 1;
            self.emit(Event::StepStarted {
                step: number,
                name: name(original, plan_id),
                kind: StepKind::Undo,
                plan_id: Some(plan_id),
                at: Utc::now(),
            });
            let timeout = self.timeout_of(plan_id);
            let (mut result, mut error) = match self.undo(number, plan_id, timeout).await {
                StepEnd::Done(result, error) => (result, error),
                StepEnd::Interrupted(message) => (StepResult::Interrupted, Some(message)),
            };
            if result.is_success()
                && self.options.cleanup
                && let Err(why) = self.verify_ready(number, plan_id).await
            {
                (result, error) = (StepResult::Failed, Some(why.to_string()));
            }
            if result.is_success() {
                undone.push(plan_id);
            } else {
                failed.push(plan_id);
            }
            self.emit(Event::step_finished(number, result, error));
        }
        // A later rollback or clean-up numbers its undos after these.
        self.next_undo = Some(number + 1);
        (undone, failed)
    }

    /// How long to wait on a plan: its failover step's timeout.
    fn timeout_of(&self, plan_id: uuid::Uuid) -> Duration {
        self.runbook
            .steps
            .iter()
            .find_map(|s| match &s.action {
                Action::Failover(f) if f.plan_id == plan_id => Some(f.timeout),
                _ => None,
            })
            .unwrap_or(crate::runbook::model::DEFAULT_TIMEOUT)
    }

    /// `POST .../Undo` once (an undo is not idempotent either), then wait for UNDO FAILOVER.
    /// A plan already undoing (a resumed rollback) is only waited for.
    async fn undo(&mut self, number: usize, plan_id: uuid::Uuid, timeout: Duration) -> StepEnd {
        let end = self.undo_once(number, plan_id, timeout).await;
        if let StepEnd::Done(result, _) = &end
            && result.is_success()
        {
            self.ledger.forget(plan_id);
        }
        end
    }

    async fn undo_once(
        &mut self,
        number: usize,
        plan_id: uuid::Uuid,
        timeout: Duration,
    ) -> StepEnd {
        let call = PlanCall {
            plan_id,
            timeout,
            retries: self.runbook.retries,
            retry_delay: self.runbook.retry_delay,
        };
        // Nothing is sent that cannot be checked first: an undo already under way (a
        // resumed rollback, a lost answer) must not be sent again.
        let info = match self.read_first(number, &call, |error| {
            format!(
                "plan {plan_id} cannot be read before its undo ({error}); drbook sends no undo it cannot check first: undo it in VAO"
            )
        })
        .await
        {
            Ok(info) => info,
            Err(failed) => return failed,
        };
        let undoing =
            |status: &PlanStatus| vao::state::fold(&status.state).starts_with("undofailover");
        let mut undo_goal =
            Completion::plain(plan_id, timeout, self.states.for_undo(), "undo failover");
        if undoing(&info.status) {
            return self
                .await_plan(number, &mut undo_goal, Instant::now())
                .await;
        }
        // A failover whose answer was lost and that VAO never acted on leaves the plan
        // ready: there is nothing to undo, and an undo would be refused.
        if self.states.is_ready(&info.status) {
            self.note(
                number,
                format!(
                    "plan {plan_id} is {}: it was not failed over, so there is nothing to undo",
                    info.status.summary()
                ),
            );
            return StepEnd::Done(StepResult::Succeeded, None);
        }
        // A failover not waited for (`wait_for_completion: false`) must end before VAO
        // takes an undo.
        if self.states.classify(&info.status) == Phase::Running {
            let mut goal = Completion::plain(plan_id, timeout, self.states.clone(), "failover");
            if let StepEnd::Interrupted(message) =
                self.await_plan(number, &mut goal, Instant::now()).await
            {
                return StepEnd::Interrupted(message);
            }
        }
        let started = Instant::now();
        let sent = self
            .post_once(number, 1, &call, &vao::UndoRequest, |this, status| {
                undoing(status) || this.states.for_undo().classify(status) == Phase::Running
            })
            .await;
        if let Err(error) = sent {
            return StepEnd::Done(StepResult::Failed, Some(error.to_string()));
        }
        self.await_plan(number, &mut undo_goal, started).await
    }

    /// A step an earlier process left in flight.
    async fn resume_step(&mut self, step: &Step, in_flight: &InFlight) -> StepEnd {
        let elapsed = (Utc::now() - in_flight.started_at)
            .to_std()
            .unwrap_or_default();
        match &step.action {
            Action::Wait(duration) => {
                let remaining = duration.saturating_sub(elapsed);
                self.emit(Event::Waiting {
                    step: step.number,
                    duration: remaining,
                    note: None,
                });
                if self.sleep(remaining).await {
                    StepEnd::Done(StepResult::Succeeded, None)
                } else {
                    StepEnd::Interrupted("interrupted during the wait".to_owned())
                }
            }
            // The failover was never sent: run the step as usual.
            Action::Failover(failover) if !in_flight.sent => {
                self.failover(step.number, failover).await
            }
            // A plan that halted and was continued: the failover was accepted (VAO halted
            // it); the Continue the earlier process sent last is reconciled, never re-sent.
            Action::Failover(failover) if in_flight.continues > 0 => {
                self.resume_continued(step.number, failover, in_flight)
                    .await
            }
            Action::Failover(failover) => {
                self.baseline = in_flight.baseline.clone();
                let accepted = self.accepted(step.number, failover).await;
                self.resume_failover(step.number, failover, accepted, elapsed)
                    .await
            }
            // An undo that may have left is waited for when the plan shows it, and sent
            // only when the plan is still failed over.
            Action::UndoFailover(call) if in_flight.sent => {
                self.undo(step.number, call.plan_id, call.timeout).await
            }
            Action::ReadinessCheck(check) if in_flight.sent => {
                self.resume_readiness_check(step.number, check).await
            }
            // A command the earlier process saw end: its end is known, so it is judged
            // from the journal and not started again.
            Action::Command(command) if let Some((exit, stderr)) = &in_flight.exited => {
                self.note(
                    step.number,
                    format!(
                        "the earlier process saw this command end ({exit}) before it stopped; the step is judged from that, not run again"
                    ),
                );
                command::judge(command, exit, stderr)
            }
            // A command the earlier process may have started: run again only when the
            // runbook says that is harmless.
            Action::Command(command) if in_flight.sent && command.idempotent => {
                self.note(
                    step.number,
                    "the earlier process had started this command; it is idempotent, so it runs again".to_owned(),
                );
                self.command(step.number, command).await
            }
            Action::Command(command) if in_flight.sent => StepEnd::Done(
                StepResult::Failed,
                Some(format!(
                    "the earlier process started this command ({}) and stopped before it ended: whether it ran, and how far, is unknown, and drbook does not start a command twice unless it is `idempotent: true`. Find out what it did, then `drbook resume {run} --retry` to run it again, or `drbook resume {run} --skip {number} --reason TEXT` to go on without it",
                    command.line,
                    run = self.options.run_id.as_deref().unwrap_or("RUN"),
                    number = step.number,
                )),
            ),
            // Reads, approvals, and calls that were never sent: the step again.
            _ => self.step(step).await,
        }
    }

    /// A resumed failover whose request may have left: wait for it if VAO accepted it, send
    /// it if the plan shows it did not, and send nothing if the plan cannot be read.
    async fn resume_failover(
        &mut self,
        number: usize,
        failover: &Failover,
        accepted: Option<bool>,
        elapsed: Duration,
    ) -> StepEnd {
        match accepted {
            Some(true) => {
                self.ledger.accept(number, failover.plan_id);
                if !failover.wait_for_completion {
                    return StepEnd::Done(StepResult::Succeeded, None);
                }
                let started = Instant::now()
                    .checked_sub(elapsed)
                    .unwrap_or_else(Instant::now);
                let mut goal = self.failover_goal(number, failover, 0);
                self.await_plan(number, &mut goal, started).await
            }
            // Still ready: the earlier process's request never took effect.
            Some(false) => self.failover(number, failover).await,
            None => StepEnd::Done(
                StepResult::Failed,
                Some(format!(
                    "plan {} cannot be read, so whether the earlier process's failover was accepted is unknown: drbook does not send it again",
                    failover.plan_id
                )),
            ),
        }
    }

    fn end(&mut self, result: RunResult, error: Option<String>) -> RunResult {
        self.emit(Event::run_finished(result, error));
        result
    }

    fn skip_from(&mut self, index: usize, resume: &Resume, why: &str) {
        let numbers: Vec<usize> = self.runbook.steps[index..]
            .iter()
            .map(|s| s.number)
            .filter(|n| !resume.done.contains(n))
            .collect();
        for number in numbers {
            self.emit(Event::step_finished(
                number,
                StepResult::Skipped,
                Some(why.to_owned()),
            ));
        }
    }

    async fn step(&mut self, step: &Step) -> StepEnd {
        match &step.action {
            Action::Wait(duration) => {
                self.emit(Event::Waiting {
                    step: step.number,
                    duration: *duration,
                    note: None,
                });
                if self.sleep(*duration).await {
                    StepEnd::Done(StepResult::Succeeded, None)
                } else {
                    StepEnd::Interrupted("interrupted during the wait".to_owned())
                }
            }
            Action::Failover(failover) => self.failover(step.number, failover).await,
            Action::UndoFailover(call) => self.undo_step(step.number, call).await,
            Action::ReadinessCheck(check) => self.readiness_check(step.number, check).await,
            Action::ExpectState(expect) => self.expect_state(step.number, expect).await,
            Action::Pause(pause) => self.pause(step, pause).await,
            Action::HttpCheck(check) => self.http_check(step.number, check).await,
            Action::TcpCheck(check) => self.tcp_check(step.number, check).await,
            Action::Command(command) => self.command(step.number, command).await,
        }
    }

    /// Reads the plan before a state-changing request that depends on what it shows; when
    /// it cannot be read, the step fails with `why` the read's error, and nothing is sent.
    async fn read_first(
        &mut self,
        number: usize,
        call: &PlanCall,
        why: impl FnOnce(&VaoError) -> String,
    ) -> Result<PlanInfo, StepEnd> {
        self.read_call(number, call)
            .await
            .map_err(|error| StepEnd::Done(StepResult::Failed, Some(why(&error))))
    }

    /// Reads the plan, tried again within the step's policy; the retries become an event.
    async fn read_plan(
        &mut self,
        number: usize,
        failover: &Failover,
    ) -> Result<PlanInfo, VaoError> {
        self.read_call(number, &failover.call()).await
    }

    /// The state guard: the plan must exist, be enabled, be a kind that fails over, and be
    /// in a state that allows a failover.
    async fn guard(&mut self, number: usize, failover: &Failover) -> Result<(), GuardError> {
        if self.options.force {
            // Not checked, but read all the same (when it can be): the state before the
            // failover is what tells a later read whether a try was accepted.
            let plan = self.read_plan(number, failover).await.ok();
            self.baseline = plan.as_ref().map(|p| p.status.state.clone());
            self.emit_guard(number, plan, GuardVerdict::Skipped);
            return Ok(());
        }
        self.baseline = None;
        let id = failover.plan_id;
        let (plan, verdict) = self
            .guard_read(
                number,
                &failover.call(),
                " before the failover",
                |states, info| super::guard::failover(states, info, id, ""),
            )
            .await;
        self.emit_guard(number, plan, GuardVerdict::of(&verdict));
        verdict
    }

    /// Sends the failover once and says how that try ended.
    async fn try_failover(&mut self, this: &Attempt<'_>) -> Try {
        let Attempt {
            number,
            attempt,
            failover,
            body,
            path,
        } = *this;
        self.emit(Event::Request {
            step: number,
            attempt,
            method: "POST".to_owned(),
            path: path.to_owned(),
            body: body.body(),
            at: Utc::now(),
        });
        // The intent must be durable before the request leaves; if the journal could not
        // make it so, nothing is sent.
        if !self.journal_ok() {
            return Try::Refused(format!(
                "the run's journal cannot be written, so the intent to fail over plan {} is not durable: nothing was sent",
                failover.plan_id
            ));
        }
        // From here the failover may reach VAO: a drill's clean-up must look at this plan
        // whatever the answer turns out to be.
        self.ledger.send(number, failover.plan_id);
        let outcome = self.send_failover(this).await;
        // A first try that certainly did not act leaves nothing to undo.
        if attempt == 1 && matches!(outcome, Try::NotSent(_) | Try::Refused(_)) {
            self.ledger.unsend(failover.plan_id);
        }
        outcome
    }

    /// One try on the wire, and what its answer says about whether VAO acted.
    async fn send_failover(&mut self, this: &Attempt<'_>) -> Try {
        let (number, attempt) = (this.number, this.attempt);
        let failed = |status: Option<u16>, error: String| Event::AttemptFailed {
            step: number,
            attempt,
            status,
            error,
            at: Utc::now(),
        };
        match self
            .client
            .plan_action(&this.failover.plan_id, this.body)
            .await
        {
            Ok(answer) => {
                self.emit_answer(number, &answer);
                let error = vao::client::http_error("POST", this.path, &answer).to_string();
                match answer.status {
                    200..=299 => Try::Accepted,
                    429 => {
                        self.emit(failed(Some(429), error));
                        Try::NotSent(answer.retry_after)
                    }
                    status if status >= 500 || status == 408 => {
                        self.emit(failed(Some(status), error));
                        Try::Unknown(answer.retry_after)
                    }
                    _ => Try::Refused(error),
                }
            }
            Err(
                error @ VaoError::Transport {
                    connected,
                    timed_out,
                    ..
                },
            ) => {
                self.emit(failed(None, error.to_string()));
                if !connected {
                    Try::NotSent(None)
                } else if timed_out {
                    // A slow server may still act on the request it did not answer in
                    // time: give it as long again before reading the plan.
                    Try::Unknown(Some(self.client.options().request_timeout))
                } else {
                    Try::Unknown(None)
                }
            }
            Err(error) => Try::Refused(error.to_string()),
        }
    }

    /// Whether VAO accepted an earlier try: the plan itself is the truth (runtime details
    /// may have been wiped by a restart). `None` when the plan cannot be read.
    async fn accepted(&mut self, number: usize, failover: &Failover) -> Option<bool> {
        let info = self.read_plan(number, failover).await.ok()?;
        let before_ready = |before: &String| {
            self.states.is_ready(&PlanStatus {
                state: before.clone(),
                ..PlanStatus::default()
            })
        };
        let accepted = match &self.baseline {
            // The plan was not ready to begin with (--force): only a change of state, or a
            // phase under way, shows that the failover was accepted.
            Some(before) if !before_ready(before) => {
                vao::state::fold(before) != vao::state::fold(&info.status.state)
                    || self.states.classify(&info.status) == Phase::Running
            }
            _ => !self.states.is_ready(&info.status),
        };
        self.emit(Event::Reconciled {
            step: number,
            status: info.status,
            accepted,
            at: Utc::now(),
            of_continue: false,
        });
        if !accepted {
            // The plan shows the tries so far did nothing: nothing to undo for them.
            self.ledger.unsend(failover.plan_id);
        }
        Some(accepted)
    }

    /// A failover is sent at most once per accepted try: after any try whose outcome is
    /// unknown, drbook reads the plan, and sends again only if it is still in its ready
    /// state (so the earlier try was not accepted).
    async fn failover(&mut self, number: usize, failover: &Failover) -> StepEnd {
        if let Err(reason) = self.guard(number, failover).await {
            return StepEnd::Done(StepResult::Failed, Some(reason.to_string()));
        }
        let body = super::to_vao::failover_request(failover, self.runbook.server_time_zone);
        let path = self
            .client
            .options()
            .plan_path(&failover.plan_id, "Failover");
        let policy = super::to_vao::retry_policy(&failover.call());
        let started = Instant::now();
        let mut attempt = 1;
        loop {
            // Nothing is sent after an interrupt, not even after a guard that took long.
            if self.is_interrupted() {
                return StepEnd::Interrupted(format!(
                    "interrupted before the failover of plan {} was sent (try {attempt}); this try sent nothing",
                    failover.plan_id
                ));
            }
            let outcome = self
                .try_failover(&Attempt {
                    number,
                    attempt,
                    failover,
                    body: &body,
                    path: &path,
                })
                .await;
            let retry_after = match outcome {
                Try::Accepted => break,
                Try::Refused(error) if attempt == 1 => {
                    return StepEnd::Done(StepResult::Failed, Some(error));
                }
                // A refusal after an unclear try: the plan may be busy with that one.
                Try::Refused(error) => match self.accepted(number, failover).await {
                    Some(true) => break,
                    _ => return StepEnd::Done(StepResult::Failed, Some(error)),
                },
                Try::NotSent(after) | Try::Unknown(after) => after,
            };
            let unknown = matches!(outcome, Try::Unknown(_));
            if attempt > policy.retries {
                let message = if unknown {
                    format!(
                        "the failover of plan {} failed {attempt} time(s) and the last outcome is unknown: drbook sends no more; check the plan in VAO (`drbook resume` reads it before doing anything)",
                        failover.plan_id
                    )
                } else {
                    format!(
                        "the failover of plan {} could not be sent in {attempt} tries",
                        failover.plan_id
                    )
                };
                // One last look: an unclear try may still have been accepted.
                if unknown && self.accepted(number, failover).await == Some(true) {
                    break;
                }
                return StepEnd::Done(StepResult::Failed, Some(message));
            }
            if !self.sleep(policy.pause(attempt, retry_after)).await {
                return StepEnd::Interrupted(format!(
                    "interrupted while retrying the failover of plan {}",
                    failover.plan_id
                ));
            }
            if unknown {
                match self.accepted(number, failover).await {
                    Some(true) => break,
                    Some(false) => {}
                    None => {
                        return StepEnd::Done(
                            StepResult::Failed,
                            Some(format!(
                                "the outcome of the failover of plan {} is unknown and the plan cannot be read: drbook does not send it again; check the plan in VAO",
                                failover.plan_id
                            )),
                        );
                    }
                }
            }
            attempt += 1;
        }
        self.ledger.accept(number, failover.plan_id);
        if !failover.wait_for_completion {
            return StepEnd::Done(StepResult::Succeeded, None);
        }
        let mut goal = self.failover_goal(number, failover, 0);
        self.await_plan(number, &mut goal, started).await
    }

    /// Waiting on a failover step's plan; `continued`: the Continues the step sent already.
    fn failover_goal(&self, number: usize, failover: &Failover, continued: u32) -> Completion {
        Completion {
            on_halt: failover.on_halt,
            continued,
            advice: self.halt_advice(number),
            ..Completion::plain(
                failover.plan_id,
                failover.timeout,
                self.states.clone(),
                "failover",
            )
        }
    }
}
