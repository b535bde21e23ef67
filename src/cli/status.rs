//! `drbook status [RUN]`: where a run stands, from its journal alone. What an incident
//! commander runs on a second terminal, and what an operator runs after a crash before
//! deciding to resume.
//!
//! Nothing here folds the journal a second way: the plans failed over and not undone, and
//! the steps in flight with whether their request may have left, come from
//! [`exec::resume::fold`](crate::exec::resume::fold), the fold `resume` takes a run over
//! with; whether the run can be resumed comes from the very checks `drbook resume` makes
//! (`cli::resume`), and whether a process holds it from [`lock::probe`], which takes no lock
//! from a run. `--live` only reads (GET) the plans from VAO.

use super::args::{ControlArgs, OutputArgs, OutputFormat, ReportFormats, StatusArgs};
use super::credentials::credentials_from;
use super::exit::{Error, Exit, Outcome};
use super::lock;
use super::output::printable;
use super::resume::{journal_path, prepare_again, run_args, unfinished};
use super::run::{check_server, client_options};
use crate::exec::journal::{self, JournalHeader, ReadJournal};
use crate::exec::resume::fold;
use crate::exec::{Decision, Event, Mode, Resume, RunResult, StepKind, StepResult};
use crate::prepare::Prepared;
use crate::secret::Redactor;
use crate::vao::{Phase, PlanStatus, RetryPolicy, VaoClient};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// The version of the JSON shape (`drbook_status`). Fields may be added; none is renamed
/// or removed without a new version.
pub const STATUS_VERSION: u32 = 1;

/// The state folder `resume` and `status` read unless told otherwise.
const DEFAULT_STATE_DIR: &str = "reports";

/// Where one run stands (`drbook status RUN`, and `--format json`).
#[derive(Debug, Clone, Serialize)]
pub struct RunStatus {
    pub drbook_status: u32,
    pub run_id: String,
    pub journal: PathBuf,
    pub mode: Mode,
    /// A drill (`drbook drill`): its clean-up is part of the run.
    pub drill: bool,
    pub runbook: RunbookStatus,
    pub server: Option<String>,
    pub started_at: DateTime<Utc>,
    pub state: RunState,
    /// When the run finished (`succeeded`, `failed`, `interrupted`).
    pub finished_at: Option<DateTime<Utc>>,
    /// The run's error, as it finished.
    pub error: Option<String>,
    pub last_event: Option<LastEvent>,
    pub lock: LockStatus,
    pub steps: Vec<StepStatus>,
    /// The plans the run failed over (or may have) and has not undone, newest step first;
    /// `null` when the journal could not be folded (`problems` says why).
    pub failed_over: Option<Vec<FailedOver>>,
    pub resume: Resumable,
    /// What could not be read or folded (a damaged journal line, a runbook that is gone).
    pub problems: Vec<String>,
}

/// How far the run got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    /// Not finished, and a drbook process holds its lock.
    Running,
    /// Not finished, and no process holds it: killed, crashed, or its machine stopped.
    Stopped,
    Succeeded,
    Failed,
    Interrupted,
}

impl RunState {
    fn as_str(self) -> &'static str {
        match self {
            RunState::Running => "running",
            RunState::Stopped => "stopped",
            RunState::Succeeded => "succeeded",
            RunState::Failed => "failed",
            RunState::Interrupted => "interrupted",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RunbookStatus {
    pub name: String,
    pub path: PathBuf,
    /// Whether the runbook was read and rendered again (the step list and the fold need it).
    pub loaded: bool,
}

/// The journal's last line.
#[derive(Debug, Clone, Serialize)]
pub struct LastEvent {
    /// Its `event` name, such as `request` or `step_finished`.
    pub event: String,
    pub step: Option<usize>,
    /// Its time, or for an event that carries none (an `answer`), the time of the latest
    /// one before it.
    pub at: Option<DateTime<Utc>>,
}

/// Whether a drbook process holds the lock of the run's runbook or of one of its plans.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LockStatus {
    pub held: bool,
    /// What is locked: `runbook <path>` or `plan <id>`.
    pub what: Option<String>,
    /// The holder as its lock file names it (pid, start time, runbook).
    pub holder: Option<String>,
    /// The lock could not be probed.
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StepStatus {
    pub number: usize,
    pub name: String,
    pub kind: Option<StepKind>,
    pub plan_id: Option<Uuid>,
    pub state: StepState,
    /// For a step in flight or interrupted: whether its state-changing request may have
    /// left (its intent was journalled); `null` where that is not known.
    pub request_sent: Option<bool>,
    /// Why it failed, or why it was not run.
    pub error: Option<String>,
}

/// A step's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepState {
    Succeeded,
    SucceededWithWarnings,
    Failed,
    /// Started and not finished when the journal ends.
    InFlight,
    /// Stopped by an interrupt; `resume` takes it up again.
    Interrupted,
    /// Not started (an earlier step failed, the run was interrupted, or it never got there).
    NotRun,
    /// The operator skipped it (`drbook resume --skip`), with a reason.
    SkippedByOperator,
    /// Its plan halted and was continued (VAO's Continue).
    Continued,
    /// The operator decided to take it up again (`resume --retry`), and it has not started
    /// since: the next `resume` runs it.
    Retrying,
}

impl StepState {
    fn describe(self, sent: Option<bool>, kind: Option<StepKind>) -> String {
        let sent = match sent {
            Some(true) => ", request sent",
            Some(false) => ", nothing sent",
            None if kind.is_some_and(|k| !k.changes_the_world()) => {
                " (it only reads or waits: resume runs it again)"
            }
            None => "",
        };
        match self {
            StepState::Succeeded => "succeeded".to_owned(),
            StepState::SucceededWithWarnings => "succeeded with warnings".to_owned(),
            StepState::Failed => "failed".to_owned(),
            StepState::InFlight => format!("in flight{sent}"),
            StepState::Interrupted => format!("interrupted{sent}"),
            StepState::NotRun => "not run".to_owned(),
            StepState::SkippedByOperator => "skipped by the operator".to_owned(),
            StepState::Continued => "continued".to_owned(),
            StepState::Retrying => "to be retried (the operator decided so)".to_owned(),
        }
    }
}

/// A plan the run failed over and has not undone.
#[derive(Debug, Clone, Serialize)]
pub struct FailedOver {
    pub plan_id: Uuid,
    /// The step that failed it over.
    pub step: usize,
    /// VAO accepted the failover; `false`: the request was sent and no answer said
    /// whether VAO acted on it.
    pub accepted: bool,
    /// What VAO says of the plan now (`--live` only).
    pub live: Option<LivePlan>,
}

/// A plan as `--live` read it.
#[derive(Debug, Clone, Serialize)]
pub struct LivePlan {
    pub read_at: DateTime<Utc>,
    pub status: Option<PlanStatus>,
    /// What the state means for the failover, as drbook's polling judges it.
    pub phase: Option<Phase>,
    /// Why the plan could not be read.
    pub error: Option<String>,
}

/// Whether `drbook resume` would take the run over now.
#[derive(Debug, Clone, Serialize)]
pub struct Resumable {
    pub possible: bool,
    /// Not as it stands, but on the operator's word: `reason` names the decisions
    /// (`--retry`, `--retry --continue OPTION`, `--skip`) that take the run forward.
    pub on_decision: bool,
    /// The command, when it is possible.
    pub command: Option<String>,
    /// Why not, in the words `resume` would refuse with.
    pub reason: Option<String>,
}

/// The runs of a state folder (`drbook status` without RUN).
#[derive(Debug, Clone, Serialize)]
pub struct RunList {
    pub drbook_status: u32,
    pub state_dir: PathBuf,
    /// Newest first.
    pub runs: Vec<ListedRun>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ListedRun {
    pub run_id: String,
    pub journal: PathBuf,
    pub runbook: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    /// `null` when the journal could not be read (`error` says why).
    pub state: Option<RunState>,
    pub resume: Resumable,
    pub error: Option<String>,
}

pub async fn status(args: &StatusArgs, redactor: &Redactor) -> Outcome {
    if args.vars.now.is_some() {
        return Err(Error::refused(
            "status renders the runbook at the run's own clock (from its journal); leave out --now",
        ));
    }
    let connect = &args.connect;
    let connecting = connect.server.is_some()
        || connect.insecure
        || connect.ca_cert.is_some()
        || connect.username.is_some()
        || connect.password_file.is_some()
        || connect.api.is_some()
        || connect.client_id.is_some()
        || connect.client_secret_file.is_some();
    if connecting && !args.live {
        return Err(Error::refused(
            "--server, --insecure, --ca-cert, --username and --password-file go with --live (status reads only the journal without it)",
        ));
    }
    let Some(run) = &args.run else {
        if args.live {
            return Err(Error::refused(
                "--live reads the plans of one run: name it (drbook status RUN --live)",
            ));
        }
        return list(args, redactor);
    };
    let path = journal_path(run, &args.state_dir);
    if !path.is_file() {
        return Err(Error::refused(format!(
            "no run {run}: there is no journal {}; `drbook status --state-dir DIR` lists the runs of a state folder",
            path.display()
        )));
    }
    let assessed = assess(&path, &resume_command(run, &args.state_dir), args)?;
    let Assessed {
        mut status,
        header,
        prepared,
    } = assessed;
    let mut exit = Exit::Success;
    if args.live {
        match (&prepared, &mut status.failed_over) {
            (Some(prepared), Some(plans)) => {
                if !read_live(plans, &header, prepared, args, redactor).await? {
                    exit = Exit::Failed;
                }
            }
            _ => status.problems.push(
                "--live: the plans the run failed over are not known (see above), so none was read"
                    .to_owned(),
            ),
        }
    }
    match args.format {
        OutputFormat::Json => print_json(&status, redactor),
        OutputFormat::Text => out!("{}", printable(&redactor.redact(&text(&status)))),
    }
    Ok(exit)
}

/// The command that resumes the run `run` names (an id in `state_dir`, or a path).
fn resume_command(run: &str, state_dir: &Path) -> String {
    if Path::new(run).is_file() || state_dir == Path::new(DEFAULT_STATE_DIR) {
        format!("drbook resume {run}")
    } else {
        format!("drbook resume {run} --state-dir {}", state_dir.display())
    }
}

/// What the journal says, with what was needed to say it.
struct Assessed {
    status: RunStatus,
    header: JournalHeader,
    prepared: Option<Prepared>,
}

/// An error's message without its `error: ` prefix, to quote it.
fn message(error: &Error) -> String {
    match error {
        Error::Refused(message) | Error::Failed(message) => message.clone(),
        other => other.to_string(),
    }
}

/// Reads the journal at `path` (all that can be read of it), the runbook again, folds them,
/// probes the lock and judges whether `resume` would take the run over.
fn assess(path: &Path, command: &str, args: &StatusArgs) -> Result<Assessed, Error> {
    let ReadJournal {
        header,
        events,
        warnings,
    } = journal::read_lenient(path).map_err(|e| Error::refused(e.to_string()))?;
    let mut problems = warnings;
    // What `resume` reads: a journal damaged anywhere but its last line is refused there.
    let damaged = journal::read(path).err().map(|e| e.to_string());

    // The runbook as the run had it; a changed one is still read (as `resume --force`
    // would) to name the steps, and the difference is why `resume` alone refuses.
    let (prepared, runbook_refusal) = match prepare_again(&header, &args.vars, false) {
        Ok(prepared) => (Some(prepared), None),
        Err(refusal) => {
            let forced = prepare_again(&header, &args.vars, true).ok();
            if forced.is_none() {
                problems.push(format!(
                    "the runbook could not be read as the run had it ({}): steps not started are not named, and the plans failed over are not known",
                    message(&refusal)
                ));
            }
            (forced, Some(message(&refusal)))
        }
    };
    let folded: Option<Resume> = prepared.as_ref().and_then(|prepared| {
        match fold(&prepared.runbook, &events, header.drill) {
            Ok(resume) => Some(resume),
            Err(e) => {
                problems.push(format!("the journal does not fit the runbook: {e}"));
                None
            }
        }
    });

    let lock = probe_lock(&header, prepared.as_ref(), &events);
    let (state, finished_at, error) = match crate::exec::resume::last_end(&events) {
        Some((result, at, error)) => (
            match result {
                RunResult::Succeeded | RunResult::DryRun => RunState::Succeeded,
                RunResult::Failed => RunState::Failed,
                RunResult::Interrupted => RunState::Interrupted,
            },
            Some(at),
            error,
        ),
        None if lock.held => (RunState::Running, None, None),
        None => (RunState::Stopped, None, None),
    };

    let refusal = damaged
        .map(|d| format!("resume refuses a damaged journal: {d}"))
        .or_else(|| unfinished(&header, &events).err().map(|e| message(&e)))
        .or_else(|| {
            lock.held.then(|| {
                format!(
                    "a drbook process holds the lock of {} ({}); resume is refused (exit 3) while it runs",
                    lock.what.as_deref().unwrap_or("the run"),
                    lock.holder.as_deref().unwrap_or("holder unknown")
                )
            })
        })
        .or(runbook_refusal);
    // What is left to say depends on the run: a failed run goes on only on the operator's
    // word (`--retry`, `--skip`), which `reason` then names.
    let (refusal, on_decision) = match (refusal, prepared.as_ref()) {
        (None, Some(prepared)) => {
            let failed = unfinished(&header, &events).unwrap_or(false);
            let refused = |decisions| {
                super::resume::refusal(&header, &events, &prepared.runbook, failed, decisions)
            };
            match refused(false) {
                Some(reason) => {
                    let on_decision = refused(true).is_none();
                    (Some(reason), on_decision)
                }
                None => (None, false),
            }
        }
        (refusal, _) => (refusal, false),
    };
    let resume = Resumable {
        possible: refusal.is_none(),
        on_decision,
        command: refusal.is_none().then(|| command.to_owned()),
        reason: refusal,
    };

    let failed_over = folded.as_ref().map(|resume| {
        resume
            .ledger
            .failed_over()
            .into_iter()
            .map(|entry| FailedOver {
                plan_id: entry.plan,
                step: entry.step,
                accepted: resume.ledger.is_accepted(entry.plan),
                live: None,
            })
            .collect()
    });
    let status = RunStatus {
        drbook_status: STATUS_VERSION,
        run_id: header.run_id.clone(),
        journal: path.to_path_buf(),
        mode: header.mode,
        drill: header.drill,
        runbook: RunbookStatus {
            name: header.runbook.name.clone(),
            path: header.runbook.path.clone(),
            loaded: prepared.is_some(),
        },
        server: header.server.clone(),
        started_at: header.started_at,
        state,
        finished_at,
        error,
        last_event: last_event(&events),
        lock,
        steps: steps(prepared.as_ref(), &events, folded.as_ref()),
        failed_over,
        resume,
        problems,
    };
    Ok(Assessed {
        status,
        header,
        prepared,
    })
}

/// Probes the locks a run (or its resumption) takes: its runbook's and its plans'.
fn probe_lock(header: &JournalHeader, prepared: Option<&Prepared>, events: &[Event]) -> LockStatus {
    let mut plans: Vec<Uuid> = Vec::new();
    let from_runbook = prepared.into_iter().flat_map(|p| {
        p.runbook
            .steps
            .iter()
            .filter_map(|s| s.action.changes_plan())
    });
    let from_journal = events.iter().filter_map(|e| match e {
        Event::StepStarted {
            kind,
            plan_id: Some(plan),
            ..
        } if *kind != StepKind::ExpectState => Some(*plan),
        _ => None,
    });
    for plan in from_runbook.chain(from_journal) {
        if !plans.contains(&plan) {
            plans.push(plan);
        }
    }
    match lock::probe(&lock::lock_dir(), &header.runbook.path, &plans) {
        Ok(None) => LockStatus::default(),
        Ok(Some(held)) => LockStatus {
            held: true,
            what: Some(held.what),
            holder: Some(held.holder),
            error: None,
        },
        Err(error) => LockStatus {
            error: Some(error),
            ..LockStatus::default()
        },
    }
}

/// The journal's last event, its name and step read from its line as written.
fn last_event(events: &[Event]) -> Option<LastEvent> {
    let line = |event: &Event| serde_json::to_value(event).unwrap_or_default();
    let time = |value: &serde_json::Value| {
        value
            .get("at")
            .and_then(|at| serde_json::from_value::<DateTime<Utc>>(at.clone()).ok())
    };
    let last = line(events.last()?);
    Some(LastEvent {
        event: last
            .get("event")
            .and_then(|e| e.as_str())
            .unwrap_or("?")
            .to_owned(),
        step: events.last()?.step(),
        at: time(&last).or_else(|| events.iter().rev().find_map(|e| time(&line(e)))),
    })
}

/// How a step ended last, or that it started and did not.
enum Last {
    Started,
    Finished(StepResult, Option<String>),
    /// `resume --skip` (or a skip answered at the terminal), with its reason.
    Skipped(Option<String>),
    /// VAO's Continue was chosen for the step's halted plan, and the step has not finished
    /// since.
    Continued,
    /// A retry was decided, and the step has not started since.
    Retried,
}

/// Every step: the runbook's (when it could be read), then the undos of a rollback or a
/// drill's clean-up, each with its state. Without the runbook, the steps the journal names.
fn steps(
    prepared: Option<&Prepared>,
    events: &[Event],
    resume: Option<&Resume>,
) -> Vec<StepStatus> {
    let mut steps: Vec<StepStatus> = Vec::new();
    let mut last: std::collections::HashMap<usize, Last> = std::collections::HashMap::new();
    /// The index of step `number`, added (not run, not named) when it is new.
    fn known(steps: &mut Vec<StepStatus>, number: usize) -> usize {
        match steps.iter().position(|s| s.number == number) {
            Some(index) => index,
            None => {
                steps.push(StepStatus {
                    number,
                    name: format!("step {number}"),
                    kind: None,
                    plan_id: None,
                    state: StepState::NotRun,
                    request_sent: None,
                    error: None,
                });
                steps.len() - 1
            }
        }
    }
    if let Some(prepared) = prepared {
        for step in &prepared.runbook.steps {
            let index = known(&mut steps, step.number);
            steps[index].name = step.name.clone();
            steps[index].kind = Some(StepKind::of(&step.action));
            steps[index].plan_id = step.action.plan_id();
        }
    }
    for event in events {
        match event {
            Event::RunStarted { steps: count, .. } | Event::Resumed { steps: count, .. }
                if prepared.is_none() =>
            {
                for number in 1..=*count {
                    known(&mut steps, number);
                }
            }
            Event::StepStarted {
                step,
                name,
                kind,
                plan_id,
                ..
            } => {
                let index = known(&mut steps, *step);
                steps[index].name = name.clone();
                steps[index].kind = Some(*kind);
                steps[index].plan_id = *plan_id;
                last.insert(*step, Last::Started);
            }
            Event::StepFinished {
                step,
                result,
                error,
                ..
            } => {
                known(&mut steps, *step);
                // A skip stays a skip: the step's own end was recorded before it.
                if !matches!(last.get(step), Some(Last::Skipped(_)))
                    || *result != StepResult::Skipped
                {
                    last.insert(*step, Last::Finished(*result, error.clone()));
                }
            }
            Event::Decided {
                step,
                decision,
                reason,
                ..
            } => {
                known(&mut steps, *step);
                match decision {
                    Decision::Skip => {
                        last.insert(*step, Last::Skipped(reason.clone()));
                    }
                    Decision::Continue => {
                        last.insert(*step, Last::Continued);
                    }
                    Decision::Retry => {
                        last.insert(*step, Last::Retried);
                    }
                    Decision::Abort | Decision::Rollback => {}
                }
            }
            _ => {}
        }
    }
    steps.sort_by_key(|s| s.number);
    for step in &mut steps {
        let sent = resume
            .and_then(|r| r.in_flight.iter().find(|f| f.step == step.number))
            .map(|f| f.sent);
        let (state, error) = match last.remove(&step.number) {
            None => (StepState::NotRun, None),
            Some(Last::Started) => (StepState::InFlight, None),
            Some(Last::Skipped(why)) => (StepState::SkippedByOperator, why),
            Some(Last::Continued) => (StepState::Continued, None),
            Some(Last::Retried) => (StepState::Retrying, None),
            Some(Last::Finished(result, error)) => (
                match result {
                    StepResult::Succeeded => StepState::Succeeded,
                    StepResult::SucceededWithWarnings => StepState::SucceededWithWarnings,
                    StepResult::Failed => StepState::Failed,
                    StepResult::Interrupted => StepState::Interrupted,
                    StepResult::Skipped
                    | StepResult::Planned
                    | StepResult::CheckPassed
                    | StepResult::CheckFailed => StepState::NotRun,
                },
                error,
            ),
        };
        step.state = state;
        step.error = error;
        // Whether a request may have left matters only for a step that changes the world.
        let reads_only = step.kind.is_some_and(|kind| !kind.changes_the_world());
        if matches!(state, StepState::InFlight | StepState::Interrupted) && !reads_only {
            step.request_sent = sent;
        }
    }
    steps
}

/// Reads each plan of `plans` from VAO (the login, then one GET per plan, retried like any
/// read). Returns whether every plan was read.
async fn read_live(
    plans: &mut [FailedOver],
    header: &JournalHeader,
    prepared: &Prepared,
    args: &StatusArgs,
    redactor: &Redactor,
) -> Result<bool, Error> {
    let output = OutputArgs {
        report_dir: Some(args.state_dir.clone()),
        report_formats: ReportFormats {
            formats: Vec::new(),
        },
        state_dir: None,
    };
    let run = run_args(
        header,
        &args.vars,
        &args.connect,
        &ControlArgs::default(),
        &output,
    );
    let server = run.connect.server.clone().ok_or_else(|| {
        Error::refused("--live: no server: the journal names none; pass --server URL")
    })?;
    check_server(&server)?;
    let credentials = credentials_from(&run.connect)?
        .ok_or_else(|| Error::refused(format!("--live: {}", super::run::NO_CREDENTIALS)))?;
    for secret in credentials.secrets() {
        redactor.add(&secret);
    }
    let options = client_options(&run, &prepared.runbook, Some(&server))?;
    let client = VaoClient::new(options, credentials, redactor.clone())
        .map_err(|e| Error::refused(e.to_string()))?;
    let sets = crate::exec::to_vao::state_sets(&prepared.runbook.states);
    let policy = RetryPolicy {
        retries: prepared.runbook.retries,
        delay: prepared.runbook.retry_delay,
    };
    let login = client.authenticate().await.err().map(|e| e.to_string());
    let mut all = true;
    for plan in plans.iter_mut() {
        let read = match &login {
            Some(error) => Err(format!("cannot log in: {error}")),
            None => client
                .read_plan(&plan.plan_id, policy)
                .await
                .0
                .map_err(|e| e.to_string()),
        };
        all &= read.is_ok();
        plan.live = Some(match read {
            Ok(info) => LivePlan {
                read_at: Utc::now(),
                phase: Some(sets.classify(&info.status)),
                status: Some(info.status),
                error: None,
            },
            Err(error) => LivePlan {
                read_at: Utc::now(),
                status: None,
                phase: None,
                error: Some(error),
            },
        });
    }
    Ok(all)
}

fn print_json(value: &impl Serialize, redactor: &Redactor) {
    let json = redactor.to_json(value, &[], true).unwrap_or_default();
    out!("{}", String::from_utf8_lossy(&json));
}

fn time(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// What a plan's phase means after its failover, for people.
fn phase_words(phase: Phase) -> &'static str {
    match phase {
        Phase::NotStarted => "ready: not failed over",
        Phase::Running => "something runs on it",
        Phase::Succeeded | Phase::SucceededWithWarnings => "failed over",
        Phase::Failed => "halted or failed",
        Phase::Unexpected => "in another state",
    }
}

/// The text for people.
pub fn text(status: &RunStatus) -> String {
    let mut lines = Vec::new();
    lines.push(format!(
        "run {}: {} ({}{})",
        status.run_id,
        status.runbook.name,
        status.mode.as_str(),
        if status.drill { " drill" } else { "" }
    ));
    lines.push(format!("  runbook:    {}", status.runbook.path.display()));
    lines.push(format!("  journal:    {}", status.journal.display()));
    if let Some(server) = &status.server {
        lines.push(format!("  server:     {server}"));
    }
    lines.push(format!("  started:    {}", time(&status.started_at)));
    let state = match status.state {
        RunState::Running => "running: a drbook process holds its lock".to_owned(),
        RunState::Stopped => {
            "stopped before it finished; no drbook process holds it (killed, crashed, or its machine stopped)"
                .to_owned()
        }
        finished => format!(
            "{} at {}{}",
            finished.as_str(),
            status.finished_at.as_ref().map(time).unwrap_or_default(),
            status
                .error
                .as_ref()
                .map(|e| format!(": {e}"))
                .unwrap_or_default()
        ),
    };
    lines.push(format!("  state:      {state}"));
    if let Some(last) = &status.last_event {
        lines.push(format!(
            "  last event: {}{}{}",
            last.event,
            last.step
                .map(|s| format!(" (step {s})"))
                .unwrap_or_default(),
            last.at
                .as_ref()
                .map(|at| format!(" at {}", time(at)))
                .unwrap_or_default()
        ));
    }
    let lock = &status.lock;
    lines.push(format!(
        "  lock:       {}",
        match (&lock.error, lock.held) {
            (Some(error), _) => format!("unknown: {error}"),
            (None, true) => format!(
                "held: {} by {}",
                lock.what.as_deref().unwrap_or("?"),
                lock.holder.as_deref().unwrap_or("?")
            ),
            (None, false) => "not held".to_owned(),
        }
    ));
    lines.push("steps:".to_owned());
    let described: Vec<String> = status
        .steps
        .iter()
        .map(|s| s.state.describe(s.request_sent, s.kind))
        .collect();
    let width = described.iter().map(String::len).max().unwrap_or(0);
    let digits = status
        .steps
        .last()
        .map_or(1, |s| s.number.to_string().len());
    for (step, state) in status.steps.iter().zip(&described) {
        lines.push(format!(
            "  {:>digits$}. {state:<width$}  {}",
            step.number, step.name
        ));
        if let (StepState::Failed, Some(error)) = (step.state, &step.error) {
            lines.push(format!("  {:>digits$}  {error}", ""));
        }
    }
    match &status.failed_over {
        None => lines.push("failed over and not undone: not known (see the notes)".to_owned()),
        Some(plans) if plans.is_empty() => {
            lines.push("failed over and not undone: none".to_owned());
        }
        Some(plans) => {
            lines.push("failed over and not undone:".to_owned());
            for plan in plans {
                lines.push(format!(
                    "  plan {} (step {}): {}",
                    plan.plan_id,
                    plan.step,
                    if plan.accepted {
                        "accepted by VAO"
                    } else {
                        "request sent, no answer recorded (VAO may have started it)"
                    }
                ));
                match &plan.live {
                    Some(LivePlan {
                        status: Some(now),
                        phase,
                        ..
                    }) => lines.push(format!(
                        "    VAO now: {}{}",
                        now.summary(),
                        phase
                            .map(|p| format!(" ({})", phase_words(p)))
                            .unwrap_or_default()
                    )),
                    Some(LivePlan {
                        error: Some(error), ..
                    }) => lines.push(format!("    VAO: cannot read it: {error}")),
                    _ => {}
                }
            }
        }
    }
    let resume = &status.resume;
    lines.push(match (&resume.command, &resume.reason) {
        (Some(command), _) => format!(
            "resume: {command} (finished steps are kept; a step in flight is checked with VAO before anything is sent)"
        ),
        (None, Some(reason)) if resume.on_decision => {
            format!("resume: on the operator's word: {reason}")
        }
        (None, reason) => format!(
            "resume: not possible: {}",
            reason.as_deref().unwrap_or("?")
        ),
    });
    for problem in &status.problems {
        lines.push(format!("note: {problem}"));
    }
    lines.join("\n")
}

/// `drbook status` without RUN: every journal of the state folder, newest first.
fn list(args: &StatusArgs, redactor: &Redactor) -> Outcome {
    let dir = &args.state_dir;
    let entries = std::fs::read_dir(dir).map_err(|e| {
        Error::refused(format!(
            "cannot read the state folder {}: {e}",
            dir.display()
        ))
    })?;
    let mut runs = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(run_id) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".journal.jsonl"))
            .map(str::to_owned)
        else {
            continue;
        };
        let listed = match assess(&path, &resume_command(&run_id, dir), args) {
            Ok(Assessed { status, .. }) => ListedRun {
                run_id: status.run_id,
                journal: path,
                runbook: Some(status.runbook.name),
                started_at: Some(status.started_at),
                state: Some(status.state),
                resume: status.resume,
                error: None,
            },
            Err(error) => ListedRun {
                run_id,
                journal: path,
                runbook: None,
                started_at: None,
                state: None,
                resume: Resumable {
                    possible: false,
                    on_decision: false,
                    command: None,
                    reason: Some("the journal cannot be read".to_owned()),
                },
                error: Some(message(&error)),
            },
        };
        runs.push(listed);
    }
    // Newest first; journals that could not be read last, by name.
    runs.sort_by(|a, b| (b.started_at, &b.run_id).cmp(&(a.started_at, &a.run_id)));
    let list = RunList {
        drbook_status: STATUS_VERSION,
        state_dir: dir.clone(),
        runs,
    };
    match args.format {
        OutputFormat::Json => print_json(&list, redactor),
        OutputFormat::Text => out!("{}", printable(&redactor.redact(&list_text(&list)))),
    }
    Ok(Exit::Success)
}

/// The list for people: one line per run.
pub fn list_text(list: &RunList) -> String {
    if list.runs.is_empty() {
        return format!("no runs in {}", list.state_dir.display());
    }
    let rows: Vec<[String; 5]> = list
        .runs
        .iter()
        .map(|run| {
            [
                run.run_id.clone(),
                run.started_at.as_ref().map(time).unwrap_or_default(),
                run.state.map_or("unreadable", RunState::as_str).to_owned(),
                match (&run.resume.command, &run.resume.reason) {
                    (Some(command), _) => format!("yes: {command}"),
                    (None, Some(reason)) if run.resume.on_decision => {
                        format!("on the operator's word: {reason}")
                    }
                    (None, reason) => format!("no: {}", reason.as_deref().unwrap_or("?")),
                },
                run.error.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let header = ["RUN", "STARTED", "STATE", "RESUME", ""].map(str::to_owned);
    let width = |column: usize| {
        std::iter::once(&header)
            .chain(&rows)
            .map(|r| r[column].len())
            .max()
            .unwrap_or(0)
    };
    let (w0, w1, w2) = (width(0), width(1), width(2));
    let mut lines = vec![format!(
        "runs in {}, newest first:",
        list.state_dir.display()
    )];
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = format!(
            "  {:<w0$}  {:<w1$}  {:<w2$}  {}",
            row[0], row[1], row[2], row[3]
        );
        if !row[4].is_empty() {
            line.push_str(&format!(" ({})", row[4]));
        }
        lines.push(line.trim_end().to_owned());
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retry_the_operator_decided_shows_until_the_step_starts_again() {
        let started = Event::StepStarted {
            step: 1,
            name: "Fail over the database".to_owned(),
            kind: StepKind::Failover,
            plan_id: None,
            at: chrono::Utc::now(),
        };
        let failed = Event::step_finished(1, StepResult::Failed, Some("refused".to_owned()));
        let retry = Event::Decided {
            step: 1,
            decision: Decision::Retry,
            option: None,
            by: "Dana".to_owned(),
            account: Some("dana".to_owned()),
            how: "resume --retry".to_owned(),
            reason: None,
            at: chrono::Utc::now(),
        };
        let state = |events: &[Event]| steps(None, events, None)[0].state;
        assert_eq!(state(&[started.clone(), failed.clone()]), StepState::Failed);
        assert_eq!(
            state(&[started.clone(), failed.clone(), retry.clone()]),
            StepState::Retrying
        );
        assert_eq!(
            state(&[started.clone(), failed, retry, started]),
            StepState::InFlight
        );
    }
}
