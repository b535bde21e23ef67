//! `drbook check`: the pre-flight. Every read a run would make, for real, and no write:
//! after logging in it reads each step's plan and says whether the step would succeed now.
//!
//! Steps change plans, so a plan's state is predicted through the runbook: after a
//! failover step, a later `undo_failover` of the same plan is judged against the state the
//! failover leaves (FAILOVER), not against the state the server shows today.

use super::event::{Event, GuardVerdict, Listener, RunResult, StepResult};
use super::executor::Approvals;
use super::guard;
use crate::runbook::{Action, Command, Runbook, Scope, Step};
use crate::vao::{PlanInfo, PlanStatus, StateSets, VaoClient, VaoError};
use chrono::Utc;
use std::collections::HashMap;

/// What `check` is told beyond the runbook.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// `--force`: a run would skip the state guards, so states are reported, not judged.
    pub force: bool,
    pub approvals: Approvals,
    /// Ctrl-C: no further step is checked.
    pub interrupt: Option<super::Interrupt>,
}

/// A plan as the run would find it at a step: read from the server, then changed by the
/// runbook's earlier steps.
#[derive(Clone)]
struct Predicted {
    info: PlanInfo,
    /// The earlier step that set the state, if any.
    by_step: Option<usize>,
}

struct Checker<'a> {
    runbook: &'a Runbook,
    client: &'a VaoClient,
    states: StateSets,
    options: CheckOptions,
    listener: &'a mut dyn Listener,
    plans: HashMap<uuid::Uuid, Result<Predicted, String>>,
}

/// A step `check` does not pass.
enum Unchecked {
    /// It would fail now, and why.
    WouldFail(String),
    /// It is not looked at, and why: neither would run nor would fail.
    Left(String),
}

/// Runs the pre-flight; the result is `Succeeded` when every step would run.
pub async fn check(
    runbook: &Runbook,
    client: &VaoClient,
    options: CheckOptions,
    listener: &mut dyn Listener,
) -> RunResult {
    let mut checker = Checker {
        runbook,
        client,
        states: super::to_vao::state_sets(&runbook.states),
        options,
        listener,
        plans: HashMap::new(),
    };
    checker.run().await
}

/// A stable state set as a step leaves it.
fn after(info: &PlanInfo, state: &str) -> PlanInfo {
    PlanInfo {
        status: PlanStatus {
            state: state.to_owned(),
            state_name: None,
            last_stable_state: Some(state.to_owned()),
            result_name: None,
            total_progress: Some(100),
            check_result: info.status.check_result.clone(),
            running_state: None,
            stable_state: None,
            source: "predicted".to_owned(),
        },
        ..info.clone()
    }
}

impl Checker<'_> {
    fn emit(&mut self, event: Event) {
        self.listener.on_event(&event);
    }

    async fn run(&mut self) -> RunResult {
        let steps = self.runbook.steps.len();
        self.emit(Event::RunStarted {
            at: Utc::now(),
            steps,
        });
        if let Err(error) = self.client.authenticate().await.map(|how| {
            self.emit(Event::Authenticated {
                at: Utc::now(),
                how,
            })
        }) {
            let message = error.to_string();
            for step in &self.runbook.steps {
                self.emit(Event::step_finished(
                    step.number,
                    StepResult::Skipped,
                    Some("not checked: authentication failed".to_owned()),
                ));
            }
            return self.finish(RunResult::Failed, Some(message));
        }
        let mut failures = Vec::new();
        let mut unchecked = false;
        let runbook = self.runbook;
        for step in runbook.steps.iter().chain(&runbook.cleanup) {
            if self.options.interrupt.as_ref().is_some_and(|i| *i.borrow()) {
                unchecked = true;
                self.emit(Event::step_finished(
                    step.number,
                    StepResult::Skipped,
                    Some("not checked: drbook was interrupted".to_owned()),
                ));
                continue;
            }
            self.emit(Event::step_started(step));
            let (result, error) = match self.step(step).await {
                Ok(()) => (StepResult::CheckPassed, None),
                // Not looked at: neither would run nor would fail, and says so.
                Err(Unchecked::Left(why)) => (StepResult::Skipped, Some(why)),
                Err(Unchecked::WouldFail(reason)) => {
                    failures.push(format!(
                        "step {} \"{}\" would fail: {reason}",
                        step.number, step.name
                    ));
                    (StepResult::CheckFailed, Some(reason))
                }
            };
            self.emit(Event::StepFinished {
                step: step.number,
                result,
                at: Utc::now(),
                error,
            });
        }
        if unchecked {
            failures.push("interrupted: the remaining steps were not checked".to_owned());
            self.finish(RunResult::Interrupted, Some(failures.join("; ")))
        } else if failures.is_empty() {
            self.finish(RunResult::Succeeded, None)
        } else {
            self.finish(RunResult::Failed, Some(failures.join("; ")))
        }
    }

    fn finish(&mut self, result: RunResult, error: Option<String>) -> RunResult {
        self.emit(Event::run_finished(result, error));
        result
    }

    /// The plan as the step would find it: read once from the server (with the step's
    /// retries), then as earlier steps left it.
    async fn plan(&mut self, number: usize, step: &Step) -> Result<Predicted, String> {
        let Some(call) = step.action.call() else {
            return Err("this step acts on no plan".to_owned());
        };
        if let Some(known) = self.plans.get(&call.plan_id) {
            return known.clone();
        }
        let policy = super::to_vao::retry_policy(&call);
        let (info, errors) = self.client.read_plan(&call.plan_id, policy).await;
        if !errors.is_empty() {
            self.emit(Event::ReadsRetried {
                step: number,
                errors,
            });
        }
        let known = match info {
            Ok(info) => Ok(Predicted {
                info,
                by_step: None,
            }),
            Err(error @ VaoError::Auth(_)) => Err(error.to_string()),
            Err(error) => Err(guard::GuardError::unread(call.plan_id, "", error).to_string()),
        };
        self.plans.insert(call.plan_id, known.clone());
        known
    }

    fn predict(&mut self, plan_id: uuid::Uuid, number: usize, info: PlanInfo) {
        self.plans.insert(
            plan_id,
            Ok(Predicted {
                info,
                by_step: Some(number),
            }),
        );
    }

    /// Whether the step would run now: `Ok`, or why it would fail, or why it is not looked
    /// at (a health check, whose target is usually down before a failover).
    async fn step(&mut self, step: &Step) -> Result<(), Unchecked> {
        let number = step.number;
        if step.only != Scope::default() {
            let only = if step.only.run { "run" } else { "drill" };
            self.emit(Event::Note {
                step: number,
                text: format!(
                    "only: [{only}]: a {} leaves this step out",
                    if step.only.run { "drill" } else { "real run" }
                ),
            });
        }
        match &step.action {
            Action::Wait(_) => Ok(()),
            Action::HttpCheck(_) | Action::TcpCheck(_) => Err(Unchecked::Left(
                "not checked: a health check's target is usually down before a failover; the run tries it"
                    .to_owned(),
            )),
            Action::Command(command) => {
                let found = program_found(command).map_err(Unchecked::WouldFail)?;
                self.emit(Event::Note {
                    step: number,
                    text: found,
                });
                Ok(())
            }
            Action::Pause(_) => {
                let approvals = &self.options.approvals;
                if approvals.covers(step) || approvals.interactive {
                    Ok(())
                } else {
                    Err(Unchecked::WouldFail(format!(
                        "this pause needs approval and a run without a terminal would stop here: pass --approve {number} (or its name, or all)"
                    )))
                }
            }
            action => {
                let known = self.plan(number, step).await;
                let verdict = match &known {
                    Ok(plan) => self.judge(step, action, plan),
                    Err(reason) => Err(reason.clone()),
                };
                let plan = known.as_ref().ok().map(|p| p.info.clone());
                // `--force`: a run would skip the guard of a plan it can read.
                let skipped = self.options.force && plan.is_some();
                self.emit(Event::Guard {
                    step: number,
                    plan: plan.clone(),
                    verdict: match &verdict {
                        Err(_) if skipped => GuardVerdict::Skipped,
                        verdict => GuardVerdict::of(verdict),
                    },
                    at: Utc::now(),
                });
                if let (Some(plan), Ok(())) = (&plan, &verdict) {
                    self.note_effects(step, action, plan);
                }
                if skipped {
                    Ok(())
                } else {
                    verdict.map_err(Unchecked::WouldFail)
                }
            }
        }
    }

    /// The state guard of each kind of step, against the predicted plan.
    fn judge(&self, step: &Step, action: &Action, plan: &Predicted) -> Result<(), String> {
        let info = &plan.info;
        let id = step.action.plan_id().unwrap_or_default();
        let state = info.status.summary();
        let because = plan
            .by_step
            .map(|n| format!(" (as step {n} leaves it)"))
            .unwrap_or_default();
        match action {
            Action::Failover(_) => guard::failover(&self.states, info, id, &because)
                .map_err(|refusal| refusal.to_string()),
            Action::UndoFailover(_) => {
                guard::undo(&self.states, info, id, &because).map_err(|refusal| refusal.to_string())
            }
            Action::ReadinessCheck(_) => guard::readiness_check(&self.states, info, id, &because)
                .map_err(|refusal| refusal.to_string()),
            Action::ExpectState(expect) => {
                if self.states.is_in(&info.status, &expect.states) {
                    Ok(())
                } else {
                    let waits = if expect.call.timeout.is_zero() {
                        String::new()
                    } else {
                        ", and no earlier step of the runbook brings it there".to_owned()
                    };
                    Err(format!(
                        "plan {id} is {state}{because}, expected {}{waits}",
                        expect.states.join(" or ")
                    ))
                }
            }
            _ => Ok(()),
        }
    }

    /// What a step that would succeed does to its plan, for the steps after it; and what
    /// an operator should know about it.
    fn note_effects(&mut self, step: &Step, action: &Action, plan: &PlanInfo) {
        match action {
            Action::Failover(f) => {
                if f.execute_chained_plans {
                    self.emit(Event::Note {
                        step: step.number,
                        text: format!(
                            "execute_chained_plans is true: the plans chained after plan {} in VAO run too, and drbook does not check them",
                            f.plan_id
                        ),
                    });
                }
                // The state a failover leaves, as the runbook names it.
                let state = self
                    .runbook
                    .states
                    .succeeded
                    .as_ref()
                    .and_then(|names| names.first())
                    .map_or("Failover", String::as_str);
                self.predict(f.plan_id, step.number, after(plan, state));
            }
            Action::UndoFailover(c) => {
                self.predict(c.plan_id, step.number, after(plan, "Undo Failover"));
            }
            _ => {}
        }
    }
}

/// Whether a command's program exists and is executable, as it would be started: looked
/// up in `PATH` (a name) or from its working directory (a path). Its words are not run.
fn program_found(command: &Command) -> Result<String, String> {
    let argv = command.line.argv();
    let program = &argv[0];
    let cwd = match &command.cwd {
        Some(cwd) if !cwd.is_dir() => {
            return Err(format!(
                "its working directory {} is not a directory",
                cwd.display()
            ));
        }
        Some(cwd) => cwd.clone(),
        None => std::env::current_dir().unwrap_or_default(),
    };
    match which::which_in(program, std::env::var_os("PATH"), &cwd) {
        Ok(path) => Ok(format!(
            "the program {program} exists and is executable: {} (it is not run)",
            path.display()
        )),
        Err(_) => Err(format!(
            "the program {program} is not found or not executable ({})",
            if program.contains('/') {
                format!("from {}", cwd.display())
            } else {
                "searched in PATH".to_owned()
            }
        )),
    }
}
