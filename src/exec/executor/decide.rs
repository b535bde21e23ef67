//! The operator's decisions about a step that failed: taking it up again (a retry, or VAO's
//! Continue for a halted plan), and asking at the terminal what to do when a step fails.
//!
//! A retried failover reads its plan first and acts on what it finds (see [`PlanNow`]):
//! finished in VAO is recorded as succeeded and nothing is sent; running is waited for;
//! ready is sent again through [`Executor::failover`], so the state guard and the
//! at-most-once rules apply to the new attempt as to the first. Every decision is an
//! event (journalled durably) before drbook acts on it.

use super::{Executor, StepEnd};
use crate::exec::event::{Decision, Event, StepResult};
use crate::exec::resume::{PlanNow, read_answer};
use crate::runbook::{Action, Failover, OnFailure, Step};
use crate::vao::ContinueOption;
use chrono::Utc;
use tokio::time::Instant;

/// A line read from the terminal.
pub(super) enum Line {
    Read(String),
    /// Nothing more can be read (the terminal closed).
    Closed,
    Interrupted,
}

/// What the operator answered about a failed step.
pub(super) enum Answered {
    /// Take the step up again (with VAO's Continue option, for a halted plan).
    Again(Option<ContinueOption>),
    /// Skip it, for this reason: the run goes on.
    Skip(String),
    /// Stop the run, or roll back.
    Policy(OnFailure),
    Interrupted,
}

/// The terminal: steps that run at the same time ask their questions one at a time, each
/// prompt with its own answer.
pub(super) static TERMINAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

impl Executor<'_> {
    /// Reads one line from the terminal, unless interrupted first. A thread of its own,
    /// not the runtime's blocking pool: a read still blocked when the run is interrupted
    /// must not keep the process from exiting.
    pub(super) async fn read_line(&mut self) -> Line {
        let mut interrupt = self.interrupt.clone();
        let (tell, answer) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = tell.send(std::io::stdin().read_line(&mut line).map(|n| (n, line)));
        });
        tokio::select! {
            answer = answer => match answer {
                Ok(Ok((n, line))) if n > 0 => Line::Read(line),
                _ => Line::Closed,
            },
            _ = super::interrupted(&mut interrupt) => Line::Interrupted,
        }
    }

    /// Journals an operator's decision (durably: the journal syncs it) before it is acted
    /// on.
    pub(super) fn decide(
        &mut self,
        step: usize,
        decision: Decision,
        option: Option<ContinueOption>,
        how: &str,
        reason: Option<String>,
    ) {
        let decider = self.options.decider.clone();
        self.emit(Event::Decided {
            step,
            decision,
            option,
            by: decider.by,
            account: decider.account,
            how: how.to_owned(),
            reason,
            at: Utc::now(),
        });
    }

    /// A step the operator decided to take up again.
    pub(super) async fn retry_step(
        &mut self,
        step: &Step,
        option: Option<ContinueOption>,
    ) -> StepEnd {
        match (&step.action, option) {
            (Action::Failover(failover), _) => {
                self.retry_failover(step.number, failover, option).await
            }
            (_, Some(option)) => StepEnd::Done(
                StepResult::Failed,
                Some(format!(
                    "VAO's Continue ({option}) is for the halted plan of a failover, and step {} is not a failover: nothing was sent",
                    step.number
                )),
            ),
            // Another kind of step runs again as it is: an undo and a readiness check read
            // their plan first, a pause asks again.
            (_, None) => self.step(step).await,
        }
    }

    /// A failover taken up again: its plan, read first, says what is left to do.
    async fn retry_failover(
        &mut self,
        number: usize,
        failover: &Failover,
        option: Option<ContinueOption>,
    ) -> StepEnd {
        let plan = failover.plan_id;
        let why = |error: &crate::vao::VaoError| {
            format!(
                "plan {plan} cannot be read before the retry ({error}); drbook sends nothing it cannot check first"
            )
        };
        let info = match self.read_first(number, &failover.call(), why).await {
            Ok(info) => info,
            Err(failed) => return failed,
        };
        let status = info.status;
        let summary = status.summary();
        let found = PlanNow::of(&self.states, &status);
        match (found, option) {
            (PlanNow::Halted, Some(option)) => {
                self.operator_continue(number, failover, option, &status)
                    .await
            }
            (_, Some(option)) => StepEnd::Done(
                StepResult::Failed,
                Some(format!(
                    "VAO's Continue ({option}): plan {plan} is {summary}, not HALTED: VAO continues only a halted plan, so nothing was sent"
                )),
            ),
            (PlanNow::Done { warnings }, None) => {
                self.accepted_earlier(number, plan, status);
                self.note(
                    number,
                    format!(
                        "plan {plan} is {summary}: the failover was finished in VAO (by the operator); recorded as succeeded, nothing sent"
                    ),
                );
                if warnings {
                    StepEnd::Done(
                        StepResult::SucceededWithWarnings,
                        Some(format!("finished with warnings: {summary}")),
                    )
                } else {
                    StepEnd::Done(StepResult::Succeeded, None)
                }
            }
            (PlanNow::Running, None) => {
                self.accepted_earlier(number, plan, status);
                self.note(
                    number,
                    format!("plan {plan} is {summary}: waiting for it (nothing sent)"),
                );
                let mut goal = self.failover_goal(number, failover, 0);
                self.await_plan(number, &mut goal, Instant::now()).await
            }
            (PlanNow::Halted, None) => StepEnd::Done(
                StepResult::Failed,
                Some(format!(
                    "plan {plan} is halted ({summary}): VAO's Continue takes it forward (`drbook resume RUN --retry --continue OPTION`, OPTION one of {}), or continue it in VAO and retry; or skip the step (`--skip {number} --reason TEXT`); nothing was sent",
                    ContinueOption::listed()
                )),
            ),
            // Ready again: a new attempt, through the state guard and the journal's intent.
            (PlanNow::Ready, None) => self.failover(number, failover).await,
            (PlanNow::Other, None) => StepEnd::Done(
                StepResult::Failed,
                Some(format!(
                    "plan {plan} is {summary}: neither failed over, running, halted nor ready for a failover; put it right in VAO and retry, or skip the step (`--skip {number} --reason TEXT`); nothing was sent"
                )),
            ),
        }
    }

    /// A retried failover whose plan shows VAO took it (finished, or still running): the
    /// read is journalled as the reconciliation of the earlier try, and the ledger keeps the
    /// plan as accepted.
    fn accepted_earlier(
        &mut self,
        number: usize,
        plan: uuid::Uuid,
        status: crate::vao::PlanStatus,
    ) {
        self.emit(Event::Reconciled {
            step: number,
            status,
            accepted: true,
            at: Utc::now(),
            of_continue: false,
        });
        self.ledger.accept(number, plan);
    }

    /// Whether the step's plan is halted now (a failover's; a read that fails says no).
    async fn halted(&mut self, step: &Step) -> bool {
        let Action::Failover(failover) = &step.action else {
            return false;
        };
        match self.read_plan(step.number, failover).await {
            Ok(info) => PlanNow::of(&self.states, &info.status) == PlanNow::Halted,
            Err(_) => false,
        }
    }

    /// Asks the operator at the terminal what becomes of a step that failed, until the
    /// answer is one drbook knows; the answer is journalled as a decision. Enter alone, or
    /// a terminal that closed, applies the step's `on_failure`.
    pub(super) async fn ask(&mut self, step: &Step) -> Answered {
        let default = if step.on_failure == OnFailure::Rollback {
            Decision::Rollback
        } else {
            Decision::Abort
        };
        let halted = self.halted(step).await;
        let _terminal = TERMINAL.lock().await;
        let mut problem = None;
        let (decision, option, reason, how) = loop {
            self.emit(Event::Asking {
                step: step.number,
                halted,
                default,
                problem: problem.take(),
            });
            match self.read_line().await {
                Line::Interrupted => return Answered::Interrupted,
                Line::Closed => {
                    break (
                        default,
                        None,
                        Some("the terminal closed without an answer".to_owned()),
                        "terminal",
                    );
                }
                Line::Read(line) => match read_answer(&line, halted, default) {
                    Ok((decision, option, reason)) => break (decision, option, reason, "terminal"),
                    Err(why) => problem = Some(why),
                },
            }
        };
        self.decide(step.number, decision, option, how, reason.clone());
        match decision {
            Decision::Retry | Decision::Continue => Answered::Again(option),
            Decision::Skip => Answered::Skip(reason.unwrap_or_default()),
            Decision::Abort => Answered::Policy(OnFailure::Abort),
            Decision::Rollback => Answered::Policy(OnFailure::Rollback),
        }
    }
}
