//! Plain words for what a report holds, shared by the writers (JUnit and HTML; Markdown for
//! the objectives): result names, durations, how long a step waited and for what, the
//! request and answer as text.

use super::model::{Cleanup, DecisionRecord, RecoveryRecord, Report, StepRecord};
use crate::exec::{DrillPhase, RunResult, StepKind, StepResult};

/// `350 ms`, `2.0 s`, `1 min 05 s`, `6 h 00 min`, `2 d 04 h`.
pub fn duration(ms: u64) -> String {
    const MINUTE: u64 = 60_000;
    const HOUR: u64 = 60 * MINUTE;
    const DAY: u64 = 24 * HOUR;
    match ms {
        0..1_000 => format!("{ms} ms"),
        1_000..MINUTE => format!("{:.1} s", ms as f64 / 1000.0),
        MINUTE..HOUR => format!("{} min {:02} s", ms / MINUTE, ms % MINUTE / 1000),
        HOUR..DAY => format!("{} h {:02} min", ms / HOUR, ms % HOUR / MINUTE),
        _ => format!("{} d {:02} h", ms / DAY, ms % DAY / HOUR),
    }
}

pub fn step_result(result: StepResult) -> &'static str {
    match result {
        StepResult::Succeeded => "succeeded",
        StepResult::SucceededWithWarnings => "succeeded with warnings",
        StepResult::Failed => "failed",
        StepResult::Skipped => "not run",
        StepResult::Interrupted => "interrupted",
        StepResult::Planned => "planned",
        StepResult::CheckPassed => "would run",
        StepResult::CheckFailed => "would fail",
    }
}

pub fn run_result(result: RunResult) -> &'static str {
    match result {
        RunResult::Succeeded => "succeeded",
        RunResult::Failed => "failed",
        RunResult::Interrupted => "interrupted",
        RunResult::DryRun => "dry run (nothing was sent)",
    }
}

/// A drill's clean-up verdict in a sentence.
pub fn cleanup(verdict: Cleanup) -> &'static str {
    match verdict {
        Cleanup::Clean => "clean: every plan the drill failed over was undone and is ready again",
        Cleanup::Failed => "FAILED: plans are still failed over, or a clean-up step failed",
        Cleanup::Interrupted => "interrupted: plans may still be failed over",
        Cleanup::Pending => "not reached",
    }
}

/// A step's plan, or `?`.
pub fn plan(step: &StepRecord) -> String {
    step.plan_id
        .map_or_else(|| "?".to_owned(), |id| id.to_string())
}

/// Plans, for a line of text: `a, b`.
pub fn plans(plans: &[uuid::Uuid]) -> String {
    crate::exec::ledger::list(plans)
}

/// Each failover with its measured recovery, or `None` when the run has no objective to
/// show (no failover and no run-level target).
pub fn recoveries(report: &Report) -> Option<Vec<(&StepRecord, &RecoveryRecord)>> {
    let o = &report.objectives;
    let plans: Vec<_> = report
        .steps
        .iter()
        .filter_map(|s| Some((s, s.recovery.as_ref()?)))
        .collect();
    let nothing = plans.is_empty()
        && o.measured.rto_target_ms.is_none()
        && o.measured.rpo_target_ms.is_none();
    (!nothing).then_some(plans)
}

/// A step's one-line detail: its error, else the plan's last state; a pause's approval.
pub fn detail(step: &StepRecord) -> String {
    match &step.approval {
        Some(a) => format!("approved by {} ({}) at {}", a.by, a.how, a.at),
        None => step
            .error
            .clone()
            .or_else(|| step.final_state.as_ref().map(|s| s.summary()))
            .unwrap_or_default(),
    }
}

/// An operator's decision in a sentence: `retry by alice (account root, resume --retry) at
/// 2026-12-03T10:00:00.000Z: the DBA fixed the VM`.
pub fn decision(d: &DecisionRecord) -> String {
    let what = match d.option {
        Some(option) => format!("{} {option}", d.decision.as_str()),
        None => d.decision.as_str().to_owned(),
    };
    let account = match &d.account {
        Some(account) if *account != d.by => format!("account {account}, "),
        _ => String::new(),
    };
    let why = d
        .reason
        .as_deref()
        .map_or_else(String::new, |r| format!(": {r}"));
    format!("{what} by {} ({account}{}) at {}{why}", d.by, d.how, d.at)
}

/// Every operator decision of the run, with its step: `(step, decision)`.
pub fn decisions(report: &Report) -> Vec<(&StepRecord, &DecisionRecord)> {
    report
        .steps
        .iter()
        .flat_map(|s| s.decisions.iter().map(move |d| (s, d)))
        .collect()
}

/// Whether a step belongs to a drill's clean-up.
pub fn is_cleanup(step: &StepRecord) -> bool {
    step.phase == Some(DrillPhase::Cleanup)
}

/// The run's mode as people read it: `drill`, or `drill (simulated)` against drbook's own
/// simulator.
pub fn mode(report: &super::model::Report) -> String {
    match (report.simulated, report.mode) {
        (true, crate::exec::Mode::Drill) => "drill (simulated)".to_owned(),
        (_, mode) => mode.as_str().to_owned(),
    }
}

/// What a step of a runbook with `needs` waited for before it started.
pub fn waited_for(step: &StepRecord) -> Option<String> {
    Some(match step.needs.as_deref()? {
        [] => "waited for no other step".to_owned(),
        [one] => format!("after step {one}"),
        many => {
            let list: Vec<String> = many.iter().map(usize::to_string).collect();
            format!("after steps {}", list.join(", "))
        }
    })
}

/// What a step waited for, how long, and (for a pause) who let it go on. `None` for a step
/// that did not wait.
pub fn waited(step: &StepRecord) -> Option<String> {
    let plan = plan(step);
    let started = step.started_at?;
    let finished = step.finished_at;
    let took = finished.and_then(|f| started.millis_until(f));
    match step.kind {
        StepKind::Wait => Some(format!(
            "waited {} of {} (a wait in the runbook)",
            took.map_or("—".to_owned(), duration),
            step.wait_ms.map_or("—".to_owned(), duration)
        )),
        StepKind::Pause => Some(match &step.approval {
            Some(a) => format!(
                "waited {} for approval; approved by {} ({}) at {}",
                started.millis_until(a.at).map_or("—".to_owned(), duration),
                a.by,
                a.how,
                a.at
            ),
            None => format!(
                "waited {} for approval; not approved",
                took.map_or("—".to_owned(), duration)
            ),
        }),
        StepKind::HttpCheck | StepKind::TcpCheck => {
            step.check.as_ref().filter(|c| c.attempts > 0).map(|c| {
                format!(
                    "waited {} for {} to answer ({} tr{}){}",
                    took.map_or("—".to_owned(), duration),
                    c.target,
                    c.attempts,
                    if c.attempts == 1 { "y" } else { "ies" },
                    match (&c.healthy_at, &c.last_answer) {
                        (Some(at), _) => format!("; healthy at {at}"),
                        (None, Some(last)) => format!("; last answer: {last}"),
                        (None, None) => String::new(),
                    }
                )
            })
        }
        // A command left out by its scope never started.
        StepKind::Command => step
            .command
            .as_ref()
            .filter(|c| c.started_at.is_some())
            .map(|c| {
                format!(
                    "ran {} for {}{}",
                    c.command,
                    c.duration_ms.or(took).map_or("—".to_owned(), duration),
                    command_end(c).map(|e| format!("; {e}")).unwrap_or_default()
                )
            }),
        _ if step.polls > 0 => {
            // From the request (when there was one) to the end: the time VAO worked.
            let from = step.request.as_ref().map_or(started, |r| r.sent_at);
            let waited = finished.and_then(|f| from.millis_until(f));
            let what = match step.kind {
                StepKind::Failover => " to fail over",
                StepKind::Undo | StepKind::UndoFailover => " to undo its failover",
                StepKind::ReadinessCheck => " to finish its readiness check",
                StepKind::ExpectState => " to reach the expected state",
                _ => "",
            };
            Some(format!(
                "waited {} for plan {plan}{what} ({} poll{})",
                waited.map_or("—".to_owned(), duration),
                step.polls,
                if step.polls == 1 { "" } else { "s" }
            ))
        }
        _ => None,
    }
}

/// The request, each try, the answer and the states seen, as lines of text.
pub fn exchange(step: &StepRecord, report: &Report) -> String {
    let mut lines = Vec::new();
    if let Some(group) = &step.group {
        lines.push(format!("in the parallel group {group}"));
    }
    if let Some(guard) = &step.guard {
        let mut line = format!("state guard: {}", guard.verdict);
        if let Some(reason) = &guard.reason {
            line.push_str(&format!(" ({reason})"));
        }
        if let Some(plan) = &guard.plan {
            line.push_str(&format!(", plan {}", plan.status.summary()));
        }
        lines.push(line);
    }
    if let Some(request) = &step.request {
        lines.push(format!(
            "{} {} at {}",
            request.method, request.path, request.sent_at
        ));
        if let Some(body) = &request.body {
            lines.push(body.to_string());
        }
    }
    if step.attempts.len() > 1 {
        for a in &step.attempts {
            if let Some(halt) = a.halt_text() {
                lines.push(halt);
            }
            lines.push(format!(
                "{} at {}: {}",
                a.label(),
                a.sent_at,
                match (&a.status, &a.error) {
                    (_, Some(error)) => error.clone(),
                    (Some(status), None) => status.to_string(),
                    (None, None) => "no answer".to_owned(),
                }
            ));
        }
    }
    for r in &step.reconciliations {
        lines.push(format!(
            "read at {}: {} ({})",
            r.at,
            r.state,
            if r.accepted {
                "the try had been accepted"
            } else {
                "not accepted"
            }
        ));
    }
    match &step.response {
        Some(r) => {
            lines.push(format!("→ {} in {} ms", r.status, r.elapsed_ms));
            if r.attempts > 1 {
                lines.push(format!(
                    "sent {} times: refused with 401 before VAO acted, then sent with a renewed token",
                    r.attempts
                ));
            }
            if !r.body.trim().is_empty() {
                lines.push(r.body.trim().to_owned());
            }
        }
        None if step.request.is_some() && report.result == RunResult::DryRun => {
            lines.push("not sent: dry run".to_owned())
        }
        None if step.request.is_some() => lines.push("→ no answer".to_owned()),
        None => {}
    }
    if step.read_retries > 0 || step.poll_errors > 0 {
        lines.push(format!(
            "{} read(s) retried, {} poll error(s)",
            step.read_retries, step.poll_errors
        ));
    }
    if !step.states_seen.is_empty() {
        lines.push(format!("plan states: {}", step.states_seen.join(" → ")));
    }
    if let Some(waited) = waited(step) {
        lines.push(waited);
    }
    if let Some(state) = step
        .final_state
        .as_ref()
        .filter(|_| step.states_seen.is_empty())
    {
        lines.push(format!("final state: {}", state.summary()));
    }
    lines.extend(
        around_plans(step)
            .into_iter()
            .map(|(title, text)| match title {
                Some(title) => format!("{title}:\n{text}"),
                None => text,
            }),
    );
    lines.extend(step.notes.iter().cloned());
    for d in &step.decisions {
        lines.push(format!("operator decision: {}", decision(d)));
    }
    lines.join("\n")
}

/// A health check's tries or a command's run, as (title, text) parts: a title for a block
/// of output (`stdout (the last part)`), none for a line.
pub fn around_plans(step: &StepRecord) -> Vec<(Option<String>, String)> {
    let mut parts = Vec::new();
    if let Some(check) = &step.check {
        let mut line = format!(
            "{}: {} tr{}",
            check.target,
            check.attempts,
            if check.attempts == 1 { "y" } else { "ies" }
        );
        if let Some(answer) = &check.last_answer {
            line.push_str(&format!("; last answer: {answer}"));
        }
        if let Some(at) = &check.healthy_at {
            line.push_str(&format!("; healthy at {at}"));
        }
        parts.push((None, line));
        if let Some(body) = &check.body_excerpt {
            parts.push((Some("body (its start)".to_owned()), body.clone()));
        }
    }
    if let Some(command) = &step.command {
        let mut line = format!("command: {}", command.command);
        if let Some(cwd) = &command.cwd {
            line.push_str(&format!(" (in {cwd})"));
        }
        if !command.env.is_empty() {
            line.push_str(&format!("; environment adds {}", command.env.join(", ")));
        }
        parts.push((None, line));
        if let Some(end) = command_end(command) {
            let took = command
                .duration_ms
                .map(|ms| format!(" after {}", duration(ms)))
                .unwrap_or_default();
            parts.push((None, format!("{end}{took}")));
        }
        let cut = if command.output_truncated {
            " (the last part)"
        } else {
            ""
        };
        for (name, tail) in [
            ("stdout", &command.stdout_tail),
            ("stderr", &command.stderr_tail),
        ] {
            if !tail.trim().is_empty() {
                parts.push((Some(format!("{name}{cut}")), tail.trim_end().to_owned()));
            }
        }
    }
    parts
}

/// How a command ended, in words: `exited with status 0`, `killed at its timeout`.
pub fn command_end(command: &super::model::CommandRecord) -> Option<String> {
    if command.timed_out {
        return Some("killed (its process group) at its timeout".to_owned());
    }
    match (command.exit_code, command.signal) {
        (Some(code), _) => Some(format!("exited with status {code}")),
        (None, Some(signal)) => Some(format!("killed by signal {signal}")),
        (None, None) => None,
    }
}

/// Where the run's recovery time ended, in a sentence.
pub fn recovery_end(report: &Report) -> String {
    let o = &report.objectives;
    match (o.recovery_until, &o.healthy_at) {
        (crate::runbook::RecoveryUntil::Healthy, Some(at)) => format!(
            "The run's recovery time is measured from the first failover request to the service answering healthy (the last successful health check, at {at})."
        ),
        (crate::runbook::RecoveryUntil::Healthy, None) => "The run's recovery time is measured to the service answering healthy (`until: healthy`), and no health check saw it healthy.".to_owned(),
        (crate::runbook::RecoveryUntil::FailedOver, _) => "The run's recovery time is measured from the first failover request to the last plan seen failed over.".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::duration;
    use crate::exec::{StepKind, StepResult};
    use crate::report::model::{CommandRecord, StepRecord};

    #[test]
    fn a_command_left_out_by_its_scope_did_not_run() {
        let mut step = StepRecord::new(2, "DNS switch", StepKind::Command, None, None);
        step.started_at = Some(chrono::Utc::now().into());
        step.finished_at = step.started_at;
        step.result = StepResult::Skipped;
        step.command = Some(CommandRecord {
            command: "switch-dns --to b".to_owned(),
            ..CommandRecord::default()
        });
        assert_eq!(super::waited(&step), None);
        step.command.as_mut().unwrap().started_at = step.started_at;
        step.command.as_mut().unwrap().exit_code = Some(0);
        let waited = super::waited(&step).unwrap();
        assert!(waited.starts_with("ran switch-dns --to b for "), "{waited}");
        assert!(waited.ends_with("; exited with status 0"), "{waited}");
    }

    #[test]
    fn durations_read_naturally() {
        for (ms, text) in [
            (350, "350 ms"),
            (2_049, "2.0 s"),
            (65_000, "1 min 05 s"),
            (6 * 3_600_000 + 59_999, "6 h 00 min"),
            (52 * 3_600_000, "2 d 04 h"),
        ] {
            assert_eq!(duration(ms), text);
        }
    }
}
