//! The HTML report: one self-contained page (inline CSS and SVG, no script, no external
//! asset, so it opens offline and can be attached to an audit) with the verdict, the
//! recovery objectives, a timeline, every request and answer, and the provenance.
//!
//! The page is a maud template: every value interpolated into it is HTML-escaped by maud,
//! so a step name or a server message holding markup shows as text. The page's Content
//! Security Policy forbids scripts and every fetch as a second line of defence.

use super::describe::{self, is_cleanup};
use super::model::{Cleanup, Measured, Report, StepRecord};
use super::timeline;
use super::timestamp::whole_seconds;
use crate::exec::{RunResult, StepResult};
use maud::{DOCTYPE, Markup, PreEscaped, html};

/// The run report's style sheet (`drbook history` adds its own to it).
pub(crate) const CSS: &str = include_str!("html.css");

/// No script, no fetch of anything: only the inline style sheet.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

/// One self-contained page: the head every drbook page has (the CSP that allows nothing
/// but inline style, the style sheets `css`), `title`, and `main` holding `body`.
pub(crate) fn page(title: &str, css: &[&str], body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content=(CSP);
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                style { (PreEscaped(css.join("\n"))) }
            }
            body {
                main { (body) }
            }
        }
    }
}

fn target(ms: Option<u64>) -> String {
    ms.map_or("—".to_owned(), |ms| {
        crate::runbook::values::format_duration(std::time::Duration::from_millis(ms))
    })
}

fn measured(ms: Option<u64>) -> String {
    ms.map_or("unknown".to_owned(), describe::duration)
}

/// An objective met, missed, or not measured, as a badge (the run report's and the history's).
pub(crate) fn verdict(met: Option<bool>) -> Markup {
    html! {
        @match met {
            Some(true) => span class="badge ok" { "✓ met" },
            Some(false) => span class="badge bad" { "✗ missed" },
            None => span class="muted" { "—" },
        }
    }
}

fn run_class(result: RunResult) -> &'static str {
    match result {
        RunResult::Succeeded => "ok",
        RunResult::Failed => "bad",
        RunResult::Interrupted => "warn",
        RunResult::DryRun => "neutral",
    }
}

fn step_class(result: StepResult) -> &'static str {
    match result {
        StepResult::Succeeded | StepResult::CheckPassed => "ok",
        StepResult::SucceededWithWarnings | StepResult::Interrupted => "warn",
        StepResult::Failed | StepResult::CheckFailed => "bad",
        StepResult::Skipped | StepResult::Planned => "neutral",
    }
}

fn or_dash(value: Option<impl ToString>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| v.to_string())
}

/// Renders the report as one HTML page.
pub fn render(report: &Report) -> String {
    let title = format!("drbook report: {}", report.runbook.name);
    let body = html! {
        h1 { (title) }
        @if let Some(description) = &report.runbook.description {
            p class="description" { (description.trim()) }
        }
        (banner(report))
        (summary(report))
        (objectives(report))
        @if let Some(chart) = timeline::render(report) {
            h2 id="timeline" { "Timeline" }
            div class="chart" { (chart) }
            (waits(report))
        }
        (steps(report))
        (decisions(report))
        (around_plans(report))
        (exchanges(report))
        (provenance(report))
        (variables(report))
        footer {
            "Written by drbook " (report.drbook_version) " for run " code { (report.run_id) } "."
        }
    };
    page(&title, &[CSS], body).into_string()
}

/// The verdict, loud: the run's result, and a drill's clean-up when it failed.
fn banner(report: &Report) -> Markup {
    let s = &report.summary;
    html! {
        div class=(format!("verdict {}", run_class(report.result))) id="verdict" {
            div class="verdict-result" {
                (describe::mode(report)) " run " (describe::run_result(report.result))
            }
            div class="verdict-counts" {
                (s.total) " steps: " (s.succeeded) " succeeded, " (s.failed) " failed, "
                (s.skipped) " not run, " (s.interrupted) " interrupted"
                @if s.planned > 0 { ", " (s.planned) " planned" }
            }
            @if let Some(error) = &report.error {
                div class="verdict-error" { (error) }
            }
        }
        @if let Some(drill) = &report.drill {
            @let class = match drill.cleanup {
                Cleanup::Clean => "ok",
                Cleanup::Failed => "bad",
                Cleanup::Interrupted | Cleanup::Pending => "warn",
            };
            div class=(format!("cleanup {class}")) id="cleanup" {
                strong { "Drill clean-up " (describe::cleanup(drill.cleanup)) }
                @if !drill.left_failed_over.is_empty() {
                    p { "Left failed over: "
                        @for (i, plan) in drill.left_failed_over.iter().enumerate() {
                            @if i > 0 { ", " }
                            code { (plan) }
                        }
                    }
                }
                @if !drill.undone.is_empty() {
                    p { "Undone and ready again: "
                        @for (i, plan) in drill.undone.iter().enumerate() {
                            @if i > 0 { ", " }
                            code { (plan) }
                        }
                    }
                }
            }
        }
    }
}

fn summary(report: &Report) -> Markup {
    html! {
        table class="facts" {
            tr { th { "Mode" } td { (describe::mode(report)) } }
            tr { th { "Server" } td { (or_dash(report.server.as_deref())) } }
            tr { th { "Started" } td { (report.started_at) } }
            tr { th { "Finished" } td { (or_dash(report.finished_at)) } }
            tr { th { "Duration" } td { (measured(report.duration_ms)) } }
            tr { th { "Operator" } td { (report.operator) " on " (or_dash(report.host.as_deref())) } }
        }
    }
}

/// The cells of one row of the objectives table, the run's or a failover's.
fn measured_cells(m: &Measured, restore_point: Option<&str>) -> Markup {
    html! {
        td { (measured(m.recovery_time_ms)) }
        td { (target(m.rto_target_ms)) }
        td { (verdict(m.rto_met)) }
        td { @if let Some(point) = restore_point { (point) } }
        td { (measured(m.restore_point_age_ms)) }
        td { (target(m.rpo_target_ms)) }
        td { (verdict(m.rpo_met)) }
    }
}

/// The recovery-objective table: the run, then each failover.
fn objectives(report: &Report) -> Markup {
    let o = &report.objectives;
    let Some(plans) = describe::recoveries(report) else {
        return html! {};
    };
    html! {
        h2 id="objectives" { "Recovery objectives" }
        p class="note" { (describe::recovery_end(report)) }
        table class="grid objectives" {
            thead { tr {
                th { "Scope" } th { "Recovery time" } th { "RTO" } th { "RTO result" }
                th { "Restore point" } th { "Age at start" } th { "RPO" } th { "RPO result" }
            } }
            tbody {
                tr class="run-row" {
                    td { strong { "run" } }
                    (measured_cells(&o.measured, None))
                }
                @for (step, r) in &plans {
                    tr {
                        td { (step.number) ". " code { (or_dash(step.plan_id)) } }
                        (measured_cells(&r.measured, Some(&r.restore_point)))
                    }
                }
            }
        }
        @if !o.missed.is_empty() {
            ul class="missed" {
                @for miss in &o.missed { li { "✗ " (miss) } }
            }
        }
    }
}

/// Who waited for what, and for how long.
fn waits(report: &Report) -> Markup {
    let waits: Vec<(&StepRecord, String)> = report
        .steps
        .iter()
        .filter_map(|s| Some((s, describe::waited(s)?)))
        .collect();
    html! {
        @if !waits.is_empty() {
            ul class="waits" {
                @for (step, text) in &waits {
                    li { span class="step-ref" { (step.number) ". " (step.name) } ": " (text) }
                }
            }
        }
    }
}

fn steps(report: &Report) -> Markup {
    html! {
        h2 id="steps" { "Steps" }
        table class="grid steps" {
            thead { tr {
                th { "#" } th { "Step" } th { "Action" } th { "Plan" } th { "Result" }
                th { "Duration" } th { "Detail" }
            } }
            tbody {
                @for step in &report.steps {
                    tr class=[is_cleanup(step).then_some("cleanup-row")] {
                        td { (step.number) }
                        td { (step.name) }
                        td {
                            (step.kind.as_str())
                            @if is_cleanup(step) { " " span class="tag" { "clean-up" } }
                            @if let Some(group) = &step.group { " " span class="tag" { "∥ " (group) } }
                        }
                        td { @if let Some(plan) = &step.plan_id { code { (plan) } } @else { "—" } }
                        td { span class=(format!("badge {}", step_class(step.result))) { (describe::step_result(step.result)) } }
                        td { (measured(step.duration_ms)) }
                        td {
                            (describe::detail(step))
                            @for note in &step.notes { div class="note" { (note) } }
                        }
                    }
                }
            }
        }
    }
}

/// The operator's decisions: who decided what about which step, how, when and why.
fn decisions(report: &Report) -> Markup {
    let decisions = describe::decisions(report);
    html! {
        @if !decisions.is_empty() {
            h2 id="decisions" { "Operator decisions" }
            table class="grid" {
                thead { tr {
                    th { "Step" } th { "Decision" } th { "By" } th { "How" } th { "When" } th { "Why" }
                } }
                tbody {
                    @for (step, d) in &decisions {
                        tr {
                            td { (step.number) ". " (step.name) }
                            td {
                                (d.decision.as_str())
                                @if let Some(option) = d.option { " " code { (option.as_str()) } }
                            }
                            td {
                                (d.by)
                                @if let Some(account) = d.account.as_ref().filter(|a| **a != d.by) {
                                    " (account " (account) ")"
                                }
                            }
                            td { (d.how) }
                            td { (d.at.to_string()) }
                            td { (d.reason.as_deref().unwrap_or("—")) }
                        }
                    }
                }
            }
        }
    }
}

/// The report's steps that `keep` picks, or `None` when it picks none (their section is
/// left out).
fn steps_with(report: &Report, keep: impl Fn(&StepRecord) -> bool) -> Option<Vec<&StepRecord>> {
    let steps: Vec<&StepRecord> = report.steps.iter().filter(|s| keep(s)).collect();
    (!steps.is_empty()).then_some(steps)
}

/// Each health check's tries and each command's run, with its output's tail.
fn around_plans(report: &Report) -> Markup {
    let Some(steps) = steps_with(report, |s| s.check.is_some() || s.command.is_some()) else {
        return html! {};
    };
    html! {
        h2 id="checks" { "Checks and commands" }
        @for step in steps {
            section class="exchange" {
                h3 { (step.number) ". " (step.name) " "
                    span class=(format!("badge {}", step_class(step.result))) { (describe::step_result(step.result)) } }
                @for (title, text) in describe::around_plans(step) {
                    @match title {
                        Some(title) => { p class="note" { (title) } pre class="body" { (text) } }
                        None => p { (text) },
                    }
                }
                @if let Some(error) = &step.error { p class="note" { strong { (error) } } }
            }
        }
    }
}

/// Each request and answer, with every try and the states seen.
fn exchanges(report: &Report) -> Markup {
    let exchanged =
        |s: &StepRecord| s.request.is_some() || s.guard.is_some() || !s.states_seen.is_empty();
    let Some(steps) = steps_with(report, exchanged) else {
        return html! {};
    };
    html! {
        h2 id="requests" { "Requests and answers" }
        @for step in steps {
            section class="exchange" {
                h3 { (step.number) ". " (step.name) }
                @if let Some(guard) = &step.guard {
                    p class="guard" {
                        "State guard: " strong { (guard.verdict) }
                        @if let Some(reason) = &guard.reason { " (" (reason) ")" }
                        @if let Some(plan) = &guard.plan { "; the plan read " (plan.status.summary()) }
                    }
                }
                @if let Some(request) = &step.request {
                    p class="request" {
                        code class="method" { (request.method) } " " code { (request.path) }
                        " sent " (request.sent_at)
                        @match &step.response {
                            Some(r) => {
                                " → " span class=(if r.status < 300 { "badge ok" } else { "badge bad" }) { (r.status) }
                                " in " (r.elapsed_ms) " ms"
                                @if r.attempts > 1 {
                                    " (sent " (r.attempts) " times: refused with 401 before VAO acted, then sent with a renewed token)"
                                }
                            }
                            None if report.result == RunResult::DryRun => " (not sent: dry run)",
                            None => { " → " span class="badge bad" { "no answer" } }
                        }
                    }
                    @if let Some(body) = &request.body {
                        pre class="body" { (serde_json::to_string_pretty(body).unwrap_or_default()) }
                    }
                }
                @if step.attempts.len() > 1 || !step.reconciliations.is_empty() {
                    table class="grid tries" {
                        thead { tr { th { "Try" } th { "Sent" } th { "Status" } th { "Error" } th { "After" } } }
                        tbody {
                            @for a in &step.attempts {
                                tr {
                                    td { (a.label()) }
                                    td { (a.sent_at) }
                                    td { @if let Some(status) = a.status { (status) } @else { "—" } }
                                    td { (or_dash(a.error.as_deref())) }
                                    td { (or_dash(a.halt_text().as_deref())) }
                                }
                            }
                        }
                    }
                    @for r in &step.reconciliations {
                        p class="note" {
                            "Read at " (r.at) ": " (r.state) ", "
                            (if r.accepted { "the try had been accepted" } else { "the try had not been accepted" })
                        }
                    }
                }
                @if let Some(response) = &step.response {
                    @if !response.body.trim().is_empty() {
                        p class="label" { "Answer body" }
                        pre class="body" { (response.body.trim()) }
                    }
                }
                @if !step.states_seen.is_empty() {
                    p class="states" {
                        "Plan states (" (step.polls) " polls"
                        @if step.poll_errors > 0 { ", " (step.poll_errors) " failed" }
                        "): " (step.states_seen.join(" → "))
                    }
                }
            }
        }
    }
}

fn provenance(report: &Report) -> Markup {
    let runbook = &report.runbook;
    html! {
        h2 id="provenance" { "Provenance" }
        table class="facts provenance" {
            tr { th { "drbook" } td { (report.drbook_version) } }
            tr { th { "Run ID" } td { code { (report.run_id) } } }
            tr { th { "Mode" } td { (describe::mode(report)) } }
            tr { th { "Runbook" } td { code { (runbook.path) } } }
            tr { th { "Runbook SHA-256" } td { code { (runbook.sha256) } } }
            tr { th { "Git commit" } td {
                @match &runbook.git_commit {
                    Some(commit) => {
                        code { (commit) }
                        @match runbook.git_dirty {
                            Some(true) => { " " span class="badge warn" { "dirty: the work tree differed from this commit" } }
                            Some(false) => { " " span class="badge ok" { "clean" } }
                            None => { " " span class="muted" { "(dirty: unknown)" } }
                        }
                    }
                    None => span class="muted" { "not in a git repository" },
                }
            } }
            tr { th { "Rendered runbook SHA-256" } td { code { (runbook.rendered_sha256) } } }
            tr { th { "Template clock" } td { code { (whole_seconds::text(report.template_clock)) } } }
            tr { th { "Operator" } td { (report.operator) } }
            tr { th { "Host" } td { (or_dash(report.host.as_deref())) } }
            tr { th { "Server" } td { (or_dash(report.server.as_deref())) } }
        }
    }
}

fn variables(report: &Report) -> Markup {
    html! {
        @if !report.variables.is_empty() {
            h2 id="variables" { "Variables" }
            table class="grid variables" {
                thead { tr { th { "Name" } th { "Value" } th { "Source" } } }
                tbody {
                    @for v in &report.variables {
                        tr {
                            td { code { (v.name) } }
                            td { code { (match &v.value {
                                serde_json::Value::String(text) => text.clone(),
                                other => other.to_string(),
                            }) } }
                            td { (v.source) }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::render;
    use crate::exec::{Mode, RunResult};
    use crate::report::fixture::{PLAN_A, PLAN_B, TWO_FAILOVERS, failover, finish, report};
    use crate::report::{Report, VariableRecord};
    use serde_json::Value;

    const MARK: &str = "<i>&\"'";

    /// Appends markup to every string of the report but its typed values: timestamps,
    /// plan ids and fixed words.
    fn mark(value: &mut Value, key: Option<&str>) {
        match value {
            Value::String(text) => {
                let fixed = key.is_some_and(|k| {
                    k.ends_with("_at")
                        || matches!(
                            k,
                            "result"
                                | "mode"
                                | "report_version"
                                | "template_clock"
                                | "at"
                                | "kind"
                                | "plan_id"
                                | "phase"
                                | "verdict"
                                | "cleanup"
                                | "undone"
                                | "left_failed_over"
                                | "recovery_until"
                        )
                });
                if !fixed {
                    text.push_str(MARK);
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| mark(v, key)),
            Value::Object(map) => map.iter_mut().for_each(|(k, v)| mark(v, Some(k))),
            _ => {}
        }
    }

    #[test]
    fn every_text_from_the_runbook_the_server_or_the_user_is_escaped() {
        let mut r = report(TWO_FAILOVERS, Mode::Drill);
        failover(&mut r, 1, PLAN_A, 0, 10, true);
        failover(&mut r, 3, PLAN_B, 15, 20, false);
        r.steps[2].response.as_mut().unwrap().body = "{\"message\":\"no\"}".to_owned();
        r.steps[2].notes.push("a note".to_owned());
        r.variables.push(VariableRecord {
            name: "site".to_owned(),
            value: Value::String("b".to_owned()),
            source: "--var".to_owned(),
        });
        r.runbook.description = Some("the description".to_owned());
        finish(&mut r, RunResult::Failed, 30, Some("step 3 failed"));
        let mut value = serde_json::to_value(&r).unwrap();
        mark(&mut value, None);
        let marked: Report = serde_json::from_value(value).unwrap();
        let html = render(&marked);
        assert!(!html.contains("<i>"), "unescaped markup in:\n{html}");
        assert!(html.contains("<svg"), "the timeline is drawn");
        let escaped = "&lt;i&gt;&amp;&quot;'";
        for text in [
            "fixture",
            "the description",
            "step 3 failed",
            "a note",
            "--var",
            "dr-runner",
            "https://vao.example.internal:9899",
            PLAN_B,
            "Halted",
            "{\"message\":\"no\"}",
        ] {
            let escaped_text = text.replace('"', "&quot;");
            assert!(
                html.contains(&format!("{escaped_text}{escaped}")),
                "{text} is not shown escaped"
            );
        }
    }

    #[test]
    fn the_page_references_nothing_outside_itself() {
        let mut r = report(TWO_FAILOVERS, Mode::Live);
        failover(&mut r, 1, PLAN_A, 0, 10, true);
        finish(&mut r, RunResult::Succeeded, 30, None);
        let html = render(&r);
        for needle in ["src=", "href=", "<script", "<link", "@import", "url(http"] {
            assert!(!html.contains(needle), "{needle} in the page");
        }
        assert!(html.contains("Content-Security-Policy"));
    }
}
