//! Runs a runbook's steps strictly in order against VAO.
//!
//! Every failover request is sent at most once: a request that failed in transit is not
//! repeated, because VAO may have started the plan anyway. Waits and polls give way to an
//! interrupt at once; a request already on the wire is allowed to finish, so its outcome
//! is known and recorded.

use super::event::{Event, Listener, RunResult, StepResult};
use crate::runbook::{Action, Failover, Runbook, Step};
use crate::vao::{self, Phase, StateSets, VaoClient, VaoError};
use chrono::Utc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;

/// Signals an interrupt (Ctrl-C) to a running executor.
pub type Interrupt = watch::Receiver<bool>;

/// How the executor behaves beyond what the runbook says.
#[derive(Debug, Clone)]
pub struct ExecOptions {
    pub poll_interval: Duration,
}

enum StepEnd {
    Done(StepResult, Option<String>),
    Interrupted(String),
}

pub struct Executor<'a> {
    runbook: &'a Runbook,
    client: &'a VaoClient,
    states: StateSets,
    options: ExecOptions,
    interrupt: Interrupt,
    listener: &'a mut dyn Listener,
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
            states: StateSets::with_overrides(&runbook.states),
            runbook,
            client,
            options,
            interrupt,
            listener,
        }
    }

    fn emit(&mut self, event: Event) {
        self.listener.on_event(&event);
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
    pub async fn run(mut self) -> RunResult {
        let steps = self.runbook.steps.len();
        self.emit(Event::RunStarted {
            at: Utc::now(),
            steps,
        });
        match self.client.authenticate().await {
            Ok(how) => self.emit(Event::Authenticated {
                at: Utc::now(),
                how,
            }),
            Err(error) => {
                let message = error.to_string();
                self.skip_from(0, "not run: authentication failed");
                return self.finish(RunResult::Failed, Some(message));
            }
        }
        for index in 0..steps {
            if self.is_interrupted() {
                self.skip_from(index, "not run: drbook was interrupted");
                return self.finish(RunResult::Interrupted, Some("interrupted".to_owned()));
            }
            let step = &self.runbook.steps[index];
            self.emit(Event::StepStarted {
                step: step.number,
                name: step.name.clone(),
                kind: step.action.kind(),
                at: Utc::now(),
            });
            let end = self.step(step).await;
            match end {
                StepEnd::Done(result, error) => {
                    let failed = result == StepResult::Failed;
                    self.emit(Event::StepFinished {
                        step: step.number,
                        result,
                        at: Utc::now(),
                        error: error.clone(),
                    });
                    if failed {
                        self.skip_from(index + 1, "not run: an earlier step failed");
                        let message = format!(
                            "step {} \"{}\" failed: {}",
                            step.number,
                            step.name,
                            error.unwrap_or_default()
                        );
                        return self.finish(RunResult::Failed, Some(message));
                    }
                }
                StepEnd::Interrupted(message) => {
                    self.emit(Event::StepFinished {
                        step: step.number,
                        result: StepResult::Interrupted,
                        at: Utc::now(),
                        error: Some(message),
                    });
                    self.skip_from(index + 1, "not run: drbook was interrupted");
                    return self.finish(RunResult::Interrupted, Some("interrupted".to_owned()));
                }
            }
        }
        self.finish(RunResult::Succeeded, None)
    }

    fn finish(&mut self, result: RunResult, error: Option<String>) -> RunResult {
        self.emit(Event::RunFinished {
            result,
            at: Utc::now(),
            error,
        });
        result
    }

    fn skip_from(&mut self, index: usize, why: &str) {
        let numbers: Vec<usize> = self.runbook.steps[index..]
            .iter()
            .map(|s| s.number)
            .collect();
        for number in numbers {
            self.emit(Event::StepFinished {
                step: number,
                result: StepResult::Skipped,
                at: Utc::now(),
                error: Some(why.to_owned()),
            });
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
        }
    }

    async fn failover(&mut self, number: usize, failover: &Failover) -> StepEnd {
        let body = vao::failover_body(failover, self.runbook.server_time_zone);
        let path = self
            .client
            .options()
            .plan_path(&failover.plan_id, "Failover");
        self.emit(Event::Request {
            step: number,
            method: "POST",
            path: path.clone(),
            body: Some(body.clone()),
            at: Utc::now(),
        });
        let started = Instant::now();
        let answer = match self.client.failover(&failover.plan_id, &body).await {
            Ok(answer) => answer,
            Err(
                error @ VaoError::Transport {
                    connected: false, ..
                },
            ) => {
                return StepEnd::Done(
                    StepResult::Failed,
                    Some(format!(
                        "{error}; no connection was made, so the failover was not sent"
                    )),
                );
            }
            Err(error @ VaoError::Transport { .. }) => {
                return StepEnd::Done(
                    StepResult::Failed,
                    Some(format!(
                        "{error}. VAO may or may not have started the failover: drbook does not send it again; check plan {} in VAO before you re-run",
                        failover.plan_id
                    )),
                );
            }
            Err(error) => return StepEnd::Done(StepResult::Failed, Some(error.to_string())),
        };
        self.emit(Event::Answer {
            step: number,
            status: answer.status,
            body: vao::client::truncate(&answer.body),
            elapsed: answer.elapsed,
            attempts: answer.attempts,
        });
        if !(200..300).contains(&answer.status) {
            let error = vao::client::http_error("POST", &path, &answer);
            return StepEnd::Done(StepResult::Failed, Some(error.to_string()));
        }
        if !failover.wait_for_completion {
            return StepEnd::Done(StepResult::Succeeded, None);
        }
        self.await_completion(number, failover, started).await
    }

    /// Polls the plan until it reaches a stable state, the timeout passes, or an interrupt.
    async fn await_completion(
        &mut self,
        number: usize,
        failover: &Failover,
        started: Instant,
    ) -> StepEnd {
        let deadline = started + failover.timeout;
        let interval = self.options.poll_interval;
        let mut last: Option<vao::PlanStatus> = None;
        loop {
            if self.is_interrupted() {
                return StepEnd::Interrupted(format!(
                    "interrupted while waiting for plan {}; VAO keeps running it{}",
                    failover.plan_id,
                    last.as_ref()
                        .map(|s| format!(" (last state: {})", s.summary()))
                        .unwrap_or_default()
                ));
            }
            match self.client.plan_status(&failover.plan_id).await {
                Ok(status) => {
                    let phase = self.states.classify(&status);
                    self.emit(Event::Polled {
                        step: number,
                        status: status.clone(),
                        phase,
                        at: Utc::now(),
                    });
                    let summary = status.summary();
                    last = Some(status);
                    match phase {
                        Phase::Succeeded => return StepEnd::Done(StepResult::Succeeded, None),
                        Phase::SucceededWithWarnings => {
                            return StepEnd::Done(
                                StepResult::SucceededWithWarnings,
                                Some(format!("finished with warnings: {summary}")),
                            );
                        }
                        Phase::Failed => {
                            return StepEnd::Done(
                                StepResult::Failed,
                                Some(format!("plan {} failed: {summary}", failover.plan_id)),
                            );
                        }
                        Phase::Unexpected => {
                            return StepEnd::Done(
                                StepResult::Failed,
                                Some(format!(
                                    "plan {} ended in an unexpected state: {summary}; expected a failover state (the runbook's `states:` can name it)",
                                    failover.plan_id
                                )),
                            );
                        }
                        Phase::NotStarted | Phase::Running => {}
                    }
                }
                Err(error @ (VaoError::Auth(_) | VaoError::Setup(_))) => {
                    return StepEnd::Done(StepResult::Failed, Some(error.to_string()));
                }
                Err(error) if error.status() == Some(404) => {
                    return StepEnd::Done(StepResult::Failed, Some(error.to_string()));
                }
                Err(error) => {
                    // Reads are safe to repeat: keep polling until the timeout.
                    tracing::warn!("polling plan {}: {error}", failover.plan_id);
                    self.emit(Event::PollFailed {
                        step: number,
                        error: error.to_string(),
                        at: Utc::now(),
                    });
                }
            }
            let now = Instant::now();
            if now >= deadline {
                return StepEnd::Done(
                    StepResult::Failed,
                    Some(format!(
                        "plan {} did not finish within {} (last state: {}); VAO keeps running it",
                        failover.plan_id,
                        crate::runbook::values::format_duration(failover.timeout),
                        last.map_or_else(|| "unknown".to_owned(), |s| s.summary())
                    )),
                );
            }
            // An interrupt cuts the pause short; the loop's first check then reports it.
            self.sleep(interval.min(deadline - now)).await;
        }
    }
}
