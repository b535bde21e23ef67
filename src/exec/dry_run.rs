//! The dry run: every request a real run would send, in order, with the waits; nothing is
//! sent and no connection is opened.

use super::event::{Event, Listener, RunResult, StepKind, StepResult};
use crate::runbook::{Action, Runbook, values::format_duration};
use crate::vao::{self, ClientOptions};
use chrono::Utc;
use std::time::Duration;
use vao::PlanRequest as _;

/// Emits the events of a run that sends nothing.
pub fn dry_run(
    runbook: &Runbook,
    paths: &ClientOptions,
    poll_interval: Duration,
    cleanup: bool,
    listener: &mut dyn Listener,
) -> RunResult {
    listener.on_event(&Event::RunStarted {
        at: Utc::now(),
        steps: runbook.steps.len(),
    });
    for step in &runbook.steps {
        listener.on_event(&Event::step_started(step));
        if let Some(group) = step.group.map(|g| &runbook.groups[g]) {
            note(
                listener,
                step.number,
                format!(
                    "in parallel group \"{}\": steps {}–{} run at the same time, at most {} at once",
                    group.name, group.first, group.last, group.max_concurrency
                ),
            );
        }
        match &step.action {
            Action::Wait(duration) => listener.on_event(&Event::Waiting {
                step: step.number,
                duration: *duration,
                note: None,
            }),
            Action::UndoFailover(call) => {
                note(
                    listener,
                    step.number,
                    format!(
                        "GET {} (the state guard: the plan must be failed over or halted; --force skips it)",
                        paths.plan_info_path(&call.plan_id)
                    ),
                );
                request(
                    listener,
                    step.number,
                    paths.plan_path(&call.plan_id, "Undo"),
                    None,
                );
                poll(
                    listener,
                    step.number,
                    paths,
                    &call.plan_id,
                    poll_interval,
                    call.timeout,
                    "UNDO FAILOVER",
                );
            }
            Action::ReadinessCheck(check) => {
                let id = &check.call.plan_id;
                note(
                    listener,
                    step.number,
                    format!(
                        "GET {} (the state guard: the plan must exist, be enabled and idle; --force skips it)",
                        paths.plan_info_path(id)
                    ),
                );
                request(
                    listener,
                    step.number,
                    paths.plan_path(id, "ReadinessCheck"),
                    super::to_vao::readiness_check_request(check).body(),
                );
                poll(
                    listener,
                    step.number,
                    paths,
                    id,
                    poll_interval,
                    check.call.timeout,
                    "the check's result",
                );
            }
            Action::ExpectState(expect) => {
                let wanted = expect.states.join(" or ");
                let id = &expect.call.plan_id;
                let text = if expect.call.timeout.is_zero() {
                    format!(
                        "GET {} once: the plan must be {wanted}",
                        paths.runtime_details_path(id)
                    )
                } else {
                    format!(
                        "GET {} every {} until the plan is {wanted} (at most {})",
                        paths.runtime_details_path(id),
                        format_duration(poll_interval),
                        format_duration(expect.call.timeout)
                    )
                };
                listener.on_event(&Event::Waiting {
                    step: step.number,
                    duration: expect.call.timeout,
                    note: Some(text),
                });
            }
            Action::Pause(pause) => listener.on_event(&Event::Waiting {
                step: step.number,
                duration: Duration::ZERO,
                note: Some(format!(
                    "pause: {} (the operator types `approve`, or --approve {} / --approve all)",
                    pause.message, step.number
                )),
            }),
            Action::Failover(failover) => {
                listener.on_event(&Event::Note {
                    step: step.number,
                    text: format!(
                        "GET {} (the state guard: the plan must exist, be enabled and ready; --force skips it)",
                        paths.plan_info_path(&failover.plan_id)
                    ),
                });
                listener.on_event(&Event::Request {
                    step: step.number,
                    attempt: 1,
                    method: "POST".to_owned(),
                    path: paths.plan_path(&failover.plan_id, "Failover"),
                    body: super::to_vao::failover_request(failover, runbook.server_time_zone)
                        .body(),
                    at: Utc::now(),
                });
                if failover.wait_for_completion {
                    listener.on_event(&Event::Waiting {
                        step: step.number,
                        duration: failover.timeout,
                        note: Some(format!(
                            "then GET {} every {} (less often once the plan has run long) until the plan is stable (at most {})",
                            paths.runtime_details_path(&failover.plan_id),
                            format_duration(poll_interval),
                            format_duration(failover.timeout)
                        )),
                    });
                    if let Some(on_halt) = failover.on_halt {
                        let body = crate::vao::ContinueRequest {
                            execution_continue_options: on_halt.option,
                        };
                        listener.on_event(&Event::Note {
                            step: step.number,
                            text: format!(
                                "if the plan halts: POST {} {} (on_halt: at most {} time(s), each once the plan is stably HALTED), then waits again",
                                paths.plan_path(&failover.plan_id, "Continue"),
                                body.body().unwrap_or_default(),
                                on_halt.times
                            ),
                        });
                    }
                }
            }
        }
        listener.on_event(&Event::step_finished(
            step.number,
            StepResult::Planned,
            None,
        ));
    }
    if cleanup {
        let failed_over: Vec<_> = runbook
            .steps
            .iter()
            .filter_map(|s| match &s.action {
                Action::Failover(f) => Some(f.plan_id),
                _ => None,
            })
            .collect();
        let mut number = runbook.steps.len();
        for plan_id in failed_over.iter().rev() {
            number += 1;
            listener.on_event(&Event::StepStarted {
                step: number,
                name: format!("Clean up: undo the failover of plan {plan_id}"),
                kind: StepKind::Undo,
                plan_id: Some(*plan_id),
                at: Utc::now(),
            });
            note(
                listener,
                number,
                format!(
                    "GET {} (read first: an undo under way is waited for, a plan still ready needs none)",
                    paths.plan_info_path(plan_id)
                ),
            );
            request(listener, number, paths.plan_path(plan_id, "Undo"), None);
            poll(
                listener,
                number,
                paths,
                plan_id,
                poll_interval,
                crate::runbook::model::DEFAULT_TIMEOUT,
                "UNDO FAILOVER, then the plan must be ready again",
            );
            listener.on_event(&Event::step_finished(number, StepResult::Planned, None));
        }
    }
    listener.on_event(&Event::run_finished(RunResult::DryRun, None));
    RunResult::DryRun
}

fn note(listener: &mut dyn Listener, step: usize, text: String) {
    listener.on_event(&Event::Note { step, text });
}

fn request(
    listener: &mut dyn Listener,
    step: usize,
    path: String,
    body: Option<serde_json::Value>,
) {
    listener.on_event(&Event::Request {
        step,
        attempt: 1,
        method: "POST".to_owned(),
        path,
        body,
        at: Utc::now(),
    });
}

/// The polling that follows a state-changing call.
fn poll(
    listener: &mut dyn Listener,
    step: usize,
    paths: &ClientOptions,
    plan_id: &uuid::Uuid,
    interval: Duration,
    timeout: Duration,
    goal: &str,
) {
    listener.on_event(&Event::Waiting {
        step,
        duration: timeout,
        note: Some(format!(
            "then GET {} every {} until {goal} (at most {})",
            paths.runtime_details_path(plan_id),
            format_duration(interval),
            format_duration(timeout)
        )),
    });
}
