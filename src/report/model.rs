//! The report: what happened in a run, built from the executor's events.
//!
//! Its JSON form is fixed by `schemas/report.schema.json`; the Markdown, JUnit and HTML
//! writers render the same model. It holds the events' types (step kinds, plan ids,
//! phases, verdicts) and instants as [`Timestamp`]s, which serialise as the report always
//! wrote them.

use super::timestamp::{Timestamp, whole_seconds};
use crate::exec::{
    Decision, DrillPhase, Event, GuardVerdict, Listener, Mode, RunResult, StepKind, StepResult,
};
use crate::runbook::Runbook;
use crate::vao::{ContinueOption, Phase, PlanInfo, PlanStatus};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The version of the report format (`report_version` in the JSON).
pub const REPORT_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub report_version: u32,
    pub drbook_version: String,
    pub run_id: String,
    pub mode: Mode,
    /// Against drbook's built-in simulator (`--simulate`), a drill's included: not evidence
    /// of a recovery (`drbook history` does not count it). Absent when false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub simulated: bool,
    pub runbook: RunbookInfo,
    pub server: Option<String>,
    pub operator: String,
    pub host: Option<String>,
    pub variables: Vec<VariableRecord>,
    pub started_at: Timestamp,
    /// The instant `now`, `today` and `ago` rendered at (`--now` reproduces the run).
    #[serde(with = "whole_seconds")]
    pub template_clock: DateTime<Utc>,
    pub finished_at: Option<Timestamp>,
    pub duration_ms: Option<u64>,
    pub result: RunResult,
    pub error: Option<String>,
    pub summary: Summary,
    /// The run's recovery objectives, measured (null when none is set and nothing was
    /// measured).
    pub objectives: ObjectivesRecord,
    /// A drill's clean-up (null for other modes).
    pub drill: Option<DrillRecord>,
    pub steps: Vec<StepRecord>,
    /// The drill phase steps now starting belong to (not serialised).
    #[serde(skip)]
    phase: Option<DrillPhase>,
    /// Which steps act on each plan, and the name VAO gave it (not serialised).
    #[serde(skip)]
    plans: PlanIndex,
}

/// The steps of each plan and the plan's name as last read, so that naming a plan is one
/// lookup however many steps the report holds. Built from `steps` as they grow: a report
/// read back from a file indexes itself at its first event.
#[derive(Debug, Clone, Default)]
struct PlanIndex {
    /// How many of the report's steps are indexed.
    indexed: usize,
    steps: std::collections::HashMap<Uuid, Vec<usize>>,
    names: std::collections::HashMap<Uuid, String>,
}

/// Recovery measured against its objectives: the targets, what was measured, and the
/// verdicts, for the run (`objectives`) or for one failover (`recovery`). A verdict is `null`
/// when there is no target or nothing could be measured.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Measured {
    pub rto_target_ms: Option<u64>,
    /// The run: from the first failover request to the last plan seen failed over. A
    /// failover: from its request to its plan seen failed over.
    pub recovery_time_ms: Option<u64>,
    pub rto_met: Option<bool>,
    pub rpo_target_ms: Option<u64>,
    /// The run's start minus the restore point (for the run, the oldest used); null when
    /// unknown (`latest`: VAO v3 does not report which point it used; a server-local time
    /// without `server_time_zone`).
    pub restore_point_age_ms: Option<u64>,
    pub rpo_met: Option<bool>,
}

/// Recovery objectives at run level.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ObjectivesRecord {
    #[serde(flatten)]
    pub measured: Measured,
    /// Where the run's recovery time ends: `failed_over` (the last plan seen failed over)
    /// or `healthy` (`objectives: { until: healthy }`: the last successful health check).
    #[serde(default)]
    pub recovery_until: crate::runbook::RecoveryUntil,
    /// With `until: healthy`, when the last health check of the run's steps succeeded.
    #[serde(default)]
    pub healthy_at: Option<Timestamp>,
    /// Every objective missed, run level and per plan, in words.
    pub missed: Vec<String>,
}

/// How a drill's clean-up went.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DrillRecord {
    pub cleanup: Cleanup,
    /// Plans undone and seen back in a ready state.
    pub undone: Vec<Uuid>,
    /// Plans the drill failed over and could not bring back.
    pub left_failed_over: Vec<Uuid>,
    /// The runbook's own clean-up steps (`cleanup:`) that did not succeed.
    #[serde(default)]
    pub failed_steps: Vec<usize>,
}

/// A drill's clean-up verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cleanup {
    /// Not reached yet.
    #[default]
    Pending,
    /// Every plan the drill failed over was undone and is ready again, and every clean-up
    /// step of the runbook succeeded.
    Clean,
    Failed,
    Interrupted,
}

impl Cleanup {
    pub fn as_str(self) -> &'static str {
        match self {
            Cleanup::Pending => "pending",
            Cleanup::Clean => "clean",
            Cleanup::Failed => "failed",
            Cleanup::Interrupted => "interrupted",
        }
    }
}

/// One failover's recovery: measured against its targets.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RecoveryRecord {
    #[serde(flatten)]
    pub measured: Measured,
    pub failed_over_at: Option<Timestamp>,
    /// `latest`, or the restore point asked for (as written in the runbook).
    pub restore_point: String,
}

/// Who let a pause step go on, and when.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApprovalRecord {
    pub by: String,
    /// `terminal` (typed by the operator) or `--approve`.
    pub how: String,
    pub at: Timestamp,
}

/// An operator's decision about a step that failed or did not run (`drbook resume --retry`,
/// `--continue`, `--skip`, or an answer at the terminal): who, how, when, what and why.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DecisionRecord {
    pub decision: Decision,
    /// With `continue`: VAO's `executionContinueOptions`.
    pub option: Option<crate::vao::ContinueOption>,
    /// Who decided: `--operator`, else the operating-system account.
    pub by: String,
    /// The operating-system account drbook ran as.
    pub account: Option<String>,
    /// `resume --retry`, `resume --skip`, `terminal`, ...
    pub how: String,
    pub reason: Option<String>,
    pub at: Timestamp,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunbookInfo {
    pub name: String,
    pub description: Option<String>,
    pub path: String,
    /// SHA-256 of the runbook file as read.
    pub sha256: String,
    /// SHA-256 of the rendered runbook (canonical JSON), what was actually executed.
    pub rendered_sha256: String,
    /// The commit checked out where the runbook file lives (null outside git).
    #[serde(default)]
    pub git_commit: Option<String>,
    /// Whether the work tree differed from that commit (null when unknown).
    #[serde(default)]
    pub git_dirty: Option<bool>,
    /// The runbook file's absolute path, links resolved (null when it cannot be resolved;
    /// absent from reports before it was recorded).
    #[serde(default)]
    pub canonical_path: Option<String>,
    /// Its path inside its git work tree, `/`-separated (null outside git).
    #[serde(default)]
    pub git_path: Option<String>,
}

impl RunbookInfo {
    /// Which runbook file this is, whatever folder drbook was started from: its path in
    /// git, else its absolute path, else the path as given.
    pub fn identity(&self) -> &str {
        self.git_path
            .as_deref()
            .or(self.canonical_path.as_deref())
            .unwrap_or(&self.path)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VariableRecord {
    pub name: String,
    /// The value, or `"***"` for a variable whose name says it is a secret.
    pub value: serde_json::Value,
    pub source: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Summary {
    pub total: usize,
    pub succeeded: usize,
    pub failed: usize,
    pub skipped: usize,
    pub interrupted: usize,
    pub planned: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepRecord {
    pub number: usize,
    /// The step's name; where it names its plan by id (as the default names do), the plan's
    /// VAO name is put next to the id once a read learnt it.
    pub name: String,
    pub kind: StepKind,
    pub plan_id: Option<Uuid>,
    /// The plan's name in VAO, as the state guard (or `check`) read it; `null` where
    /// nothing read the plan (a dry run, a wait).
    #[serde(default)]
    pub plan_name: Option<String>,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    pub duration_ms: Option<u64>,
    pub result: StepResult,
    pub error: Option<String>,
    /// For a wait step, how long it waits.
    pub wait_ms: Option<u64>,
    pub request: Option<RequestRecord>,
    pub response: Option<ResponseRecord>,
    /// What the state guard read and decided (absent for waits and dry runs).
    pub guard: Option<GuardRecord>,
    /// Every try of the state-changing request, in order.
    pub attempts: Vec<AttemptRecord>,
    /// Plan reads after a try whose outcome was unknown.
    pub reconciliations: Vec<ReconcileRecord>,
    /// Reads that failed and were tried again.
    pub read_retries: u32,
    pub polls: u32,
    pub poll_errors: u32,
    pub final_state: Option<PlanStatus>,
    /// Each distinct state seen while waiting, in order.
    pub states_seen: Vec<String>,
    /// In a drill, the phase the step ran in.
    pub phase: Option<DrillPhase>,
    /// The parallel group the step ran in (its steps overlap in time).
    pub group: Option<String>,
    /// In a runbook with `needs`, the numbers of the steps this one waited for (those it
    /// names, or without `needs` the step or group before it); absent otherwise (each step
    /// after the one before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub needs: Option<Vec<usize>>,
    /// A failover's recovery, measured against its objectives.
    pub recovery: Option<RecoveryRecord>,
    /// A pause step's approval.
    pub approval: Option<ApprovalRecord>,
    /// The operator's decisions about this step, in order (retry, continue, skip, ...).
    #[serde(default)]
    pub decisions: Vec<DecisionRecord>,
    /// What drbook would read, or warns of (a dry run's reads, `check`'s warnings).
    pub notes: Vec<String>,
    /// A health check's tries (`http_check`, `tcp_check`).
    #[serde(default)]
    pub check: Option<CheckRecord>,
    /// A command's run.
    #[serde(default)]
    pub command: Option<CommandRecord>,
    /// A Continue decided on and not yet sent: its request becomes an attempt.
    #[serde(skip)]
    continuing: Option<(ContinueOption, HaltRecord)>,
}

/// A health check: what it tried, how often, and the last answer.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CheckRecord {
    /// `GET https://…` or `host:port`.
    pub target: String,
    pub attempts: u32,
    /// The last answer's HTTP status (none for a TCP check or when nothing answered).
    pub last_status: Option<u16>,
    /// The last answer in words (`200 OK`, `connection refused`).
    pub last_answer: Option<String>,
    /// The start of the last answer's body.
    pub body_excerpt: Option<String>,
    /// When the check saw the service healthy.
    pub healthy_at: Option<Timestamp>,
}

/// A command: what ran, how it ended, and the end of what it printed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CommandRecord {
    /// The command line, words quoted for a shell.
    pub command: String,
    pub cwd: Option<String>,
    /// The names of the variables added to its environment.
    pub env: Vec<String>,
    pub started_at: Option<Timestamp>,
    pub exit_code: Option<i32>,
    /// The signal that ended it, if one did.
    pub signal: Option<i32>,
    /// Killed (its whole process group) at its timeout.
    pub timed_out: bool,
    pub duration_ms: Option<u64>,
    pub stdout_tail: String,
    pub stderr_tail: String,
    /// Earlier output was cut: the tails are the last part.
    pub output_truncated: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GuardRecord {
    pub verdict: GuardOutcome,
    pub reason: Option<String>,
    pub plan: Option<PlanInfo>,
}

/// The state guard's verdict, as the report names it (the reason is beside it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GuardOutcome {
    Passed,
    /// `--force`: not checked.
    Skipped,
    Refused,
}

impl std::fmt::Display for GuardOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            GuardOutcome::Passed => "passed",
            GuardOutcome::Skipped => "skipped",
            GuardOutcome::Refused => "refused",
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttemptRecord {
    pub attempt: u32,
    pub sent_at: Timestamp,
    pub status: Option<u16>,
    pub error: Option<String>,
    /// A Continue of the halted plan (`POST .../Continue`): the option sent (absent for a
    /// try of the step's own request). `attempt` counts the step's Continues then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continue_option: Option<ContinueOption>,
    /// A Continue: the halted state it answered, and when drbook read it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub halted: Option<HaltRecord>,
}

impl AttemptRecord {
    /// How people read the try: `try 2`, or `Continue (RetryFailedStep) 1`.
    pub fn label(&self) -> String {
        match self.continue_option {
            Some(option) => format!("Continue ({option}) {}", self.attempt),
            None => format!("try {}", self.attempt),
        }
    }

    /// A Continue's halt, for people: `halted: Halted (…) 50% at …, continued by on_halt`.
    pub fn halt_text(&self) -> Option<String> {
        self.halted
            .as_ref()
            .map(|h| format!("halted: {} at {}, continued by {}", h.state, h.at, h.by))
    }
}

/// The halt a Continue answered.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HaltRecord {
    pub at: Timestamp,
    pub state: String,
    /// `on_halt`, or `operator` for a Continue the operator asked for.
    pub by: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReconcileRecord {
    pub at: Timestamp,
    pub state: String,
    /// Whether the plan showed that an earlier try had been accepted.
    pub accepted: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RequestRecord {
    pub method: String,
    pub path: String,
    pub body: Option<serde_json::Value>,
    pub sent_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResponseRecord {
    pub status: u16,
    pub body: String,
    pub elapsed_ms: u64,
    /// How many times the request was sent: 2 when the first try was refused with 401
    /// (before the server acted) and repeated with a renewed token.
    pub attempts: u32,
}

impl StepRecord {
    /// A step that has not run (yet).
    pub fn new(
        number: usize,
        name: &str,
        kind: StepKind,
        plan_id: Option<Uuid>,
        wait_ms: Option<u64>,
    ) -> StepRecord {
        StepRecord {
            number,
            name: name.to_owned(),
            kind,
            plan_id,
            plan_name: None,
            started_at: None,
            finished_at: None,
            duration_ms: None,
            result: StepResult::Skipped,
            error: None,
            wait_ms,
            request: None,
            response: None,
            guard: None,
            attempts: Vec::new(),
            reconciliations: Vec::new(),
            read_retries: 0,
            polls: 0,
            poll_errors: 0,
            final_state: None,
            states_seen: Vec::new(),
            phase: None,
            group: None,
            needs: None,
            recovery: None,
            approval: None,
            decisions: Vec::new(),
            notes: Vec::new(),
            continuing: None,
            check: None,
            command: None,
        }
    }
}

fn ms(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// A failover's targets and what is known before it runs: the restore point and its age.
fn recovery_targets(
    failover: &crate::runbook::Failover,
    zone: Option<crate::runbook::values::ServerTimeZone>,
    run_start: DateTime<Utc>,
) -> RecoveryRecord {
    let age = failover
        .restore_point
        .instant(zone)
        .and_then(|point| u64::try_from((run_start - point).num_milliseconds()).ok());
    RecoveryRecord {
        measured: Measured {
            restore_point_age_ms: age,
            rpo_met: verdict(age, failover.objectives.rpo.map(ms)),
            ..Measured::targets(&failover.objectives)
        },
        restore_point: failover.restore_point.to_string(),
        failed_over_at: None,
    }
}

impl Measured {
    /// The targets of `objectives`, nothing measured yet.
    fn targets(objectives: &crate::runbook::Objectives) -> Measured {
        Measured {
            rto_target_ms: objectives.rto.map(ms),
            rpo_target_ms: objectives.rpo.map(ms),
            ..Measured::default()
        }
    }
}

/// Met (`true`), missed (`false`), or unknown (`None`: no target, or nothing measured).
fn verdict(measured: Option<u64>, target: Option<u64>) -> Option<bool> {
    Some(measured? <= target?)
}

/// An age for people (whole seconds past a minute).
fn show_ms(ms: u64) -> String {
    crate::runbook::values::format_span_ms(ms)
}

/// A recovery time to the millisecond: a miss by 500 ms must not read "took 15m, the RTO
/// is 15m".
fn exact_ms(ms: u64) -> String {
    crate::runbook::values::format_duration(std::time::Duration::from_millis(ms))
}

/// Everything about a run that is known before it starts.
pub struct RunInfo {
    pub run_id: String,
    pub mode: Mode,
    /// Against the built-in simulator.
    pub simulated: bool,
    pub runbook_path: String,
    pub sha256: String,
    pub rendered_sha256: String,
    pub git_commit: Option<String>,
    pub git_dirty: Option<bool>,
    pub canonical_path: Option<String>,
    pub git_path: Option<String>,
    pub server: Option<String>,
    pub operator: String,
    pub host: Option<String>,
    pub variables: Vec<VariableRecord>,
    pub started_at: DateTime<Utc>,
    pub template_clock: DateTime<Utc>,
}

impl Report {
    /// A report with every step not yet run; events fill it in.
    pub fn new(info: RunInfo, runbook: &Runbook) -> Report {
        let drill = info.mode == Mode::Drill;
        let waits = runbook
            .has_needs()
            .then(|| crate::runbook::schedule::waits_for(runbook));
        let steps = runbook
            .steps
            .iter()
            .chain(&runbook.cleanup)
            .map(|step| {
                let wait_ms = match &step.action {
                    crate::runbook::Action::Wait(d) => Some(d.as_millis() as u64),
                    _ => None,
                };
                let mut record = StepRecord::new(
                    step.number,
                    &step.name,
                    StepKind::of(&step.action),
                    step.action.plan_id(),
                    wait_ms,
                );
                record.group = step.group.map(|g| runbook.groups[g].name.clone());
                record.needs = waits.as_ref().and_then(|w| w.get(step.number - 1)).cloned();
                if let crate::runbook::Action::Failover(f) = &step.action {
                    record.recovery = Some(recovery_targets(
                        f,
                        runbook.server_time_zone,
                        info.started_at,
                    ));
                }
                let target = match &step.action {
                    crate::runbook::Action::HttpCheck(c) => Some(format!("{} {}", c.method, c.url)),
                    crate::runbook::Action::TcpCheck(c) => Some(format!("{}:{}", c.host, c.port)),
                    _ => None,
                };
                record.check = target.map(|target| CheckRecord {
                    target,
                    ..CheckRecord::default()
                });
                if let crate::runbook::Action::Command(c) = &step.action {
                    record.command = Some(CommandRecord {
                        command: c.line.to_string(),
                        cwd: c.cwd.as_ref().map(|p| p.display().to_string()),
                        env: c.env.iter().map(|(name, _)| name.clone()).collect(),
                        ..CommandRecord::default()
                    });
                }
                if step.number > runbook.steps.len() {
                    record.phase = Some(DrillPhase::Cleanup);
                    if !drill {
                        record.error = Some(
                            "a drill's clean-up step: it runs only in `drbook drill`".to_owned(),
                        );
                    }
                }
                record
            })
            .collect();
        Report {
            report_version: REPORT_VERSION,
            drbook_version: env!("CARGO_PKG_VERSION").to_owned(),
            run_id: info.run_id,
            mode: info.mode,
            simulated: info.simulated,
            runbook: RunbookInfo {
                name: runbook.name.clone(),
                description: runbook.description.clone(),
                path: info.runbook_path,
                sha256: info.sha256,
                rendered_sha256: info.rendered_sha256,
                git_commit: info.git_commit,
                git_dirty: info.git_dirty,
                canonical_path: info.canonical_path,
                git_path: info.git_path,
            },
            server: info.server,
            operator: info.operator,
            host: info.host,
            variables: info.variables,
            started_at: info.started_at.into(),
            template_clock: info.template_clock,
            finished_at: None,
            duration_ms: None,
            // Until the run says otherwise, it is one that did not finish.
            result: RunResult::Interrupted,
            error: None,
            summary: Summary::default(),
            objectives: ObjectivesRecord {
                measured: Measured::targets(&runbook.objectives),
                recovery_until: runbook.objectives.until,
                healthy_at: None,
                missed: Vec::new(),
            },
            drill: (info.mode == Mode::Drill).then(DrillRecord::default),
            steps,
            phase: None,
            plans: PlanIndex::default(),
        }
    }

    fn step(&mut self, number: usize) -> Option<&mut StepRecord> {
        self.steps.get_mut(number.checked_sub(1)?)
    }

    /// Indexes the steps added since the last call.
    fn index_plans(&mut self) {
        let index = &mut self.plans;
        if index.indexed > self.steps.len() {
            *index = PlanIndex::default();
        }
        for (at, s) in self.steps.iter().enumerate().skip(index.indexed) {
            if let Some(id) = s.plan_id {
                index.steps.entry(id).or_default().push(at);
                if let Some(name) = &s.plan_name {
                    index.names.entry(id).or_insert_with(|| name.clone());
                }
            }
        }
        index.indexed = self.steps.len();
    }

    /// Names plan `id` as VAO does (`name`) in every step that acts on it: its `plan_name`,
    /// and its name where that shows the plan by id only.
    fn name_plan(&mut self, id: Uuid, name: &str) {
        self.index_plans();
        self.plans.names.insert(id, name.to_owned());
        let Report { steps, plans, .. } = self;
        for &at in plans.steps.get(&id).into_iter().flatten() {
            if let Some(s) = steps.get_mut(at) {
                s.name = crate::exec::event::with_plan_name(&s.name, id, name);
                s.plan_name = Some(name.to_owned());
            }
        }
    }

    /// Closes a report whose run ended without a `RunFinished` event (a second signal, a
    /// panic): a step that had started and not finished is marked interrupted, since its
    /// request may have reached VAO.
    pub fn close(&mut self, result: RunResult, error: Option<String>) {
        if self.finished_at.is_some() {
            return;
        }
        let now = Utc::now();
        for step in &mut self.steps {
            if let (Some(started), None) = (step.started_at, step.finished_at) {
                step.result = StepResult::Interrupted;
                step.finished_at = Some(now.into());
                step.duration_ms = started.millis_until(now);
                step.error = Some(match step.kind {
                    StepKind::Command => "the run ended while this command was running: it may still run, and what it did is unknown".to_owned(),
                    StepKind::HttpCheck | StepKind::TcpCheck => "the run ended while this check was being tried".to_owned(),
                    _ => "the run ended while this step was in flight: check the plan in VAO".to_owned(),
                });
            }
        }
        self.on_event(&Event::RunFinished {
            result,
            at: now,
            error,
        });
    }

    fn summarise(&mut self) {
        let mut s = Summary {
            total: self.steps.len(),
            ..Summary::default()
        };
        for step in &self.steps {
            match step.result {
                StepResult::Succeeded | StepResult::SucceededWithWarnings => s.succeeded += 1,
                StepResult::Failed => s.failed += 1,
                StepResult::Skipped => s.skipped += 1,
                StepResult::Interrupted => s.interrupted += 1,
                StepResult::Planned => s.planned += 1,
                StepResult::CheckPassed => s.succeeded += 1,
                StepResult::CheckFailed => s.failed += 1,
            }
        }
        self.summary = s;
        self.measure_objectives();
    }

    /// The run's recovery time (first failover request to the last plan failed over) and
    /// oldest restore point, against the run's targets; every miss named.
    fn measure_objectives(&mut self) {
        let mut missed = Vec::new();
        let mut first_request: Option<Timestamp> = None;
        let mut last_recovered: Option<Timestamp> = None;
        let (mut oldest, mut age_unknown) = (None::<u64>, false);
        let (mut all_recovered, mut unmeasured) = (true, false);
        for step in self
            .steps
            .iter_mut()
            .filter(|s| s.kind == StepKind::Failover)
        {
            let Some(recovery) = &mut step.recovery else {
                continue;
            };
            let sent = step.request.as_ref().map(|r| r.sent_at);
            let recovered = recovery.failed_over_at;
            match step.result {
                // Nothing was failed over: nothing to measure.
                StepResult::Planned | StepResult::CheckPassed | StepResult::CheckFailed => {
                    continue;
                }
                _ if recovered.is_some() => {
                    last_recovered = last_recovered.max(recovered);
                }
                // Not waited for (`wait_for_completion: false`): its recovery time is unknown,
                // and so is the run's.
                result if result.is_success() => unmeasured = true,
                // Failed, not run, interrupted: the plan was not recovered.
                _ => {
                    all_recovered = false;
                    if sent.is_some() && recovery.measured.rto_target_ms.is_some() {
                        recovery.measured.rto_met = Some(false);
                    }
                }
            }
            if let Some(sent) = sent {
                first_request = Some(first_request.map_or(sent, |f| f.min(sent)));
                // The restore point counts once it was asked for.
                match recovery.measured.restore_point_age_ms {
                    Some(age) => oldest = oldest.max(Some(age)),
                    None => age_unknown = true,
                }
            }
            let plan = step
                .plan_id
                .map_or_else(|| "?".to_owned(), |id| id.to_string());
            if recovery.measured.rto_met == Some(false) {
                missed.push(match recovery.measured.recovery_time_ms {
                    Some(took) => format!(
                        "step {} (plan {plan}): recovery took {}, the RTO is {}",
                        step.number,
                        exact_ms(took),
                        exact_ms(recovery.measured.rto_target_ms.unwrap_or_default())
                    ),
                    None => format!(
                        "step {} (plan {plan}): the plan was not recovered, the RTO is {}",
                        step.number,
                        exact_ms(recovery.measured.rto_target_ms.unwrap_or_default())
                    ),
                });
            }
            if sent.is_some() && recovery.measured.rpo_met == Some(false) {
                missed.push(format!(
                    "step {} (plan {plan}): the restore point {} was {} old at the run's start, the RPO is {}",
                    step.number,
                    recovery.restore_point,
                    show_ms(recovery.measured.restore_point_age_ms.unwrap_or_default()),
                    show_ms(recovery.measured.rpo_target_ms.unwrap_or_default())
                ));
            }
        }
        // To healthy: the end is the last health check of the run's steps that saw the
        // service answer; one that did not (failed, interrupted, not run) means the
        // service was not seen healthy.
        let mut unhealthy = None;
        let mut last_healthy = None;
        if self.objectives.recovery_until == crate::runbook::RecoveryUntil::Healthy {
            for step in self.steps.iter().filter(|s| {
                matches!(s.kind, StepKind::HttpCheck | StepKind::TcpCheck)
                    && s.phase != Some(DrillPhase::Cleanup)
            }) {
                let by_scope = step.result == StepResult::Skipped
                    && step
                        .error
                        .as_deref()
                        .is_some_and(|e| e.starts_with(crate::runbook::Scope::SKIPPED));
                match step.check.as_ref().and_then(|c| c.healthy_at) {
                    Some(at) if step.result.is_success() => {
                        last_healthy = last_healthy.max(Some(at));
                    }
                    _ if by_scope => {}
                    _ => {
                        unhealthy.get_or_insert(step.number);
                    }
                }
            }
            self.objectives.healthy_at = last_healthy;
            last_recovered = match (last_recovered, last_healthy) {
                (Some(plans), Some(healthy)) => Some(plans.max(healthy)),
                _ => None,
            };
        }
        let o = &mut self.objectives.measured;
        o.recovery_time_ms = match (first_request, last_recovered) {
            (Some(first), Some(last)) if all_recovered && !unmeasured && unhealthy.is_none() => {
                first.millis_until(last)
            }
            _ => None,
        };
        o.rto_met = verdict(o.recovery_time_ms, o.rto_target_ms);
        // A run that did not recover every plan it was to fail over missed its RTO.
        if o.rto_target_ms.is_some() && first_request.is_some() && !all_recovered {
            o.rto_met = Some(false);
        }
        if o.rto_target_ms.is_some() && first_request.is_some() && unhealthy.is_some() {
            o.rto_met = Some(false);
        }
        o.restore_point_age_ms = oldest;
        // Met only when every restore point used is known to be young enough.
        o.rpo_met = match verdict(oldest, o.rpo_target_ms) {
            Some(true) if age_unknown => None,
            verdict => verdict,
        };
        if o.rto_met == Some(false) {
            missed.insert(
                0,
                match o.recovery_time_ms {
                    Some(took) => format!(
                        "the run's recovery took {}, the RTO is {}",
                        exact_ms(took),
                        exact_ms(o.rto_target_ms.unwrap_or_default())
                    ),
                    None => match unhealthy {
                        Some(step) if all_recovered => format!(
                            "the service was not seen healthy (step {step}), so the run missed its RTO of {}",
                            exact_ms(o.rto_target_ms.unwrap_or_default())
                        ),
                        _ => format!(
                            "not every plan was recovered, so the run missed its RTO of {}",
                            exact_ms(o.rto_target_ms.unwrap_or_default())
                        ),
                    },
                },
            );
        }
        if o.rpo_met == Some(false) {
            missed.insert(
                0,
                format!(
                    "the oldest restore point used was {} old, the run's RPO is {}",
                    show_ms(oldest.unwrap_or_default()),
                    show_ms(o.rpo_target_ms.unwrap_or_default())
                ),
            );
        }
        self.objectives.missed = missed;
    }
}

impl Listener for Report {
    fn on_event(&mut self, event: &Event) {
        match event {
            Event::RunStarted { .. } | Event::Authenticated { .. } => {}
            Event::StepStarted {
                step,
                name,
                kind,
                plan_id,
                at,
            } => {
                // Steps the runbook does not list (a rollback's undos) join the report.
                while self.steps.len() < *step {
                    let number = self.steps.len() + 1;
                    self.steps
                        .push(StepRecord::new(number, name, *kind, *plan_id, None));
                }
                let phase = self.phase;
                if let Some(s) = self.step(*step) {
                    s.started_at = Some((*at).into());
                    s.phase = phase;
                }
                // A plan the run has read before (a rollback's or clean-up's undo, a later
                // step on the same plan) is named as VAO named it then.
                self.index_plans();
                if let Some(id) = plan_id
                    && let Some(name) = self.plans.names.get(id).cloned()
                {
                    self.name_plan(*id, &name);
                }
            }
            Event::Request {
                step,
                attempt,
                method,
                path,
                body,
                at,
            } => {
                if let Some(s) = self.step(*step) {
                    let continuing = s.continuing.take();
                    if s.request.is_none() && continuing.is_none() {
                        s.request = Some(RequestRecord {
                            method: method.clone(),
                            path: path.clone(),
                            body: body.clone(),
                            sent_at: (*at).into(),
                        });
                    }
                    let (continue_option, halted) = continuing.unzip();
                    s.attempts.push(AttemptRecord {
                        attempt: *attempt,
                        sent_at: (*at).into(),
                        status: None,
                        error: None,
                        continue_option,
                        halted,
                    });
                }
            }
            Event::Guard {
                step,
                plan,
                verdict,
                ..
            } => {
                if let Some(s) = self.step(*step) {
                    let (verdict, reason) = match verdict {
                        GuardVerdict::Passed => (GuardOutcome::Passed, None),
                        GuardVerdict::Skipped => {
                            (GuardOutcome::Skipped, Some("--force".to_owned()))
                        }
                        GuardVerdict::Refused(why) => (GuardOutcome::Refused, Some(why.clone())),
                    };
                    s.guard = Some(GuardRecord {
                        verdict,
                        reason,
                        plan: plan.clone(),
                    });
                    if let (Some(id), Some(name)) =
                        (s.plan_id, plan.as_ref().and_then(|p| p.name.clone()))
                    {
                        self.name_plan(id, &name);
                    }
                }
            }
            Event::AttemptFailed {
                step,
                attempt,
                status,
                error,
                ..
            } => {
                if let Some(s) = self.step(*step)
                    && let Some(record) = s.attempts.iter_mut().rfind(|a| a.attempt == *attempt)
                {
                    record.status = *status;
                    record.error = Some(error.clone());
                }
            }
            Event::Reconciled {
                step,
                status,
                accepted,
                at,
                ..
            } => {
                if let Some(s) = self.step(*step) {
                    s.reconciliations.push(ReconcileRecord {
                        at: (*at).into(),
                        state: status.summary(),
                        accepted: *accepted,
                    });
                }
            }
            Event::ReadsRetried { step, errors } => {
                if let Some(s) = self.step(*step) {
                    s.read_retries += errors.len() as u32;
                }
            }
            Event::Note { step, text } => {
                if let Some(s) = self.step(*step) {
                    s.notes.push(text.clone());
                }
            }
            Event::Paused { .. } => {}
            Event::Continuing {
                step,
                option,
                times,
                halted,
                at,
                ..
            } => {
                if let Some(s) = self.step(*step) {
                    let by = if times.is_some() {
                        "on_halt"
                    } else {
                        "operator"
                    };
                    s.continuing = Some((
                        *option,
                        HaltRecord {
                            at: (*at).into(),
                            state: halted.summary(),
                            by: by.to_owned(),
                        },
                    ));
                }
            }
            // A resumed run is not finished: the end recorded by the first process (an
            // interrupt) gives way to the one the resumed process will record.
            Event::Resumed { .. } => {
                self.finished_at = None;
                self.duration_ms = None;
                self.result = RunResult::Interrupted;
                self.error = None;
            }
            Event::Answer {
                step,
                status,
                body,
                elapsed,
                attempts,
            } => {
                if let Some(s) = self.step(*step) {
                    if let Some(record) = s.attempts.last_mut() {
                        record.status = Some(*status);
                        // A Continue's answer is its attempt's; `response` is the step's
                        // own request's.
                        if record.continue_option.is_some() {
                            return;
                        }
                    }
                    s.response = Some(ResponseRecord {
                        status: *status,
                        body: body.clone(),
                        elapsed_ms: elapsed.as_millis() as u64,
                        attempts: *attempts,
                    });
                }
            }
            Event::Polled {
                step,
                status,
                phase,
                at,
            } => {
                if let Some(s) = self.step(*step) {
                    if matches!(phase, Phase::Succeeded | Phase::SucceededWithWarnings)
                        && let (Some(recovery), Some(request)) = (&mut s.recovery, &s.request)
                    {
                        recovery.failed_over_at = Some((*at).into());
                        let m = &mut recovery.measured;
                        m.recovery_time_ms = request.sent_at.millis_until(*at);
                        m.rto_met = verdict(m.recovery_time_ms, m.rto_target_ms);
                    }
                    s.polls += 1;
                    let summary = status.summary();
                    if s.states_seen.last() != Some(&summary) {
                        s.states_seen.push(summary);
                    }
                    s.final_state = Some(status.clone());
                }
            }
            Event::PollFailed { step, .. } => {
                if let Some(s) = self.step(*step) {
                    s.poll_errors += 1;
                }
            }
            Event::Probed {
                step,
                healthy,
                status,
                answer,
                body,
                at,
                ..
            } => {
                if let Some(s) = self.step(*step) {
                    let check = s.check.get_or_insert_with(CheckRecord::default);
                    check.attempts += 1;
                    check.last_status = *status;
                    check.last_answer = Some(answer.clone());
                    check.body_excerpt = body.clone();
                    if *healthy {
                        check.healthy_at = Some((*at).into());
                    }
                }
            }
            Event::Spawning {
                step,
                command,
                cwd,
                env,
                at,
            } => {
                if let Some(s) = self.step(*step) {
                    let record = s.command.get_or_insert_with(CommandRecord::default);
                    record.command = command.clone();
                    record.cwd = cwd.clone();
                    record.env = env.clone();
                    record.started_at = Some((*at).into());
                }
            }
            Event::Output { .. } => {}
            Event::Exited {
                step,
                code,
                signal,
                timed_out,
                elapsed,
                stdout,
                stderr,
                truncated,
                ..
            } => {
                if let Some(s) = self.step(*step) {
                    let record = s.command.get_or_insert_with(CommandRecord::default);
                    record.exit_code = *code;
                    record.signal = *signal;
                    record.timed_out = *timed_out;
                    record.duration_ms = Some(ms(*elapsed));
                    record.stdout_tail = stdout.clone();
                    record.stderr_tail = stderr.clone();
                    record.output_truncated = *truncated;
                }
            }
            Event::Waiting { .. } => {}
            Event::Approved { step, by, how, at } => {
                if let Some(s) = self.step(*step) {
                    s.approval = Some(ApprovalRecord {
                        by: by.clone(),
                        how: how.clone(),
                        at: (*at).into(),
                    });
                }
            }
            Event::Decided {
                step,
                decision,
                option,
                by,
                account,
                how,
                reason,
                at,
            } => {
                if let Some(s) = self.step(*step) {
                    s.decisions.push(DecisionRecord {
                        decision: *decision,
                        option: *option,
                        by: by.clone(),
                        account: account.clone(),
                        how: how.clone(),
                        reason: reason.clone(),
                        at: (*at).into(),
                    });
                }
            }
            Event::Asking { .. } => {}
            Event::PhaseStarted { phase, .. } => self.phase = Some(*phase),
            Event::CleanupFinished {
                undone,
                left_failed_over,
                interrupted,
                failed_steps,
                ..
            } => {
                if let Some(drill) = &mut self.drill {
                    drill.failed_steps = failed_steps.clone();
                    // A resumed clean-up adds to what the earlier process undid.
                    for plan in undone {
                        if !drill.undone.contains(plan) {
                            drill.undone.push(*plan);
                        }
                    }
                    drill.left_failed_over = left_failed_over.clone();
                    drill.cleanup = match (left_failed_over.is_empty(), interrupted) {
                        (true, _) if !failed_steps.is_empty() => Cleanup::Failed,
                        (true, _) => Cleanup::Clean,
                        (false, true) => Cleanup::Interrupted,
                        (false, false) => Cleanup::Failed,
                    };
                }
            }
            Event::StepFinished {
                step,
                result,
                at,
                error,
            } => {
                if let Some(s) = self.step(*step) {
                    s.result = *result;
                    s.error = error.clone();
                    if let Some(started) = s.started_at {
                        s.finished_at = Some((*at).into());
                        s.duration_ms = started.millis_until(*at);
                    }
                }
            }
            // The first end is the true one (a second signal may already have closed it).
            Event::RunFinished { .. } if self.finished_at.is_some() => {}
            Event::RunFinished { result, at, error } => {
                self.result = *result;
                self.error = error.clone();
                self.finished_at = Some((*at).into());
                self.duration_ms = self.started_at.millis_until(*at);
                self.summarise();
            }
        }
    }
}
