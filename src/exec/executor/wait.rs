//! Waiting on a plan: the one polling loop behind every step that waits (a failover or an
//! undo until the plan is stable, a readiness check until its result is in, an
//! `expect_state` until the plan is in a named state).
//!
//! The loop owns what they share: a read, then a `polled` event, the pace between reads
//! (`poll::pause`, backing off while the plan runs long), the read-error rule, the timeout
//! and the interrupt. What the step waits for is an [`Awaited`]: it judges each read as
//! done, failed or not yet, and words the step's interrupt and timeout. A failover whose
//! plan halts may ask the loop to continue it ([`Verdict::Continue`], the step's
//! `on_halt`): the loop sends VAO's Continue at most once ([`Executor::send_continue`])
//! and waits on, by the same rules, its timeout counted from the Continue.

use super::halt::ContinueTry;
use super::{Executor, StepEnd};
use crate::exec::event::{Event, StepResult};
use crate::runbook::OnHalt;
use crate::vao::{ContinueOption, Phase, PlanStatus, RetryPolicy, StateSets, VaoError};
use chrono::Utc;
use std::time::Duration;
use tokio::time::Instant;

/// What one read of the plan means for the step waiting on it.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Verdict {
    /// The step succeeded; with a warning, it succeeded with warnings.
    Done(Option<String>),
    /// The step failed, for this reason.
    Failed(String),
    KeepWaiting,
    /// The plan is stably HALTED and the step continues it with this option: the
    /// `try_number`-th Continue of its `times` (`on_halt`).
    Continue {
        option: ContinueOption,
        try_number: u32,
        times: u32,
    },
}

/// What a step waits for on its plan.
pub(super) trait Awaited {
    fn plan_id(&self) -> uuid::Uuid;

    /// How long the step waits, from the moment the loop is told the wait started.
    fn timeout(&self) -> Duration;

    /// `None`: one read per poll, and a failed read is recorded and polling goes on (see
    /// [`Executor::poll_failed`]). `Some`: each read is tried again within this policy,
    /// and a read that still fails ends the step.
    fn retries(&self) -> Option<RetryPolicy> {
        None
    }

    /// The phase the `polled` event records for this read, and what the read means.
    fn judge(&mut self, states: &StateSets, status: &PlanStatus) -> (Phase, Verdict);

    /// Why the step ended when an interrupt came; `last` is the last state read.
    fn interrupted(&self, last: Option<&PlanStatus>) -> String;

    /// Why the step failed when its timeout passed.
    fn timed_out(&self, last: Option<&PlanStatus>) -> String;
}

/// The last state read, for a message.
pub(super) fn last_state(last: Option<&PlanStatus>) -> String {
    last.map_or_else(|| "unknown".to_owned(), PlanStatus::summary)
}

/// A failover or an undo: the plan reaches a stable state of the action's state set.
pub(super) struct Completion {
    pub plan_id: uuid::Uuid,
    pub timeout: Duration,
    pub sets: StateSets,
    /// The action's name, for a message ("failover", "undo failover").
    pub action: &'static str,
    /// What a halt does: continue the plan (a failover's `on_halt`), while `continued` is
    /// below its `times`; then, or without it, the step fails.
    pub on_halt: Option<OnHalt>,
    /// The Continues this step sent so far (an earlier process's included).
    pub continued: u32,
    /// What the operator can do about a halt that fails the step (appended to the message).
    pub advice: String,
}

impl Completion {
    /// Waiting on an action with no `on_halt` (an undo, a clean-up's failover).
    pub fn plain(
        plan_id: uuid::Uuid,
        timeout: Duration,
        sets: StateSets,
        action: &'static str,
    ) -> Completion {
        Completion {
            plan_id,
            timeout,
            sets,
            action,
            on_halt: None,
            continued: 0,
            advice: String::new(),
        }
    }

    /// A halted plan: continue it while `on_halt` has tries left, else fail with what can be
    /// done next.
    fn halted(&mut self, status: &PlanStatus) -> Verdict {
        let summary = status.summary();
        match self.on_halt {
            Some(OnHalt { option, times }) if self.continued < times => {
                self.continued += 1;
                Verdict::Continue {
                    option,
                    try_number: self.continued,
                    times,
                }
            }
            Some(OnHalt { option, times }) => Verdict::Failed(format!(
                "plan {} halted again after {} Continue(s) with {option} (on_halt allows {times}): {summary}{}",
                self.plan_id, self.continued, self.advice
            )),
            None => Verdict::Failed(format!(
                "plan {} halted: {summary}{}",
                self.plan_id, self.advice
            )),
        }
    }
}

impl Awaited for Completion {
    fn plan_id(&self) -> uuid::Uuid {
        self.plan_id
    }

    fn timeout(&self) -> Duration {
        self.timeout
    }

    fn judge(&mut self, _: &StateSets, status: &PlanStatus) -> (Phase, Verdict) {
        let phase = self.sets.classify(status);
        let summary = status.summary();
        // A failover's halt is continued (`on_halt`) or fails the step saying what can be
        // done next. VAO takes a Continue only once the plan is stably HALTED, so a halt
        // still settling is waited for when the step would continue it.
        if self.action == "failover" && halted_state(status) && !self.sets.is_running(status) {
            if self.on_halt.is_none() || self.sets.is_halted(status) {
                return (Phase::Failed, self.halted(status));
            }
            return (Phase::Running, Verdict::KeepWaiting);
        }
        let verdict = match phase {
            Phase::Succeeded => Verdict::Done(None),
            Phase::SucceededWithWarnings => {
                Verdict::Done(Some(format!("finished with warnings: {summary}")))
            }
            Phase::Failed => Verdict::Failed(format!("plan {} failed: {summary}", self.plan_id)),
            Phase::Unexpected => Verdict::Failed(format!(
                "plan {} ended in an unexpected state: {summary}; expected the {} state (the runbook's `states:` can name it)",
                self.plan_id, self.action
            )),
            Phase::NotStarted | Phase::Running => Verdict::KeepWaiting,
        };
        (phase, verdict)
    }

    fn interrupted(&self, last: Option<&PlanStatus>) -> String {
        format!(
            "interrupted while waiting for plan {}; VAO keeps running it{}",
            self.plan_id,
            last.map(|s| format!(" (last state: {})", s.summary()))
                .unwrap_or_default()
        )
    }

    fn timed_out(&self, last: Option<&PlanStatus>) -> String {
        format!(
            "plan {} did not finish within {} (last state: {}); VAO keeps running it",
            self.plan_id,
            crate::runbook::values::format_duration(self.timeout),
            last_state(last)
        )
    }
}

/// A state that reads HALTED, settled or not.
fn halted_state(status: &PlanStatus) -> bool {
    crate::vao::state::fold(&status.state).starts_with("halted")
}

impl Executor<'_> {
    /// Polls the plan until `awaited` is done or has failed, the timeout (counted from
    /// `started`, and again from each Continue) passes, or an interrupt comes.
    pub(super) async fn await_plan(
        &mut self,
        number: usize,
        awaited: &mut impl Awaited,
        mut started: Instant,
    ) -> StepEnd {
        let plan_id = awaited.plan_id();
        let mut deadline = started + awaited.timeout();
        let mut last: Option<PlanStatus> = None;
        loop {
            if self.is_interrupted() {
                return StepEnd::Interrupted(awaited.interrupted(last.as_ref()));
            }
            let polled_at = Instant::now();
            match self.read_status(number, plan_id, awaited.retries()).await {
                Ok(status) => {
                    let (phase, verdict) = awaited.judge(&self.states, &status);
                    self.emit(Event::Polled {
                        step: number,
                        status: status.clone(),
                        phase,
                        at: Utc::now(),
                    });
                    last = Some(status);
                    match verdict {
                        Verdict::Done(None) => return StepEnd::Done(StepResult::Succeeded, None),
                        Verdict::Done(warning @ Some(_)) => {
                            return StepEnd::Done(StepResult::SucceededWithWarnings, warning);
                        }
                        Verdict::Failed(why) => {
                            return StepEnd::Done(StepResult::Failed, Some(why));
                        }
                        Verdict::KeepWaiting => {}
                        Verdict::Continue {
                            option,
                            try_number,
                            times,
                        } => {
                            let halted = last.clone().unwrap_or_default();
                            let request = ContinueTry {
                                option,
                                try_number,
                                times: Some(times),
                            };
                            if let Err(why) =
                                self.send_continue(number, plan_id, request, &halted).await
                            {
                                return StepEnd::Done(StepResult::Failed, Some(why));
                            }
                            // The plan runs again: waited for as after its failover, and
                            // read again at once.
                            started = Instant::now();
                            deadline = started + awaited.timeout();
                            continue;
                        }
                    }
                }
                Err(Some(end)) => return end,
                Err(None) => {}
            }
            if Instant::now() >= deadline {
                return StepEnd::Done(StepResult::Failed, Some(awaited.timed_out(last.as_ref())));
            }
            self.pause_polling(polled_at, started, deadline).await;
        }
    }

    /// One poll's read of the plan. `Err(Some(end))`: the read failed and ends the step;
    /// `Err(None)`: it failed, was recorded, and polling goes on.
    async fn read_status(
        &mut self,
        number: usize,
        plan_id: uuid::Uuid,
        retries: Option<RetryPolicy>,
    ) -> Result<PlanStatus, Option<StepEnd>> {
        let Some(policy) = retries else {
            return match self.client.plan_status(&plan_id).await {
                Ok(status) => Ok(status),
                Err(error) => Err(self.poll_failed(number, plan_id, error)),
            };
        };
        let (status, errors) = self.client.plan_status_retrying(&plan_id, policy).await;
        if !errors.is_empty() {
            self.emit(Event::ReadsRetried {
                step: number,
                errors,
            });
        }
        status.map_err(|error| Some(StepEnd::Done(StepResult::Failed, Some(error.to_string()))))
    }

    /// A read of the plan failed while waiting for it: a refused login, a broken setup or a
    /// plan that is gone end the step; anything else is recorded and polling goes on (reads
    /// are safe to repeat) until the timeout.
    fn poll_failed(
        &mut self,
        number: usize,
        plan_id: uuid::Uuid,
        error: VaoError,
    ) -> Option<StepEnd> {
        if matches!(error, VaoError::Auth(_) | VaoError::Setup(_)) || error.status() == Some(404) {
            return Some(StepEnd::Done(StepResult::Failed, Some(error.to_string())));
        }
        tracing::warn!("polling plan {plan_id}: {error}");
        self.emit(Event::PollFailed {
            step: number,
            error: error.to_string(),
            at: Utc::now(),
        });
        None
    }

    /// The pause before the next read of a plan: reads start a pause apart (the read's own
    /// time is part of it), so a change is noticed within one pause: the poll interval, or
    /// with `defaults.poll_backoff` a pause that grows while the plan runs long
    /// (`poll::pause`). An interrupt cuts it short; the polling
    /// loop's first check then reports it.
    async fn pause_polling(&mut self, polled_at: Instant, started: Instant, deadline: Instant) {
        let now = Instant::now();
        let running_for = now.saturating_duration_since(started);
        let pause = crate::exec::poll::next(
            self.options.poll_interval,
            self.runbook.poll_backoff,
            running_for,
        );
        let next = (polled_at + pause).min(deadline);
        self.sleep(next.saturating_duration_since(now)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(state: &str) -> PlanStatus {
        PlanStatus {
            state: state.to_owned(),
            ..PlanStatus::default()
        }
    }

    #[test]
    fn a_completion_is_judged_by_its_own_state_set() {
        let sets = StateSets::default();
        let id = uuid::Uuid::nil();
        let mut failover = Completion::plain(id, Duration::from_secs(60), sets.clone(), "failover");
        assert_eq!(
            failover.judge(&sets, &status("Failover")),
            (Phase::Succeeded, Verdict::Done(None))
        );
        assert_eq!(
            failover.judge(&sets, &status("Undo Failover")),
            (Phase::NotStarted, Verdict::KeepWaiting)
        );
        let (_, verdict) = failover.judge(&sets, &status("Failback"));
        assert!(
            matches!(&verdict, Verdict::Failed(why) if why.contains("expected the failover state")),
            "{verdict:?}"
        );
        let mut undo = Completion {
            sets: sets.for_undo(),
            action: "undo failover",
            ..failover
        };
        assert_eq!(
            undo.judge(&sets, &status("Undo Failover")),
            (Phase::Succeeded, Verdict::Done(None))
        );
    }

    #[test]
    fn a_completion_names_the_last_state_when_it_gives_up() {
        let goal = Completion::plain(
            uuid::Uuid::nil(),
            Duration::from_secs(90),
            StateSets::default(),
            "failover",
        );
        assert_eq!(
            goal.timed_out(None),
            format!(
                "plan {} did not finish within 1m 30s (last state: unknown); VAO keeps running it",
                uuid::Uuid::nil()
            )
        );
        assert!(
            goal.interrupted(Some(&status("Failover")))
                .ends_with("VAO keeps running it (last state: Failover)")
        );
        assert!(goal.interrupted(None).ends_with("VAO keeps running it"));
    }

    fn halted(stable: &str, result: &str) -> PlanStatus {
        PlanStatus {
            state: "Halted".to_owned(),
            last_stable_state: Some(stable.to_owned()),
            result_name: Some(result.to_owned()),
            total_progress: Some(50),
            ..PlanStatus::default()
        }
    }

    /// A failover's completion, without `on_halt`, with a "what now" advice.
    fn failover_advising(sets: &StateSets) -> Completion {
        Completion {
            advice: ". What now: …".to_owned(),
            ..Completion::plain(
                uuid::Uuid::nil(),
                Duration::from_secs(60),
                sets.clone(),
                "failover",
            )
        }
    }

    #[test]
    fn a_stable_halt_is_continued_while_on_halt_has_tries_left() {
        let sets = StateSets::default();
        let mut goal = Completion {
            on_halt: Some(OnHalt {
                option: ContinueOption::RetryFailedVm,
                times: 2,
            }),
            ..failover_advising(&sets)
        };
        // Not yet settled: waited for, nothing is continued.
        assert_eq!(
            goal.judge(&sets, &halted("Verified", "Halted with errors")),
            (Phase::Running, Verdict::KeepWaiting)
        );
        for try_number in 1..=2 {
            assert_eq!(
                goal.judge(&sets, &halted("Halted", "Halted with errors")),
                (
                    Phase::Failed,
                    Verdict::Continue {
                        option: ContinueOption::RetryFailedVm,
                        try_number,
                        times: 2
                    }
                )
            );
        }
        let (_, verdict) = goal.judge(&sets, &halted("Halted", "Halted with errors"));
        assert_eq!(
            verdict,
            Verdict::Failed(format!(
                "plan {} halted again after 2 Continue(s) with RetryFailedVm (on_halt allows 2): Halted (Halted with errors) 50%. What now: …",
                uuid::Uuid::nil()
            ))
        );
        // Without on_halt, a halt fails the step at once, settled or not, saying what now.
        let mut plain = failover_advising(&sets);
        let (phase, verdict) = plain.judge(&sets, &halted("Verified", "Halted with errors"));
        assert_eq!(phase, Phase::Failed);
        assert!(
            matches!(&verdict, Verdict::Failed(why) if why.ends_with("halted: Halted (Halted with errors) 50%. What now: …")),
            "{verdict:?}"
        );
        // An undo that halts fails as any failed state does.
        let mut undo = Completion::plain(
            uuid::Uuid::nil(),
            Duration::from_secs(60),
            sets.for_undo(),
            "undo failover",
        );
        let (_, verdict) = undo.judge(&sets, &halted("Halted", "Halted with errors"));
        assert!(
            matches!(&verdict, Verdict::Failed(why) if why.contains("failed: Halted")),
            "{verdict:?}"
        );
    }
}
