//! `drbook history` for people: per runbook its verdict, the last run of each kind, the
//! last successful drill and whether the runbook changed since, and the recent drills'
//! recovery times against their RTO.

use super::model::{Drill, Freshness, History, Kind, Run, RunbookHistory, age};
use crate::report::describe;
use std::fmt::Write;

/// How many drills per runbook the text shows (the JSON and HTML have them all).
const RECENT_DRILLS: usize = 10;

fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

fn ms(value: Option<u64>) -> String {
    value.map_or_else(|| "unknown".to_owned(), describe::duration)
}

fn met(value: Option<bool>) -> &'static str {
    match value {
        Some(true) => "met",
        Some(false) => "MISSED",
        None => "no verdict",
    }
}

/// `recovery 320 ms, RTO 1 h 00 min: met` (or without a target).
fn against(took: Option<u64>, target: Option<u64>, verdict: Option<bool>) -> String {
    match target {
        Some(target) => format!(
            "{} against an RTO of {}: {}",
            ms(took),
            describe::duration(target),
            met(verdict)
        ),
        None => format!("{} (no RTO)", ms(took)),
    }
}

fn result(run: &Run) -> String {
    let mut words = if run.mode == crate::exec::Mode::Check {
        match run.result {
            crate::exec::RunResult::Succeeded => "would run".to_owned(),
            crate::exec::RunResult::Failed => "would fail".to_owned(),
            other => describe::run_result(other).to_owned(),
        }
    } else {
        describe::run_result(run.result).to_owned()
    };
    if !run.finished {
        words.push_str(", never finished");
    }
    if let Some(cleanup) = run.cleanup
        && cleanup != crate::report::model::Cleanup::Clean
    {
        let _ = write!(words, ", clean-up {}", cleanup.as_str());
    }
    words
}

fn run_line(run: &Run) -> String {
    // A run is live or simulated; the other kinds are their mode.
    let mode = match Kind::of(run.mode) {
        Kind::Run => format!(", {}", run.mode.as_str()),
        _ => String::new(),
    };
    format!(
        "{} ({}), {}{mode} [{}]",
        run.started_at,
        age(run.age_ms),
        result(run),
        run.run_id
    )
}

fn drill_lines(out: &mut String, drill: &Drill) {
    let verdict = match (drill.successful, drill.cleanup) {
        (true, _) => "succeeded".to_owned(),
        (false, Some(cleanup)) if cleanup != crate::report::model::Cleanup::Clean => format!(
            "{}, clean-up {}",
            describe::run_result(drill.result),
            cleanup.as_str()
        ),
        (false, _) => describe::run_result(drill.result).to_owned(),
    };
    let _ = writeln!(
        out,
        "    {}  {verdict}: recovery {}",
        drill.started_at,
        against(drill.recovery_time_ms, drill.rto_target_ms, drill.rto_met)
    );
    for plan in &drill.plans {
        // A step's default name already holds its plan's id.
        let id = match plan.plan_id {
            Some(id) if !plan.name.contains(&id.to_string()) => format!(" (plan {id})"),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "      {}. {}{id}: {}",
            plan.step,
            plan.name,
            against(plan.recovery_time_ms, plan.rto_target_ms, plan.rto_met)
        );
    }
}

fn runbook(out: &mut String, rb: &RunbookHistory) {
    let verdict = match rb.freshness {
        Freshness::Unjudged => String::new(),
        other => format!("  [{}: {}]", other.colour(), other.as_str().to_uppercase()),
    };
    let _ = writeln!(out, "{} ({}){verdict}", rb.name, rb.path);
    for kind in [Kind::Run, Kind::Drill, Kind::Check, Kind::DryRun] {
        match rb.last.get(kind) {
            Some(run) => {
                let _ = writeln!(
                    out,
                    "  last {:<9} {}",
                    format!("{}:", kind.name()),
                    run_line(run)
                );
            }
            None if kind != Kind::DryRun => {
                let _ = writeln!(out, "  last {:<9} none", format!("{}:", kind.name()));
            }
            None => {}
        }
    }
    match &rb.last_successful_drill {
        Some(d) => {
            let git = d
                .git_commit
                .as_deref()
                .map(|c| format!(", git {}", short(c)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  last successful drill: {} ({}), runbook SHA-256 {}…{git} [{}]",
                d.started_at,
                age(d.age_ms),
                short(&d.sha256),
                d.run_id
            );
        }
        None => {
            let _ = writeln!(out, "  last successful drill: none");
        }
    }
    match (&rb.changed, &rb.change) {
        (Some(true), Some(change)) => {
            let git = match (&change.drilled_git_commit, &change.seen_git_commit) {
                (Some(then), Some(now)) if then != now => {
                    format!(" (git {} then, {} now)", short(then), short(now))
                }
                _ => String::new(),
            };
            let _ = writeln!(
                out,
                "  changed since that drill: YES, the runbook file is {}… in run {} ({}), it was {}… when drilled{git}",
                short(&change.seen_sha256),
                change.seen_in,
                change.seen_at,
                short(&change.drilled_sha256)
            );
        }
        (Some(_), _) => {
            let _ = writeln!(out, "  changed since that drill: no");
        }
        (None, _) => {}
    }
    for note in &rb.notes {
        let _ = writeln!(out, "  note: {note}");
    }
    if !rb.drills.is_empty() {
        let shown = rb.drills.len().min(RECENT_DRILLS);
        let earlier = rb.drills.len() - shown;
        let _ = writeln!(
            out,
            "  drills, recovery time against the RTO{}:",
            if earlier > 0 {
                format!(" (the last {shown}; {earlier} earlier in --format json or html)")
            } else {
                String::new()
            }
        );
        for drill in &rb.drills[earlier..] {
            drill_lines(out, drill);
        }
    }
}

/// The history as text, for stdout.
pub fn render(history: &History) -> String {
    let mut out = String::new();
    let folders: Vec<String> = history
        .folders
        .iter()
        .map(|f| f.display().to_string())
        .collect();
    let _ = write!(
        out,
        "drbook history: {} of {} in {}, at {}",
        plural(history.reports, "report"),
        plural(history.runbooks.len(), "runbook"),
        folders.join(", "),
        crate::report::timestamp::whole_seconds::text(history.now),
    );
    if let Some(max) = history.max_age_ms {
        let _ = write!(
            out,
            "; --max-age {} (due after {})",
            describe::duration(max),
            describe::duration((max as f64 * super::model::DUE_SHARE) as u64)
        );
    }
    out.push('\n');
    if history.duplicates > 0 {
        let _ = writeln!(
            out,
            "({} more file{} held a run already read: each run counts once)",
            history.duplicates,
            if history.duplicates == 1 { "" } else { "s" }
        );
    }
    for rb in &history.runbooks {
        out.push('\n');
        runbook(&mut out, rb);
    }
    if !history.skipped.is_empty() {
        let _ = writeln!(out, "\nnot read ({}):", history.skipped.len());
        for skipped in &history.skipped {
            let _ = writeln!(out, "  {}: {}", skipped.file.display(), skipped.reason);
        }
    }
    out
}
