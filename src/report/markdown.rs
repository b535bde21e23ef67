//! The Markdown summary: the report for people (auditors, reviewers, the on-call engineer).

use super::model::{Cleanup, Measured, Report};
use super::timestamp::whole_seconds;
use crate::exec::{RunResult, StepResult};
use std::fmt::Write;

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn run_result(result: RunResult) -> &'static str {
    match result {
        RunResult::Succeeded => "✅ succeeded",
        RunResult::Failed => "❌ failed",
        RunResult::Interrupted => "⚠️ interrupted",
        RunResult::DryRun => "📝 dry run (nothing was sent)",
    }
}

fn step_result(result: StepResult) -> &'static str {
    match result {
        StepResult::Succeeded => "✅ succeeded",
        StepResult::SucceededWithWarnings => "⚠️ succeeded with warnings",
        StepResult::Failed => "❌ failed",
        StepResult::Skipped => "⏭️ not run",
        StepResult::Interrupted => "⚠️ interrupted",
        StepResult::Planned => "📝 planned",
        StepResult::CheckPassed => "✅ would run",
        StepResult::CheckFailed => "❌ would fail",
    }
}

fn duration(ms: Option<u64>) -> String {
    match ms {
        None => "—".to_owned(),
        Some(ms) if ms < 1000 => format!("{ms} ms"),
        Some(ms) => format!("{:.1} s", ms as f64 / 1000.0),
    }
}

fn met(verdict: Option<bool>) -> &'static str {
    match verdict {
        Some(true) => "✅ met",
        Some(false) => "❌ missed",
        None => "—",
    }
}

fn target(ms: Option<u64>) -> String {
    ms.map_or("—".to_owned(), crate::runbook::values::format_span_ms)
}

/// The recovery-objective table: the run, then each failover.
/// The cells of one row of the objectives table, the run's or a failover's.
fn measured_cells(m: &Measured, restore_point: Option<&str>) -> String {
    format!(
        "{} | {} | {} |{}| {} | {} | {}",
        duration(m.recovery_time_ms),
        target(m.rto_target_ms),
        met(m.rto_met),
        restore_point.map_or(" ".to_owned(), |point| format!(" {} ", cell(point))),
        m.restore_point_age_ms
            .map_or("unknown".to_owned(), |ms| target(Some(ms))),
        target(m.rpo_target_ms),
        met(m.rpo_met)
    )
}

fn objectives(out: &mut String, report: &Report) {
    let o = &report.objectives;
    let Some(plans) = super::describe::recoveries(report) else {
        return;
    };
    let _ = writeln!(out, "## Recovery objectives\n");
    let _ = writeln!(out, "{}\n", super::describe::recovery_end(report));
    let _ = writeln!(
        out,
        "| Scope | Recovery time | RTO | RTO result | Restore point | Age at start | RPO | RPO result |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|");
    let _ = writeln!(out, "| **run** | {} |", measured_cells(&o.measured, None));
    for (step, r) in plans {
        let _ = writeln!(
            out,
            "| {}. `{}` | {} |",
            step.number,
            step.plan_id.map_or("—".to_owned(), |id| id.to_string()),
            measured_cells(&r.measured, Some(&r.restore_point))
        );
    }
    let _ = writeln!(out);
    for miss in &o.missed {
        let _ = writeln!(out, "- ❌ {}", cell(miss));
    }
    if !o.missed.is_empty() {
        let _ = writeln!(out);
    }
}

/// Renders the report as Markdown.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# drbook report: {}\n", cell(&report.runbook.name));
    if let Some(description) = &report.runbook.description {
        let _ = writeln!(out, "{}\n", description.trim());
    }
    let _ = writeln!(out, "| | |\n|---|---|");
    let mut row = |k: &str, v: String| {
        let _ = writeln!(out, "| {k} | {} |", cell(&v));
    };
    row("Result", run_result(report.result).to_owned());
    if let Some(error) = &report.error {
        row("Error", error.clone());
    }
    row("Mode", super::describe::mode(report));
    row("Run ID", format!("`{}`", report.run_id));
    row(
        "Runbook",
        format!(
            "`{}` (SHA-256 `{}`)",
            report.runbook.path, report.runbook.sha256
        ),
    );
    row(
        "Git commit",
        match (&report.runbook.git_commit, report.runbook.git_dirty) {
            (Some(commit), Some(true)) => {
                format!("`{commit}` (dirty: the work tree differed from this commit)")
            }
            (Some(commit), Some(false)) => format!("`{commit}` (clean)"),
            (Some(commit), None) => format!("`{commit}` (dirty: unknown)"),
            (None, _) => "— (not in a git repository)".to_owned(),
        },
    );
    row(
        "Rendered runbook SHA-256",
        format!("`{}`", report.runbook.rendered_sha256),
    );
    row(
        "Server",
        report.server.clone().unwrap_or_else(|| "—".to_owned()),
    );
    row("Operator", report.operator.clone());
    if let Some(host) = &report.host {
        row("Host", host.clone());
    }
    row("Started", report.started_at.to_string());
    row(
        "Template clock",
        format!("`{}`", whole_seconds::text(report.template_clock)),
    );
    row(
        "Finished",
        report
            .finished_at
            .map_or_else(|| "—".to_owned(), |at| at.to_string()),
    );
    row("Duration", duration(report.duration_ms));
    row("drbook", report.drbook_version.clone());
    let s = &report.summary;
    let _ = writeln!(
        out,
        "\n**Steps:** {} total, {} succeeded, {} failed, {} not run, {} interrupted, {} planned.\n",
        s.total, s.succeeded, s.failed, s.skipped, s.interrupted, s.planned
    );

    if let Some(drill) = &report.drill {
        let _ = writeln!(out, "## Drill clean-up\n");
        let verdict = match drill.cleanup {
            Cleanup::Clean => "✅",
            Cleanup::Failed => "❌",
            Cleanup::Interrupted | Cleanup::Pending => "⚠️",
        };
        let verdict = format!("{verdict} {}", super::describe::cleanup(drill.cleanup));
        let _ = writeln!(out, "{verdict}\n");
        let list = |plans: &[uuid::Uuid]| {
            plans
                .iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !drill.undone.is_empty() {
            let _ = writeln!(out, "- undone: {}", list(&drill.undone));
        }
        if !drill.left_failed_over.is_empty() {
            let _ = writeln!(
                out,
                "- **left failed over: {}**",
                list(&drill.left_failed_over)
            );
        }
        let _ = writeln!(out);
    }
    objectives(&mut out, report);

    let _ = writeln!(out, "## Steps\n");
    let _ = writeln!(
        out,
        "| # | Step | Action | Plan | Result | Duration | Detail |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|");
    for step in &report.steps {
        let mut detail = super::describe::detail(step);
        if let Some(group) = &step.group {
            detail = format!("∥ {group}: {detail}");
        }
        if let Some(after) = super::describe::waited_for(step) {
            detail = format!("{after}: {detail}");
        }
        if super::describe::is_cleanup(step) {
            detail = format!("clean-up: {detail}");
        }
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            step.number,
            cell(&step.name),
            step.kind.as_str(),
            step.plan_id.map_or("—".to_owned(), |p| format!("`{p}`")),
            step_result(step.result),
            duration(step.duration_ms),
            cell(&detail)
        );
    }

    let decisions = super::describe::decisions(report);
    if !decisions.is_empty() {
        let _ = writeln!(out, "\n## Operator decisions\n");
        let _ = writeln!(out, "| Step | Decision | By | How | When | Why |");
        let _ = writeln!(out, "|---|---|---|---|---|---|");
        for (step, d) in decisions {
            let what = match d.option {
                Some(option) => format!("{} `{option}`", d.decision.as_str()),
                None => d.decision.as_str().to_owned(),
            };
            let by = match &d.account {
                Some(account) if *account != d.by => format!("{} (account {account})", d.by),
                _ => d.by.clone(),
            };
            let _ = writeln!(
                out,
                "| {}. {} | {} | {} | {} | {} | {} |",
                step.number,
                cell(&step.name),
                what,
                cell(&by),
                cell(&d.how),
                d.at,
                cell(d.reason.as_deref().unwrap_or("—"))
            );
        }
    }

    let requests: Vec<_> = report
        .steps
        .iter()
        .filter(|s| s.request.is_some())
        .collect();
    if !requests.is_empty() {
        let _ = writeln!(out, "\n## Requests\n");
    }
    for step in requests {
        let Some(request) = &step.request else {
            continue;
        };
        let _ = writeln!(out, "### {}. {}\n", step.number, step.name);
        let answer = match &step.response {
            Some(r) if r.attempts > 1 => format!(
                " → {} in {} ms (sent {} times: refused with 401 before VAO acted, then sent with a renewed token)",
                r.status, r.elapsed_ms, r.attempts
            ),
            Some(r) => format!(" → {} in {} ms", r.status, r.elapsed_ms),
            None if report.result == RunResult::DryRun => " (not sent: dry run)".to_owned(),
            None => " → no answer".to_owned(),
        };
        let _ = writeln!(out, "`{} {}`{answer}\n", request.method, request.path);
        if let Some(body) = &request.body {
            let pretty = serde_json::to_string_pretty(body).unwrap_or_default();
            let _ = writeln!(out, "```json\n{pretty}\n```\n");
        }
        if let Some(response) = &step.response
            && !response.body.trim().is_empty()
        {
            let _ = writeln!(out, "Answer body:\n\n```\n{}\n```\n", response.body.trim());
        }
        // Every try of the step's request, and each Continue of its halted plan.
        if step.attempts.len() > 1 {
            let _ = writeln!(out, "Tries:\n");
            for a in &step.attempts {
                let answer = match (&a.status, &a.error) {
                    (_, Some(error)) => error.clone(),
                    (Some(status), None) => status.to_string(),
                    (None, None) => "no answer".to_owned(),
                };
                let halt = a.halt_text().map(|h| format!(" ({h})")).unwrap_or_default();
                let _ = writeln!(
                    out,
                    "- {} at {}: {}{halt}",
                    a.label(),
                    a.sent_at,
                    cell(&answer)
                );
            }
            for r in &step.reconciliations {
                let _ = writeln!(
                    out,
                    "- read at {}: {} ({})",
                    r.at,
                    r.state,
                    if r.accepted {
                        "accepted"
                    } else {
                        "not accepted"
                    }
                );
            }
            let _ = writeln!(out);
        }
        if !step.states_seen.is_empty() {
            let _ = writeln!(
                out,
                "Plan states ({} polls): {}\n",
                step.polls,
                step.states_seen.join(" → ")
            );
        }
    }

    let around: Vec<_> = report
        .steps
        .iter()
        .filter(|s| s.check.is_some() || s.command.is_some())
        .collect();
    if !around.is_empty() {
        let _ = writeln!(out, "\n## Checks and commands\n");
    }
    for step in around {
        let _ = writeln!(
            out,
            "### {}. {} ({})\n",
            step.number,
            step.name,
            step_result(step.result)
        );
        for (title, text) in super::describe::around_plans(step) {
            match title {
                Some(title) => {
                    let fence = if text.contains("```") { "~~~~" } else { "```" };
                    let _ = writeln!(out, "{title}:\n\n{fence}\n{text}\n{fence}\n");
                }
                None => {
                    let _ = writeln!(out, "- {}", cell(&text));
                }
            }
        }
        if let Some(error) = &step.error {
            let _ = writeln!(out, "- **{}**", cell(error));
        }
        let _ = writeln!(out);
    }

    if !report.variables.is_empty() {
        let _ = writeln!(out, "## Variables\n");
        let _ = writeln!(out, "| Name | Value | Source |\n|---|---|---|");
        for v in &report.variables {
            let _ = writeln!(
                out,
                "| `{}` | `{}` | {} |",
                v.name,
                cell(&v.value.to_string()),
                cell(&v.source)
            );
        }
    }
    out
}
