//! `drbook history --format html`: one self-contained page, like the run report (inline CSS
//! and SVG, no script, no external asset; the same Content Security Policy). At the top the
//! freshness of every runbook at a glance (green / amber / red against `--max-age`), then
//! per runbook its last runs, its last successful drill, whether it changed since, and the
//! chart of its recovery times. maud escapes every value taken from the reports.

use super::chart;
use super::model::{Freshness, History, Kind, Run, RunbookHistory, age};
use crate::report::describe;
use crate::report::html::verdict;
use crate::report::timestamp::whole_seconds;
use maud::{Markup, html};

/// What the history adds to the run report's style sheet.
const CSS: &str = include_str!("history.css");

fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

fn result_class(run: &Run) -> &'static str {
    use crate::exec::RunResult;
    match run.result {
        RunResult::Succeeded
            if run
                .cleanup
                .is_none_or(|c| c == crate::report::model::Cleanup::Clean) =>
        {
            "ok"
        }
        RunResult::Succeeded | RunResult::Interrupted => "warn",
        RunResult::Failed => "bad",
        RunResult::DryRun => "neutral",
    }
}

fn ms(value: Option<u64>) -> String {
    value.map_or_else(|| "—".to_owned(), describe::duration)
}

/// The runbook's anchor on the page.
fn anchor(index: usize) -> String {
    format!("runbook-{}", index + 1)
}

pub fn render(history: &History) -> String {
    let body = html! {
        h1 { "drbook history" }
        (facts(history))
        (gate(history))
        (glance(history))
        @for (i, rb) in history.runbooks.iter().enumerate() {
            (runbook(i, rb))
        }
        (skipped(history))
        footer { "Written by drbook " (env!("CARGO_PKG_VERSION")) " from the reports alone." }
    };
    crate::report::html::page("drbook history", &[crate::report::html::CSS, CSS], body)
        .into_string()
}

fn facts(history: &History) -> Markup {
    let folders: Vec<String> = history
        .folders
        .iter()
        .map(|f| f.display().to_string())
        .collect();
    html! {
        table class="facts" {
            tr { th { "At" } td { (whole_seconds::text(history.now)) } }
            tr { th { "Folders" } td { (folders.join(", ")) } }
            tr { th { "Reports" } td {
                (history.reports) " runs of " (history.runbooks.len()) " runbooks"
                @if history.duplicates > 0 { " (" (history.duplicates) " duplicate files counted once)" }
                @if !history.skipped.is_empty() { "; " a href="#skipped" { (history.skipped.len()) " files not read" } }
            } }
            tr { th { "Max age" } td {
                @match history.max_age_ms {
                    Some(max) => {
                        (describe::duration(max)) ": green within "
                        (describe::duration((max as f64 * super::model::DUE_SHARE) as u64))
                        ", amber (due) after that, red beyond it or when the runbook changed since its last successful drill"
                    }
                    None => "not given (--max-age): ages are shown, not judged; a changed runbook is red",
                }
            } }
        }
    }
}

fn gate(history: &History) -> Markup {
    html! {
        @if let Some(gate) = &history.gate {
            @if gate.passed {
                div class="verdict ok" id="gate" {
                    div class="verdict-result" { "every runbook passes" }
                    div class="verdict-counts" { "each has a successful drill within the age, and none changed since" }
                }
            } @else {
                div class="verdict bad" id="gate" {
                    div class="verdict-result" {
                        @if history.runbooks.is_empty() { "no report found" }
                        @else { (gate.failing.len()) " of " (history.runbooks.len()) " runbooks need a drill" }
                    }
                    @for failing in &gate.failing {
                        @for reason in &failing.reasons {
                            div class="verdict-error" { (failing.name) " (" (failing.path) "): " (reason) }
                        }
                    }
                }
            }
        }
    }
}

fn glance(history: &History) -> Markup {
    html! {
        h2 id="freshness" { "Freshness" }
        div class="glance" {
            @for (i, rb) in history.runbooks.iter().enumerate() {
                a class=(format!("tile {}", rb.freshness.colour())) href=(format!("#{}", anchor(i))) data-freshness=(rb.freshness.as_str()) {
                    div class="tile-name" { (rb.name) }
                    div class="tile-path" { (rb.path) }
                    div class="tile-verdict" { (verdict_words(rb)) }
                }
            }
        }
    }
}

fn verdict_words(rb: &RunbookHistory) -> String {
    let drilled = rb.last_successful_drill.as_ref().map_or_else(
        || "never drilled successfully".to_owned(),
        |d| format!("drilled {}", age(d.age_ms)),
    );
    match rb.freshness {
        Freshness::Changed => format!("changed since its last successful drill; {drilled}"),
        Freshness::Unjudged => drilled,
        other => format!("{}: {drilled}", other.as_str()),
    }
}

fn run_cells(run: Option<&Run>) -> Markup {
    html! {
        @match run {
            None => td class="muted" colspan="4" { "none" },
            Some(run) => {
                td { span class=(format!("badge {}", result_class(run))) { (describe::run_result(run.result)) }
                    @if !run.finished { " " span class="badge warn" { "never finished" } }
                    @if let Some(cleanup) = run.cleanup { " " span class="note" { "clean-up " (cleanup.as_str()) } }
                }
                td { (run.started_at) br; span class="muted" { (age(run.age_ms)) } }
                td { (run.mode.as_str()) }
                td { code { (run.run_id) } br; span class="muted" { (run.file.display().to_string()) } }
            }
        }
    }
}

fn runbook(index: usize, rb: &RunbookHistory) -> Markup {
    html! {
        section class="runbook" id=(anchor(index)) {
            h2 {
                span class=(format!("dot {}", rb.freshness.colour())) {}
                (rb.name) " " span class="muted path" { (rb.path) }
            }
            table class="grid last" {
                tr { th { "last" } th { "result" } th { "started" } th { "mode" } th { "run" } }
                @for kind in [Kind::Run, Kind::Drill, Kind::Check, Kind::DryRun] {
                    @if kind != Kind::DryRun || rb.last.dry_run.is_some() {
                        tr { td { (kind.name()) } (run_cells(rb.last.get(kind))) }
                    }
                }
            }
            table class="facts" {
                tr { th { "Last successful drill" } td {
                    @match &rb.last_successful_drill {
                        Some(d) => {
                            (d.started_at) " (" (age(d.age_ms)) "), runbook SHA-256 " code { (short(&d.sha256)) "…" }
                            @if let Some(commit) = &d.git_commit { ", git " code { (short(commit)) } }
                        }
                        None => span class="badge bad" { "none" },
                    }
                } }
                @if let Some(changed) = rb.changed {
                    tr { th { "Changed since" } td {
                        @match &rb.change {
                            Some(change) if changed => {
                                span class="badge bad" { "changed" } " the runbook file is "
                                code { (short(&change.seen_sha256)) "…" } " in run " code { (change.seen_in) }
                                " (" (change.seen_at) "), it was " code { (short(&change.drilled_sha256)) "…" } " when drilled"
                            }
                            _ => span class="badge ok" { "unchanged" },
                        }
                    } }
                }
                @for note in &rb.notes {
                    tr { th { "Note" } td { (note) } }
                }
            }
            @if let Some(svg) = chart::render(rb) {
                h3 { "Recovery time per drill" }
                div class="chart" { (svg) }
                (drills(rb))
            } @else {
                p class="muted" { "No drill in these reports." }
            }
        }
    }
}

fn drills(rb: &RunbookHistory) -> Markup {
    html! {
        table class="grid drills" {
            tr { th { "drill" } th { "result" } th { "recovery" } th { "RTO" } th { "" } th { "per plan" } }
            @for drill in rb.drills.iter().rev() {
                tr {
                    td { (drill.started_at) br; code class="muted" { (drill.run_id) } }
                    td {
                        @if drill.successful { span class="badge ok" { "succeeded" } }
                        @else { span class="badge bad" { (describe::run_result(drill.result)) } }
                        @if let Some(cleanup) = drill.cleanup { " " span class="note" { "clean-up " (cleanup.as_str()) } }
                    }
                    td { (ms(drill.recovery_time_ms)) }
                    td { (ms(drill.rto_target_ms)) }
                    td { (verdict(drill.rto_met)) }
                    td {
                        @for plan in &drill.plans {
                            div {
                                (plan.step) ". " (plan.name) ": " (ms(plan.recovery_time_ms))
                                @if let Some(target) = plan.rto_target_ms { " / " (describe::duration(target)) " " (verdict(plan.rto_met)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn skipped(history: &History) -> Markup {
    html! {
        @if !history.skipped.is_empty() {
            h2 id="skipped" { "Files not read" }
            ul class="skipped" {
                @for s in &history.skipped {
                    li { code { (s.file.display().to_string()) } ": " (s.reason) }
                }
            }
        }
    }
}
