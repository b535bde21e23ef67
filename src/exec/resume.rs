//! Taking a run over from its journal: the fold of the journalled events into a
//! [`Resume`], what the executor needs to go on where an earlier process stopped.
//!
//! It lives beside the events it folds: which steps finished, which failovers VAO accepted
//! or may have received (a [`PlanLedger`]), which were undone since, how far a rollback or
//! a drill's clean-up got, and which steps were under way. `drbook resume` reads the journal
//! and calls [`resume_from`]; the executor reconciles the steps in flight with the server.

use super::event::{Event, GuardVerdict, StepKind, StepResult};
use super::ledger::PlanLedger;
use crate::runbook::{Action, OnFailure, Runbook, Step};
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
    /// A step of a parallel group failed (abort or rollback) while others of the group were
    /// under way: only those are taken up, then the group's policy applies to the failure.
    pub group_failure: Option<String>,
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

/// A failed step, as the run's error names it.
fn failure(step: &Step, error: &Option<String>) -> String {
    format!(
        "step {} \"{}\" failed: {}",
        step.number,
        step.name,
        error.clone().unwrap_or_default()
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

/// What the journal says was done: finished steps, failovers VAO accepted, and the steps in
/// flight when the process stopped. `drill`: the run was a drill (its clean-up is left).
pub fn resume_from(
    runbook: &Runbook,
    events: &[Event],
    drill: bool,
) -> Result<Resume, ResumeError> {
    same_steps(runbook, events)?;
    let mut resume = Resume {
        resumed: true,
        ..Resume::default()
    };
    let mut started: Vec<(usize, DateTime<Utc>)> = Vec::new();
    let mut sent: Vec<usize> = Vec::new();
    let mut finished: HashMap<usize, (StepResult, Option<String>)> = HashMap::new();
    for event in events {
        // Only a failover leaves something to undo (an accepted undo or readiness check
        // does not).
        let plan = event.step().and_then(|step| failover_plan(runbook, step));
        match event {
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
    let (undone, next_undo) = undos(runbook, events);
    for step in &runbook.steps {
        let Some((result, error)) = finished.get(&step.number) else {
            continue;
        };
        match result {
            StepResult::Succeeded | StepResult::SucceededWithWarnings => {
                resume.done.push(step.number);
                continue;
            }
            StepResult::Failed => {}
            _ => continue,
        }
        let stops = step.on_failure != OnFailure::Continue;
        // A step of a parallel group failed while others of the group were still under
        // way: those are reconciled (nothing new starts), then the group's policy applies.
        if stops
            && step.group.is_some_and(|g| {
                let group = &runbook.groups[g];
                (group.first..=group.last).any(|n| n != step.number && unfinished(n))
            })
        {
            resume.done.push(step.number);
            resume.group_failure = Some(failure(step, error));
        } else if step.on_failure == OnFailure::Rollback {
            // The process died while rolling back: the rollback goes on, after the undos
            // it had made.
            for plan in undone {
                resume.ledger.forget(plan);
            }
            resume.rolling_back = Some(failure(step, error));
            resume.next_undo = Some(next_undo);
            return Ok(resume);
        } else if drill && stops {
            // The drill's runbook part ended here; its clean-up is what is left.
            resume.cleanup_only = Some(failure(step, error));
            break;
        } else if stops {
            return Err(ResumeError::Ended {
                step: step.number,
                policy: step.on_failure,
            });
        } else {
            resume.done.push(step.number);
            resume.failures.push(failure(step, error));
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
    // The steps in flight: started and not finished for good (several in a parallel group).
    let mut seen = Vec::new();
    for (step, at) in started.iter().rev() {
        // A clean-up step that ended (and failed) is not in flight: it runs again anew.
        let ended_cleanup = *step > runbook.steps.len() && finished.contains_key(step);
        if resume.done.contains(step)
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
        resume.in_flight.push(InFlight {
            step: *step,
            started_at: *at,
            sent: sent.contains(step),
            baseline,
        });
    }
    Ok(resume)
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
}
