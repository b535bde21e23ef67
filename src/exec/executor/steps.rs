//! The drill step kinds (undo, readiness check, state assertion, pause) and a drill's
//! clean-up. Each state-changing call is sent at most once, after a guard read, with its
//! intent journalled first, like a failover. The guard read and judgement here serve the
//! failover too; why a guard, a call or a clean-up's check says no is a typed error
//! ([`GuardError`], `post::CallError`, [`NotReadyAgain`]) that becomes the step's message.

use super::wait::{Awaited, Verdict, last_state};
use super::{Executor, StepEnd};
use crate::exec::event::{DrillPhase, Event, GuardVerdict, RunResult, StepResult};
use crate::exec::guard::{self, GuardError, Refusal};
use crate::exec::ledger::Entry;
use crate::runbook::{Action, ExpectState, Pause, PlanCall, ReadinessCheck, Step};
use crate::vao::{self, Phase, PlanInfo, PlanStatus, RetryPolicy, StateSets, VaoError};
use chrono::Utc;
use std::time::Duration;
use tokio::time::Instant;

/// How a readiness check's result reads (`currentCheckResult`, word by word).
#[derive(Debug, PartialEq, Eq)]
enum CheckVerdict {
    Passed,
    Warnings,
    Failed,
    Unknown,
}

fn check_verdict(result: Option<&str>) -> CheckVerdict {
    let text = result.unwrap_or_default();
    let (errors, warnings) = vao::state::reports_problems(text);
    let lower = text.to_ascii_lowercase();
    let passed = lower.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| {
        [
            "success",
            "succeeded",
            "successful",
            "passed",
            "ok",
            "complete",
            "completed",
            "verified",
        ]
        .contains(&w)
    });
    if errors {
        CheckVerdict::Failed
    } else if warnings {
        CheckVerdict::Warnings
    } else if passed {
        CheckVerdict::Passed
    } else {
        CheckVerdict::Unknown
    }
}

/// Why a plan a drill's clean-up undid is not seen ready for a failover again.
#[derive(Debug, thiserror::Error)]
pub(super) enum NotReadyAgain {
    #[error("plan {plan} was undone, but reading it again failed: {error}")]
    Unreadable { plan: uuid::Uuid, error: VaoError },
    #[error("plan {plan} was undone but is {state}, not ready for a failover ({ready})")]
    NotReady {
        plan: uuid::Uuid,
        state: String,
        ready: String,
    },
}

/// A readiness check: the plan is seen running the check, then done with it (or its
/// result differs from the one before the check).
struct CheckRun {
    call: PlanCall,
    before: Option<String>,
    seen_running: bool,
}

impl Awaited for CheckRun {
    fn plan_id(&self) -> uuid::Uuid {
        self.call.plan_id
    }

    fn timeout(&self) -> Duration {
        self.call.timeout
    }

    fn judge(&mut self, states: &StateSets, status: &PlanStatus) -> (Phase, Verdict) {
        let running = states.is_unsettled(status);
        self.seen_running |= running;
        let finished = !running && (self.seen_running || status.check_result != self.before);
        let result = status.check_result.as_deref().unwrap_or("none");
        let id = self.call.plan_id;
        match (finished, check_verdict(status.check_result.as_deref())) {
            (false, _) if running => (Phase::Running, Verdict::KeepWaiting),
            (false, _) => (Phase::NotStarted, Verdict::KeepWaiting),
            (true, CheckVerdict::Passed) => (Phase::Succeeded, Verdict::Done(None)),
            (true, CheckVerdict::Warnings) => (
                Phase::SucceededWithWarnings,
                Verdict::Done(Some(format!(
                    "the readiness check reported warnings: {result}"
                ))),
            ),
            (true, CheckVerdict::Failed) => (
                Phase::Failed,
                Verdict::Failed(format!("the readiness check of plan {id} failed: {result}")),
            ),
            (true, CheckVerdict::Unknown) => (
                Phase::Unexpected,
                Verdict::Failed(format!(
                    "the readiness check of plan {id} ended with a result drbook cannot read: {result:?}"
                )),
            ),
        }
    }

    fn interrupted(&self, _: Option<&PlanStatus>) -> String {
        format!(
            "interrupted while waiting for the readiness check of plan {}",
            self.call.plan_id
        )
    }

    fn timed_out(&self, last: Option<&PlanStatus>) -> String {
        format!(
            "the readiness check of plan {} did not finish within {} (last state: {})",
            self.call.plan_id,
            crate::runbook::values::format_duration(self.call.timeout),
            last_state(last)
        )
    }
}

/// `expect_state`: the plan is (stably) in one of the named states. Reads are retried
/// within the step's policy, and a read that still fails ends the step.
struct StateIs<'s> {
    call: PlanCall,
    states: &'s [String],
    /// The states, for a message ("Ready or Failover").
    wanted: String,
}

impl Awaited for StateIs<'_> {
    fn plan_id(&self) -> uuid::Uuid {
        self.call.plan_id
    }

    fn timeout(&self) -> Duration {
        self.call.timeout
    }

    fn retries(&self) -> Option<RetryPolicy> {
        Some(crate::exec::to_vao::retry_policy(&self.call))
    }

    fn judge(&mut self, states: &StateSets, status: &PlanStatus) -> (Phase, Verdict) {
        if states.is_in(status, self.states) {
            (Phase::Succeeded, Verdict::Done(None))
        } else {
            (Phase::NotStarted, Verdict::KeepWaiting)
        }
    }

    fn interrupted(&self, _: Option<&PlanStatus>) -> String {
        format!(
            "interrupted while waiting for plan {} to be {}",
            self.call.plan_id, self.wanted
        )
    }

    fn timed_out(&self, last: Option<&PlanStatus>) -> String {
        let waited = if self.call.timeout.is_zero() {
            String::new()
        } else {
            format!(
                " after waiting {}",
                crate::runbook::values::format_duration(self.call.timeout)
            )
        };
        format!(
            "plan {} is {}, expected {}{waited}",
            self.call.plan_id,
            last_state(last),
            self.wanted
        )
    }
}

impl Executor<'_> {
    /// Reads the plan within the step's retry policy; retries become an event.
    pub(super) async fn read_call(
        &mut self,
        number: usize,
        call: &PlanCall,
    ) -> Result<PlanInfo, VaoError> {
        let (info, errors) = self
            .client
            .read_plan(&call.plan_id, crate::exec::to_vao::retry_policy(call))
            .await;
        if !errors.is_empty() {
            self.emit(Event::ReadsRetried {
                step: number,
                errors,
            });
        }
        info
    }

    /// Reads the plan for a state guard and judges it: the plan must exist and `allows`
    /// accept it. `before` words a read that failed (" before the failover").
    pub(super) async fn guard_read(
        &mut self,
        number: usize,
        call: &PlanCall,
        before: &'static str,
        allows: impl Fn(&StateSets, &PlanInfo) -> Result<(), Refusal>,
    ) -> (Option<PlanInfo>, Result<(), GuardError>) {
        match self.read_call(number, call).await {
            Err(error) => (None, Err(GuardError::unread(call.plan_id, before, error))),
            Ok(info) => {
                let verdict = allows(&self.states, &info).map_err(GuardError::from);
                (Some(info), verdict)
            }
        }
    }

    /// The guard's event: what it read, and its verdict.
    pub(super) fn emit_guard(
        &mut self,
        number: usize,
        plan: Option<PlanInfo>,
        verdict: GuardVerdict,
    ) {
        self.emit(Event::Guard {
            step: number,
            plan,
            verdict,
            at: Utc::now(),
        });
    }

    /// The state guard of an undo or a readiness check: the plan must exist, and `allows`
    /// must accept it (unless `--force`). Emits the guard's event.
    async fn guard_call(
        &mut self,
        number: usize,
        call: &PlanCall,
        allows: impl Fn(&StateSets, &PlanInfo) -> Result<(), Refusal>,
    ) -> Result<Option<PlanInfo>, GuardError> {
        let (plan, verdict) = self.guard_read(number, call, "", allows).await;
        let verdict = match verdict {
            Err(_) if self.options.force && plan.is_some() => {
                self.emit_guard(number, plan.clone(), GuardVerdict::Skipped);
                return Ok(plan);
            }
            verdict => verdict,
        };
        self.emit_guard(number, plan.clone(), GuardVerdict::of(&verdict));
        verdict.map(|()| plan)
    }

    /// `undo_failover`: the plan must be undoable (replica: FAILOVER, FAILBACK or HALTED;
    /// storage: HALTED), then `POST .../Undo` once and wait for UNDO FAILOVER.
    pub(super) async fn undo_step(&mut self, number: usize, call: &PlanCall) -> StepEnd {
        let guard = self
            .guard_call(number, call, |states, info| {
                guard::undo(states, info, call.plan_id, "")
            })
            .await;
        if let Err(reason) = guard {
            return StepEnd::Done(StepResult::Failed, Some(reason.to_string()));
        }
        if self.is_interrupted() {
            return StepEnd::Interrupted(format!(
                "interrupted before the undo of plan {} was sent",
                call.plan_id
            ));
        }
        self.undo(number, call.plan_id, call.timeout).await
    }

    /// `readiness_check`: the plan must exist, be enabled and idle; `POST
    /// .../ReadinessCheck` once, then wait for the check's result. A failed check fails
    /// the step.
    pub(super) async fn readiness_check(
        &mut self,
        number: usize,
        check: &ReadinessCheck,
    ) -> StepEnd {
        let call = check.call;
        let guard = self
            .guard_call(number, &call, |states, info| {
                guard::readiness_check(states, info, call.plan_id, "")
            })
            .await;
        if let Err(reason) = guard {
            return StepEnd::Done(StepResult::Failed, Some(reason.to_string()));
        }
        // The result before this check, where VAO keeps it (runtime details; the plan
        // itself has no `currentCheckResult`): a result that differs later is this check's.
        let before = self
            .client
            .plan_status(&call.plan_id)
            .await
            .ok()
            .and_then(|status| status.check_result);
        if self.is_interrupted() {
            return StepEnd::Interrupted(format!(
                "interrupted before the readiness check of plan {} was sent",
                call.plan_id
            ));
        }
        let started = Instant::now();
        let body = crate::exec::to_vao::readiness_check_request(check);
        if let Err(error) = self
            .post_once(number, 1, &call, &body, |this, status| {
                this.states.is_running(status)
            })
            .await
        {
            return StepEnd::Done(StepResult::Failed, Some(error.to_string()));
        }
        self.await_check(number, &call, before, started).await
    }

    /// A readiness check an earlier process may have sent: waited for when the plan shows
    /// it running. Otherwise it may have run and finished already, and is not sent again:
    /// the step fails, saying so (run the check again by hand, or with a new run).
    pub(super) async fn resume_readiness_check(
        &mut self,
        number: usize,
        check: &ReadinessCheck,
    ) -> StepEnd {
        match self.read_call(number, &check.call).await {
            Ok(info) if self.states.is_running(&info.status) => {
                self.await_check(number, &check.call, None, Instant::now())
                    .await
            }
            Ok(info) => StepEnd::Done(
                StepResult::Failed,
                Some(format!(
                    "the earlier process may have sent this readiness check, and plan {} shows none running now ({}): whether it ran and what it found is unknown, and drbook does not send it again",
                    check.call.plan_id,
                    info.status.summary()
                )),
            ),
            Err(error) => StepEnd::Done(
                StepResult::Failed,
                Some(format!(
                    "plan {} cannot be read ({error}), so whether the earlier process's readiness check ran is unknown: drbook does not send it again",
                    check.call.plan_id
                )),
            ),
        }
    }

    /// Polls until the check has run: seen running, or a result other than the one before.
    async fn await_check(
        &mut self,
        number: usize,
        call: &PlanCall,
        before: Option<String>,
        started: Instant,
    ) -> StepEnd {
        let mut awaited = CheckRun {
            call: *call,
            before,
            seen_running: false,
        };
        self.await_plan(number, &mut awaited, started).await
    }

    /// `expect_state`: reads the plan until it is (stably) in one of the named states, or
    /// the step's timeout passes; reads only.
    pub(super) async fn expect_state(&mut self, number: usize, expect: &ExpectState) -> StepEnd {
        let mut awaited = StateIs {
            call: expect.call,
            states: &expect.states,
            wanted: expect.states.join(" or "),
        };
        self.await_plan(number, &mut awaited, Instant::now()).await
    }

    /// `pause`: goes on when `--approve` names the step (or `all`), or when the operator
    /// types `approve` at the terminal; fails otherwise. The approval is an event (who,
    /// how, when) and so is in the report.
    pub(super) async fn pause(&mut self, step: &Step, pause: &Pause) -> StepEnd {
        let approvals = self.options.approvals.clone();
        let interactive = approvals.interactive && !approvals.covers(step);
        let _terminal = if interactive {
            Some(super::decide::TERMINAL.lock().await)
        } else {
            None
        };
        self.emit(Event::Paused {
            step: step.number,
            message: pause.message.clone(),
            asking: interactive,
        });
        let how = if approvals.covers(step) {
            "--approve"
        } else if approvals.interactive {
            match self.read_line().await {
                super::decide::Line::Interrupted => {
                    return StepEnd::Interrupted(
                        "interrupted while waiting for approval".to_owned(),
                    );
                }
                super::decide::Line::Read(line) if line.trim() == "approve" => "terminal",
                super::decide::Line::Read(line) => {
                    return StepEnd::Done(
                        StepResult::Failed,
                        Some(format!(
                            "not approved: the operator answered {:?} (type `approve` to go on)",
                            line.trim()
                        )),
                    );
                }
                super::decide::Line::Closed => {
                    return StepEnd::Done(
                        StepResult::Failed,
                        Some("not approved: the terminal could not be read".to_owned()),
                    );
                }
            }
        } else {
            return StepEnd::Done(
                StepResult::Failed,
                Some(format!(
                    "this pause needs approval and there is no terminal to ask on: pass --approve {} (its number), --approve '<its name>' or --approve all",
                    step.number
                )),
            );
        };
        self.emit(Event::Approved {
            step: step.number,
            by: approvals.operator.clone(),
            how: how.to_owned(),
            at: Utc::now(),
        });
        StepEnd::Done(StepResult::Succeeded, None)
    }

    /// The runbook's own clean-up steps (`cleanup:`), after the undos, in order, whatever
    /// happened (an interrupt leaves those not started yet not run). Those an earlier
    /// process finished are not run again. Returns the failed ones, each with its failure.
    async fn cleanup_steps(&mut self) -> Vec<(usize, String)> {
        let mut failed = Vec::new();
        let resume = std::mem::take(&mut self.resume);
        let runbook = self.runbook;
        for step in &runbook.cleanup {
            if resume.done.contains(&step.number) {
                continue;
            }
            if self.is_interrupted() {
                self.emit(Event::step_finished(
                    step.number,
                    StepResult::Skipped,
                    Some("not run: drbook was interrupted".to_owned()),
                ));
                continue;
            }
            let (result, error) = self.run_one(step, &resume).await;
            if !result.is_success() && result != StepResult::Skipped {
                failed.push((
                    step.number,
                    format!(
                        "step {} \"{}\" {}: {}",
                        step.number,
                        step.name,
                        if result == StepResult::Interrupted {
                            "was interrupted"
                        } else {
                            "failed"
                        },
                        error.unwrap_or_default()
                    ),
                ));
            }
        }
        self.resume = resume;
        failed
    }

    /// After an undo in a drill's clean-up: the plan must be ready for a failover again.
    pub(super) async fn verify_ready(
        &mut self,
        number: usize,
        plan_id: uuid::Uuid,
    ) -> Result<(), NotReadyAgain> {
        let call = PlanCall {
            plan_id,
            timeout: crate::runbook::model::DEFAULT_TIMEOUT,
            retries: self.runbook.retries,
            retry_delay: self.runbook.retry_delay,
        };
        let info =
            self.read_call(number, &call)
                .await
                .map_err(|error| NotReadyAgain::Unreadable {
                    plan: plan_id,
                    error,
                })?;
        if self.states.is_ready(&info.status) {
            self.note(
                number,
                format!(
                    "plan {plan_id} is ready for a failover again ({})",
                    info.status.summary()
                ),
            );
            Ok(())
        } else {
            Err(NotReadyAgain::NotReady {
                plan: plan_id,
                state: info.status.summary(),
                ready: self.states.ready_names(),
            })
        }
    }

    /// A drill's clean-up: whatever happened, every failover the run made is undone,
    /// newest first, and each plan is seen ready again. An interrupted run is not cleaned
    /// up (the operator asked to stop); the plans left failed over are named.
    pub(super) async fn cleanup(
        &mut self,
        result: RunResult,
        error: Option<String>,
    ) -> (RunResult, Option<String>) {
        self.emit(Event::PhaseStarted {
            phase: DrillPhase::Cleanup,
            at: Utc::now(),
        });
        let first = self.next_undo.unwrap_or(self.runbook.first_undo());
        // Every plan whose failover may have reached VAO, newest first.
        let plans = self.ledger.failed_over();
        for Entry { step, plan } in &plans {
            if let Some(Action::Failover(f)) = self.runbook.steps.get(step - 1).map(|s| &s.action)
                && f.execute_chained_plans
            {
                let text = format!(
                    "execute_chained_plans: the plans chained after plan {plan} ran too; the drill does not undo them: check them in VAO"
                );
                self.note(*step, text);
            }
        }
        let (undone, left) = if result == RunResult::Interrupted {
            let left = plans.iter().map(|e| e.plan).collect();
            (Vec::new(), left)
        } else {
            self.undo_plans(plans, first, |original, plan| {
                format!("Clean up step {original}: undo the failover of plan {plan}")
            })
            .await
        };
        let failed_steps = self.cleanup_steps().await;
        let interrupted = self.is_interrupted();
        self.emit(Event::CleanupFinished {
            undone: undone.clone(),
            left_failed_over: left.clone(),
            interrupted,
            at: Utc::now(),
            failed_steps: failed_steps.iter().map(|(n, _)| *n).collect(),
        });
        let (result, error) = if failed_steps.is_empty() {
            (result, error)
        } else {
            let failures: Vec<String> = failed_steps.into_iter().map(|(_, why)| why).collect();
            let failures = format!("the drill's clean-up: {}", failures.join("; "));
            let result = if result == RunResult::Interrupted {
                result
            } else {
                RunResult::Failed
            };
            (
                result,
                Some(match error {
                    Some(error) => format!("{error}; {failures}"),
                    None => failures,
                }),
            )
        };
        if left.is_empty() {
            return (result, error);
        }
        let loud = if interrupted {
            format!(
                "the drill was interrupted before its clean-up finished: plan(s) {} may still be failed over; `drbook resume` finishes the clean-up",
                crate::exec::ledger::list(&left)
            )
        } else {
            format!(
                "THE DRILL COULD NOT CLEAN UP: plan(s) {} are STILL FAILED OVER; undo them in VAO",
                crate::exec::ledger::list(&left)
            )
        };
        let result = if interrupted {
            RunResult::Interrupted
        } else {
            RunResult::Failed
        };
        let error = match error {
            Some(error) => format!("{error}; {loud}"),
            None => loud,
        };
        (result, Some(error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_results_read_word_by_word() {
        assert_eq!(check_verdict(Some("Success")), CheckVerdict::Passed);
        assert_eq!(check_verdict(Some("Failed")), CheckVerdict::Failed);
        assert_eq!(
            check_verdict(Some("Completed with warnings")),
            CheckVerdict::Warnings
        );
        assert_eq!(check_verdict(Some("Error")), CheckVerdict::Failed);
        assert_eq!(check_verdict(Some("None")), CheckVerdict::Unknown);
        assert_eq!(check_verdict(None), CheckVerdict::Unknown);
        assert_eq!(check_verdict(Some("Broken")), CheckVerdict::Unknown);
        assert_eq!(
            check_verdict(Some("Complete, no errors, no warnings")),
            CheckVerdict::Passed
        );
        assert_eq!(
            check_verdict(Some("Passed with 2 warnings")),
            CheckVerdict::Warnings
        );
    }
}
