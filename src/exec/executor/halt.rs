//! A failover whose plan halts: VAO's own way on, `POST .../Plans/{id}/Continue`.
//!
//! The polling loop (`wait.rs`) sees the plan stably HALTED and, while the step's `on_halt`
//! has tries left, asks for a Continue; [`Executor::send_continue`] sends it at most once,
//! like every state-changing request: the decision and the intent are journalled (the
//! intent made durable) before the request leaves, and after a lost answer the plan is
//! read: no longer HALTED means VAO took it; still HALTED, or unreadable, means drbook
//! cannot know, and it stops and says so rather than send it again. A resumed run
//! reconciles the Continue an earlier process left unanswered the same way
//! ([`Executor::resume_continued`]). [`Executor::operator_continue`] is the same for a
//! Continue the operator asks for.

use super::post::CallError;
use super::{Executor, StepEnd};
use crate::exec::event::{Event, StepResult};
use crate::exec::resume::InFlight;
use crate::runbook::{Action, Failover, PlanCall};
use crate::vao::{self, ContinueOption, PlanStatus};
use chrono::Utc;
use tokio::time::Instant;

/// One Continue: the option, which try of the step it is, and of how many (`on_halt.times`;
/// `None` when the operator asked for it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ContinueTry {
    pub option: ContinueOption,
    pub try_number: u32,
    pub times: Option<u32>,
}

/// A state that reads HALTED, settled or not: a Continue's lost answer is taken as
/// accepted only once the plan shows anything else.
fn still_halted(status: &PlanStatus) -> bool {
    vao::state::fold(&status.state).starts_with("halted")
}

impl Executor<'_> {
    /// What the operator can do about a halted plan of step `number`, for its failure
    /// message: VAO's Continue options, resuming the run, or undoing the failover.
    pub(super) fn halt_advice(&self, number: usize) -> String {
        let run = self.options.run_id.as_deref().unwrap_or("RUN");
        format!(
            ". What now: continue it as VAO does, `drbook resume {run} --retry --continue OPTION` (OPTION: {}; `on_halt: {{ continue: OPTION }}` on the step does it by itself); `drbook resume {run} --retry` once it is done in VAO; `drbook resume {run} --skip {number} --reason TEXT`; or undo the failover (an `undo_failover` step, or `on_failure: rollback`)",
            ContinueOption::listed()
        )
    }

    /// The settings of calls on step `number`'s plan: its failover's, else the runbook's.
    fn call_of(&self, number: usize, plan_id: uuid::Uuid) -> PlanCall {
        match self
            .runbook
            .steps
            .get(number.wrapping_sub(1))
            .map(|s| &s.action)
        {
            Some(Action::Failover(f)) if f.plan_id == plan_id => f.call(),
            _ => PlanCall {
                plan_id,
                timeout: crate::runbook::model::DEFAULT_TIMEOUT,
                retries: self.runbook.retries,
                retry_delay: self.runbook.retry_delay,
            },
        }
    }

    /// Sends VAO's Continue for step `number`'s halted plan under the at-most-once rules:
    /// the decision (`continuing`) and the intent are journalled first, the request is sent
    /// once, and after a lost answer the plan is read: no longer HALTED means VAO took it.
    /// `Ok(())` when VAO took it (wait for the plan next); otherwise why the step stops,
    /// with what the operator can do. `halted` is the halted plan as last read.
    pub(crate) async fn send_continue(
        &mut self,
        number: usize,
        plan_id: uuid::Uuid,
        request: ContinueTry,
        halted: &PlanStatus,
    ) -> Result<(), String> {
        if self.is_interrupted() {
            return Err(format!(
                "interrupted before the Continue of plan {plan_id} was sent; the plan is still halted{}",
                self.halt_advice(number)
            ));
        }
        self.emit(Event::Continuing {
            step: number,
            option: request.option,
            try_number: request.try_number,
            times: request.times,
            halted: halted.clone(),
            at: Utc::now(),
        });
        let call = self.call_of(number, plan_id);
        let body = vao::ContinueRequest {
            execution_continue_options: request.option,
        };
        let sent = self
            .post_once(number, request.try_number, &call, &body, |_, status| {
                !still_halted(status)
            })
            .await;
        sent.map_err(|error| {
            let unknown = matches!(error, CallError::NoTrace { .. } | CallError::Unknown { .. });
            let why = if unknown {
                format!(
                    "{error}: whether VAO took the Continue ({}) is unknown; check plan {plan_id} in VAO",
                    request.option
                )
            } else {
                format!("the Continue ({}) of plan {plan_id} failed: {error}", request.option)
            };
            format!("{why}{}", self.halt_advice(number))
        })
    }

    /// The Continue the operator asks for (`drbook resume RUN --retry --continue OPTION`)
    /// of step `number`'s plan, read just before as stably `halted` (the retry reads it):
    /// sent under the at-most-once rules ([`send_continue`](Self::send_continue)), then the
    /// plan waited for by the failover's rules. A later halt fails the step (its `on_halt`
    /// was for the run before the operator's decision).
    pub(super) async fn operator_continue(
        &mut self,
        number: usize,
        failover: &Failover,
        option: ContinueOption,
        halted: &PlanStatus,
    ) -> StepEnd {
        let request = ContinueTry {
            option,
            try_number: 1,
            times: None,
        };
        if let Err(why) = self
            .send_continue(number, failover.plan_id, request, halted)
            .await
        {
            return StepEnd::Done(StepResult::Failed, Some(why));
        }
        self.ledger.accept(number, failover.plan_id);
        let continued = failover.on_halt.map_or(0, |h| h.times);
        let mut goal = self.failover_goal(number, failover, continued);
        self.await_plan(number, &mut goal, Instant::now()).await
    }

    /// A failover an earlier process had continued: VAO accepted the failover (it halted
    /// it), so it is never sent again. A Continue whose answer the earlier process did not
    /// get is reconciled first: the plan no longer HALTED means VAO took it; still HALTED
    /// (or unreadable) means drbook cannot know, and the step stops, sending nothing. Then
    /// the plan is waited for, with the step's remaining `on_halt` tries.
    pub(super) async fn resume_continued(
        &mut self,
        number: usize,
        failover: &Failover,
        in_flight: &InFlight,
    ) -> StepEnd {
        self.ledger.accept(number, failover.plan_id);
        if in_flight.continue_unsettled {
            let advice = self.halt_advice(number);
            let why = |error: &crate::vao::VaoError| {
                format!(
                    "the earlier process sent a Continue of plan {} and got no answer, and the plan cannot be read ({error}): whether VAO took it is unknown, and drbook does not send it again{advice}",
                    failover.plan_id,
                )
            };
            let info = match self.read_first(number, &failover.call(), why).await {
                Ok(info) => info,
                Err(failed) => return failed,
            };
            let accepted = !still_halted(&info.status);
            let summary = info.status.summary();
            self.emit(Event::Reconciled {
                step: number,
                status: info.status,
                accepted,
                at: Utc::now(),
                of_continue: true,
            });
            if !accepted {
                return StepEnd::Done(
                    StepResult::Failed,
                    Some(format!(
                        "the earlier process sent a Continue of plan {} and got no answer, and the plan is still halted ({summary}): whether VAO took it is unknown, and drbook does not send it again{}",
                        failover.plan_id,
                        self.halt_advice(number)
                    )),
                );
            }
        }
        let mut goal = self.failover_goal(number, failover, in_flight.continues);
        self.await_plan(number, &mut goal, Instant::now()).await
    }
}
