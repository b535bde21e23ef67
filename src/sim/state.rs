//! The simulator's mutable state: plans and the failover, undo or readiness
//! check each one runs, issued tokens, injected faults, and the record of
//! requests. A run's progress is computed from the elapsed time at each
//! read, so no task runs per plan. Which action a plan may start when is
//! written once, in `Action::allowed`.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::config::{SimCheckOutcome, SimClient, SimConfig, SimOutcome, SimPlan};
use super::fault::{FaultKind, FaultPlan, FaultTarget};
use super::flavour::SimApi;
use super::request::RecordedRequest;

/// Progress at which a plan with outcome [`SimOutcome::Halt`] stops.
const HALT_PROGRESS: u8 = 50;

pub(crate) const STATE_IN_PROGRESS: &str = "FailoverInProgress";
pub(crate) const STATE_FAILOVER: &str = "Failover";
pub(crate) const STATE_HALTED: &str = "Halted";
pub(crate) const STATE_UNDO_IN_PROGRESS: &str = "UndoFailoverInProgress";
pub(crate) const STATE_UNDO: &str = "UndoFailover";
pub(crate) const STATE_CHECKING: &str = "Checking";
const STATE_VERIFIED: &str = "Verified";
const STATE_NOT_VERIFIED: &str = "NotVerified";
const RESULT_RUNNING: &str = "Running";
const RESULT_READY: &str = "Ready";
const RESULT_SUCCESS: &str = "Complete, no errors, no warnings";

/// Shared by the server and every [`super::Simulator`] handle.
pub(crate) struct SimState {
    inner: Mutex<Inner>,
    /// The API edition served; fixed for the simulator's life.
    pub(crate) api: SimApi,
    client: Option<SimClient>,
    mfa: bool,
    pub(crate) page_limit: usize,
}

struct Inner {
    username: String,
    password: String,
    token_lifetime: Duration,
    plans: Vec<PlanRuntime>,
    /// Expiry per token; `None` when the lifetime reaches past what `Instant` holds.
    access_tokens: HashMap<String, Option<Instant>>,
    refresh_tokens: HashSet<String>,
    requests: Vec<RecordedRequest>,
    /// Requests that reached a plan, per action and lowercase plan id
    /// (unknown ids included).
    action_requests: HashMap<(Action, String), usize>,
    faults: FaultPlan,
}

/// A state-changing action that runs for a while.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Failover,
    Undo,
    /// A readiness check.
    Check,
    /// `Continue` of a halted plan: the halted failover (or undo) runs on.
    Continue,
}

/// How a `Continue` goes on: a retry runs the failed part again from the halt point (and
/// ends as the plan's next `continue_outcomes` entry says), a proceed goes on past it (and
/// completes with warnings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Continuation {
    Retry,
    Proceed,
}

impl Action {
    /// Whether a plan that looks like `view` may start this action. Nothing starts while
    /// something runs (`busy`). A failover needs an enabled plan in a ready state, or in
    /// `UndoFailover` (once undone, a plan can fail over again); an undo, a plan in
    /// Failover, Failback or Halted; a readiness check, an enabled plan in any stable state.
    fn allowed(self, view: &PlanView, busy: bool) -> Result<(), Refusal> {
        let state = normalise(&view.state);
        let (needs_enabled, in_state, expected) = match self {
            Action::Failover => (
                Some("failover"),
                is_ready(&view.state) || state == normalise(STATE_UNDO),
                "failover requires state Verified, NotVerified or UndoFailover",
            ),
            Action::Undo => (
                None,
                matches!(state.as_str(), "failover" | "failback" | "halted"),
                "undo requires state Failover or Halted",
            ),
            Action::Check => (
                Some("a readiness check"),
                true,
                "a readiness check requires a plan that runs nothing",
            ),
            // VAO: "the plan must be HALTED" (continue_plan.html).
            Action::Continue => (
                None,
                state == normalise(STATE_HALTED),
                "continue requires state Halted",
            ),
        };
        if let Some(action) = needs_enabled
            && !view.enabled
        {
            return Err(disabled(view, action));
        }
        if busy || !in_state {
            return Err(refusal(view, expected));
        }
        Ok(())
    }
}

struct PlanRuntime {
    plan: SimPlan,
    /// Where the plan stands when nothing runs.
    stable: Stable,
    /// The action in progress; once its time is up it is only settled into
    /// `stable` by the next change, reads compute its end.
    run: Option<Run>,
    /// Set by a restart: runtime details are missing until the next
    /// accepted action.
    details_wiped: bool,
    /// How many times each action started.
    accepted: HashMap<Action, usize>,
    /// The process a halt stopped (what a `Continue` runs on), while the plan is halted.
    halted: Option<Action>,
    /// What the next retries end in (`continue_outcomes`), consumed one per retry.
    continue_outcomes: VecDeque<SimOutcome>,
}

#[derive(Clone)]
struct Stable {
    state: String,
    result_name: String,
    total_progress: u8,
    run_ok: bool,
    previous_execution_state: String,
    /// `currentCheckResult`: set by the last readiness check that ended.
    check_result: String,
}

struct Run {
    /// The process that runs: a failover, an undo or a check (a `Continue` runs the
    /// halted process on).
    action: Action,
    started: Instant,
    duration: Duration,
    state_before: String,
    /// How a failover ends.
    outcome: SimOutcome,
    /// The progress it starts from (a continued run, from where it halted) and stops at.
    from: u8,
    target: u8,
}

/// A plan's state as reported at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PlanView {
    pub id: String,
    pub name: String,
    pub plan_type: String,
    pub enabled: bool,
    pub state: String,
    pub last_stable_state: String,
    pub previous_execution_state: String,
    pub total_progress: u8,
    pub result_name: String,
    pub current_run_result: bool,
    pub current_check_result: String,
}

/// What `GET /api/v3/RuntimeDetails/Plans/{id}` finds.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Details {
    Found(PlanView),
    UnknownPlan,
    /// Wiped by a restart.
    Missing,
}

/// A fresh token pair as answered by `POST /token`.
pub(crate) struct IssuedTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: u64,
}

/// Why an action was refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    UnknownPlan,
    /// The message names the plan and its current state.
    NotAllowed(String),
}

impl SimState {
    pub(crate) fn new(config: SimConfig) -> Self {
        SimState {
            api: config.api,
            client: config.client,
            mfa: config.mfa,
            page_limit: config.page_limit.max(1),
            inner: Mutex::new(Inner {
                username: config.username,
                password: config.password,
                token_lifetime: config.token_lifetime,
                plans: config.plans.into_iter().map(PlanRuntime::new).collect(),
                access_tokens: HashMap::new(),
                refresh_tokens: HashSet::new(),
                requests: Vec::new(),
                action_requests: HashMap::new(),
                faults: FaultPlan::new(config.faults, config.seed),
            }),
        }
    }

    // A panic elsewhere must not take the whole simulator down with it: the
    // data stays consistent because no update spans more than one statement
    // that can panic.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn record(&self, request: RecordedRequest) {
        self.lock().requests.push(request);
    }

    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    /// The fault that hits this request, if any.
    pub(crate) fn pick_fault(&self, target: &FaultTarget) -> Option<FaultKind> {
        self.lock().faults.pick(target)
    }

    /// Password grant. The configured name matches exactly, or as the user
    /// part of `DOMAIN\user` when the configured name has no domain itself.
    /// With MFA required (`SimConfig::mfa`) the right name and password get no token: the
    /// token endpoint answers its MFA demand instead ([`SimState::demands_mfa`]).
    pub(crate) fn password_grant(&self, username: &str, password: &str) -> Option<IssuedTokens> {
        let mut inner = self.lock();
        if !inner.account_matches(username, password) || self.mfa {
            return None;
        }
        Some(inner.issue(Instant::now()))
    }

    /// Whether a password grant with these credentials is answered with the MFA demand.
    pub(crate) fn demands_mfa(&self, username: &str, password: &str) -> bool {
        self.mfa && self.lock().account_matches(username, password)
    }

    /// Client credentials grant: the configured client, exactly.
    pub(crate) fn client_grant(&self, client_id: &str, secret: &str) -> Option<IssuedTokens> {
        let client = self.client.as_ref()?;
        if client.id != client_id || client.secret != secret {
            return None;
        }
        Some(self.lock().issue(Instant::now()))
    }

    /// Refresh grant. A refresh token is consumed by its use.
    pub(crate) fn refresh_grant(&self, refresh_token: &str) -> Option<IssuedTokens> {
        let mut inner = self.lock();
        if !inner.refresh_tokens.remove(refresh_token) {
            return None;
        }
        Some(inner.issue(Instant::now()))
    }

    pub(crate) fn access_token_valid(&self, token: &str) -> bool {
        self.access_token_valid_at(token, Instant::now())
    }

    fn access_token_valid_at(&self, token: &str, now: Instant) -> bool {
        let inner = self.lock();
        inner
            .access_tokens
            .get(token)
            .is_some_and(|expires| expires.is_none_or(|at| now < at))
    }

    pub(crate) fn plans(&self) -> Vec<PlanView> {
        let now = Instant::now();
        self.lock().plans.iter().map(|p| p.view(now)).collect()
    }

    pub(crate) fn plan(&self, id: &str) -> Option<PlanView> {
        let now = Instant::now();
        self.lock().find(id).map(|p| p.view(now))
    }

    pub(crate) fn runtime_details(&self, id: &str) -> Details {
        let now = Instant::now();
        match self.lock().find(id) {
            None => Details::UnknownPlan,
            Some(p) if p.details_wiped => Details::Missing,
            Some(p) => Details::Found(p.view(now)),
        }
    }

    /// Like a reboot of the VAO server: runtime details are gone until each
    /// plan's next accepted action, and every issued token is void. Plans,
    /// runs in progress and counters stay.
    pub(crate) fn restart(&self) {
        let mut inner = self.lock();
        inner.access_tokens.clear();
        inner.refresh_tokens.clear();
        for plan in &mut inner.plans {
            plan.details_wiped = true;
        }
    }

    /// Requests for `action` that reached the plan, accepted or not.
    pub(crate) fn request_count(&self, action: Action, id: &str) -> usize {
        let key = (action, id.trim().to_ascii_lowercase());
        self.lock().action_requests.get(&key).copied().unwrap_or(0)
    }

    /// Counts a request for `action` that reached the plan, whatever its fate.
    pub(crate) fn count_request(&self, action: Action, id: &str) {
        let key = (action, id.trim().to_ascii_lowercase());
        let mut inner = self.lock();
        let count = inner.action_requests.entry(key).or_insert(0);
        *count = count.saturating_add(1);
    }

    /// How many times the plan started `action`.
    pub(crate) fn accepted(&self, action: Action, id: &str) -> usize {
        self.lock()
            .find(id)
            .and_then(|p| p.accepted.get(&action).copied())
            .unwrap_or(0)
    }

    /// Starts `action` if the plan allows it now ([`Action::allowed`]).
    pub(crate) fn start(&self, action: Action, id: &str) -> Result<(), Refusal> {
        self.start_at(action, id, Instant::now())
    }

    fn start_at(&self, action: Action, id: &str, now: Instant) -> Result<(), Refusal> {
        self.start_with(action, id, now, None, false)
    }

    /// Starts a failover that halts halfway whatever the plan's outcome (a `halt` fault).
    pub(crate) fn start_halting(&self, id: &str) -> Result<(), Refusal> {
        self.start_with(Action::Failover, id, Instant::now(), None, true)
    }

    /// `Continue` of a halted plan; `halt`: the continued run halts again (a `halt`
    /// fault), whatever the plan's `continue_outcomes` say.
    pub(crate) fn continue_plan(
        &self,
        id: &str,
        how: Continuation,
        halt: bool,
    ) -> Result<(), Refusal> {
        self.continue_at(id, how, halt, Instant::now())
    }

    fn continue_at(
        &self,
        id: &str,
        how: Continuation,
        halt: bool,
        now: Instant,
    ) -> Result<(), Refusal> {
        self.start_with(Action::Continue, id, now, Some(how), halt)
    }

    fn start_with(
        &self,
        action: Action,
        id: &str,
        now: Instant,
        how: Option<Continuation>,
        halt: bool,
    ) -> Result<(), Refusal> {
        let mut inner = self.lock();
        let (plan, view) = inner.settled(id, now)?;
        action.allowed(&view, plan.run.is_some())?;
        plan.start(action, now, how, halt);
        Ok(())
    }

    /// Halts the failover or undo in progress where it stands; a readiness
    /// check cannot be halted.
    pub(crate) fn halt(&self, id: &str) -> Result<(), Refusal> {
        self.halt_at(id, Instant::now())
    }

    fn halt_at(&self, id: &str, now: Instant) -> Result<(), Refusal> {
        let mut inner = self.lock();
        let (plan, view) = inner.settled(id, now)?;
        let Some(run) = plan.run.take_if(|run| run.action != Action::Check) else {
            return Err(refusal(&view, "halt requires a running failover or undo"));
        };
        plan.halted = Some(run.action);
        plan.stable = Stable {
            state: STATE_HALTED.to_string(),
            result_name: "Halted by user".to_string(),
            total_progress: view.total_progress,
            run_ok: false,
            previous_execution_state: run.state_before,
            check_result: plan.stable.check_result.clone(),
        };
        plan.details_wiped = false;
        Ok(())
    }
}

fn disabled(view: &PlanView, action: &str) -> Refusal {
    Refusal::NotAllowed(format!(
        "Plan '{}' ({}) is disabled; {action} requires an enabled plan.",
        view.name, view.id
    ))
}

fn refusal(view: &PlanView, expected: &str) -> Refusal {
    Refusal::NotAllowed(format!(
        "Plan '{}' ({}) is in state {} ({}); {expected}.",
        view.name,
        view.id,
        view.state,
        state_name(&view.state)
    ))
}

impl Inner {
    /// The configured name matches exactly, or as the user part of `DOMAIN\\user` when the
    /// configured name has no domain itself; and the password matches.
    fn account_matches(&self, username: &str, password: &str) -> bool {
        let name_ok = username == self.username
            || (!self.username.contains('\\')
                && username
                    .split_once('\\')
                    .is_some_and(|(domain, user)| !domain.is_empty() && user == self.username));
        name_ok && password == self.password
    }

    fn find(&self, id: &str) -> Option<&PlanRuntime> {
        let id = id.trim();
        self.plans
            .iter()
            .find(|p| p.plan.id.eq_ignore_ascii_case(id))
    }

    fn find_mut(&mut self, id: &str) -> Option<&mut PlanRuntime> {
        let id = id.trim();
        self.plans
            .iter_mut()
            .find(|p| p.plan.id.eq_ignore_ascii_case(id))
    }

    /// The plan about to change, with a run whose time is up settled, and
    /// how it looks now.
    fn settled(&mut self, id: &str, now: Instant) -> Result<(&mut PlanRuntime, PlanView), Refusal> {
        let plan = self.find_mut(id).ok_or(Refusal::UnknownPlan)?;
        plan.settle(now);
        let view = plan.view(now);
        Ok((plan, view))
    }

    fn issue(&mut self, now: Instant) -> IssuedTokens {
        // Expired tokens are dropped here so a long-running simulator does
        // not accumulate them.
        self.access_tokens
            .retain(|_, expires| expires.is_none_or(|at| now < at));
        let access_token = uuid::Uuid::new_v4().simple().to_string();
        let refresh_token = uuid::Uuid::new_v4().simple().to_string();
        let expires = now.checked_add(self.token_lifetime);
        self.access_tokens.insert(access_token.clone(), expires);
        self.refresh_tokens.insert(refresh_token.clone());
        IssuedTokens {
            access_token,
            refresh_token,
            // Rounded up so a sub-second lifetime is not reported as 0.
            expires_in: self
                .token_lifetime
                .as_secs()
                .saturating_add(u64::from(self.token_lifetime.subsec_nanos() > 0)),
        }
    }
}

impl PlanRuntime {
    fn new(plan: SimPlan) -> Self {
        let stable = Stable {
            state: plan.state.clone(),
            result_name: if is_ready(&plan.state) {
                RESULT_READY
            } else {
                "None"
            }
            .to_string(),
            total_progress: 0,
            run_ok: true,
            previous_execution_state: "None".to_string(),
            // What a plan reports before its first check.
            check_result: if normalise(&plan.state) == "verified" {
                "Success"
            } else {
                "None"
            }
            .to_string(),
        };
        PlanRuntime {
            stable,
            run: None,
            details_wiped: false,
            accepted: HashMap::new(),
            halted: None,
            continue_outcomes: plan.continue_outcomes.iter().copied().collect(),
            plan,
        }
    }

    /// Starts `action` from the current stable state; the caller checked it
    /// is allowed and settled any finished run.
    fn start(&mut self, action: Action, now: Instant, how: Option<Continuation>, halt: bool) {
        let accepted = self.accepted.entry(action).or_insert(0);
        *accepted = accepted.saturating_add(1);
        // A `Continue` runs the halted process on (a plan configured `Halted` was failing
        // over), from where it stopped.
        let (process, from) = match action {
            Action::Continue => (
                self.halted.unwrap_or(Action::Failover),
                self.stable.total_progress,
            ),
            action => (action, 0),
        };
        let outcome = match (action, how) {
            _ if halt => SimOutcome::Halt,
            (Action::Continue, Some(Continuation::Proceed)) => SimOutcome::Warnings,
            (Action::Continue, _) => self
                .continue_outcomes
                .pop_front()
                .unwrap_or(SimOutcome::Success),
            _ => self.plan.outcome,
        };
        // A halt stops a fresh failover halfway, and a retried one where it stopped before.
        let target = match (process, outcome) {
            (Action::Failover, SimOutcome::Halt) if from > 0 => from,
            (Action::Failover, SimOutcome::Halt) => HALT_PROGRESS,
            _ => 100,
        };
        let duration = match action {
            Action::Failover => self.plan.failover_duration,
            Action::Undo => self.plan.undo_duration(),
            Action::Check => self.plan.check_duration,
            Action::Continue => self.plan.continue_duration(),
        };
        self.run = Some(Run {
            action: process,
            started: now,
            duration,
            state_before: self.stable.state.clone(),
            outcome,
            from,
            target,
        });
        self.halted = None;
        self.details_wiped = false;
    }

    /// Turns a run whose time is up into the stable state it ended in.
    fn settle(&mut self, now: Instant) {
        if let Some(run) = &self.run
            && let Some(end) = self.ending(run, now)
        {
            if end.state == STATE_HALTED {
                self.halted = Some(run.action);
            }
            self.stable = end;
            self.run = None;
        }
    }

    /// Progress a failover or undo stops at when it ends by itself; a check
    /// counts up to it too, then reports 0 like any ready plan.
    fn target(&self, run: &Run) -> u8 {
        run.target
    }

    /// The stable state `run` ended in, or `None` while it runs.
    fn ending(&self, run: &Run, now: Instant) -> Option<Stable> {
        if now.saturating_duration_since(run.started) < run.duration {
            return None;
        }
        let (state, result, run_ok) = match (run.action, run.outcome) {
            (Action::Check | Action::Continue, _) => return Some(self.check_ending(run)),
            (Action::Undo, _) => (STATE_UNDO, RESULT_SUCCESS, true),
            (Action::Failover, SimOutcome::Success) => (STATE_FAILOVER, RESULT_SUCCESS, true),
            (Action::Failover, SimOutcome::Warnings) => {
                (STATE_FAILOVER, "Complete with warnings", true)
            }
            (Action::Failover, SimOutcome::Errors) => {
                (STATE_FAILOVER, "Complete with errors", false)
            }
            (Action::Failover, SimOutcome::Halt) => (STATE_HALTED, "Halted with errors", false),
        };
        Some(Stable {
            state: state.to_string(),
            result_name: result.to_string(),
            total_progress: self.target(run),
            run_ok,
            previous_execution_state: run.state_before.clone(),
            check_result: self.stable.check_result.clone(),
        })
    }

    /// A checked plan is back in a default state and reports like any ready
    /// plan; only `currentCheckResult` tells how the check went.
    fn check_ending(&self, run: &Run) -> Stable {
        let (state, check_result) = match self.plan.check_outcome {
            SimCheckOutcome::Pass => (STATE_VERIFIED, "Success"),
            SimCheckOutcome::Fail => (STATE_NOT_VERIFIED, "Failed"),
        };
        Stable {
            state: state.to_string(),
            result_name: RESULT_READY.to_string(),
            total_progress: 0,
            run_ok: self.stable.run_ok,
            previous_execution_state: run.state_before.clone(),
            check_result: check_result.to_string(),
        }
    }

    fn view(&self, now: Instant) -> PlanView {
        let plan = &self.plan;
        let stable_view = |stable: &Stable| PlanView {
            id: plan.id.clone(),
            name: plan.name.clone(),
            plan_type: plan.plan_type.clone(),
            enabled: plan.enabled,
            state: stable.state.clone(),
            last_stable_state: stable.state.clone(),
            previous_execution_state: stable.previous_execution_state.clone(),
            total_progress: stable.total_progress,
            result_name: stable.result_name.clone(),
            current_run_result: stable.run_ok,
            current_check_result: stable.check_result.clone(),
        };
        let Some(run) = &self.run else {
            return stable_view(&self.stable);
        };
        if let Some(end) = self.ending(run, now) {
            return stable_view(&end);
        }
        let target = self.target(run);
        let fraction =
            now.saturating_duration_since(run.started).as_secs_f64() / run.duration.as_secs_f64();
        // 1 at the start (a continued run: where it halted), target - 1 just before the end.
        let start = run.from.max(1);
        let span = f64::from(target.saturating_sub(start));
        let progress = f64::from(start) + (fraction * span).floor();
        let mut view = stable_view(&self.stable);
        view.state = match run.action {
            Action::Failover | Action::Continue => STATE_IN_PROGRESS,
            Action::Undo => STATE_UNDO_IN_PROGRESS,
            Action::Check => STATE_CHECKING,
        }
        .to_string();
        view.last_stable_state = run.state_before.clone();
        view.previous_execution_state = run.state_before.clone();
        view.total_progress = (progress as u8).clamp(start, target.saturating_sub(1).max(start));
        view.result_name = RESULT_RUNNING.to_string();
        if run.action == Action::Check {
            view.current_check_result = RESULT_RUNNING.to_string();
        } else {
            view.current_run_result = true;
        }
        view
    }
}

/// Lowercase with separators dropped: `Not Verified`, `NOT_VERIFIED` and
/// `NotVerified` are one state.
pub(crate) fn normalise(state: &str) -> String {
    state
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn is_ready(state: &str) -> bool {
    matches!(normalise(state).as_str(), "verified" | "notverified")
}

/// The human spelling of a state: `FailoverInProgress` → `Failover in progress`.
pub(crate) fn state_name(state: &str) -> String {
    let mut words = String::with_capacity(state.len() + 4);
    let mut prev: Option<char> = None;
    for c in state.chars() {
        if c == '_' || c == '-' || c == ' ' {
            if !words.is_empty() && !words.ends_with(' ') {
                words.push(' ');
            }
            prev = Some(' ');
            continue;
        }
        if c.is_uppercase() && prev.is_some_and(|p| p.is_lowercase() || p.is_ascii_digit()) {
            words.push(' ');
        }
        words.push(c);
        prev = Some(c);
    }
    let lower = words.trim_end().to_lowercase();
    let mut chars = lower.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "6f1c2d9e-3b4a-4c5d-8e7f-0a1b2c3d4e5f";

    fn state_with(outcome: SimOutcome, duration: Duration) -> SimState {
        let mut config = SimConfig::with_plans([ID.to_string()], duration);
        config.plans[0].outcome = outcome;
        SimState::new(config)
    }

    fn view_at(state: &SimState, now: Instant) -> PlanView {
        state.lock().find(ID).map(|p| p.view(now)).unwrap()
    }

    /// state, lastStableState, totalProgress, resultName.
    fn run_fields(v: &PlanView) -> (&str, &str, u8, &str) {
        (
            v.state.as_str(),
            v.last_stable_state.as_str(),
            v.total_progress,
            v.result_name.as_str(),
        )
    }

    /// `state` once `action` started on the plan, and the instant it started.
    fn started(state: SimState, action: Action) -> (SimState, Instant) {
        let t0 = Instant::now();
        state.start_at(action, ID, t0).unwrap();
        (state, t0)
    }

    /// Expects [`Refusal::NotAllowed`] with a message that contains each of `needles`.
    fn assert_not_allowed(r: Result<(), Refusal>, needles: &[&str]) {
        match r {
            Err(Refusal::NotAllowed(msg)) => {
                for needle in needles {
                    assert!(msg.contains(needle), "{msg}");
                }
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn human_state_names() {
        assert_eq!(state_name("FailoverInProgress"), "Failover in progress");
        assert_eq!(state_name("NotVerified"), "Not verified");
        assert_eq!(state_name("Verified"), "Verified");
        assert_eq!(state_name("Failover"), "Failover");
        assert_eq!(state_name("Halted"), "Halted");
        assert_eq!(state_name("UNDO_FAILOVER"), "Undo failover");
        assert_eq!(state_name(""), "");
    }

    #[test]
    fn readiness_ignores_case_and_separators() {
        assert!(is_ready("Verified"));
        assert!(is_ready("NOT VERIFIED"));
        assert!(is_ready("not_verified"));
        assert!(!is_ready("Failover"));
        assert!(!is_ready("NeedsVerified"));
    }

    #[test]
    fn failover_progresses_then_completes() {
        let state = state_with(SimOutcome::Success, Duration::from_secs(10));
        let t0 = Instant::now();
        let ready = view_at(&state, t0);
        assert_eq!(
            (
                ready.state.as_str(),
                ready.total_progress,
                ready.result_name.as_str()
            ),
            ("Verified", 0, "Ready")
        );
        state
            .start_at(Action::Failover, &ID.to_uppercase(), t0)
            .unwrap();
        let start = view_at(&state, t0);
        assert_eq!(start.state, STATE_IN_PROGRESS);
        assert_eq!(start.last_stable_state, "Verified");
        assert_eq!(start.total_progress, 1);
        assert_eq!(start.result_name, "Running");
        let half = view_at(&state, t0 + Duration::from_secs(5));
        assert_eq!(half.total_progress, 50);
        let late = view_at(&state, t0 + Duration::from_millis(9_999));
        assert_eq!(late.total_progress, 99);
        let done = view_at(&state, t0 + Duration::from_secs(10));
        assert_eq!(
            run_fields(&done),
            (
                "Failover",
                "Failover",
                100,
                "Complete, no errors, no warnings"
            )
        );
        assert!(done.current_run_result);
        assert_eq!(done.previous_execution_state, "Verified");
    }

    #[test]
    fn outcomes() {
        let t0 = Instant::now();
        for (outcome, expected) in [
            (
                SimOutcome::Warnings,
                ("Failover", 100, "Complete with warnings"),
            ),
            (
                SimOutcome::Errors,
                ("Failover", 100, "Complete with errors"),
            ),
            (SimOutcome::Halt, ("Halted", 50, "Halted with errors")),
        ] {
            let state = state_with(outcome, Duration::ZERO);
            state.start_at(Action::Failover, ID, t0).unwrap();
            let v = view_at(&state, t0);
            assert_eq!(
                (v.state.as_str(), v.total_progress, v.result_name.as_str()),
                expected
            );
            assert_eq!(v.last_stable_state, v.state);
        }
        let halting = state_with(SimOutcome::Halt, Duration::from_secs(10));
        halting.start_at(Action::Failover, ID, t0).unwrap();
        let v = view_at(&halting, t0 + Duration::from_millis(9_999));
        assert_eq!(
            (v.state.as_str(), v.total_progress),
            (STATE_IN_PROGRESS, 49)
        );
    }

    #[test]
    fn refusals() {
        let state = state_with(SimOutcome::Success, Duration::from_secs(10));
        let t0 = Instant::now();
        assert_eq!(
            state.start_at(Action::Failover, "00000000-0000-0000-0000-000000000000", t0),
            Err(Refusal::UnknownPlan)
        );
        state.start_at(Action::Failover, ID, t0).unwrap();
        assert_not_allowed(
            state.start_at(Action::Failover, ID, t0),
            &["FailoverInProgress", ID],
        );
        let mut config = SimConfig::with_plans([ID.to_string()], Duration::ZERO);
        config.plans[0].enabled = false;
        let disabled = SimState::new(config);
        assert_not_allowed(disabled.start_at(Action::Failover, ID, t0), &["disabled"]);
    }

    #[test]
    fn tokens() {
        let mut config = SimConfig::with_plans([], Duration::ZERO);
        config.password = "pw".to_string();
        config.token_lifetime = Duration::from_millis(1500);
        let state = SimState::new(config);
        assert!(state.password_grant("drbook", "wrong").is_none());
        assert!(state.password_grant("drbooks", "pw").is_none());
        assert!(state.password_grant("\\drbook", "pw").is_none());
        assert!(state.password_grant("CORP\\drbook", "pw").is_some());
        let t = state.password_grant("drbook", "pw").unwrap();
        assert_eq!(t.expires_in, 2);
        assert!(state.access_token_valid(&t.access_token));
        assert!(
            !state.access_token_valid_at(&t.access_token, Instant::now() + Duration::from_secs(2))
        );
        let r = state.refresh_grant(&t.refresh_token).unwrap();
        assert!(state.access_token_valid(&r.access_token));
        assert!(state.refresh_grant(&t.refresh_token).is_none());
        assert!(!state.access_token_valid("nope"));

        let mut forever = SimConfig::with_plans([], Duration::ZERO);
        forever.token_lifetime = Duration::MAX;
        let pw = forever.password.clone();
        let state = SimState::new(forever);
        let t = state.password_grant("drbook", &pw).unwrap();
        assert!(state.access_token_valid(&t.access_token));
    }

    #[test]
    fn undo_after_failover_then_failover_again() {
        let mut config = SimConfig::with_plans([ID.to_string()], Duration::from_secs(10));
        config.plans[0].undo_duration = Some(Duration::from_secs(4));
        let state = SimState::new(config);
        let t0 = Instant::now();
        let refused = |r, needle| assert_not_allowed(r, &[needle]);
        refused(state.start_at(Action::Undo, ID, t0), "state Verified");
        state.start_at(Action::Failover, ID, t0).unwrap();
        refused(
            state.start_at(Action::Undo, ID, t0 + Duration::from_secs(1)),
            "FailoverInProgress",
        );
        let t1 = t0 + Duration::from_secs(10);
        state.start_at(Action::Undo, ID, t1).unwrap();
        let running = view_at(&state, t1 + Duration::from_secs(2));
        assert_eq!(
            run_fields(&running),
            (STATE_UNDO_IN_PROGRESS, "Failover", 50, "Running")
        );
        let done = view_at(&state, t1 + Duration::from_secs(4));
        assert_eq!(
            run_fields(&done),
            (STATE_UNDO, STATE_UNDO, 100, RESULT_SUCCESS)
        );
        assert_eq!(done.previous_execution_state, "Failover");
        let t2 = t1 + Duration::from_secs(5);
        refused(state.start_at(Action::Undo, ID, t2), "UndoFailover");
        state.start_at(Action::Failover, ID, t2).unwrap();
        let again = view_at(&state, t2 + Duration::from_secs(1));
        assert_eq!(
            (again.state.as_str(), again.last_stable_state.as_str()),
            (STATE_IN_PROGRESS, STATE_UNDO)
        );
        let done = view_at(&state, t2 + Duration::from_secs(10));
        assert_eq!(
            (done.state.as_str(), done.previous_execution_state.as_str()),
            (STATE_FAILOVER, STATE_UNDO)
        );
        assert_eq!(state.accepted(Action::Failover, ID), 2);
        assert_eq!(state.accepted(Action::Undo, &ID.to_uppercase()), 1);
        assert_eq!(state.accepted(Action::Undo, "nope"), 0);
    }

    fn check_state(outcome: SimCheckOutcome, initial: &str) -> SimState {
        let mut config = SimConfig::with_plans([ID.to_string()], Duration::from_secs(10));
        config.plans[0].check_duration = Duration::from_secs(4);
        config.plans[0].check_outcome = outcome;
        config.plans[0].state = initial.to_string();
        SimState::new(config)
    }

    /// state, lastStableState, totalProgress, resultName, currentCheckResult.
    fn check_fields(v: &PlanView) -> (&str, &str, u8, &str, &str) {
        let (state, stable, progress, result) = run_fields(v);
        (
            state,
            stable,
            progress,
            result,
            v.current_check_result.as_str(),
        )
    }

    #[test]
    fn check_result_before_any_check_follows_the_configured_state() {
        let t0 = Instant::now();
        let verified = check_state(SimCheckOutcome::Pass, "Verified");
        assert_eq!(view_at(&verified, t0).current_check_result, "Success");
        let not_verified = check_state(SimCheckOutcome::Pass, "Not Verified");
        assert_eq!(view_at(&not_verified, t0).current_check_result, "None");
        // A failover does not change it; only a check does.
        verified.start_at(Action::Failover, ID, t0).unwrap();
        let after = view_at(&verified, t0 + Duration::from_secs(10));
        assert_eq!(
            (after.state.as_str(), after.current_check_result.as_str()),
            (STATE_FAILOVER, "Success")
        );
    }

    #[test]
    fn passing_check_runs_then_leaves_the_plan_verified() {
        let state = check_state(SimCheckOutcome::Pass, "NotVerified");
        let t0 = Instant::now();
        state
            .start_at(Action::Check, &ID.to_uppercase(), t0)
            .unwrap();
        let start = view_at(&state, t0);
        assert_eq!(
            check_fields(&start),
            (STATE_CHECKING, "NotVerified", 1, "Running", "Running")
        );
        assert_eq!(
            view_at(&state, t0 + Duration::from_secs(2)).total_progress,
            50
        );
        let late = view_at(&state, t0 + Duration::from_millis(3_999));
        assert_eq!(
            check_fields(&late),
            (STATE_CHECKING, "NotVerified", 99, "Running", "Running")
        );
        let done = view_at(&state, t0 + Duration::from_secs(4));
        assert_eq!(
            check_fields(&done),
            ("Verified", "Verified", 0, "Ready", "Success")
        );
        assert_eq!(done.previous_execution_state, "NotVerified");
        assert!(done.current_run_result);
        assert_eq!(state.accepted(Action::Check, ID), 1);
        assert_eq!(state.accepted(Action::Failover, ID), 0);
    }

    #[test]
    fn failing_check_leaves_the_plan_not_verified_and_failover_still_allowed() {
        let (state, t0) = started(
            check_state(SimCheckOutcome::Fail, "Verified"),
            Action::Check,
        );
        let t1 = t0 + Duration::from_secs(4);
        assert_eq!(
            check_fields(&view_at(&state, t1)),
            ("NotVerified", "NotVerified", 0, "Ready", "Failed")
        );
        // Checks may repeat; their result stays through a later failover.
        state.start_at(Action::Check, ID, t1).unwrap();
        let t2 = t1 + Duration::from_secs(4);
        state.start_at(Action::Failover, ID, t2).unwrap();
        let running = view_at(&state, t2 + Duration::from_secs(1));
        assert_eq!(
            (
                running.state.as_str(),
                running.last_stable_state.as_str(),
                running.current_check_result.as_str()
            ),
            (STATE_IN_PROGRESS, "NotVerified", "Failed")
        );
        assert_eq!(state.accepted(Action::Check, ID), 2);
    }

    #[test]
    fn check_after_undo_makes_the_plan_ready_again() {
        let (state, t0) = started(
            check_state(SimCheckOutcome::Pass, "Verified"),
            Action::Failover,
        );
        let t1 = t0 + Duration::from_secs(10);
        state.start_at(Action::Undo, ID, t1).unwrap();
        let t2 = t1 + Duration::from_secs(10);
        assert_eq!(view_at(&state, t2).state, STATE_UNDO);
        state.start_at(Action::Check, ID, t2).unwrap();
        assert_eq!(
            check_fields(&view_at(&state, t2 + Duration::from_secs(1))),
            (STATE_CHECKING, STATE_UNDO, 25, "Running", "Running")
        );
        let t3 = t2 + Duration::from_secs(4);
        assert_eq!(
            check_fields(&view_at(&state, t3)),
            ("Verified", "Verified", 0, "Ready", "Success")
        );
        state.start_at(Action::Failover, ID, t3).unwrap();
        assert_eq!(view_at(&state, t3).state, STATE_IN_PROGRESS);
    }

    #[test]
    fn check_refusals() {
        let refused = |r, needle| assert_not_allowed(r, &[needle, ID]);
        let state = check_state(SimCheckOutcome::Pass, "Verified");
        let t0 = Instant::now();
        assert_eq!(
            state.start_at(Action::Check, "00000000-0000-0000-0000-000000000000", t0),
            Err(Refusal::UnknownPlan)
        );
        state.start_at(Action::Failover, ID, t0).unwrap();
        refused(state.start_at(Action::Check, ID, t0), "FailoverInProgress");
        let t1 = t0 + Duration::from_secs(10);
        state.start_at(Action::Check, ID, t1).unwrap();
        refused(state.start_at(Action::Check, ID, t1), "Checking");
        refused(state.start_at(Action::Failover, ID, t1), "Checking");
        refused(state.start_at(Action::Undo, ID, t1), "Checking");
        // A check cannot be halted, and stays running.
        refused(state.halt_at(ID, t1), "Checking");
        assert_eq!(view_at(&state, t1).state, STATE_CHECKING);
        assert_eq!(state.accepted(Action::Check, ID), 1);

        let mut config = SimConfig::with_plans([ID.to_string()], Duration::ZERO);
        config.plans[0].enabled = false;
        let disabled = SimState::new(config);
        refused(disabled.start_at(Action::Check, ID, t0), "disabled");
        assert_eq!(disabled.accepted(Action::Check, ID), 0);
    }

    #[test]
    fn undo_duration_defaults_to_failover_duration() {
        let (state, t0) = started(
            state_with(SimOutcome::Success, Duration::from_secs(10)),
            Action::Failover,
        );
        let t1 = t0 + Duration::from_secs(10);
        state.start_at(Action::Undo, ID, t1).unwrap();
        assert_eq!(
            view_at(&state, t1 + Duration::from_secs(5)).total_progress,
            50
        );
    }

    #[test]
    fn halt_stops_a_run_where_it_stands() {
        let state = state_with(SimOutcome::Success, Duration::from_secs(10));
        let t0 = Instant::now();
        assert!(matches!(state.halt_at(ID, t0), Err(Refusal::NotAllowed(_))));
        assert_eq!(
            state.halt_at("00000000-0000-0000-0000-000000000000", t0),
            Err(Refusal::UnknownPlan)
        );
        state.start_at(Action::Failover, ID, t0).unwrap();
        state.halt_at(ID, t0 + Duration::from_secs(3)).unwrap();
        let halted = view_at(&state, t0 + Duration::from_secs(30));
        assert_eq!(
            run_fields(&halted),
            ("Halted", "Halted", 30, "Halted by user")
        );
        assert!(matches!(
            state.halt_at(ID, t0 + Duration::from_secs(31)),
            Err(Refusal::NotAllowed(_))
        ));
        // A halted plan may be undone, and the undo may be halted too.
        let t1 = t0 + Duration::from_secs(40);
        state.start_at(Action::Undo, ID, t1).unwrap();
        assert_eq!(view_at(&state, t1).last_stable_state, "Halted");
        state.halt_at(ID, t1 + Duration::from_secs(1)).unwrap();
        assert_eq!(view_at(&state, t1 + Duration::from_secs(2)).state, "Halted");
    }

    #[test]
    fn restart_wipes_details_and_tokens_but_not_plans() {
        let config = SimConfig::with_plans([ID.to_string()], Duration::ZERO);
        let password = config.password.clone();
        let state = SimState::new(config);
        let t = state.password_grant("drbook", &password).unwrap();
        state.start(Action::Failover, ID).unwrap();
        state.restart();
        assert!(!state.access_token_valid(&t.access_token));
        assert!(state.refresh_grant(&t.refresh_token).is_none());
        assert_eq!(state.runtime_details(ID), Details::Missing);
        assert_eq!(state.runtime_details("nope"), Details::UnknownPlan);
        assert_eq!(state.plan(ID).map(|v| v.state).as_deref(), Some("Failover"));
        state.start(Action::Undo, ID).unwrap();
        assert!(matches!(state.runtime_details(ID), Details::Found(v) if v.state == STATE_UNDO));
        state.restart();
        state.start(Action::Check, ID).unwrap();
        assert!(
            matches!(state.runtime_details(ID), Details::Found(v) if v.state == STATE_CHECKING)
        );
        assert!(state.password_grant("drbook", &password).is_some());
    }

    #[test]
    fn a_retry_runs_on_from_the_halt_point_and_ends_as_the_next_outcome_says() {
        let mut config = SimConfig::with_plans([ID.to_string()], Duration::from_secs(10));
        config.plans[0] = config.plans[0].clone().halting(2);
        config.plans[0].continue_duration = Some(Duration::from_secs(4));
        let state = SimState::new(config);
        let t0 = Instant::now();
        refused_continue(&state, t0, "state Verified");
        state.start_at(Action::Failover, ID, t0).unwrap();
        refused_continue(&state, t0 + Duration::from_secs(1), "FailoverInProgress");
        let t1 = t0 + Duration::from_secs(10);
        assert_eq!(
            run_fields(&view_at(&state, t1)),
            ("Halted", "Halted", 50, "Halted with errors")
        );
        // The first retry halts again where it stopped.
        state
            .continue_at(ID, Continuation::Retry, false, t1)
            .unwrap();
        assert_eq!(
            run_fields(&view_at(&state, t1 + Duration::from_secs(2))),
            (STATE_IN_PROGRESS, "Halted", 50, "Running")
        );
        let t2 = t1 + Duration::from_secs(4);
        assert_eq!(
            run_fields(&view_at(&state, t2)),
            ("Halted", "Halted", 50, "Halted with errors")
        );
        // The second runs from 50 to the end and succeeds (the list is used up).
        state
            .continue_at(ID, Continuation::Retry, false, t2)
            .unwrap();
        assert_eq!(
            view_at(&state, t2 + Duration::from_secs(2)).total_progress,
            75
        );
        let t3 = t2 + Duration::from_secs(4);
        let done = view_at(&state, t3);
        assert_eq!(
            run_fields(&done),
            ("Failover", "Failover", 100, RESULT_SUCCESS)
        );
        assert_eq!(done.previous_execution_state, "Halted");
        refused_continue(&state, t3, "state Failover");
        assert_eq!(state.accepted(Action::Continue, ID), 2);
        assert_eq!(state.accepted(Action::Failover, ID), 1);
    }

    #[test]
    fn a_proceed_completes_with_warnings_and_a_halt_fault_halts_again() {
        let (state, t0) = started(
            state_with(SimOutcome::Halt, Duration::from_secs(10)),
            Action::Failover,
        );
        let t1 = t0 + Duration::from_secs(10);
        // A halt fault on the continue: the retry halts again, whatever the list says.
        state
            .continue_at(ID, Continuation::Retry, true, t1)
            .unwrap();
        let t2 = t1 + Duration::from_secs(10);
        assert_eq!(view_at(&state, t2).state, STATE_HALTED);
        state
            .continue_at(ID, Continuation::Proceed, false, t2)
            .unwrap();
        let done = view_at(&state, t2 + Duration::from_secs(10));
        assert_eq!(
            run_fields(&done),
            ("Failover", "Failover", 100, "Complete with warnings")
        );
        // A halt by the user can be continued too; an undo then runs on.
        let (undoing, t0) = started(
            state_with(SimOutcome::Success, Duration::from_secs(10)),
            Action::Failover,
        );
        let t1 = t0 + Duration::from_secs(10);
        undoing.start_at(Action::Undo, ID, t1).unwrap();
        undoing.halt_at(ID, t1 + Duration::from_secs(5)).unwrap();
        let t2 = t1 + Duration::from_secs(6);
        undoing
            .continue_at(ID, Continuation::Proceed, false, t2)
            .unwrap();
        assert_eq!(view_at(&undoing, t2).state, STATE_UNDO_IN_PROGRESS);
        assert_eq!(
            view_at(&undoing, t2 + Duration::from_secs(10)).state,
            STATE_UNDO
        );
    }

    #[test]
    fn a_halt_fault_halts_a_failover_that_would_succeed() {
        let state = state_with(SimOutcome::Success, Duration::from_secs(10));
        let t0 = Instant::now();
        state
            .start_with(Action::Failover, ID, t0, None, true)
            .unwrap();
        assert_eq!(
            run_fields(&view_at(&state, t0 + Duration::from_secs(10))),
            ("Halted", "Halted", 50, "Halted with errors")
        );
    }

    fn refused_continue(state: &SimState, now: Instant, needle: &str) {
        assert_not_allowed(
            state.continue_at(ID, Continuation::Retry, false, now),
            &[needle, "continue requires state Halted"],
        );
    }
}
