//! `drbook validate`: check runbooks offline.

use super::args::{OutputFormat, ValidateArgs};
use super::exit::{Exit, Outcome};
use super::run::plural;
use crate::prepare::{PrepareError, prepare_file};
use crate::runbook::schedule::Schedule;
use std::io::Write;

pub fn validate(args: &ValidateArgs) -> Outcome {
    let mut inputs = super::var_inputs(&args.vars)?;
    // One clock for every file, as for one run.
    inputs.clock.get_or_insert_with(crate::template::Clock::now);
    let mut all_valid = true;
    let mut results = Vec::new();
    for path in &args.runbooks {
        let outcome = prepare_file(path, &inputs);
        let valid = match &outcome {
            Ok(prepared) => prepared.warnings.is_empty() || !args.deny_warnings,
            Err(_) => false,
        };
        all_valid &= valid;
        match args.format {
            OutputFormat::Text => print_text(path, &outcome, valid),
            OutputFormat::Json => results.push(json_result(path, &outcome, valid)),
        }
    }
    if args.format == OutputFormat::Json {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({ "valid": all_valid, "runbooks": results })
            )
            .unwrap_or_default()
        );
    }
    // Each file's problems are this command's output, printed above.
    Ok(if all_valid {
        Exit::Success
    } else {
        Exit::Invalid
    })
}

/// `valid` is false for a prepared runbook whose warnings `--deny-warnings` counts.
fn print_text(
    path: &std::path::Path,
    outcome: &Result<crate::prepare::Prepared, PrepareError>,
    valid: bool,
) {
    match outcome {
        Ok(prepared) => {
            for warning in &prepared.warnings {
                say!("{}\n", super::output::printable(&warning.to_string()));
            }
            let warnings = match prepared.warnings.len() {
                0 => String::new(),
                count => format!(", {}", plural(count, "warning")),
            };
            if valid && !super::output::quiet() {
                out!(
                    "ok: {} ({}, {}{warnings})",
                    path.display(),
                    super::output::printable(&prepared.runbook.name),
                    plural(prepared.runbook.steps.len(), "step")
                );
                if let Some(schedule) = crate::runbook::schedule::of(&prepared.runbook) {
                    out!("{}", schedule_text(&prepared.runbook, &schedule));
                }
            } else if !valid {
                say!(
                    "invalid: {} ({}, denied by --deny-warnings)",
                    path.display(),
                    plural(prepared.warnings.len(), "warning")
                );
            }
        }
        Err(error) => {
            say!("{}\n", super::output::printable(&error.to_string()));
            let count = error.diagnostics().len().max(1);
            say!("invalid: {} ({})", path.display(), plural(count, "problem"));
        }
    }
}

fn json_result(
    path: &std::path::Path,
    outcome: &Result<crate::prepare::Prepared, PrepareError>,
    valid: bool,
) -> serde_json::Value {
    match outcome {
        Ok(prepared) => {
            let mut result = serde_json::json!({
                "path": path.display().to_string(),
                "valid": valid,
                "name": prepared.runbook.name,
                "steps": prepared.runbook.steps.len(),
                "diagnostics": [],
                "warnings": prepared.warnings,
            });
            if let Some(schedule) = crate::runbook::schedule::of(&prepared.runbook) {
                result["schedule"] = serde_json::to_value(schedule).unwrap_or_default();
            }
            result
        }
        Err(PrepareError::Invalid(diagnostics)) => serde_json::json!({
            "path": path.display().to_string(),
            "valid": false,
            "diagnostics": diagnostics,
        }),
        Err(PrepareError::Read(error)) => serde_json::json!({
            "path": path.display().to_string(),
            "valid": false,
            "diagnostics": [{ "file": error.name, "line": 0, "column": 0, "path": "", "message": error.message }],
        }),
    }
}

/// The schedule's shape for people: levels, the critical path by count and in time.
fn schedule_text(runbook: &crate::runbook::Runbook, schedule: &Schedule) -> String {
    let label = |n: &usize| {
        runbook
            .step(*n)
            .map_or_else(|| n.to_string(), |s| super::output::printable(&s.label()))
    };
    let chain = |steps: &[usize]| steps.iter().map(label).collect::<Vec<_>>().join(" → ");
    let mut text = format!(
        "  schedule: {} (steps on one level could run at the same time)\n",
        plural(schedule.levels.len(), "level")
    );
    for (i, level) in schedule.levels.iter().enumerate() {
        let steps: Vec<String> = level.iter().map(label).collect();
        text.push_str(&format!("    level {}: {}\n", i + 1, steps.join(", ")));
    }
    text.push_str(&format!(
        "  critical path: {}: {}\n",
        plural(schedule.critical_path.len(), "step"),
        chain(&schedule.critical_path)
    ));
    if let Some(time) = &schedule.critical_time {
        text.push_str(&format!(
            "  critical path in time: {}: {}\n",
            crate::runbook::values::format_duration(time.duration),
            chain(&time.steps)
        ));
        if !time.unknown.is_empty() {
            let steps: Vec<String> = time.unknown.iter().map(label).collect();
            text.push_str(&format!(
                "    counted as 0 (no expected_duration): {}\n",
                steps.join(", ")
            ));
        }
    }
    text.push_str(
        "  each step starts as soon as the steps it waits for have finished (those it `needs`: succeeded)",
    );
    text
}
