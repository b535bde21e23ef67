//! `drbook validate`: check runbooks offline.

use super::args::{OutputFormat, ValidateArgs};
use super::exit::{Exit, Outcome};
use super::run::plural;
use crate::prepare::{PrepareError, prepare_file};
use std::io::Write;

pub fn validate(args: &ValidateArgs) -> Outcome {
    let mut inputs = super::var_inputs(&args.vars)?;
    // One clock for every file, as for one run.
    inputs.clock.get_or_insert_with(crate::template::Clock::now);
    let mut all_valid = true;
    let mut results = Vec::new();
    for path in &args.runbooks {
        let outcome = prepare_file(path, &inputs);
        all_valid &= outcome.is_ok();
        match args.format {
            OutputFormat::Text => print_text(path, &outcome),
            OutputFormat::Json => results.push(json_result(path, &outcome)),
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

fn print_text(path: &std::path::Path, outcome: &Result<crate::prepare::Prepared, PrepareError>) {
    match outcome {
        Ok(prepared) => {
            out!(
                "ok: {} ({}, {})",
                path.display(),
                super::output::printable(&prepared.runbook.name),
                plural(prepared.runbook.steps.len(), "step")
            );
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
) -> serde_json::Value {
    match outcome {
        Ok(prepared) => serde_json::json!({
            "path": path.display().to_string(),
            "valid": true,
            "name": prepared.runbook.name,
            "steps": prepared.runbook.steps.len(),
            "diagnostics": [],
        }),
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
