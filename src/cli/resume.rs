//! `drbook resume RUN`: take over a run that stopped, from its journal.
//!
//! The same runbook and variables are loaded again (and checked against the hashes the
//! journal recorded), every finished step is kept, the step that was in flight is
//! reconciled with the server's real plan state, and the remaining steps run. One report
//! covers the whole run.

use super::args::{ResumeArgs, RunArgs};
use super::exit::{Error, Outcome};
use super::run::{Continuation, Purpose, execute, rendered_sha256};
use crate::exec::journal::{self, ReadJournal};
use crate::exec::{Event, InFlight, Mode, Resume, RunResult, StepResult};
use crate::prepare::prepare;
use crate::runbook::{OnFailure, Source};
use crate::template::Clock;
use crate::vao::Redactor;
use std::path::PathBuf;

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

fn journal_path(args: &ResumeArgs) -> PathBuf {
    let given = PathBuf::from(&args.run);
    if given.is_file() {
        return given;
    }
    journal::path_for(args.output.journal_dir(), &args.run)
}

type Planned = (RunArgs, crate::prepare::Prepared, Continuation);

fn plan_resume(args: &ResumeArgs) -> Result<Planned, Error> {
    if args.vars.now.is_some() {
        return Err(Error::refused(
            "resume renders the runbook at the run's own clock (from its journal); leave out --now",
        ));
    }
    let path = journal_path(args);
    let ReadJournal {
        header,
        events,
        warnings,
    } = journal::read(&path).map_err(|e| Error::refused(e.to_string()))?;
    for warning in &warnings {
        say!("warning: {warning}");
    }
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

    let source = Source::read(&header.runbook.path).map_err(|e| Error::refused(e.to_string()))?;
    if source.sha256 != header.runbook.sha256 && !args.force {
        return Err(Error::refused(format!(
            "the runbook changed since the run started: {} had SHA-256 {}, now {}; resume with --force to run the remaining steps of the new file",
            header.runbook.path.display(),
            header.runbook.sha256,
            source.sha256
        )));
    }
    let mut inputs = super::var_inputs(&args.vars)?;
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
    if rendered_sha256(&prepared) != header.runbook.rendered_sha256 && !args.force {
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

    // Even with --force, the steps that already ran must be the same steps (same action,
    // same plan): finished work is matched by step number.
    for event in &events {
        if let Event::StepStarted {
            step,
            kind,
            plan_id,
            ..
        } = event
            && let Some(now) = prepared.runbook.steps.get(step.wrapping_sub(1))
            && (now.action.kind() != kind
                || now.action.plan_id().map(|id| id.to_string()) != *plan_id)
        {
            return Err(Error::refused(format!(
                "step {step} ran as a {kind} of {} but the runbook now has a {} of {} there; resume cannot map the finished work onto the changed steps",
                plan_id.as_deref().unwrap_or("nothing"),
                now.action.kind(),
                now.action
                    .plan_id()
                    .map_or("nothing".to_owned(), |id| id.to_string())
            )));
        }
    }
    let resume = resume_from(&prepared.runbook, &events, header.drill).map_err(Error::Refused)?;
    let mut connect = args.connect.clone();
    connect.server = connect.server.or(header.server.clone());
    let run = RunArgs {
        runbook: header.runbook.path.clone(),
        vars: args.vars.clone(),
        connect,
        force: header.force,
        dry_run: false,
        simulate: false,
        sim_failover_time: None,
        control: args.control.clone(),
        output: args.output.clone(),
        poll_interval: ms(header.connection.poll_interval_ms),
        api_prefix: or_default(&header.connection.api_prefix, "/api/v3"),
        token_path: or_default(&header.connection.token_path, "/token"),
        request_timeout: ms(header.connection.request_timeout_ms),
        connect_timeout: ms(header.connection.connect_timeout_ms),
    };
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

fn ms(value: Option<u64>) -> Option<std::time::Duration> {
    value.map(std::time::Duration::from_millis)
}

fn or_default(value: &str, default: &str) -> String {
    if value.is_empty() { default } else { value }.to_owned()
}

/// What the journal says was done: finished steps, failovers VAO accepted, and the step in
/// flight when the process stopped.
pub fn resume_from(
    runbook: &crate::runbook::Runbook,
    events: &[Event],
    drill: bool,
) -> Result<Resume, String> {
    let mut resume = Resume {
        resumed: true,
        ..Resume::default()
    };
    let mut started: Vec<(usize, chrono::DateTime<chrono::Utc>)> = Vec::new();
    let mut sent: Vec<usize> = Vec::new();
    let mut finished: std::collections::HashMap<usize, (StepResult, Option<String>)> =
        Default::default();
    for event in events {
        match event {
            Event::StepStarted { step, at, .. } => started.push((*step, *at)),
            Event::Request { step, .. } => {
                sent.push(*step);
                if let Some(crate::runbook::Action::Failover(f)) =
                    runbook.steps.get(step.wrapping_sub(1)).map(|s| &s.action)
                    && !resume.sent.iter().any(|(_, id)| *id == f.plan_id)
                {
                    resume.sent.push((*step, f.plan_id));
                }
            }
            Event::Answer { step, status, .. } if (200..300).contains(status) => {
                accept(runbook, &mut resume, *step)
            }
            // A refusal, or a read showing the try did nothing: nothing to undo for it.
            Event::Answer { step, status, .. } if (400..500).contains(status) && *status != 408 => {
                unsend(runbook, &mut resume, *step)
            }
            Event::Reconciled {
                step,
                accepted: false,
                ..
            } => unsend(runbook, &mut resume, *step),
            Event::Reconciled {
                step,
                accepted: true,
                ..
            } => accept(runbook, &mut resume, *step),
            Event::StepFinished {
                step,
                result,
                error,
                ..
            } => {
                finished.insert(*step, (*result, error.clone()));
            }
            _ => {}
        }
    }
    let unfinished = |number: usize| {
        started.iter().any(|(s, _)| *s == number) && !finished.contains_key(&number)
    };
    for step in &runbook.steps {
        match finished.get(&step.number) {
            Some((StepResult::Succeeded | StepResult::SucceededWithWarnings, _)) => {
                resume.done.push(step.number)
            }
            // A step of a parallel group failed while others of the group were still under
            // way: those are reconciled (nothing new starts), then the group's policy applies.
            Some((StepResult::Failed, error))
                if step.on_failure != OnFailure::Continue
                    && step.group.is_some_and(|g| {
                        let group = &runbook.groups[g];
                        (group.first..=group.last).any(|n| n != step.number && unfinished(n))
                    }) =>
            {
                resume.done.push(step.number);
                resume.group_failure = Some(format!(
                    "step {} \"{}\" failed: {}",
                    step.number,
                    step.name,
                    error.clone().unwrap_or_default()
                ));
            }
            Some((StepResult::Failed, error)) if step.on_failure == OnFailure::Rollback => {
                // The process died while rolling back: the rollback goes on.
                let failure = format!(
                    "step {} \"{}\" failed: {}",
                    step.number,
                    step.name,
                    error.clone().unwrap_or_default()
                );
                let (undone, next) = undos(runbook, events);
                resume.rolling_back = Some((failure, undone, next));
                return Ok(resume);
            }
            Some((StepResult::Failed, error))
                if drill && step.on_failure != OnFailure::Continue =>
            {
                // The drill's runbook part ended here; its clean-up is what is left.
                resume.cleanup_only = Some(format!(
                    "step {} \"{}\" failed: {}",
                    step.number,
                    step.name,
                    error.clone().unwrap_or_default()
                ));
                break;
            }
            Some((StepResult::Failed, error)) => {
                if step.on_failure != OnFailure::Continue {
                    return Err(format!(
                        "step {} failed and the run ended there (on_failure: {:?}); there is nothing to resume",
                        step.number, step.on_failure
                    ));
                }
                resume.done.push(step.number);
                resume.failures.push(format!(
                    "step {} \"{}\" failed: {}",
                    step.number,
                    step.name,
                    error.clone().unwrap_or_default()
                ));
            }
            _ => {}
        }
    }
    // A plan undone since (an `undo_failover` step, a clean-up or rollback undo) is no
    // longer failed over: nothing is left to undo for it.
    let (mut undone, next_undo) = undos(runbook, events);
    resume.next_undo = Some(next_undo);
    for step in &runbook.steps {
        if let crate::runbook::Action::UndoFailover(call) = &step.action
            && resume.done.contains(&step.number)
        {
            undone.push(call.plan_id);
        }
    }
    resume.accepted.retain(|(_, plan)| !undone.contains(plan));
    resume.sent.retain(|(_, plan)| !undone.contains(plan));
    // The steps in flight: started and not finished for good (several in a parallel group).
    let mut seen = Vec::new();
    for (step, at) in started.iter().rev() {
        if resume.done.contains(step) || *step > runbook.steps.len() || seen.contains(step) {
            continue;
        }
        seen.push(*step);
        let baseline = events.iter().rev().find_map(|e| match e {
            Event::Guard {
                step: s,
                plan: Some(plan),
                verdict: crate::exec::GuardVerdict::Skipped,
                ..
            } if s == step => Some(plan.status.state.clone()),
            _ => None,
        });
        resume.in_flight.push(InFlight {
            step: *step,
            started_at: *at,
            sent: sent.contains(step),
            baseline,
        });
    }
    Ok(resume)
}

/// The plans a rollback already undid, and the number of its next undo step.
fn undos(runbook: &crate::runbook::Runbook, events: &[Event]) -> (Vec<uuid::Uuid>, usize) {
    let mut plan_of_step: std::collections::HashMap<usize, uuid::Uuid> = Default::default();
    let mut undone = Vec::new();
    let mut next = runbook.steps.len() + 1;
    for event in events {
        match event {
            Event::StepStarted {
                step,
                kind,
                plan_id: Some(plan),
                ..
            } if kind == "undo" => {
                if let Ok(plan) = plan.parse() {
                    plan_of_step.insert(*step, plan);
                }
                next = next.max(step + 1);
            }
            Event::StepFinished {
                step,
                result: StepResult::Succeeded | StepResult::SucceededWithWarnings,
                ..
            } => {
                if let Some(plan) = plan_of_step.get(step) {
                    undone.push(*plan);
                }
            }
            _ => {}
        }
    }
    // An undo in flight when the process died gets a step of its own again, numbered after
    // every earlier one (its plan is read before anything is sent).
    (undone, next)
}

fn unsend(runbook: &crate::runbook::Runbook, resume: &mut Resume, step: usize) {
    if let Some(crate::runbook::Action::Failover(f)) =
        runbook.steps.get(step.wrapping_sub(1)).map(|s| &s.action)
    {
        resume.sent.retain(|(_, id)| *id != f.plan_id);
    }
}

/// A failover VAO accepted (an accepted undo or readiness check is no failover to undo).
fn accept(runbook: &crate::runbook::Runbook, resume: &mut Resume, step: usize) {
    let Some(plan) = runbook
        .steps
        .get(step.wrapping_sub(1))
        .and_then(|s| match &s.action {
            crate::runbook::Action::Failover(f) => Some(f.plan_id),
            _ => None,
        })
    else {
        return;
    };
    if !resume.accepted.iter().any(|(_, id)| *id == plan) {
        resume.accepted.push((step, plan));
    }
}
