//! The simulator's mutable state: plans and their failover runs, issued
//! tokens, and the record of requests. Plan states are computed from the
//! elapsed time at each read, so no task runs per plan.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::config::{SimConfig, SimOutcome, SimPlan};
use super::request::RecordedRequest;

/// Progress at which a plan with outcome [`SimOutcome::Halt`] stops.
const HALT_PROGRESS: u8 = 50;

pub(crate) const STATE_IN_PROGRESS: &str = "FailoverInProgress";
pub(crate) const STATE_FAILOVER: &str = "Failover";
pub(crate) const STATE_HALTED: &str = "Halted";

/// Shared by the server and every [`super::Simulator`] handle.
pub(crate) struct SimState {
    inner: Mutex<Inner>,
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
    failover_counts: HashMap<String, usize>,
}

struct PlanRuntime {
    plan: SimPlan,
    run: Option<FailoverRun>,
}

struct FailoverRun {
    started: Instant,
    state_before: String,
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

/// A fresh token pair as answered by `POST /token`.
pub(crate) struct IssuedTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: u64,
}

/// Why a failover was refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum FailoverRefusal {
    UnknownPlan,
    /// The message names the plan and its current state.
    NotAllowed(String),
}

impl SimState {
    pub(crate) fn new(config: SimConfig) -> Self {
        SimState {
            inner: Mutex::new(Inner {
                username: config.username,
                password: config.password,
                token_lifetime: config.token_lifetime,
                plans: config
                    .plans
                    .into_iter()
                    .map(|plan| PlanRuntime { plan, run: None })
                    .collect(),
                access_tokens: HashMap::new(),
                refresh_tokens: HashSet::new(),
                requests: Vec::new(),
                failover_counts: HashMap::new(),
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

    /// Password grant. The configured name matches exactly, or as the user
    /// part of `DOMAIN\user` when the configured name has no domain itself.
    pub(crate) fn password_grant(&self, username: &str, password: &str) -> Option<IssuedTokens> {
        let mut inner = self.lock();
        let name_ok = username == inner.username
            || (!inner.username.contains('\\')
                && username
                    .split_once('\\')
                    .is_some_and(|(domain, user)| !domain.is_empty() && user == inner.username));
        if !name_ok || password != inner.password {
            return None;
        }
        Some(inner.issue(Instant::now()))
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

    pub(crate) fn failover_count(&self, id: &str) -> usize {
        let key = id.to_ascii_lowercase();
        self.lock().failover_counts.get(&key).copied().unwrap_or(0)
    }

    /// Counts a failover request that passed authorization, whatever its fate.
    pub(crate) fn count_failover(&self, id: &str) {
        *self
            .lock()
            .failover_counts
            .entry(id.to_ascii_lowercase())
            .or_insert(0) += 1;
    }

    /// Starts a failover when the plan is enabled and in a ready state.
    pub(crate) fn start_failover(&self, id: &str) -> Result<(), FailoverRefusal> {
        self.start_failover_at(id, Instant::now())
    }

    fn start_failover_at(&self, id: &str, now: Instant) -> Result<(), FailoverRefusal> {
        let mut inner = self.lock();
        let plan = inner.find_mut(id).ok_or(FailoverRefusal::UnknownPlan)?;
        let view = plan.view(now);
        if !view.enabled {
            return Err(FailoverRefusal::NotAllowed(format!(
                "Plan '{}' ({}) is disabled; failover requires an enabled plan.",
                view.name, view.id
            )));
        }
        if !is_ready(&view.state) {
            return Err(FailoverRefusal::NotAllowed(format!(
                "Plan '{}' ({}) is in state {} ({}); failover requires state Verified or NotVerified.",
                view.name,
                view.id,
                view.state,
                state_name(&view.state)
            )));
        }
        plan.run = Some(FailoverRun {
            started: now,
            state_before: view.state,
        });
        Ok(())
    }
}

impl Inner {
    fn find(&self, id: &str) -> Option<&PlanRuntime> {
        self.plans
            .iter()
            .find(|p| p.plan.id.eq_ignore_ascii_case(id))
    }

    fn find_mut(&mut self, id: &str) -> Option<&mut PlanRuntime> {
        self.plans
            .iter_mut()
            .find(|p| p.plan.id.eq_ignore_ascii_case(id))
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
    fn view(&self, now: Instant) -> PlanView {
        let plan = &self.plan;
        let mut view = PlanView {
            id: plan.id.clone(),
            name: plan.name.clone(),
            plan_type: plan.plan_type.clone(),
            enabled: plan.enabled,
            state: plan.state.clone(),
            last_stable_state: plan.state.clone(),
            previous_execution_state: "None".to_string(),
            total_progress: 0,
            result_name: if is_ready(&plan.state) {
                "Ready"
            } else {
                "None"
            }
            .to_string(),
            current_run_result: true,
            current_check_result: if normalise(&plan.state) == "verified" {
                "Success"
            } else {
                "None"
            }
            .to_string(),
        };
        let Some(run) = &self.run else {
            return view;
        };
        view.previous_execution_state = run.state_before.clone();
        let elapsed = now.saturating_duration_since(run.started);
        let target = match plan.outcome {
            SimOutcome::Halt => HALT_PROGRESS,
            _ => 100,
        };
        if elapsed < plan.failover_duration {
            let fraction = elapsed.as_secs_f64() / plan.failover_duration.as_secs_f64();
            let span = f64::from(target - 1);
            // 1 at the start, target - 1 just before the end.
            let progress = 1.0 + (fraction * span).floor();
            view.state = STATE_IN_PROGRESS.to_string();
            view.last_stable_state = run.state_before.clone();
            view.total_progress = (progress as u8).clamp(1, target - 1);
            view.result_name = "Running".to_string();
            return view;
        }
        let (state, result, run_ok) = match plan.outcome {
            SimOutcome::Success => (STATE_FAILOVER, "Complete, no errors, no warnings", true),
            SimOutcome::Warnings => (STATE_FAILOVER, "Complete with warnings", true),
            SimOutcome::Errors => (STATE_FAILOVER, "Complete with errors", false),
            SimOutcome::Halt => (STATE_HALTED, "Halted with errors", false),
        };
        view.state = state.to_string();
        view.last_stable_state = state.to_string();
        view.total_progress = target;
        view.result_name = result.to_string();
        view.current_run_result = run_ok;
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
        state.start_failover_at(&ID.to_uppercase(), t0).unwrap();
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
            (
                done.state.as_str(),
                done.last_stable_state.as_str(),
                done.total_progress,
                done.result_name.as_str(),
                done.current_run_result
            ),
            (
                "Failover",
                "Failover",
                100,
                "Complete, no errors, no warnings",
                true
            )
        );
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
            state.start_failover_at(ID, t0).unwrap();
            let v = view_at(&state, t0);
            assert_eq!(
                (v.state.as_str(), v.total_progress, v.result_name.as_str()),
                expected
            );
            assert_eq!(v.last_stable_state, v.state);
        }
        let halting = state_with(SimOutcome::Halt, Duration::from_secs(10));
        halting.start_failover_at(ID, t0).unwrap();
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
            state.start_failover_at("00000000-0000-0000-0000-000000000000", t0),
            Err(FailoverRefusal::UnknownPlan)
        );
        state.start_failover_at(ID, t0).unwrap();
        match state.start_failover_at(ID, t0) {
            Err(FailoverRefusal::NotAllowed(msg)) => {
                assert!(msg.contains("FailoverInProgress"), "{msg}");
                assert!(msg.contains(ID), "{msg}");
            }
            other => panic!("{other:?}"),
        }
        let mut config = SimConfig::with_plans([ID.to_string()], Duration::ZERO);
        config.plans[0].enabled = false;
        let disabled = SimState::new(config);
        match disabled.start_failover_at(ID, t0) {
            Err(FailoverRefusal::NotAllowed(msg)) => assert!(msg.contains("disabled"), "{msg}"),
            other => panic!("{other:?}"),
        }
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
}
