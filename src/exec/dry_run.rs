//! The dry run: every request a real run would send, in order, with the waits; nothing is
//! sent and no connection is opened.

use super::event::{Event, Listener, RunResult, StepResult};
use crate::runbook::{Action, Runbook, values::format_duration};
use crate::vao::{self, ClientOptions};
use chrono::Utc;
use std::time::Duration;

/// Emits the events of a run that sends nothing.
pub fn dry_run(
    runbook: &Runbook,
    paths: &ClientOptions,
    poll_interval: Duration,
    listener: &mut dyn Listener,
) -> RunResult {
    listener.on_event(&Event::RunStarted {
        at: Utc::now(),
        steps: runbook.steps.len(),
    });
    for step in &runbook.steps {
        listener.on_event(&Event::StepStarted {
            step: step.number,
            name: step.name.clone(),
            kind: step.action.kind().to_owned(),
            plan_id: step.action.plan_id().map(|id| id.to_string()),
            at: Utc::now(),
        });
        match &step.action {
            Action::Wait(duration) => listener.on_event(&Event::Waiting {
                step: step.number,
                duration: *duration,
                note: None,
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
                    body: Some(vao::failover_body(failover, runbook.server_time_zone)),
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
                }
            }
        }
        listener.on_event(&Event::StepFinished {
            step: step.number,
            result: StepResult::Planned,
            at: Utc::now(),
            error: None,
        });
    }
    listener.on_event(&Event::RunFinished {
        result: RunResult::DryRun,
        at: Utc::now(),
        error: None,
    });
    RunResult::DryRun
}
