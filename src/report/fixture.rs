//! Reports for the writers' unit tests, built the way a run builds them: a runbook prepared
//! from text, then the executor's events.

use super::model::{Report, RunInfo};
use crate::exec::{Event, Listener, Mode, RunResult, StepKind, StepResult};
use crate::prepare::prepare;
use crate::runbook::Source;
use crate::template::VarInputs;
use crate::vao::{Phase, PlanStatus};
use chrono::{DateTime, Duration, TimeZone, Utc};

pub const PLAN_A: &str = "6f1c2d9e-3b4a-4c5d-8e7f-0a1b2c3d4e5f";
pub const PLAN_B: &str = "0b8a3c1d-2e4f-4a6b-9c8d-7e6f5a4b3c2d";

/// A report of `runbook` (YAML) not run yet, started at 2026-11-28T02:00:00Z.
pub fn report(runbook: &str, mode: Mode) -> Report {
    let prepared = prepare(Source::from_text("rb.yaml", runbook), &VarInputs::default())
        .expect("the fixture runbook is valid");
    Report::new(
        RunInfo {
            run_id: "20261128T020000Z-fixture-abcdef".to_owned(),
            mode,
            simulated: false,
            runbook_path: "rb.yaml".to_owned(),
            sha256: "0".repeat(64),
            rendered_sha256: "1".repeat(64),
            git_commit: Some("a".repeat(40)),
            git_dirty: Some(false),
            canonical_path: Some("/srv/dr/runbooks/rb.yaml".to_owned()),
            git_path: Some("runbooks/rb.yaml".to_owned()),
            server: Some("https://vao.example.internal:9899".to_owned()),
            operator: "ops".to_owned(),
            host: Some("dr-runner".to_owned()),
            variables: Vec::new(),
            started_at: start(),
            template_clock: start(),
        },
        &prepared.runbook,
    )
}

pub fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 2, 0, 0).unwrap()
}

pub fn at(seconds: i64) -> DateTime<Utc> {
    start() + Duration::seconds(seconds)
}

fn status(state: &str) -> PlanStatus {
    PlanStatus {
        state: state.to_owned(),
        state_name: None,
        last_stable_state: Some(state.to_owned()),
        result_name: None,
        total_progress: Some(100),
        check_result: None,
        running_state: None,
        stable_state: None,
        source: "runtime_details".to_owned(),
    }
}

/// Step `step`, a failover of `plan` from `from` to `to` seconds: request, 200, one poll.
pub fn failover(report: &mut Report, step: usize, plan: &str, from: i64, to: i64, ok: bool) {
    let events = [
        Event::StepStarted {
            step,
            name: format!("Fail over {plan}"),
            kind: StepKind::Failover,
            plan_id: plan.parse().ok(),
            at: at(from),
        },
        Event::Request {
            step,
            attempt: 1,
            method: "POST".to_owned(),
            path: format!("/api/v3/Plans/{plan}/Failover"),
            body: Some(serde_json::json!({"executeChainedPlans": false})),
            at: at(from),
        },
        Event::Answer {
            step,
            status: 200,
            body: String::new(),
            elapsed: std::time::Duration::from_millis(20),
            attempts: 1,
        },
        Event::Polled {
            step,
            status: status(if ok { "Failover" } else { "Halted" }),
            phase: if ok { Phase::Succeeded } else { Phase::Failed },
            at: at(to),
        },
        Event::StepFinished {
            step,
            result: if ok {
                StepResult::Succeeded
            } else {
                StepResult::Failed
            },
            at: at(to),
            error: (!ok).then(|| format!("plan {plan} failed: Halted")),
        },
    ];
    for event in &events {
        report.on_event(event);
    }
}

pub fn finish(report: &mut Report, result: RunResult, seconds: i64, error: Option<&str>) {
    report.on_event(&Event::RunFinished {
        result,
        at: at(seconds),
        error: error.map(str::to_owned),
    });
}

/// Two failovers and a wait between them.
pub const TWO_FAILOVERS: &str = "version: 1
name: fixture
objectives:
  rto: 1m
steps:
  - failover: { plan_id: 6f1c2d9e-3b4a-4c5d-8e7f-0a1b2c3d4e5f }
  - wait: 5s
  - failover: { plan_id: 0b8a3c1d-2e4f-4a6b-9c8d-7e6f5a4b3c2d }
";
