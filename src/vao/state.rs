//! Reading VAO plan states: is the plan ready, still running, done, and did it succeed?
//!
//! The exact strings of VAO's `state` field are not documented, so names are compared
//! ignoring case and separators (`Undo Failover`, `UndoFailover` and `UNDO_FAILOVER` are
//! one state), and a runbook may replace each set. While a plan runs, VAO shows the
//! process name as its state too, so `state` alone is ambiguous: a plan is *done* only when
//! `state` equals `lastStableState` and is not an in-progress state.
//!
//! The sets are plain data: the executor puts a runbook's `states:` in place of the
//! built-in ones with [`StateSets::names`], so this module needs no runbook type.

use serde::{Deserialize, Serialize};

/// Folds a state name for comparison: lower case, letters and digits only.
pub fn fold(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The sets of state names drbook recognises (folded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateSets {
    /// States in which a plan accepts a failover.
    pub ready: Vec<String>,
    /// States that mean something is running.
    pub in_progress: Vec<String>,
    /// Stable states that mean the failover succeeded.
    pub succeeded: Vec<String>,
    /// Stable states that mean the plan stopped without succeeding.
    pub failed: Vec<String>,
}

fn folded(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| fold(n)).collect()
}

impl Default for StateSets {
    fn default() -> StateSets {
        StateSets {
            // After an undo the plan is ready to fail over again (a drill's clean-up relies
            // on it, and so does the next night's drill).
            ready: folded(&[
                "Verified",
                "Not Verified",
                "Needs Verified",
                "Ready",
                "Undo Failover",
            ]),
            in_progress: folded(&[
                "Failover in progress",
                "Executing",
                "Undo Failover in progress",
                "Failback in progress",
                "Undo Failback in progress",
                "Commit Failback in progress",
                "Permanent Failover in progress",
                "Editing",
                "Saving",
                "Resetting",
                "Checking",
                "Halting",
                "Test Pending",
                "Testing",
                "Running",
                "In progress",
            ]),
            succeeded: folded(&["Failover"]),
            failed: folded(&["Halted", "Testing Halted", "Failed", "Error"]),
        }
    }
}

impl StateSets {
    /// The sets for waiting on an undo: it succeeds in UNDO FAILOVER, and a plan still in
    /// the failover state has not picked the undo up yet.
    pub fn for_undo(&self) -> StateSets {
        StateSets {
            succeeded: folded(&["Undo Failover"]),
            ready: folded(&["Failover", "Failback"]),
            ..self.clone()
        }
    }

    /// Whether an undo applies to a plan in this state: a replica plan in FAILOVER,
    /// FAILBACK or HALTED; a storage plan only in HALTED.
    pub fn allows_undo(&self, info: &PlanInfo) -> bool {
        let state = fold(&info.status.state);
        let storage = info
            .plan_type
            .as_deref()
            .is_some_and(|t| fold(t).contains("storage"));
        let halted = self.failed.contains(&state) && state != "failed" && state != "error";
        if storage {
            return halted;
        }
        halted || self.succeeded.contains(&state) || state == "failback"
    }

    /// Whether a plan is in one of `names` (folded), as a stable state: while a phase
    /// runs, VAO shows its name as the state too, so `lastStableState` must agree unless
    /// the name asked for is itself an active state.
    pub fn is_in(&self, status: &PlanStatus, names: &[String]) -> bool {
        let state = fold(&status.state);
        if !names.iter().any(|n| fold(n) == state) {
            return false;
        }
        self.is_in_progress(&state)
            || status
                .last_stable_state
                .as_deref()
                .is_none_or(|stable| fold(stable) == state)
    }

    /// Whether the plan is HALTED and stably so (`lastStableState` agrees, nothing runs):
    /// the only state in which VAO takes a `Continue`.
    pub fn is_halted(&self, status: &PlanStatus) -> bool {
        let state = fold(&status.state);
        state.starts_with("halted")
            && !self.is_running(status)
            && status
                .last_stable_state
                .as_deref()
                .is_none_or(|stable| fold(stable) == state)
    }

    /// Whether something runs on the plan now. A server that says so (`isRunningState`,
    /// VRO 7.x) is believed over every reading of the state's name.
    pub fn is_running(&self, status: &PlanStatus) -> bool {
        if let Some(running) = status.running_state {
            return running;
        }
        self.is_in_progress(&fold(&status.state))
            || ResultName::read(status.result_name.as_deref().unwrap_or_default()).running
    }

    /// Whether the plan is not settled: something runs, or (where the server does not
    /// say `isRunningState` / `isStableState`) its state is not its last stable state.
    pub fn is_unsettled(&self, status: &PlanStatus) -> bool {
        if status.running_state.is_some() || status.stable_state.is_some() {
            return status.running_state == Some(true) || status.stable_state == Some(false);
        }
        self.is_running(status)
            || status
                .last_stable_state
                .as_deref()
                .is_some_and(|stable| fold(stable) != fold(&status.state))
    }

    /// Names for one of the sets, folded: what a runbook's `states:` puts in place of the
    /// built-in names.
    pub fn names(names: &[String]) -> Vec<String> {
        names.iter().map(|n| fold(n)).collect()
    }

    /// Whether a plan is in a state that accepts a failover (and so has not started one).
    pub fn is_ready(&self, status: &PlanStatus) -> bool {
        let state = fold(&status.state);
        // A server that says the plan runs (`isRunningState`) is believed over the name.
        self.ready.contains(&state)
            && !self.is_in_progress(&state)
            && status.running_state != Some(true)
    }

    /// The ready states, for messages.
    pub fn ready_names(&self) -> String {
        self.ready.join(", ")
    }

    fn is_in_progress(&self, state: &str) -> bool {
        // "<anything> in progress" is running whatever the set says: VAO names every
        // active phase that way.
        self.in_progress.iter().any(|s| s == state) || state.ends_with("inprogress")
    }

    /// Classifies one observation of a plan after a failover was requested.
    pub fn classify(&self, status: &PlanStatus) -> Phase {
        let state = fold(&status.state);
        let stable = status.last_stable_state.as_deref().map(fold);
        let result = ResultName::read(status.result_name.as_deref().unwrap_or_default());
        // `isRunningState` / `isStableState` (VRO 7.x), where the server sends them, are
        // the strongest signal: they decide running against done before any name does.
        let flagged = status.running_state.is_some() || status.stable_state.is_some();
        if flagged && (status.running_state == Some(true) || status.stable_state == Some(false)) {
            return Phase::Running;
        }
        if !flagged && (self.is_in_progress(&state) || result.running) {
            return Phase::Running;
        }
        // A halt is final whatever lastStableState still says.
        if self.failed.contains(&state) {
            return Phase::Failed;
        }
        // A stable state may differ from lastStableState only while that phase runs.
        if !flagged
            && let Some(stable) = &stable
            && *stable != state
        {
            return Phase::Running;
        }
        if self.succeeded.contains(&state) {
            // Without lastStableState (some answers lack it), an unfinished progress is the
            // only sign that the failover is still running.
            if !flagged && stable.is_none() && status.total_progress.is_some_and(|p| p < 100) {
                return Phase::Running;
            }
            if result.errors {
                return Phase::Failed;
            }
            if result.warnings {
                return Phase::SucceededWithWarnings;
            }
            return Phase::Succeeded;
        }
        if self.ready.contains(&state) {
            return Phase::NotStarted;
        }
        Phase::Unexpected
    }
}

/// Whether a result text (`resultName`, `currentCheckResult`) reports errors, and whether
/// it reports warnings, read word by word like a plan's result.
pub fn reports_problems(text: &str) -> (bool, bool) {
    let result = ResultName::read(text);
    (result.errors, result.warnings)
}

/// What a `resultName` reports, read word by word: "Complete, no errors, no warnings" and
/// "Success (0 errors, 0 warnings)" mention errors without reporting any, and "Failover
/// completed" is no failure.
#[derive(Debug, Default, PartialEq, Eq)]
struct ResultName {
    errors: bool,
    warnings: bool,
    running: bool,
}

impl ResultName {
    fn read(text: &str) -> ResultName {
        let words = words(text);
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        let mut result = ResultName {
            running: matches!(words[..], ["running"] | ["in", "progress"] | ["executing"]),
            ..ResultName::default()
        };
        // "no errors or warnings": a negation covers a list of terms; any other word ends it.
        let mut negating = false;
        for (i, word) in words.iter().enumerate() {
            let is_error = matches!(
                *word,
                "error" | "errors" | "failed" | "failure" | "failures" | "halted"
            );
            let is_warning = matches!(*word, "warning" | "warnings");
            match *word {
                "no" | "0" | "zero" | "without" | "none" => negating = true,
                "or" | "and" | "nor" => {}
                _ if is_error || is_warning => {
                    // "errors: 0" counts nothing too.
                    let zero_after = matches!(words.get(i + 1), Some(&("0" | "none")));
                    if !negating && !zero_after {
                        result.errors |= is_error;
                        result.warnings |= is_warning;
                    }
                }
                _ => negating = false,
            }
        }
        result
    }
}

/// Lower-case words of a result name, splitting on punctuation and on .NET-style camel case
/// (`CompletedWithErrors` is three words).
fn words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in text.chars() {
        if !c.is_alphanumeric() {
            previous_lower = false;
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        if c.is_uppercase() && previous_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// What an observation says about a failover drbook asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Still in a ready state: the server has not picked the request up yet.
    NotStarted,
    Running,
    Succeeded,
    SucceededWithWarnings,
    /// Halted, or finished with errors.
    Failed,
    /// A stable state that is neither the goal nor a ready state.
    Unexpected,
}

/// A plan's state as read from runtime details or the plan itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PlanStatus {
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_stable_state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_progress: Option<i64>,
    /// `currentCheckResult`: the last readiness check's result, where the server says (a
    /// boolean is read as `Success` / `Failed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check_result: Option<String>,
    /// `isRunningState` (VRO 7.x), where the server says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running_state: Option<bool>,
    /// `isStableState` (VRO 7.x), where the server says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stable_state: Option<bool>,
    /// Which endpoint answered: `runtime_details` or `plan`.
    pub source: String,
}

impl PlanStatus {
    /// Reads the fields drbook uses from a JSON object (inside any `data` envelope),
    /// matching keys case-insensitively like VAO's .NET server does.
    pub fn from_json(value: &serde_json::Value, source: &str) -> Option<PlanStatus> {
        let value = super::envelope::unwrap(value).ok()?;
        let object = value.as_object()?;
        let field = |name: &str| {
            object
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        };
        let text = |name: &str| match field(name)? {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        let flag = |name: &str| match field(name)? {
            serde_json::Value::Bool(b) => Some(*b),
            serde_json::Value::String(s) => s.trim().to_ascii_lowercase().parse::<bool>().ok(),
            _ => None,
        };
        // VAO 3 documents results as booleans, VRO 7.x as strings ("Warning", "Undefined").
        let result = |name: &str| {
            text(name)
                .or_else(|| flag(name).map(|ok| if ok { "Success" } else { "Failed" }.to_owned()))
        };
        Some(PlanStatus {
            state: text("state").or_else(|| text("stateName"))?,
            state_name: text("stateName"),
            last_stable_state: text("lastStableState").or_else(|| text("lastStableStateName")),
            result_name: text("resultName"),
            total_progress: field("totalProgress").and_then(|v| {
                v.as_i64()
                    .or_else(|| v.as_f64().map(|f| f as i64))
                    .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
            }),
            check_result: result("currentCheckResult"),
            running_state: flag("isRunningState"),
            stable_state: flag("isStableState"),
            source: source.to_owned(),
        })
    }

    /// `Failover (Complete, no errors, no warnings) 100%` for people.
    pub fn summary(&self) -> String {
        let mut s = self
            .state_name
            .clone()
            .unwrap_or_else(|| self.state.clone());
        if let Some(result) = &self.result_name {
            s.push_str(&format!(" ({result})"));
        }
        if let Some(p) = self.total_progress {
            s.push_str(&format!(" {p}%"));
        }
        s
    }
}

/// What a plan says about itself (`GET /api/v3/Plans/{id}`), as the state guard reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanInfo {
    pub status: PlanStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan_type: Option<String>,
    /// `None` when the answer does not say (the v3 documentation names no such field;
    /// VRO's `planMode` does).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// The plan's id as the answer gives it (for listings; reports name plans themselves).
    #[serde(skip)]
    pub id: Option<String>,
    /// `planVerificationState` (VDRO 5 and later), for listings.
    #[serde(skip)]
    pub verification: Option<String>,
}

impl PlanInfo {
    pub fn from_json(value: &serde_json::Value) -> Option<PlanInfo> {
        let value = super::envelope::unwrap(value).ok()?;
        let status = PlanStatus::from_json(value, "plan")?;
        let object = value.as_object()?;
        let field = |names: &[&str]| {
            object
                .iter()
                .find(|(k, _)| names.iter().any(|n| k.eq_ignore_ascii_case(n)))
                .map(|(_, v)| v)
        };
        let text = |names: &[&str]| field(names).and_then(|v| v.as_str()).map(str::to_owned);
        // Every sign of the plan's mode: an `enabled` flag, VRO's `planMode`
        // (`Enabled` / `Disabled`), and the state (ResetState leaves a plan DISABLED). Any
        // that says disabled wins: a guard that lets a disabled plan through is a false green.
        let signs = [
            field(&["enabled", "isEnabled"]).and_then(|v| v.as_bool()),
            text(&["planMode", "mode"]).and_then(|mode| match fold(&mode).as_str() {
                "enabled" => Some(true),
                "disabled" => Some(false),
                _ => None,
            }),
            (fold(&status.state) == "disabled").then_some(false),
        ];
        let enabled = if signs.contains(&Some(false)) {
            Some(false)
        } else {
            signs.into_iter().flatten().next()
        };
        let id = field(&["id", "planId"]).and_then(|v| match v {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        });
        Some(PlanInfo {
            name: text(&["name"]),
            plan_type: text(&["planType", "type"]),
            enabled,
            id,
            verification: text(&["planVerificationState"]),
            status,
        })
    }

    /// Whether failover applies to this kind of plan (replica and storage plans); `true`
    /// when the plan does not say its type.
    pub fn allows_failover(&self) -> bool {
        self.plan_type.as_deref().is_none_or(|t| {
            let t = fold(t);
            t.contains("replica") || t.contains("storage")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Phase::*;
    use super::*;
    use serde_json::json;

    fn status(state: &str, stable: &str, result: &str, progress: i64) -> PlanStatus {
        PlanStatus::from_json(
            &json!({"State": state, "lastStableState": stable, "RESULTNAME": result, "totalProgress": progress}),
            "runtime_details",
        )
        .unwrap()
    }

    /// Asserts the phase of each (state, lastStableState, resultName, totalProgress).
    fn assert_phases(sets: &StateSets, cases: &[(&str, &str, &str, i64, Phase)]) {
        for &(state, stable, result, progress, phase) in cases {
            assert_eq!(
                sets.classify(&status(state, stable, result, progress)),
                phase,
                "{state} / {stable} / {result} / {progress}"
            );
        }
    }

    #[test]
    fn the_project_convention_is_read_correctly() {
        assert_phases(
            &StateSets::default(),
            &[
                ("Verified", "Verified", "Ready", 0, NotStarted),
                ("NotVerified", "NotVerified", "Ready", 0, NotStarted),
                ("FailoverInProgress", "Verified", "Running", 40, Running),
                (
                    "Failover",
                    "Failover",
                    "Complete, no errors, no warnings",
                    100,
                    Succeeded,
                ),
                (
                    "Failover",
                    "Failover",
                    "Complete with warnings",
                    100,
                    SucceededWithWarnings,
                ),
                ("Failover", "Failover", "Complete with errors", 100, Failed),
                ("Halted", "Halted", "Halted with errors", 50, Failed),
                // After an undo the plan is ready to fail over again: a failover not picked up yet.
                ("UndoFailover", "UndoFailover", "Complete", 100, NotStarted),
                ("Failback", "Failback", "Complete", 100, Unexpected),
            ],
        );
    }

    #[test]
    fn result_names_are_read_word_by_word() {
        let sets = StateSets::default();
        for (result, phase) in [
            ("Failover completed successfully", Succeeded),
            ("Completed without errors", Succeeded),
            ("Success (0 errors, 0 warnings)", Succeeded),
            ("Complete, no errors, no warnings", Succeeded),
            ("Completed with 2 errors", Failed),
            ("Failed", Failed),
            ("Success with 1 warning", SucceededWithWarnings),
            ("CompletedWithErrors", Failed),
            ("CompletedWithWarnings", SucceededWithWarnings),
            ("Success (errors: 0, warnings: 0)", Succeeded),
            ("no errors or warnings", Succeeded),
            ("Complete with no errors, 2 warnings", SucceededWithWarnings),
            ("Completed with errors, no warnings", Failed),
        ] {
            assert_phases(&sets, &[("Failover", "Failover", result, 100, phase)]);
        }
        assert_phases(
            &sets,
            &[("Failover", "Failover", "In progress", 50, Running)],
        );
    }

    #[test]
    fn a_halt_is_final_whatever_last_stable_state_says() {
        assert_phases(
            &StateSets::default(),
            &[("Halted", "Verified", "", 30, Failed)],
        );
    }

    #[test]
    fn vao_shows_the_process_name_while_it_runs() {
        // Active FAILOVER looks like the stable FAILOVER state; lastStableState tells them apart.
        let sets = StateSets::default();
        assert_phases(
            &sets,
            &[
                ("FAILOVER", "VERIFIED", "", 30, Running),
                ("Undo Failover", "UNDO_FAILOVER", "Success", 100, NotStarted),
                ("FAILOVER", "Failover", "Success", 100, Succeeded),
            ],
        );
        assert_phases(
            &sets.for_undo(),
            &[
                ("Undo Failover", "UNDO_FAILOVER", "Success", 100, Succeeded),
                // An undo not picked up yet: the plan still shows the failover.
                ("Failover", "Failover", "Success", 100, NotStarted),
            ],
        );
    }

    #[test]
    fn without_last_stable_state_progress_decides() {
        let sets = StateSets::default();
        let s = |progress| {
            PlanStatus::from_json(
                &json!({"state": "Failover", "totalProgress": progress}),
                "plan",
            )
            .unwrap()
        };
        assert_eq!(sets.classify(&s(40)), Phase::Running);
        assert_eq!(sets.classify(&s(100)), Phase::Succeeded);
    }

    #[test]
    fn plan_info_reads_enabled_and_type_tolerantly() {
        let info = PlanInfo::from_json(
            &json!({"Name": "DB", "PlanType": "Replica", "State": "Verified", "IsEnabled": true}),
        )
        .unwrap();
        assert_eq!(info.enabled, Some(true));
        assert!(info.allows_failover());
        let disabled =
            PlanInfo::from_json(&json!({"state": "Disabled", "planType": "Restore"})).unwrap();
        assert_eq!(disabled.enabled, Some(false));
        assert!(!disabled.allows_failover());
        let silent = PlanInfo::from_json(&json!({"state": "Verified"})).unwrap();
        assert_eq!((silent.enabled, silent.allows_failover()), (None, true));
    }

    #[test]
    fn missing_fields_are_tolerated() {
        let s = PlanStatus::from_json(&json!({"stateName": "Failover"}), "plan").unwrap();
        assert_eq!(StateSets::default().classify(&s), Phase::Succeeded);
        assert!(PlanStatus::from_json(&json!({"name": "x"}), "plan").is_none());
        assert!(PlanStatus::from_json(&json!([1]), "plan").is_none());
    }

    /// The 7.2.1 runtime-details sample's shape: string results, the running and stable
    /// flags, `stateOrder`, in a `data` envelope with HAL links.
    fn vro7(state: &str, stable: &str, running: bool, is_stable: bool) -> PlanStatus {
        PlanStatus::from_json(
            &json!({"success": true, "data": {
                "state": state, "stateName": state, "stateOrder": 7,
                "resultName": "Complete, no errors, 1 warning",
                "lastStableState": stable, "lastStableStateName": stable,
                "totalProgress": 100, "isRunningState": running, "isStableState": is_stable,
                "currentRunResult": "Warning", "currentTestResult": "Undefined",
                "currentCheckResult": "Undefined", "planType": "Replica",
                "isUndoPossible": true, "isReversePossible": false,
                "_links": {"self": {"href": "/api/v7.21/RuntimeDetails/Plans/x"}}
            }}),
            "runtime_details",
        )
        .unwrap()
    }

    #[test]
    fn the_vro7_sample_is_read() {
        let s = vro7("RestoreComplete", "RestoreComplete", false, true);
        assert_eq!(s.state, "RestoreComplete");
        assert_eq!(s.check_result.as_deref(), Some("Undefined"));
        assert_eq!((s.running_state, s.stable_state), (Some(false), Some(true)));
        assert_eq!(s.total_progress, Some(100));
    }

    #[test]
    fn running_and_stable_flags_are_the_strongest_signal() {
        let sets = StateSets::default();
        // The names alone would say done; the server says it still runs.
        let running = vro7("Failover", "Failover", true, false);
        assert_eq!(sets.classify(&running), Running);
        assert!(sets.is_running(&running) && sets.is_unsettled(&running));
        assert!(!sets.is_ready(&vro7("Verified", "Verified", true, false)));
        // The names alone would say running (lastStableState lags); the server says stable.
        let done = vro7("Failover", "Verified", false, true);
        assert_eq!(sets.classify(&done), SucceededWithWarnings);
        assert!(!sets.is_unsettled(&done));
        // Not stable, though not running: still under way.
        assert_eq!(
            sets.classify(&vro7("Failover", "Failover", false, false)),
            Running
        );
        // Without the flags, today's rules.
        assert_phases(&sets, &[("Failover", "Verified", "", 100, Running)]);
    }

    #[test]
    fn results_are_read_as_booleans_or_strings() {
        let read = |v: serde_json::Value| {
            PlanStatus::from_json(
                &json!({"state": "Verified", "currentCheckResult": v}),
                "plan",
            )
            .unwrap()
            .check_result
        };
        assert_eq!(read(json!(true)).as_deref(), Some("Success"));
        assert_eq!(read(json!(false)).as_deref(), Some("Failed"));
        assert_eq!(read(json!("Warning")).as_deref(), Some("Warning"));
        let flags = PlanStatus::from_json(
            &json!({"state": "Verified", "isRunningState": "False", "isStableState": "true",
                    "currentRunResult": true, "currentTestResult": "Undefined"}),
            "plan",
        )
        .unwrap();
        assert_eq!(
            (flags.running_state, flags.stable_state),
            (Some(false), Some(true))
        );
    }

    #[test]
    fn plan_mode_says_whether_a_plan_is_enabled() {
        let mode = |plan: serde_json::Value| PlanInfo::from_json(&plan).unwrap().enabled;
        let plan = |m: &str| json!({"id": "p", "state": "Verified", "planMode": m});
        assert_eq!(mode(plan("Enabled")), Some(true));
        assert_eq!(mode(plan("Disabled")), Some(false));
        assert_eq!(mode(plan("DISABLED")), Some(false));
        assert_eq!(mode(plan("Something new")), None);
        // In an envelope, as VRO answers GET .../Plans/{id}.
        assert_eq!(
            mode(json!({"success": true, "data": plan("Disabled")})),
            Some(false)
        );
        // Any sign of a disabled plan wins over one of an enabled plan.
        assert_eq!(
            mode(json!({"state": "Verified", "enabled": true, "planMode": "Disabled"})),
            Some(false)
        );
        let info = PlanInfo::from_json(&json!({"data": {"id": "p-1", "state": "Verified",
            "planVerificationState": "Verified", "_links": {}}}))
        .unwrap();
        assert_eq!(info.id.as_deref(), Some("p-1"));
        assert_eq!(info.verification.as_deref(), Some("Verified"));
    }
}
