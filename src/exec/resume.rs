//! Taking a run over from its journal: the fold of the journalled events into a
//! [`Resume`], what the executor needs to go on where an earlier process stopped.
//!
//! It lives beside the events it folds: which steps finished, which failovers VAO accepted
//! or may have received (a [`PlanLedger`]), which were undone since, how far a rollback or
//! a drill's clean-up got, and which steps were under way. `drbook resume` reads the journal
//! and calls [`resume_from`]; the executor reconciles the steps in flight with the server.

use super::event::{Decision, Event, Exit, GuardVerdict, RunResult, StepKind, StepResult};
use super::ledger::PlanLedger;
use crate::runbook::{Action, OnFailure, Runbook, Step};
use crate::vao::ContinueOption;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// What an earlier process of the same run had done, from its journal.
#[derive(Debug, Clone, Default)]
pub struct Resume {
    pub resumed: bool,
    /// Steps that finished (succeeded, or failed under `on_failure: continue`).
    pub done: Vec<usize>,
    /// Failures recorded under `on_failure: continue`.
    pub failures: Vec<String>,
    /// The failovers the earlier process got accepted or may have sent, less those undone
    /// since.
    pub ledger: PlanLedger,
    /// Steps that were under way (more than one in a parallel group).
    pub in_flight: Vec<InFlight>,
    /// The earlier process was rolling back when it stopped, after this failure: the
    /// rollback goes on (its undo steps numbered from `next_undo`).
    pub rolling_back: Option<String>,
    /// The number of the next undo step, after the earlier process's undos.
    pub next_undo: Option<usize>,
    /// A drill whose runbook part ended in a failure: only its clean-up is left (the
    /// failure, for the run's error).
    pub cleanup_only: Option<String>,
    /// A step failed (abort or rollback) while others that run at the same time (of its
    /// parallel group, or any step of a runbook with `needs`) were under way: only those
    /// are taken up, then the failure's policy applies. The failed step, the failure, and
    /// the policy.
    pub group_failure: Option<(usize, String, OnFailure)>,
    /// Steps the operator decided to take up again (`resume --retry`, a retry answered at
    /// the terminal) that have not finished since, each with VAO's Continue option when
    /// one was chosen.
    pub retry: Vec<(usize, Option<ContinueOption>)>,
    /// Steps the operator skipped: done, never run again.
    pub skipped: Vec<usize>,
    /// The last result journalled for each step that has one, in step order, after the
    /// operator's decisions (a skipped step is `skipped`; a retry not finished yet has
    /// none).
    pub results: Vec<(usize, StepResult)>,
    /// Steps that started (since the operator's last retry or skip of them).
    pub started: Vec<usize>,
    /// Decisions taken now (`resume --retry`, `--skip`), folded in already: the executor
    /// journals them, durably, before it acts on any of them.
    pub decided: Vec<Event>,
    /// The run ended at this failed step under its policy (`abort`): [`resume_from`]
    /// refuses it; [`fold`] keeps what was done up to there (`drbook status`, and the
    /// operator's decisions, which are checked against it).
    pub ended: Option<(usize, OnFailure)>,
}

impl Resume {
    /// Whether the operator decided to take this step up again, and with which Continue
    /// option.
    pub fn retry_of(&self, step: usize) -> Option<Option<ContinueOption>> {
        self.retry.iter().find(|(s, _)| *s == step).map(|(_, o)| *o)
    }

    /// The step's last journalled result.
    pub fn result_of(&self, step: usize) -> Option<StepResult> {
        self.results
            .iter()
            .find(|(s, _)| *s == step)
            .map(|(_, r)| *r)
    }
}

/// The step an earlier process was in when it stopped.
#[derive(Debug, Clone, PartialEq)]
pub struct InFlight {
    pub step: usize,
    pub started_at: DateTime<Utc>,
    /// Whether its state-changing request may have left (its intent was journalled).
    pub sent: bool,
    /// With `--force`, the plan's state before the failover (from the journalled guard).
    pub baseline: Option<String>,
    /// A failover whose plan halted: the Continues whose intent was journalled.
    pub continues: u32,
    /// Whether the last of them is unsettled: no 2xx answer and no read of the plan showed
    /// it accepted, so VAO may or may not have taken it.
    pub continue_unsettled: bool,
    /// A command the earlier process saw end (its `exited` event), though the step's end
    /// was not journalled: how it ended, and the tail of its stderr.
    pub exited: Option<(Exit, String)>,
}

/// What the journal says of a step's Continues (see [`InFlight::continues`]).
#[derive(Debug, Clone, Copy, Default)]
struct Continues {
    /// A `continuing` event came, and its request has not been journalled yet.
    deciding: bool,
    sent: u32,
    unsettled: bool,
}

/// Why a journal cannot be taken over by this runbook.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResumeError {
    /// The runbook changed under `--force` so that a step that ran is another step now.
    #[error(
        "step {step} ran as a {} of {} but the runbook now has a {} of {} there; resume cannot map the finished work onto the changed steps",
        .kind.as_str(),
        nothing_or(.plan),
        .now_kind.as_str(),
        nothing_or(.now_plan)
    )]
    StepChanged {
        step: usize,
        kind: StepKind,
        plan: Option<uuid::Uuid>,
        now_kind: StepKind,
        now_plan: Option<uuid::Uuid>,
    },
    #[error(
        "step {step} failed and the run ended there (on_failure: {policy:?}); there is nothing to resume"
    )]
    Ended { step: usize, policy: OnFailure },
}

fn nothing_or(plan: &Option<uuid::Uuid>) -> String {
    plan.map_or("nothing".to_owned(), |id| id.to_string())
}

/// A failed step, as the run's error names it: one wording for a live run and a resumed one.
pub(crate) fn failure(runbook: &Runbook, step: &Step, error: Option<&str>) -> String {
    let within = step.group.map_or_else(String::new, |g| {
        format!(" (in parallel group \"{}\")", runbook.groups[g].name)
    });
    format!(
        "step {} \"{}\"{within} failed: {}",
        step.number,
        step.name,
        error.unwrap_or_default()
    )
}

/// The plan a step fails over, if it is a failover.
fn failover_plan(runbook: &Runbook, step: usize) -> Option<uuid::Uuid> {
    match runbook.steps.get(step.wrapping_sub(1)).map(|s| &s.action) {
        Some(Action::Failover(f)) => Some(f.plan_id),
        _ => None,
    }
}

/// Even with `--force`, the steps that already ran must be the same steps (same action,
/// same plan): finished work is matched by step number.
fn same_steps(runbook: &Runbook, events: &[Event]) -> Result<(), ResumeError> {
    for event in events {
        if let Event::StepStarted {
            step,
            kind,
            plan_id,
            ..
        } = event
            && let Some(now) = runbook.steps.get(step.wrapping_sub(1))
        {
            let (now_kind, now_plan) = (StepKind::of(&now.action), now.action.plan_id());
            if now_kind != *kind || now_plan != *plan_id {
                return Err(ResumeError::StepChanged {
                    step: *step,
                    kind: *kind,
                    plan: *plan_id,
                    now_kind,
                    now_plan,
                });
            }
        }
    }
    Ok(())
}

/// How the journalled run ended, from its last `run_finished` event: `None` while it has not
/// (or a later process resumed it and has not ended since).
pub fn last_end(events: &[Event]) -> Option<(RunResult, DateTime<Utc>, Option<String>)> {
    events
        .iter()
        .rev()
        .find_map(|e| match e {
            Event::RunFinished { result, at, error } => Some(Some((*result, *at, error.clone()))),
            Event::Resumed { .. } => Some(None),
            _ => None,
        })
        .flatten()
}

/// What the journal says was done: finished steps, failovers VAO accepted, and the steps in
/// flight when the process stopped. `drill`: the run was a drill (its clean-up is left).
pub fn resume_from(
    runbook: &Runbook,
    events: &[Event],
    drill: bool,
) -> Result<Resume, ResumeError> {
    let resume = fold(runbook, events, drill)?;
    match resume.ended {
        Some((step, policy)) => Err(ResumeError::Ended { step, policy }),
        None => Ok(resume),
    }
}

/// The journal folded as [`resume_from`] folds it, also for a run that ended at a failed
/// step ([`Resume::ended`]): what `drbook status` shows of any run, and what the operator's
/// decisions are checked against.
pub fn fold(runbook: &Runbook, events: &[Event], drill: bool) -> Result<Resume, ResumeError> {
    same_steps(runbook, events)?;
    let mut resume = Resume {
        resumed: true,
        ..Resume::default()
    };
    let mut started: Vec<(usize, DateTime<Utc>)> = Vec::new();
    let mut sent: Vec<usize> = Vec::new();
    let mut finished: HashMap<usize, (StepResult, Option<String>)> = HashMap::new();
    // `abort` or `rollback` answered at the terminal instead of the step's own policy.
    let mut policies: HashMap<usize, OnFailure> = HashMap::new();
    let mut continues: HashMap<usize, Continues> = HashMap::new();
    // Where in the journal each step last finished: failures are judged in the order they
    // happened (steps that run at the same time fail in any order of their numbers).
    let mut finished_at: HashMap<usize, usize> = HashMap::new();
    for (index, event) in events.iter().enumerate() {
        // Only a failover leaves something to undo (an accepted undo or readiness check
        // does not).
        let plan = event.step().and_then(|step| failover_plan(runbook, step));
        // Once a step's plan halted and was continued, its requests are Continues: what
        // becomes of them says nothing of the failover (VAO accepted it), so the ledger
        // keeps the plan. The step's start, end and the operator's decisions are folded as
        // for any step, below.
        if let Some(state) = event.step().and_then(|step| continues.get_mut(&step))
            && !matches!(
                event,
                Event::StepStarted { .. } | Event::StepFinished { .. } | Event::Decided { .. }
            )
        {
            match event {
                Event::Continuing { .. } => state.deciding = true,
                Event::Request { .. } if state.deciding => {
                    state.deciding = false;
                    state.sent += 1;
                    state.unsettled = true;
                }
                Event::Answer { status, .. } if (200..300).contains(status) => {
                    state.unsettled = false
                }
                Event::Reconciled {
                    accepted: true,
                    of_continue: true,
                    ..
                } => state.unsettled = false,
                _ => {}
            }
            continue;
        }
        match event {
            Event::Continuing { step, .. } => {
                continues.insert(
                    *step,
                    Continues {
                        deciding: true,
                        ..Continues::default()
                    },
                );
            }
            Event::StepStarted { step, at, .. } => started.push((*step, *at)),
            // A command's intent: it may have started.
            Event::Spawning { step, .. } => sent.push(*step),
            Event::Request { step, .. } => {
                sent.push(*step);
                if let Some(plan) = plan {
                    resume.ledger.send(*step, plan);
                }
            }
            Event::Answer { step, status, .. } if (200..300).contains(status) => {
                if let Some(plan) = plan {
                    resume.ledger.accept(*step, plan);
                }
            }
            Event::Reconciled {
                step,
                accepted: true,
                ..
            } => {
                if let Some(plan) = plan {
                    resume.ledger.accept(*step, plan);
                }
            }
            // A refusal, or a read showing the try did nothing: nothing to undo for it.
            Event::Answer { status, .. } if (400..500).contains(status) && *status != 408 => {
                if let Some(plan) = plan {
                    resume.ledger.unsend(plan);
                }
            }
            Event::Reconciled {
                accepted: false, ..
            } => {
                if let Some(plan) = plan {
                    resume.ledger.unsend(plan);
                }
            }
            // A step that was under way when the run stopped, marked not run on the way
            // out (a login that failed, an interrupt) after its intent was journalled: its
            // request may have left, so it stays in flight, to be reconciled with VAO, never
            // taken as finished. (A step skipped by scope, `only:`, sent nothing.)
            Event::StepFinished {
                step,
                result: StepResult::Skipped,
                ..
            } if started.iter().any(|(s, _)| s == step) && sent.contains(step) => {}
            Event::StepFinished {
                step,
                result,
                error,
                ..
            } => {
                finished.insert(*step, (*result, error.clone()));
                finished_at.insert(*step, index);
                // A retried step that ended: the retry is over, whatever its result.
                resume.retry.retain(|(s, _)| s != step);
            }
            Event::Decided {
                step,
                decision,
                option,
                ..
            } => match decision {
                // The step starts afresh: what it did before is history (its failovers
                // stay in the ledger), and it is neither finished nor in flight.
                Decision::Retry | Decision::Continue | Decision::Skip => {
                    finished.remove(step);
                    // A retried step's earlier Continues are history too.
                    continues.remove(step);
                    // An `abort` or `rollback` answered at the terminal for an earlier
                    // failure of the step does not outlive the operator's new decision.
                    policies.remove(step);
                    started.retain(|(s, _)| s != step);
                    sent.retain(|s| s != step);
                    resume.retry.retain(|(s, _)| s != step);
                    resume.skipped.retain(|s| s != step);
                    if *decision == Decision::Skip {
                        resume.skipped.push(*step);
                    } else {
                        resume.retry.push((*step, *option));
                    }
                }
                Decision::Abort => {
                    policies.insert(*step, OnFailure::Abort);
                }
                Decision::Rollback => {
                    policies.insert(*step, OnFailure::Rollback);
                }
            },
            _ => {}
        }
    }
    for step in &runbook.steps {
        if resume.skipped.contains(&step.number) {
            resume.results.push((step.number, StepResult::Skipped));
        } else if let Some((result, _)) = finished.get(&step.number) {
            resume.results.push((step.number, *result));
        }
    }
    resume.started = started.iter().map(|(s, _)| *s).collect();
    let unfinished = |number: usize| {
        started.iter().any(|(s, _)| *s == number) && !finished.contains_key(&number)
    };
    // The steps under way when the earlier process stopped, given those that are done.
    let in_flight_now = |done: &[usize]| {
        in_flight(
            runbook, events, &started, &sent, &continues, &finished, done,
        )
    };
    let (undone, next_undo) = undos(runbook, events);
    let with_needs = runbook.has_needs();
    let mut in_order: Vec<&Step> = runbook.steps.iter().collect();
    in_order.sort_by_key(|s| finished_at.get(&s.number).copied().unwrap_or(usize::MAX));
    for step in in_order {
        // Skipped by the operator: the run goes on after it.
        if resume.skipped.contains(&step.number) {
            resume.done.push(step.number);
            continue;
        }
        let Some((result, error)) = finished.get(&step.number) else {
            continue;
        };
        let policy = policies
            .get(&step.number)
            .copied()
            .unwrap_or(step.on_failure);
        match result {
            StepResult::Succeeded | StepResult::SucceededWithWarnings => {
                resume.done.push(step.number);
                continue;
            }
            StepResult::Failed => {}
            _ => continue,
        }
        let stops = policy != OnFailure::Continue;
        // A failure after the one that stopped the run (steps that ran at the same time):
        // the first one's policy stands, as it did in the run; this one is part of its end.
        if let Some((_, message, _)) = &mut resume.group_failure {
            resume.done.push(step.number);
            message.push_str("; ");
            message.push_str(&failure(runbook, step, error.as_deref()));
            continue;
        }
        // A step failed while others that run at the same time were still under way: those
        // are reconciled (nothing new starts), then the failure's policy applies.
        let at_once = |n: usize| {
            with_needs
                || step.group.is_some_and(|g| {
                    let group = &runbook.groups[g];
                    (group.first..=group.last).contains(&n)
                })
        };
        if stops
            && runbook
                .steps
                .iter()
                .any(|s| s.number != step.number && at_once(s.number) && unfinished(s.number))
        {
            resume.done.push(step.number);
            resume.group_failure = Some((
                step.number,
                failure(runbook, step, error.as_deref()),
                policy,
            ));
        } else if policy == OnFailure::Rollback {
            // The process died while rolling back: the rollback goes on, after the undos
            // it had made.
            for plan in undone {
                resume.ledger.forget(plan);
            }
            resume.rolling_back = Some(failure(runbook, step, error.as_deref()));
            resume.next_undo = Some(next_undo);
            resume.in_flight = in_flight_now(&resume.done);
            return Ok(resume);
        } else if drill && stops {
            // The drill's runbook part ended here; its clean-up is what is left.
            resume.cleanup_only = Some(failure(runbook, step, error.as_deref()));
            break;
        } else if stops {
            resume.ended = Some((step.number, policy));
            break;
        } else {
            resume.done.push(step.number);
            resume
                .failures
                .push(failure(runbook, step, error.as_deref()));
        }
    }
    // A drill's own clean-up steps that succeeded are not run again.
    for step in &runbook.cleanup {
        if finished
            .get(&step.number)
            .is_some_and(|(result, _)| result.is_success())
        {
            resume.done.push(step.number);
        }
    }
    // A plan undone since (an `undo_failover` step, a clean-up or rollback undo) is no
    // longer failed over: nothing is left to undo for it.
    resume.next_undo = Some(next_undo);
    for plan in undone {
        resume.ledger.forget(plan);
    }
    for step in &runbook.steps {
        if let Action::UndoFailover(call) = &step.action
            && resume.done.contains(&step.number)
        {
            resume.ledger.forget(call.plan_id);
        }
    }
    resume.in_flight = in_flight_now(&resume.done);
    Ok(resume)
}

/// The steps in flight: started and not finished for good (several in a parallel group).
fn in_flight(
    runbook: &Runbook,
    events: &[Event],
    started: &[(usize, DateTime<Utc>)],
    sent: &[usize],
    continues: &HashMap<usize, Continues>,
    finished: &HashMap<usize, (StepResult, Option<String>)>,
    done: &[usize],
) -> Vec<InFlight> {
    let mut in_flight = Vec::new();
    let mut seen = Vec::new();
    for (step, at) in started.iter().rev() {
        // A clean-up step that ended (and failed) is not in flight: it runs again anew.
        let ended_cleanup = *step > runbook.steps.len() && finished.contains_key(step);
        if done.contains(step)
            || *step >= runbook.first_undo()
            || ended_cleanup
            || seen.contains(step)
        {
            continue;
        }
        seen.push(*step);
        let baseline = events.iter().rev().find_map(|e| match e {
            Event::Guard {
                step: s,
                plan: Some(plan),
                verdict: GuardVerdict::Skipped,
                ..
            } if s == step => Some(plan.status.state.clone()),
            _ => None,
        });
        // The command's last start or end: an end after its last start is its outcome.
        let exited = events.iter().rev().find_map(|e| match e {
            Event::Spawning { step: s, .. } if s == step => Some(None),
            Event::Exited {
                step: s,
                code,
                signal,
                timed_out,
                stderr,
                ..
            } if s == step => Some(Some((
                Exit {
                    code: *code,
                    signal: *signal,
                    timed_out: *timed_out,
                },
                stderr.clone(),
            ))),
            _ => None,
        });
        let continued = continues.get(step).copied().unwrap_or_default();
        in_flight.push(InFlight {
            step: *step,
            started_at: *at,
            sent: sent.contains(step),
            baseline,
            continues: continued.sent,
            continue_unsettled: continued.unsettled,
            exited: exited.flatten().filter(|_| sent.contains(step)),
        });
    }
    in_flight
}

/// The plans a rollback or clean-up already undid, and the number of its next undo step.
/// An undo in flight when the process died gets a step of its own again, numbered after
/// every earlier one (its plan is read before anything is sent).
fn undos(runbook: &Runbook, events: &[Event]) -> (Vec<uuid::Uuid>, usize) {
    let mut plan_of_step: HashMap<usize, uuid::Uuid> = HashMap::new();
    let mut undone = Vec::new();
    let mut next = runbook.first_undo();
    for event in events {
        match event {
            Event::StepStarted {
                step,
                kind: StepKind::Undo,
                plan_id: Some(plan),
                ..
            } => {
                plan_of_step.insert(*step, *plan);
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
    (undone, next)
}

/// What the operator asks of `drbook resume`: `--retry` (with `--continue OPTION`),
/// `--skip STEP... --reason TEXT`, decided by `decider`.
#[derive(Debug, Clone, Default)]
pub struct Asked {
    pub retry: bool,
    pub option: Option<ContinueOption>,
    /// The steps to skip, as the operator named them: a number, or a name no other step
    /// has.
    pub skip: Vec<String>,
    pub reason: Option<String>,
    pub decider: super::event::Decider,
}

impl Asked {
    /// Whether the operator decided anything.
    pub fn any(&self) -> bool {
        self.retry || !self.skip.is_empty()
    }
}

/// Before anything is sent or the report is rewritten: a retried failover's plan must be
/// halted for `--continue`, and a halted plan needs it. Reads only; a plan that cannot be
/// read is left to the run (which reads it again before it sends anything).
pub async fn check_retried_plans(
    client: &crate::vao::VaoClient,
    runbook: &Runbook,
    resume: &Resume,
) -> Result<(), DecisionError> {
    let states = super::to_vao::state_sets(&runbook.states);
    for event in &resume.decided {
        let Event::Decided {
            step,
            decision: Decision::Retry | Decision::Continue,
            option,
            ..
        } = event
        else {
            continue;
        };
        let step = &runbook.steps[step - 1];
        let (number, name) = (step.number, step.name.clone());
        let Action::Failover(failover) = &step.action else {
            if let Some(option) = *option {
                return Err(DecisionError::ContinueNotFailover {
                    option,
                    step: number,
                    name,
                });
            }
            continue;
        };
        if client.authenticate().await.is_err() {
            return Ok(());
        }
        let Ok(info) = client
            .read_plan(
                &failover.plan_id,
                super::to_vao::retry_policy(&failover.call()),
            )
            .await
            .0
        else {
            return Ok(());
        };
        let halted = PlanNow::of(&states, &info.status) == PlanNow::Halted;
        let (plan, summary) = (failover.plan_id, info.status.summary());
        match (halted, *option) {
            (true, None) => {
                return Err(DecisionError::HaltedNeedsContinue {
                    step: number,
                    name,
                    plan,
                    summary,
                });
            }
            (false, Some(option)) => {
                return Err(DecisionError::ContinueNotHalted {
                    option,
                    step: number,
                    name,
                    plan,
                    summary,
                });
            }
            _ => {}
        }
    }
    Ok(())
}

/// Why the operator's decisions cannot be applied to the run: nothing is sent.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecisionError {
    #[error(
        "--continue {option}: step {step} \"{name}\" is not a failover; VAO's Continue is for a failover's halted plan; nothing was sent"
    )]
    ContinueNotFailover {
        option: ContinueOption,
        step: usize,
        name: String,
    },
    #[error(
        "step {step} \"{name}\": plan {plan} is halted ({summary}); VAO's Continue takes it forward: add --continue OPTION, one of {options} (or continue it in VAO and --retry); nothing was sent",
        options = ContinueOption::listed()
    )]
    HaltedNeedsContinue {
        step: usize,
        name: String,
        plan: uuid::Uuid,
        summary: String,
    },
    #[error(
        "--continue {option}: step {step} \"{name}\": plan {plan} is {summary}, not halted; VAO takes Continue only for a halted plan (leave out --continue to retry it); nothing was sent"
    )]
    ContinueNotHalted {
        option: ContinueOption,
        step: usize,
        name: String,
        plan: uuid::Uuid,
        summary: String,
    },
    #[error(
        "--skip {0:?}: the runbook has no such step; name a step by its number (1 to {1}, as progress shows it: [3/{1}]) or by its name"
    )]
    NoSuchStep(String, usize),
    #[error(
        "--skip {name:?}: steps {numbers} are all named so; name the one to skip by its number"
    )]
    Ambiguous { name: String, numbers: String },
    #[error(
        "--skip needs a reason: add --reason TEXT (why the step is skipped goes into the journal and the report)"
    )]
    NoReason,
    #[error(
        "step {step} \"{name}\" succeeded; only a step that failed or did not run can be skipped"
    )]
    SkipSucceeded { step: usize, name: String },
    #[error(
        "step {step} \"{name}\" was under way when the run stopped, and its request may have reached VAO: resume without --skip first (drbook reads its plan), then decide"
    )]
    SkipInFlight { step: usize, name: String },
    #[error(
        "step {step} \"{name}\" failed and the run went on past it (on_failure: continue): there is nothing to skip"
    )]
    SkipWentOn { step: usize, name: String },
    #[error("nothing failed in this run: --retry takes up a step that failed")]
    NothingToRetry,
    #[error(
        "--continue takes one halted plan forward, and steps {0} failed under on_failure: continue: retry them without --continue (a halted plan is then refused with its options), or continue the halted plans in VAO first; nothing was sent"
    )]
    ContinueWhich(String),
    #[error(
        "step {step} \"{name}\" failed and stopped the run: take it up again with --retry, or skip it too with --skip {step} --reason TEXT"
    )]
    StillFailed { step: usize, name: String },
    #[error(
        "the run was rolling back when it stopped: resume without --retry or --skip to finish the rollback"
    )]
    RollingBack,
    #[error(
        "the drill's steps are over (a step failed) and its clean-up is what is left: resume without --retry or --skip to finish the clean-up"
    )]
    CleanupLeft,
    #[error("{0}")]
    Fold(ResumeError),
}

/// The step `--skip` names: its number, or its name when no other step has it.
fn named_step<'r>(runbook: &'r Runbook, word: &str) -> Result<&'r Step, DecisionError> {
    let steps = &runbook.steps;
    if let Ok(number) = word.trim().parse::<usize>() {
        return number
            .checked_sub(1)
            .and_then(|i| steps.get(i))
            .ok_or_else(|| DecisionError::NoSuchStep(word.to_owned(), steps.len()));
    }
    let named: Vec<&Step> = steps.iter().filter(|s| s.name == word).collect();
    match named.as_slice() {
        [one] => Ok(one),
        [] => Err(DecisionError::NoSuchStep(word.to_owned(), steps.len())),
        many => Err(DecisionError::Ambiguous {
            name: word.to_owned(),
            numbers: many
                .iter()
                .map(|s| s.number.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// A decision of `asked`'s operator, taken now.
fn decided(
    asked: &Asked,
    step: usize,
    decision: Decision,
    option: Option<ContinueOption>,
    how: &str,
) -> Event {
    Event::Decided {
        step,
        decision,
        option,
        by: asked.decider.by.clone(),
        account: asked.decider.account.clone(),
        how: how.to_owned(),
        // `--reason` is the skip's: a retry decided with it is not given the skip's why.
        reason: (decision == Decision::Skip)
            .then(|| asked.reason.clone())
            .flatten()
            .filter(|r| !r.trim().is_empty()),
        at: chrono::Utc::now(),
    }
}

/// Folds the journal with the operator's decisions (`resume --retry`, `--skip`) applied: the
/// steps to skip are checked (a failed or not-run step, never one that succeeded or may be
/// under way), `--retry` takes up every step whose failure stopped the run, and no failure
/// may be left that stops it again. The decisions are in [`Resume::decided`], for the
/// executor to journal before it acts.
pub fn decide(
    runbook: &Runbook,
    events: &[Event],
    drill: bool,
    asked: &Asked,
) -> Result<Resume, DecisionError> {
    let before = fold(runbook, events, drill).map_err(DecisionError::Fold)?;
    if !asked.any() {
        return resume_from(runbook, events, drill).map_err(DecisionError::Fold);
    }
    if before.rolling_back.is_some() {
        return Err(DecisionError::RollingBack);
    }
    if before.cleanup_only.is_some() {
        return Err(DecisionError::CleanupLeft);
    }
    let mut decisions = Vec::new();
    if !asked.skip.is_empty() && asked.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
        return Err(DecisionError::NoReason);
    }
    for word in &asked.skip {
        let step = named_step(runbook, word)?;
        let (number, name) = (step.number, step.name.clone());
        match before.result_of(number) {
            Some(result) if result.is_success() => {
                return Err(DecisionError::SkipSucceeded { step: number, name });
            }
            // Skipping a failure the run went past changes nothing, unless a step `needs` it:
            // then what needs it may run.
            Some(StepResult::Failed)
                if before.done.contains(&number)
                    && !runbook
                        .steps
                        .iter()
                        .any(|s| s.needs.as_ref().is_some_and(|n| n.contains(&number))) =>
            {
                return Err(DecisionError::SkipWentOn { step: number, name });
            }
            Some(StepResult::Failed | StepResult::Skipped) => {}
            // Started and not finished for good: its request may be on its way.
            _ if before.started.contains(&number) => {
                return Err(DecisionError::SkipInFlight { step: number, name });
            }
            _ => {}
        }
        if !decisions.iter().any(|e: &Event| e.step() == Some(number)) {
            decisions.push(decided(
                asked,
                number,
                Decision::Skip,
                None,
                "resume --skip",
            ));
        }
    }
    let mut all = events.to_vec();
    all.extend(decisions.iter().cloned());
    // What `--retry` records for each step it takes up (with `--continue`: VAO's Continue).
    let (decision, how) = match asked.option {
        Some(_) => (Decision::Continue, "resume --retry --continue"),
        None => (Decision::Retry, "resume --retry"),
    };
    let mut retried = Vec::new();
    let mut resume = loop {
        let folded = fold(runbook, &all, drill).map_err(DecisionError::Fold)?;
        match folded.ended {
            None => break folded,
            Some((step, _)) if asked.retry && !retried.contains(&step) => {
                let event = decided(asked, step, decision, asked.option, how);
                retried.push(step);
                all.push(event.clone());
                decisions.push(event);
            }
            Some((step, _)) => {
                let name = runbook.steps[step - 1].name.clone();
                return Err(DecisionError::StillFailed { step, name });
            }
        }
    };
    // No failure stopped the run: `--retry` takes up every step that failed under
    // `on_failure: continue` (and so, in a runbook with `needs`, what needs them).
    if asked.retry && retried.is_empty() {
        let failed: Vec<usize> = resume
            .results
            .iter()
            .filter(|(step, result)| *result == StepResult::Failed && resume.done.contains(step))
            .map(|(step, _)| *step)
            .collect();
        if failed.is_empty() {
            return Err(DecisionError::NothingToRetry);
        }
        if asked.option.is_some() && failed.len() > 1 {
            let steps: Vec<String> = failed.iter().map(usize::to_string).collect();
            return Err(DecisionError::ContinueWhich(steps.join(", ")));
        }
        for step in failed {
            let event = decided(asked, step, decision, asked.option, how);
            all.push(event.clone());
            decisions.push(event);
        }
        resume = fold(runbook, &all, drill).map_err(DecisionError::Fold)?;
    }
    resume.decided = decisions;
    Ok(resume)
}

/// A failover's plan, as a retry finds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanNow {
    /// Failed over (the operator finished it in VAO): recorded as succeeded, nothing sent.
    Done { warnings: bool },
    /// Still running in VAO: waited for, nothing sent.
    Running,
    /// HALTED: VAO's Continue takes it forward.
    Halted,
    /// Ready for a failover: sent again, after the state guard.
    Ready,
    /// Anything else (finished with errors, another stable state): the operator must put
    /// it right in VAO, or skip the step.
    Other,
}

impl PlanNow {
    pub fn of(states: &crate::vao::StateSets, status: &crate::vao::PlanStatus) -> PlanNow {
        use crate::vao::Phase;
        // The one rule for "halted" (stably, nothing running): the one VAO's Continue is
        // sent by.
        if states.is_halted(status) {
            return PlanNow::Halted;
        }
        if states.is_ready(status) {
            return PlanNow::Ready;
        }
        match states.classify(status) {
            Phase::Succeeded => PlanNow::Done { warnings: false },
            Phase::SucceededWithWarnings => PlanNow::Done { warnings: true },
            Phase::Running => PlanNow::Running,
            _ => PlanNow::Other,
        }
    }
}

/// An answer the operator typed when a step failed, read as a decision: `retry`,
/// `continue OPTION` (only for a halted plan), `skip REASON`, `abort`, `rollback`, or
/// nothing (Enter: `default`, the step's `on_failure`). The error says what was wrong.
pub fn read_answer(
    line: &str,
    halted: bool,
    default: Decision,
) -> Result<(Decision, Option<ContinueOption>, Option<String>), String> {
    let line = line.trim();
    let (word, rest) = line
        .split_once(char::is_whitespace)
        .map_or((line, ""), |(w, r)| (w, r.trim()));
    match word.to_ascii_lowercase().as_str() {
        "" => Ok((default, None, None)),
        "retry" | "r" if rest.is_empty() => Ok((Decision::Retry, None, None)),
        "abort" | "a" if rest.is_empty() => Ok((Decision::Abort, None, None)),
        "rollback" | "b" if rest.is_empty() => Ok((Decision::Rollback, None, None)),
        "skip" | "s" if rest.is_empty() => {
            Err("a skip needs a reason: type `skip` and why, such as `skip the DBA failed it over by hand`".to_owned())
        }
        "skip" | "s" => Ok((Decision::Skip, None, Some(rest.to_owned()))),
        "continue" | "c" if !halted => Err(
            "VAO's Continue is only for a halted plan, and this step's plan is not halted".to_owned(),
        ),
        "continue" | "c" => match rest.parse::<ContinueOption>() {
            Ok(option) => Ok((Decision::Continue, Some(option), None)),
            Err(e) => Err(e.to_string()),
        },
        _ => Err(format!("`{line}` is not an answer drbook knows")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prepare::prepare;
    use crate::runbook::Source;
    use crate::template::VarInputs;

    const A: &str = "6f1c2d9e-3b4a-4c5d-8e7f-0a1b2c3d4e5f";
    const B: &str = "0b8a3c1d-2e4f-4a6b-9c8d-7e6f5a4b3c2d";

    fn runbook(steps: &str) -> Runbook {
        let text = format!("version: 1\nname: t\nsteps:\n{steps}");
        prepare(Source::from_text("rb.yaml", &text), &VarInputs::default())
            .expect("a valid runbook")
            .runbook
    }

    fn id(text: &str) -> uuid::Uuid {
        text.parse().unwrap()
    }

    /// Journal lines as drbook has always written them (the format before the events
    /// carried types), so a journal of an older run still folds.
    fn events(lines: &[String]) -> Vec<Event> {
        lines
            .iter()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
            .collect()
    }

    fn started(step: usize, kind: &str, plan: &str) -> String {
        format!(
            r#"{{"event":"step_started","step":{step},"name":"s{step}","kind":"{kind}","plan_id":"{plan}","at":"2026-11-28T02:00:0{step}.123456789Z"}}"#
        )
    }

    fn request(step: usize) -> String {
        format!(
            r#"{{"event":"request","step":{step},"attempt":1,"method":"POST","path":"/p","body":null,"at":"2026-11-28T02:00:00Z"}}"#
        )
    }

    fn answer(step: usize, status: u16) -> String {
        format!(
            r#"{{"event":"answer","step":{step},"status":{status},"body":"","elapsed":{{"secs":0,"nanos":0}},"attempts":1}}"#
        )
    }

    fn finished(step: usize, result: &str) -> String {
        format!(
            r#"{{"event":"step_finished","step":{step},"result":"{result}","at":"2026-11-28T02:00:09Z","error":"why"}}"#
        )
    }

    /// A failover step of `plan`: started, sent, answered with `status`, ended in `result`.
    fn failover(step: usize, plan: &str, status: u16, result: &str) -> [String; 4] {
        [
            started(step, "failover", plan),
            request(step),
            answer(step, status),
            finished(step, result),
        ]
    }

    /// Folds the journal lines `parts` for a runbook of `steps`.
    fn fold(steps: &str, parts: &[&[String]], drill: bool) -> Result<Resume, ResumeError> {
        resume_from(&runbook(steps), &events(&parts.concat()), drill)
    }

    fn plans(resume: &Resume) -> Vec<(usize, uuid::Uuid)> {
        resume
            .ledger
            .failed_over()
            .iter()
            .map(|e| (e.step, e.plan))
            .collect()
    }

    #[test]
    fn finished_steps_are_kept_and_the_step_in_flight_is_named() {
        let steps = format!("  - failover: {{ plan_id: {A} }}\n  - failover: {{ plan_id: {B} }}\n");
        let journal: &[&[String]] = &[
            &failover(1, A, 200, "succeeded"),
            &[started(2, "failover", B), request(2)],
        ];
        let resume = fold(&steps, journal, false).unwrap();
        assert!(resume.resumed);
        assert_eq!(resume.done, [1]);
        assert!(resume.ledger.is_accepted(id(A)));
        assert!(!resume.ledger.is_accepted(id(B)));
        assert_eq!(plans(&resume), [(2, id(B)), (1, id(A))]);
        assert_eq!(resume.next_undo, Some(3));
        assert_eq!(
            resume.in_flight,
            [InFlight {
                step: 2,
                started_at: "2026-11-28T02:00:02.123456789Z".parse().unwrap(),
                sent: true,
                baseline: None,
                continues: 0,
                continue_unsettled: false,
                exited: None,
            }]
        );
        assert_eq!(resume.rolling_back, None);
    }

    #[test]
    fn a_refused_failover_leaves_nothing_to_undo_and_an_undone_plan_is_forgotten() {
        let steps = format!(
            "  - on_failure: continue\n    failover: {{ plan_id: {A} }}\n  - failover: {{ plan_id: {B} }}\n  - undo_failover: {{ plan_id: {B} }}\n  - wait: 1h\n"
        );
        let undo = [started(3, "undo_failover", B), finished(3, "succeeded")];
        let resume = fold(
            &steps,
            &[
                &failover(1, A, 409, "failed"),
                &failover(2, B, 202, "succeeded"),
                &undo,
            ],
            false,
        )
        .unwrap();
        assert_eq!(resume.done, [1, 2, 3]);
        assert_eq!(
            resume.failures,
            [format!(r#"step 1 "Fail over plan {A}" failed: why"#)]
        );
        assert_eq!(plans(&resume), []);
        assert!(resume.in_flight.is_empty());
    }

    #[test]
    fn a_rollback_under_way_goes_on_after_the_undos_it_made() {
        let steps = format!(
            "  - failover: {{ plan_id: {A} }}\n  - failover: {{ plan_id: {B} }}\n    on_failure: rollback\n"
        );
        let mut journal = failover(1, A, 200, "succeeded").to_vec();
        journal.extend(failover(2, B, 200, "failed"));
        // The first undo is done; the second was under way.
        journal.extend([started(3, "undo", B), finished(3, "succeeded")]);
        journal.push(started(4, "undo", A));
        let resume = fold(&steps, &[&journal], false).unwrap();
        assert_eq!(
            resume.rolling_back,
            Some(format!(r#"step 2 "Fail over plan {B}" failed: why"#))
        );
        assert_eq!(resume.next_undo, Some(5));
        assert_eq!(plans(&resume), [(1, id(A))]);
    }

    #[test]
    fn a_drill_that_failed_has_only_its_clean_up_left() {
        let steps = format!("  - failover: {{ plan_id: {A} }}\n  - failover: {{ plan_id: {B} }}\n");
        let phase = r#"{"event":"phase_started","phase":"cleanup","at":"2026-11-28T02:00:09Z"}"#;
        let journal: &[&[String]] = &[&failover(1, A, 200, "failed"), &[phase.to_owned()]];
        let resume = fold(&steps, journal, true).unwrap();
        assert_eq!(
            resume.cleanup_only,
            Some(format!(r#"step 1 "Fail over plan {A}" failed: why"#))
        );
        assert_eq!(plans(&resume), [(1, id(A))]);
        assert_eq!(
            fold(&steps, journal, false).unwrap_err().to_string(),
            "step 1 failed and the run ended there (on_failure: Abort); there is nothing to resume"
        );
    }

    #[test]
    fn a_run_that_ended_folds_to_what_it_left_failed_over() {
        let steps = format!(
            "  - failover: {{ plan_id: {A} }}\n  - failover: {{ plan_id: {B} }}\n  - wait: 1h\n"
        );
        let skipped = r#"{"event":"step_finished","step":3,"result":"skipped","at":"2026-11-28T02:00:09Z","error":"not run"}"#;
        let journal: &[&[String]] = &[
            &failover(1, A, 200, "succeeded"),
            &failover(2, B, 200, "failed"),
            &[skipped.to_owned()],
        ];
        let folded = super::fold(&runbook(&steps), &events(&journal.concat()), false).unwrap();
        assert_eq!(folded.ended, Some((2, OnFailure::Abort)));
        assert_eq!(folded.done, [1]);
        assert_eq!(plans(&folded), [(2, id(B)), (1, id(A))]);
        assert!(
            fold(&steps, journal, false).is_err(),
            "resume still refuses it"
        );
    }

    #[test]
    fn a_step_marked_not_run_on_the_way_out_is_still_in_flight() {
        // Killed mid-failover, then a resume whose login failed marked the step not run:
        // its request may have reached VAO, so it is reconciled, never taken as done.
        let steps = format!("  - failover: {{ plan_id: {A} }}\n");
        let journal: &[&[String]] = &[&[
            started(1, "failover", A),
            request(1),
            finished(1, "skipped"),
        ]];
        let resume = fold(&steps, journal, false).unwrap();
        assert_eq!(resume.in_flight.len(), 1, "{resume:?}");
        assert!(resume.in_flight[0].sent);
        assert!(resume.result_of(1).is_none());
        assert_eq!(plans(&resume), [(1, id(A))]);
    }

    #[test]
    fn a_command_whose_intent_was_journalled_may_have_started() {
        let steps = "  - command: { run: [\"true\"] }\n  - command: { run: [\"true\"] }\n";
        let spawning = r#"{"event":"spawning","step":1,"command":"true","cwd":null,"env":[],"at":"2026-11-28T02:00:01Z"}"#;
        let started = |step: usize| {
            format!(
                r#"{{"event":"step_started","step":{step},"name":"c","kind":"command","plan_id":null,"at":"2026-11-28T02:00:00Z"}}"#
            )
        };
        // Started, its intent journalled: in flight and maybe started.
        let resume = fold(steps, &[&[started(1), spawning.to_owned()]], false).unwrap();
        assert_eq!(resume.in_flight.len(), 1);
        assert!(resume.in_flight[0].sent);
        assert!(
            plans(&resume).is_empty(),
            "a command leaves nothing to undo"
        );
        // Started and not yet journalled as about to run: it certainly did not start.
        let resume = fold(steps, &[&[started(2)]], false).unwrap();
        assert!(!resume.in_flight[0].sent);
    }

    #[test]
    fn a_command_seen_to_end_is_in_flight_with_its_exit_until_it_is_started_again() {
        let steps = "  - command: { run: [\"false\"] }\n";
        let started = r#"{"event":"step_started","step":1,"name":"c","kind":"command","plan_id":null,"at":"2026-11-28T02:00:00Z"}"#;
        let spawning = r#"{"event":"spawning","step":1,"command":"false","cwd":null,"env":[],"at":"2026-11-28T02:00:01Z"}"#;
        let exited = serde_json::to_string(&Event::Exited {
            step: 1,
            code: Some(1),
            signal: None,
            timed_out: false,
            elapsed: std::time::Duration::from_millis(5),
            stdout: String::new(),
            stderr: "no route\n".to_owned(),
            truncated: false,
            at: "2026-11-28T02:00:02Z".parse().unwrap(),
        })
        .unwrap();
        let mut journal = vec![started.to_owned(), spawning.to_owned(), exited];
        let resume = fold(steps, &[&journal], false).unwrap();
        let exit = Exit {
            code: Some(1),
            signal: None,
            timed_out: false,
        };
        assert_eq!(
            resume.in_flight[0].exited,
            Some((exit, "no route\n".to_owned()))
        );
        // Started again after that: this start's end is not known.
        journal.extend([started.to_owned(), spawning.to_owned()]);
        let resume = fold(steps, &[&journal], false).unwrap();
        assert!(resume.in_flight[0].sent);
        assert_eq!(resume.in_flight[0].exited, None);
    }

    #[test]
    fn a_drills_clean_up_steps_that_succeeded_are_kept_and_the_others_taken_up() {
        let steps = format!(
            "  - failover: {{ plan_id: {A} }}\ncleanup:\n  - command: {{ run: [\"true\"] }}\n  - command: {{ run: [\"true\"] }}\n  - command: {{ run: [\"true\"] }}\n"
        );
        let clean = |step: usize| {
            format!(
                r#"{{"event":"step_started","step":{step},"name":"c","kind":"command","plan_id":null,"at":"2026-11-28T02:00:00Z"}}"#
            )
        };
        let journal: &[&[String]] = &[
            &failover(1, A, 200, "succeeded"),
            &[started(5, "undo", A), finished(5, "succeeded")],
            &[
                clean(2),
                finished(2, "succeeded"),
                clean(3),
                finished(3, "failed"),
                clean(4),
            ],
        ];
        let resume = fold(&steps, journal, true).unwrap();
        assert!(resume.done.contains(&2));
        assert!(
            !resume.done.contains(&3),
            "a failed clean-up step runs again"
        );
        assert_eq!(
            resume.in_flight.iter().map(|f| f.step).collect::<Vec<_>>(),
            [4]
        );
        assert_eq!(plans(&resume), [], "the plan was undone");
        assert_eq!(resume.next_undo, Some(6));
    }

    #[test]
    fn a_step_that_ran_must_still_be_the_same_step() {
        let steps = format!("  - failover: {{ plan_id: {B} }}\n  - wait: 1h\n");
        let error = fold(&steps, &[&[started(1, "failover", A)]], false).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "step 1 ran as a failover of {A} but the runbook now has a failover of {B} there; resume cannot map the finished work onto the changed steps"
            )
        );
        let wait = r#"{"event":"step_started","step":1,"name":"w","kind":"wait","plan_id":null,"at":"2026-11-28T02:00:00Z"}"#;
        let error = fold(&steps, &[&[wait.to_owned()]], false).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "step 1 ran as a wait of nothing but the runbook now has a failover of {B} there; resume cannot map the finished work onto the changed steps"
            )
        );
    }
    fn asked(retry: bool, skip: &[&str], reason: Option<&str>) -> Asked {
        Asked {
            retry,
            option: None,
            skip: skip.iter().map(|s| s.to_string()).collect(),
            reason: reason.map(str::to_owned),
            decider: crate::exec::Decider {
                by: "alice".into(),
                account: Some("root".into()),
            },
        }
    }

    fn decide_on(steps: &str, parts: &[&[String]], asked: &Asked) -> Result<Resume, DecisionError> {
        decide(&runbook(steps), &events(&parts.concat()), false, asked)
    }

    /// Two failovers; the first was accepted and then failed (it timed out, say).
    fn failed_first() -> (String, Vec<String>) {
        let steps = format!(
            "  - failover: {{ plan_id: {A} }}\n  - name: app\n    failover: {{ plan_id: {B} }}\n"
        );
        let mut journal = failover(1, A, 200, "failed").to_vec();
        journal.push(finished(2, "skipped"));
        (steps, journal)
    }

    #[test]
    fn retry_takes_up_every_step_that_failed_under_continue_but_continue_only_one() {
        let steps = format!(
            "  - {{ on_failure: continue, failover: {{ plan_id: {A} }} }}\n  - {{ on_failure: continue, failover: {{ plan_id: {B} }} }}\n"
        );
        let journal = [
            failover(1, A, 200, "failed").to_vec(),
            failover(2, B, 200, "failed").to_vec(),
        ]
        .concat();
        let resume = decide_on(&steps, &[&journal], &asked(true, &[], None)).unwrap();
        assert_eq!(resume.retry_of(1), Some(None));
        assert_eq!(resume.retry_of(2), Some(None));
        assert!(resume.done.is_empty(), "{:?}", resume.done);
        let mut continuing = asked(true, &[], None);
        continuing.option = Some(ContinueOption::RetryFailedVm);
        assert_eq!(
            decide_on(&steps, &[&journal], &continuing).unwrap_err(),
            DecisionError::ContinueWhich("1, 2".to_owned())
        );
    }

    #[test]
    fn a_retry_takes_the_failed_step_up_again_and_keeps_its_failover_in_the_ledger() {
        let (steps, journal) = failed_first();
        let resume = decide_on(&steps, &[&journal], &asked(true, &[], None)).unwrap();
        assert_eq!(resume.retry_of(1), Some(None));
        assert!(resume.done.is_empty());
        assert!(resume.in_flight.is_empty(), "{:?}", resume.in_flight);
        assert_eq!(plans(&resume), [(1, id(A))]);
        let [
            Event::Decided {
                step: 1,
                decision: Decision::Retry,
                by,
                account,
                how,
                ..
            },
        ] = resume.decided.as_slice()
        else {
            panic!("{:?}", resume.decided);
        };
        assert_eq!(
            (by.as_str(), account.as_deref(), how.as_str()),
            ("alice", Some("root"), "resume --retry")
        );

        // Killed after the retry's intent was journalled: the step is in flight, sent, and
        // still a retry (a later resume reconciles it; it is never sent blindly).
        let mut again = journal.clone();
        again.push(serde_json::to_string(&resume.decided[0]).unwrap());
        again.extend([started(1, "failover", A), request(1)]);
        let later = fold(&steps, &[&again], false).unwrap();
        assert_eq!(later.retry_of(1), Some(None));
        assert_eq!(later.in_flight.len(), 1);
        assert!(later.in_flight[0].sent);
        // The retried step finished: the retry is over.
        again.push(finished(1, "succeeded"));
        let done = fold(&steps, &[&again], false).unwrap();
        assert_eq!(done.retry_of(1), None);
        assert_eq!(done.done, [1]);
    }

    #[test]
    fn a_skipped_failover_is_done_but_its_plan_stays_in_the_ledger() {
        let (steps, journal) = failed_first();
        let resume = decide_on(
            &steps,
            &[&journal],
            &asked(false, &["1"], Some("done by hand")),
        )
        .unwrap();
        assert_eq!(resume.done, [1]);
        assert_eq!(resume.skipped, [1]);
        assert_eq!(resume.result_of(1), Some(StepResult::Skipped));
        // A rollback or a drill's clean-up still undoes the plan that was failed over.
        assert_eq!(plans(&resume), [(1, id(A))]);
        let [
            Event::Decided {
                decision: Decision::Skip,
                reason,
                ..
            },
        ] = resume.decided.as_slice()
        else {
            panic!("{:?}", resume.decided);
        };
        assert_eq!(reason.as_deref(), Some("done by hand"));
        // By its unique name too.
        let by_name =
            decide_on(&steps, &[&journal], &asked(true, &["app"], Some("later"))).unwrap();
        assert_eq!(by_name.skipped, [2]);
        assert_eq!(by_name.retry_of(1), Some(None));
    }

    #[test]
    fn decisions_that_cannot_apply_are_refused() {
        let (steps, journal) = failed_first();
        let refused = |asked: &Asked| decide_on(&steps, &[&journal], asked).unwrap_err();
        assert_eq!(
            refused(&asked(false, &["9"], Some("x"))),
            DecisionError::NoSuchStep("9".into(), 2)
        );
        assert_eq!(
            refused(&asked(false, &["nope"], Some("x"))),
            DecisionError::NoSuchStep("nope".into(), 2)
        );
        assert_eq!(
            refused(&asked(false, &["1"], Some("  "))),
            DecisionError::NoReason
        );
        // Skipping only a later step leaves the failure that stopped the run.
        assert_eq!(
            refused(&asked(false, &["2"], Some("x"))),
            DecisionError::StillFailed {
                step: 1,
                name: format!("Fail over plan {A}")
            }
        );
        let ok: Vec<String> = failover(1, A, 200, "succeeded").to_vec();
        let skip_ok = decide_on(&steps, &[&ok], &asked(false, &["1"], Some("x"))).unwrap_err();
        assert_eq!(
            skip_ok,
            DecisionError::SkipSucceeded {
                step: 1,
                name: format!("Fail over plan {A}")
            }
        );
        let retry_ok = decide_on(&steps, &[&ok], &asked(true, &[], None)).unwrap_err();
        assert_eq!(retry_ok, DecisionError::NothingToRetry);
        let in_flight = [started(1, "failover", A), request(1)];
        let skip_flying =
            decide_on(&steps, &[&in_flight], &asked(false, &["1"], Some("x"))).unwrap_err();
        assert_eq!(
            skip_flying,
            DecisionError::SkipInFlight {
                step: 1,
                name: format!("Fail over plan {A}")
            }
        );
        let twins = "  - name: same\n    wait: 1s\n  - name: same\n    wait: 2s\n";
        let twice = decide(
            &runbook(twins),
            &[],
            false,
            &asked(false, &["same"], Some("x")),
        )
        .unwrap_err();
        assert_eq!(
            twice,
            DecisionError::Ambiguous {
                name: "same".into(),
                numbers: "1, 2".into()
            }
        );
    }

    #[test]
    fn a_rollback_answered_at_the_terminal_is_resumed_as_a_rollback() {
        let (steps, mut journal) = failed_first();
        journal.truncate(4);
        journal.push(
            r#"{"event":"decided","step":1,"decision":"rollback","by":"alice","how":"terminal","at":"2026-11-28T02:00:10Z"}"#
                .to_owned(),
        );
        let resume = fold(&steps, &[&journal], false).unwrap();
        assert!(resume.rolling_back.is_some());
    }

    #[test]
    fn terminal_answers_are_read_as_decisions() {
        let abort = Decision::Abort;
        let answers = [
            ("\n", false, (abort, None, None)),
            (" retry ", false, (Decision::Retry, None, None)),
            ("b", false, (Decision::Rollback, None, None)),
            (
                "skip the DBA did it",
                false,
                (Decision::Skip, None, Some("the DBA did it".into())),
            ),
            (
                "continue RetryFailedVm",
                true,
                (
                    Decision::Continue,
                    Some(ContinueOption::RetryFailedVm),
                    None,
                ),
            ),
        ];
        for (line, halted, decision) in answers {
            assert_eq!(read_answer(line, halted, abort), Ok(decision), "{line:?}");
        }
        let refusals = [
            ("skip", false, "needs a reason"),
            ("continue RetryFailedVm", false, "not halted"),
            ("continue Later", true, "ProceedToNextVm"),
            ("yes", true, "not an answer"),
        ];
        for (line, halted, why) in refusals {
            let refused = read_answer(line, halted, abort).unwrap_err();
            assert!(refused.contains(why), "{line:?}: {refused}");
        }
    }

    fn continuing(step: usize) -> String {
        format!(
            r#"{{"event":"continuing","step":{step},"option":"RetryFailedStep","try_number":1,"times":2,"halted":{{"state":"Halted","source":"runtime_details"}},"at":"2026-11-28T02:00:05Z"}}"#
        )
    }

    fn reconciled(step: usize, accepted: bool) -> String {
        format!(
            r#"{{"event":"reconciled","step":{step},"status":{{"state":"Halted","source":"plan"}},"accepted":{accepted},"at":"2026-11-28T02:00:06Z","of_continue":true}}"#
        )
    }

    #[test]
    fn continues_are_counted_and_the_last_one_unanswered_is_unsettled() {
        let steps = format!("  - failover: {{ plan_id: {A} }}\n");
        let failover = [started(1, "failover", A), request(1), answer(1, 200)];
        let in_flight = |tail: &[String]| {
            let resume = fold(&steps, &[&failover, tail], false).unwrap();
            // A Continue's fate never takes the plan out of the ledger: VAO accepted the
            // failover, whatever became of the Continue.
            assert!(resume.ledger.is_accepted(id(A)));
            let f = &resume.in_flight[0];
            (f.continues, f.continue_unsettled)
        };
        // Decided, but killed before the intent: nothing was sent.
        assert_eq!(in_flight(&[continuing(1)]), (0, false));
        // The intent, without an answer: unsettled.
        assert_eq!(in_flight(&[continuing(1), request(1)]), (1, true));
        // Answered 2xx, or shown accepted by a read: settled.
        assert_eq!(
            in_flight(&[continuing(1), request(1), answer(1, 200)]),
            (1, false)
        );
        assert_eq!(
            in_flight(&[continuing(1), request(1), reconciled(1, true)]),
            (1, false)
        );
        // A read about the failover (a resumed process's) says nothing of the Continue.
        let failover_read = reconciled(1, true).replace(r#","of_continue":true"#, "");
        assert_eq!(
            in_flight(&[continuing(1), request(1), failover_read]),
            (1, true)
        );
        // A read that still saw the plan halted settles nothing, and a refusal of the
        // Continue does not unsend the failover.
        assert_eq!(
            in_flight(&[continuing(1), request(1), reconciled(1, false)]),
            (1, true)
        );
        assert_eq!(
            in_flight(&[
                continuing(1),
                request(1),
                answer(1, 200),
                continuing(1),
                request(1),
                answer(1, 400)
            ]),
            (2, true)
        );
    }
}
