//! The dry run: every request a real run would send, in order, with the waits; nothing is
//! sent and no connection is opened.

use super::event::{Event, Listener, RunResult, StepKind, StepResult};
use crate::runbook::{Action, CommandLine, Runbook, Step, values::format_duration};
use crate::vao::{self, ClientOptions};
use chrono::Utc;
use std::time::Duration;
use vao::PlanRequest as _;

/// When a step of a runbook with `needs` would start.
fn starts_when(runbook: &Runbook, step: &Step, waits: &[usize]) -> String {
    let label = |n: &usize| {
        let other = &runbook.steps[n - 1];
        match &other.id {
            Some(id) => format!("{n} ({id})"),
            None => n.to_string(),
        }
    };
    let list: Vec<String> = waits.iter().map(label).collect();
    let (steps, have) = if list.len() == 1 {
        ("step", "has")
    } else {
        ("steps", "have")
    };
    let what = if step.needs.is_some() {
        "succeeded"
    } else {
        "finished"
    };
    if list.is_empty() {
        "starts at once: it waits for no other step".to_owned()
    } else {
        format!("starts when {steps} {} {have} {what}", list.join(", "))
    }
}

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
    // With `needs`, what each step waits for: the file's order is one the schedule allows,
    // and each step says when it would start.
    let waits = runbook
        .has_needs()
        .then(|| crate::runbook::schedule::waits_for(runbook));
    for step in &runbook.steps {
        listener.on_event(&Event::step_started(step));
        if let Some(waits) = &waits {
            note(
                listener,
                step.number,
                starts_when(runbook, step, &waits[step.number - 1]),
            );
        }
        if let Some(why) = step.only.excluded_because(cleanup) {
            note(listener, step.number, format!("{why}: nothing would run"));
            listener.on_event(&Event::step_finished(
                step.number,
                StepResult::Skipped,
                Some(why),
            ));
            continue;
        }
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
            Action::Wait(_) | Action::HttpCheck(_) | Action::TcpCheck(_) | Action::Command(_) => {
                around_plans(listener, step)
            }
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
                            "then GET {} every {}{} until the plan is stable (at most {})",
                            paths.runtime_details_path(&failover.plan_id),
                            format_duration(poll_interval),
                            if runbook.poll_backoff {
                                " (less often once the plan has run long: defaults.poll_backoff)"
                            } else {
                                ""
                            },
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
        // Then the drill's own clean-up steps, in order.
        for step in &runbook.cleanup {
            listener.on_event(&Event::step_started(step));
            around_plans(listener, step);
            listener.on_event(&Event::step_finished(
                step.number,
                StepResult::Planned,
                None,
            ));
        }
    }
    listener.on_event(&Event::run_finished(RunResult::DryRun, None));
    RunResult::DryRun
}

/// What a wait, a health check or a command would do, exactly (secrets are masked by the
/// listeners, like everything else).
fn around_plans(listener: &mut dyn Listener, step: &Step) {
    let number = step.number;
    match &step.action {
        Action::Wait(duration) => listener.on_event(&Event::Waiting {
            step: number,
            duration: *duration,
            note: None,
        }),
        Action::HttpCheck(check) => {
            let body = check
                .expect_body
                .as_ref()
                .map(|b| format!(" and the body {b}"))
                .unwrap_or_default();
            let statuses: Vec<String> = check.expect_status.iter().map(u16::to_string).collect();
            let mut lines = vec![format!(
                "{} {} every {} until the answer is {}{body} (at most {}; each try at most {}; redirects are not followed)",
                check.method,
                check.url,
                format_duration(check.interval),
                statuses.join(" or "),
                format_duration(check.timeout),
                format_duration(check.request_timeout)
            )];
            lines.extend(
                check
                    .headers
                    .iter()
                    .map(|(name, value)| format!("{name}: {value}")),
            );
            if check.insecure {
                lines.push("TLS: any certificate is accepted (insecure: true)".to_owned());
            }
            if let Some(ca) = &check.ca_cert {
                lines.push(format!("TLS: also trusts the CA in {}", ca.display()));
            }
            for text in lines {
                note(listener, number, text);
            }
        }
        Action::TcpCheck(check) => note(
            listener,
            number,
            format!(
                "connect to {}:{} every {} until a connection opens (at most {}; each try at most {})",
                check.host,
                check.port,
                format_duration(check.interval),
                format_duration(check.timeout),
                format_duration(check.connect_timeout)
            ),
        ),
        Action::Command(command) => {
            let how = match &command.line {
                CommandLine::Program(_) => "no shell",
                CommandLine::Shell(_) => "with a shell",
            };
            let mut lines = vec![format!("run: {} ({how})", command.line)];
            if let Some(cwd) = &command.cwd {
                lines.push(format!("in: {}", cwd.display()));
            }
            lines.extend(
                command
                    .env
                    .iter()
                    .map(|(name, value)| format!("env: {name}={value}")),
            );
            lines.push(format!(
                "expects exit status {} within {} (then its process group is killed); {}",
                command.expect_exit,
                format_duration(command.timeout),
                if command.idempotent {
                    "idempotent: resume may start it again"
                } else {
                    "not idempotent: resume never starts it twice"
                }
            ));
            for text in lines {
                note(listener, number, text);
            }
        }
        _ => {}
    }
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
