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
use crate::exec::resume::{Asked, decide};
use crate::exec::{Event, JournalHeader, Mode, Resume, RunResult, StepResult, resume_from};
use crate::prepare::{Prepared, prepare};
use crate::runbook::Source;
use crate::secret::Redactor;
use crate::template::Clock;
use std::path::{Path, PathBuf};

pub async fn resume(args: &ResumeArgs, redactor: &Redactor) -> Outcome {
    if args.vars.now.is_some() {
        return Err(Error::refused(
            "resume renders the runbook at the run's own clock (from its journal); leave out --now",
        ));
    }
    let path = journal_path(&args.run, args.output.journal_dir());
    let journal = journal::read(&path).map_err(|e| Error::refused(e.to_string()))?;
    for warning in &journal.warnings {
        say!("warning: {warning}");
    }
    // A run still going holds its runbook's lock: say so (exit 3) before judging a journal
    // that process is still writing (or rewriting the report it is still writing).
    still_running(&journal.header)?;
    if let Some(exit) = finish_report(args, &path, &journal, redactor) {
        return Ok(exit);
    }
    let (run, prepared, continuation) = plan_resume(args, path, journal)?;
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

/// A run whose journal recorded its end, but whose report does not say so (the process
/// was stopped between the two): its report is written again from the journal, and
/// `resume` exits as the run ended. `None` for every other run, which `plan_resume` judges.
fn finish_report(
    args: &ResumeArgs,
    path: &Path,
    journal: &ReadJournal,
    redactor: &Redactor,
) -> Option<super::exit::Exit> {
    let ReadJournal { header, events, .. } = journal;
    // Only a live run is resumed; the others are refused with the reason.
    if header.mode != Mode::Live {
        return None;
    }
    let (ended, _, _) = crate::exec::resume::last_end(events)?;
    let reported = std::fs::read_to_string(
        report_dir(header, &args.output).join(format!("{}.json", header.run_id)),
    )
    .ok()
    .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
    .and_then(|report| serde_json::from_value::<RunResult>(report["result"].clone()).ok());
    if ended == RunResult::Interrupted || reported == Some(ended) {
        return None;
    }
    let prepared = prepare_again(header, &args.vars, args.force).ok()?;
    let run = resumed_args(header, args);
    let continuation = continuation(header, path.to_owned(), events.clone(), Resume::default());
    let purpose = continuation.purpose;
    match super::run::rewrite_report(&run, &prepared, purpose, &continuation, redactor) {
        Ok(written) => {
            say!(
                "run {} had finished ({ended:?}) but was stopped before its report said so; the report is written again from the journal, and nothing is sent",
                header.run_id
            );
            say!("{}", written.listing());
            Some(super::exit::Exit::from(ended))
        }
        Err(error) => {
            say!("{}", error);
            Some(super::exit::Exit::Failed)
        }
    }
}

/// Refuses (exit 3, naming the holder) while a drbook process holds the run's runbook lock.
fn still_running(header: &JournalHeader) -> Result<(), Error> {
    match super::lock::probe(&super::lock::lock_dir(), &header.runbook.path, &[]) {
        Ok(Some(held)) => Err(Error::Locked {
            what: held.what,
            holder: held.holder,
        }),
        // A lock that cannot be probed is left to the run, which takes it before it sends.
        Ok(None) | Err(_) => Ok(()),
    }
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

/// The journal read, the lock free and the report current: what `resume` takes over.
fn plan_resume(args: &ResumeArgs, path: PathBuf, journal: ReadJournal) -> Result<Planned, Error> {
    let ReadJournal { header, events, .. } = journal;
    let failed = unfinished(&header, &events)?;
    let prepared = prepare_again(&header, &args.vars, args.force)?;
    let asked = asked(args);
    if let Some(refusal) = refusal(&header, &events, &prepared.runbook, failed, asked.any()) {
        return Err(Error::refused(refusal));
    }
    let resume = decide(&prepared.runbook, &events, header.drill, &asked)
        .map_err(|e| Error::refused(e.to_string()))?;
    let run = resumed_args(&header, args);
    Ok((run, prepared, continuation(&header, path, events, resume)))
}

/// The arguments of `resume`'s run: the journalled run's connection, with this command's
/// flags.
fn resumed_args(header: &JournalHeader, args: &ResumeArgs) -> RunArgs {
    run_args(
        header,
        &args.vars,
        &args.connect,
        &args.control,
        &args.output,
    )
}

/// The journalled run, to be continued (or its report written again) under its own id.
fn continuation(
    header: &JournalHeader,
    journal: PathBuf,
    events: Vec<Event>,
    resume: Resume,
) -> Continuation {
    Continuation {
        run_id: header.run_id.clone(),
        started_at: header.started_at,
        journal,
        events,
        resume,
        purpose: if header.drill {
            Purpose::Drill
        } else {
            Purpose::Run
        },
    }
}

/// Refuses a run that `resume` cannot take over whatever the runbook says: one that was not
/// live, that succeeded, or a drill whose clean-up finished. `Ok(true)`: a run that failed,
/// which goes on only on the operator's word (`--retry`, `--skip`).
pub fn unfinished(header: &JournalHeader, events: &[Event]) -> Result<bool, Error> {
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
    let ended = crate::exec::resume::last_end(events).map(|(result, _, _)| result);
    match ended {
        Some(RunResult::Succeeded | RunResult::DryRun) => {
            return Err(Error::refused(format!(
                "run {} already finished (Succeeded); there is nothing to resume (a new run: drbook run RUNBOOK)",
                header.run_id
            )));
        }
        Some(RunResult::Failed) if header.drill && !drill_pending => {
            return Err(Error::refused(format!(
                "drill {} is over: its clean-up finished and left nothing failed over, so there is nothing to resume (a new drill: drbook drill RUNBOOK)",
                header.run_id
            )));
        }
        // A failed drill's clean-up is what is left; a failed run goes on only on the
        // operator's word (`--retry`, `--skip`), checked by the caller.
        _ => {}
    }
    Ok(ended == Some(RunResult::Failed) && !header.drill)
}

/// Why `drbook resume` would not take this journalled run over (after [`unfinished`], which
/// says whether it `failed`), with the operator's `decisions` (`--retry`, `--skip`) or
/// without them; `None` when it would. The one rule `resume` and `drbook status` share.
pub fn refusal(
    header: &JournalHeader,
    events: &[Event],
    runbook: &crate::runbook::Runbook,
    failed: bool,
    decisions: bool,
) -> Option<String> {
    let folded = resume_from(runbook, events, header.drill);
    // A run that rolled back undid its failovers: it cannot be taken forward.
    if failed
        && let Ok(resume) = &folded
        && let Some(failure) = &resume.rolling_back
    {
        return Some(format!(
            "run {} rolled back ({failure}): its failovers were undone, so it cannot be taken forward; start a new run (drbook run RUNBOOK)",
            header.run_id
        ));
    }
    if decisions {
        return None;
    }
    match folded {
        // A failed run goes on only on the operator's word, unless it stopped with a step
        // under way (a resumed run whose login failed): that step is reconciled with VAO as
        // in any stopped run.
        Ok(resume) if failed && resume.in_flight.is_empty() => {
            Some(failed_run(&header.run_id, runbook, events))
        }
        Ok(_) => None,
        Err(crate::exec::ResumeError::Ended { .. }) => {
            Some(failed_run(&header.run_id, runbook, events))
        }
        Err(error) => Some(error.to_string()),
    }
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

/// Where a resumed run's reports go: `--report-dir`, else where the run's journal says its
/// reports are, else the default.
fn report_dir<'a>(header: &'a JournalHeader, output: &'a OutputArgs) -> &'a Path {
    match (&output.report_dir, &header.report_dir) {
        (None, Some(journalled)) => journalled,
        _ => output.report_dir(),
    }
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
        sim_halt: Vec::new(),
        control: control.clone(),
        output: OutputArgs {
            report_dir: Some(report_dir(header, output).to_owned()),
            ..output.clone()
        },
        poll_interval: ms(header.connection.poll_interval_ms),
        endpoint: EndpointArgs {
            api_prefix: journalled(&header.connection.api_prefix),
            token_path: journalled(&header.connection.token_path),
        },
        request_timeout: ms(header.connection.request_timeout_ms),
        connect_timeout: ms(header.connection.connect_timeout_ms),
    }
}

/// The operator's decisions on the command line.
fn asked(args: &ResumeArgs) -> Asked {
    Asked {
        retry: args.retry,
        option: args.continue_option,
        skip: args.skip.clone(),
        reason: args.reason.clone(),
        decider: super::provenance::decider(args.control.operator.as_deref()),
    }
}

/// Why a failed run is not resumed as it is, and what the operator can do.
pub fn failed_run(run_id: &str, runbook: &crate::runbook::Runbook, events: &[Event]) -> String {
    match resume_from(runbook, events, false) {
        Err(crate::exec::ResumeError::Ended { step, .. }) => {
            let name = &runbook.steps[step - 1].name;
            let retry = if last_seen_halted(runbook, events, step) {
                format!(
                    "`drbook resume {run_id} --retry --continue OPTION` (its plan was last seen HALTED: VAO's Continue, OPTION one of {}), or `--retry` alone once the plan is done in VAO",
                    crate::vao::ContinueOption::listed()
                )
            } else {
                format!(
                    "`drbook resume {run_id} --retry` (the step again: drbook reads its plan first)"
                )
            };
            format!(
                "run {run_id} failed at step {step} \"{name}\"; take it forward with {retry} or `drbook resume {run_id} --skip {step} --reason TEXT` (the run goes on after it); or undo its failovers in VAO"
            )
        }
        Ok(resume) if resume.rolling_back.is_some() => format!(
            "run {run_id} rolled back ({}): its failovers were undone, so it cannot be taken forward; start a new run (drbook run RUNBOOK)",
            resume.rolling_back.unwrap_or_default()
        ),
        Ok(resume) => {
            let failed: Vec<String> = resume
                .results
                .iter()
                .filter(|(_, result)| *result == StepResult::Failed)
                .map(|(step, _)| step.to_string())
                .collect();
            if failed.is_empty() {
                format!(
                    "run {run_id} already finished (Failed) with no failed step to take up: it stopped before any step started (then nothing was sent, and a new run is safe: drbook run RUNBOOK); there is nothing to resume"
                )
            } else {
                format!(
                    "run {run_id} went on past failed step(s) {} (on_failure: continue) and finished Failed; take them up again with `drbook resume {run_id} --retry`",
                    failed.join(", ")
                )
            }
        }
        Err(e) => e.to_string(),
    }
}

/// Whether the last state the run saw of step `step`'s plan was a stable halt (VAO's
/// Continue applies), by the runbook's state names.
fn last_seen_halted(runbook: &crate::runbook::Runbook, events: &[Event], step: usize) -> bool {
    let sets = crate::exec::to_vao::state_sets(&runbook.states);
    events
        .iter()
        .rev()
        .find_map(|e| match e {
            Event::Polled {
                step: s, status, ..
            } if *s == step => Some(sets.is_halted(status)),
            _ => None,
        })
        .unwrap_or(false)
}

fn ms(value: Option<u64>) -> Option<std::time::Duration> {
    value.map(std::time::Duration::from_millis)
}
