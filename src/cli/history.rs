//! `drbook history REPORT_DIR...`: the reports read back, per runbook, printed as text,
//! JSON or HTML on stdout; with `--max-age`, the gate's verdict on stderr and exit 1 when a
//! runbook is not drilled within the age or changed since its last successful drill.

use super::args::{HistoryArgs, HistoryFormat};
use super::exit::{Error, Exit, Outcome};
use crate::history::{self, History};

pub fn history(args: &HistoryArgs) -> Outcome {
    let found = history::collect(&args.folders).map_err(|e| Error::refused(e.to_string()))?;
    let now = args
        .now
        .map_or_else(chrono::Utc::now, crate::template::Clock::instant);
    let history = History::build(found, args.folders.clone(), now, args.max_age);
    match args.format {
        HistoryFormat::Text => out!("{}", history::text::render(&history).trim_end()),
        HistoryFormat::Json => out!(
            "{}",
            serde_json::to_string_pretty(&history)
                .map_err(|e| Error::Failed(format!("cannot write the history as JSON: {e}")))?
        ),
        HistoryFormat::Html => out!("{}", history::html::render(&history)),
    }
    if args.format != HistoryFormat::Text {
        for skipped in &history.skipped {
            say!("not read: {}: {}", skipped.file.display(), skipped.reason);
        }
    }
    Ok(verdict(&history))
}

/// The gate's verdict, said on stderr: which runbooks fail `--max-age`, and why.
fn verdict(history: &History) -> Exit {
    let (Some(gate), Some(max)) = (&history.gate, history.max_age_ms) else {
        return Exit::Success;
    };
    let age = crate::report::describe::duration(max);
    if history.runbooks.is_empty() {
        let folders: Vec<String> = history
            .folders
            .iter()
            .map(|f| f.display().to_string())
            .collect();
        say!(
            "history FAILED: no drbook report in {}: nothing shows a drill within {age}",
            folders.join(", ")
        );
        return Exit::Failed;
    }
    if gate.passed {
        say!(
            "history passed: every runbook ({}) has a successful drill within {age} and is unchanged since",
            history.runbooks.len()
        );
        return Exit::Success;
    }
    say!(
        "history FAILED: {} of {} runbooks need a drill (--max-age {age}):",
        gate.failing.len(),
        history.runbooks.len()
    );
    for failing in &gate.failing {
        for reason in &failing.reasons {
            say!("  {} ({}): {reason}", failing.name, failing.path);
        }
    }
    Exit::Failed
}
