//! `drbook resume RUN`: take over a run that stopped, from its journal.
//!
//! The same runbook and variables are loaded again (and checked against the hashes the
//! journal recorded), every finished step is kept, the step that was in flight is
//! reconciled with the server's real plan state, and the remaining steps run. One report
//! covers the whole run. What the journal says was done is folded by `exec::resume`; this
//! file finds the journal, checks it against the runbook and the flags, and starts the run.

use super::args::{
    ConnectArgs, ControlArgs, EndpointArgs, OutputArgs, ResumeArgs, RunArgs, VarArgs,
};
use super::exit::{Error, Outcome};
use super::run::{Continuation, Purpose, execute, rendered_sha256};
use crate::exec::journal::{self, ReadJournal};
use crate::exec::{Event, JournalHeader, Mode, RunResult, resume_from};
use crate::prepare::{Prepared, prepare};
use crate::runbook::Source;
use crate::secret::Redactor;
use crate::template::Clock;
use std::path::{Path, PathBuf};

pub async fn resume(args: &ResumeArgs, redactor: &Redactor) -> Outcome {
    let (run, prepared, continuation) = plan_resume(args)?;
    let purpose = continuation.purpose;
    execute(
        &run,
        &prepared,
        Mode::Live,
        purpose,
        redactor,
        Some(continuation),
    )
    .await
}

/// The journal `run` names: a journal file, or a run id in the state folder `dir`
/// (`<dir>/<run>.journal.jsonl`). `drbook status` finds runs the same way.
pub fn journal_path(run: &str, dir: &Path) -> PathBuf {
    let given = PathBuf::from(run);
    if given.is_file() {
        return given;
    }
    journal::path_for(dir, run)
}

type Planned = (RunArgs, crate::prepare::Prepared, Continuation);

fn plan_resume(args: &ResumeArgs) -> Result<Planned, Error> {
    if args.vars.now.is_some() {
        return Err(Error::refused(
            "resume renders the runbook at the run's own clock (from its journal); leave out --now",
        ));
    }
    let path = journal_path(&args.run, args.output.journal_dir());
    let ReadJournal {
        header,
        events,
        warnings,
    } = journal::read(&path).map_err(|e| Error::refused(e.to_string()))?;
    for warning in &warnings {
        say!("warning: {warning}");
    }
    unfinished(&header, &events)?;
    let prepared = prepare_again(&header, &args.vars, args.force)?;
    let resume = resume_from(&prepared.runbook, &events, header.drill)
        .map_err(|e| Error::refused(e.to_string()))?;
    let run = run_args(
        &header,
        &args.vars,
        &args.connect,
        &args.control,
        &args.output,
    );
    Ok((
        run,
        prepared,
        Continuation {
            run_id: header.run_id,
            started_at: header.started_at,
            journal: path,
            events,
            resume,
            purpose: if header.drill {
                Purpose::Drill
            } else {
                Purpose::Run
            },
        },
    ))
}

/// Refuses a run that `resume` cannot take over whatever the runbook says: one that was not
/// live, or that finished.
pub fn unfinished(header: &JournalHeader, events: &[Event]) -> Result<(), Error> {
    if header.mode != Mode::Live {
        return Err(Error::refused(format!(
            "run {} was a {} run; only live runs can be resumed",
            header.run_id,
            header.mode.as_str()
        )));
    }
    // A drill is over when its clean-up left nothing failed over; until then `resume`
    // finishes (or tries again) the clean-up.
    let drill_pending = header.drill
        && !events.iter().rev().any(|e| {
            matches!(e, Event::CleanupFinished { left_failed_over, .. } if left_failed_over.is_empty())
        });
    if let Some(Event::RunFinished { result, .. }) = events
        .iter()
        .rev()
        .find(|e| matches!(e, Event::RunFinished { .. } | Event::Resumed { .. }))
        && *result != RunResult::Interrupted
        && !drill_pending
    {
        return Err(Error::refused(format!(
            "run {} already finished ({result:?}); there is nothing to resume",
            header.run_id
        )));
    }
    Ok(())
}

/// The run's runbook, read and rendered again as the run had it: the journal's variables
/// (secret ones from `vars` and the environment), at the run's template clock, and checked
/// against the hashes the journal recorded unless `force`.
pub fn prepare_again(
    header: &JournalHeader,
    vars: &VarArgs,
    force: bool,
) -> Result<Prepared, Error> {
    let source = Source::read(&header.runbook.path).map_err(|e| Error::refused(e.to_string()))?;
    if source.sha256 != header.runbook.sha256 && !force {
        return Err(Error::refused(format!(
            "the runbook changed since the run started: {} had SHA-256 {}, now {}; resume with --force to run the remaining steps of the new file",
            header.runbook.path.display(),
            header.runbook.sha256,
            source.sha256
        )));
    }
    let mut inputs = super::var_inputs(vars)?;
    // The run's clock, not today's: `{{ago "24h"}}` must render as it did, or the rendered
    // runbook's hash would not match. A journal from before the clock was recorded had no
    // date helpers to render, so its start time serves.
    inputs.clock = Some(Clock::at(
        header.template_clock.unwrap_or(header.started_at),
    ));
    inputs.fixed = header
        .variables
        .iter()
        .filter_map(|v| Some((v.name.clone(), v.value.clone()?, v.source.clone())))
        .collect();
    let prepared = prepare(source, &inputs).map_err(|e| Error::refused(e.to_string()))?;
    if rendered_sha256(&prepared) != header.runbook.rendered_sha256 && !force {
        let secrets: Vec<&str> = header
            .variables
            .iter()
            .filter(|v| v.secret)
            .map(|v| v.name.as_str())
            .collect();
        return Err(Error::refused(format!(
            "the rendered runbook differs from the one the run started with (SHA-256 {} then, {} now){}; resume with --force to accept the difference",
            header.runbook.rendered_sha256,
            rendered_sha256(&prepared),
            if secrets.is_empty() {
                String::new()
            } else {
                format!(
                    " — give the secret variables again, as the run had them: {}",
                    secrets.join(", ")
                )
            }
        )));
    }
    Ok(prepared)
}

/// The arguments of a run that reaches the server the way the journalled run did.
pub fn run_args(
    header: &JournalHeader,
    vars: &VarArgs,
    connect: &ConnectArgs,
    control: &ControlArgs,
    output: &OutputArgs,
) -> RunArgs {
    let mut connect = connect.clone();
    connect.server = connect.server.or(header.server.clone());
    // The run's flavour, prefix and token path, unless --api asks for another flavour
    // (then its defaults).
    let same_api = connect.api.is_none_or(|api| api == header.connection.api);
    connect.api = connect.api.or(Some(header.connection.api));
    let journalled = |value: &str| (same_api && !value.is_empty()).then(|| value.to_owned());
    RunArgs {
        runbook: header.runbook.path.clone(),
        vars: vars.clone(),
        connect,
        force: header.force,
        dry_run: false,
        simulate: false,
        sim_failover_time: None,
        control: control.clone(),
        output: output.clone(),
        poll_interval: ms(header.connection.poll_interval_ms),
        endpoint: EndpointArgs {
            api_prefix: journalled(&header.connection.api_prefix),
            token_path: journalled(&header.connection.token_path),
        },
        request_timeout: ms(header.connection.request_timeout_ms),
        connect_timeout: ms(header.connection.connect_timeout_ms),
    }
}

fn ms(value: Option<u64>) -> Option<std::time::Duration> {
    value.map(std::time::Duration::from_millis)
}
