//! What the simulator serves: its plans and the one account it accepts,
//! built in code or read from a YAML plans file.

use std::fmt;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Deserializer};
use serde_saphyr::Spanned;

use super::fault::{Fault, FaultEndpoint, FaultKind};
use super::flavour::SimApi;

/// The token lifetime of the documented VAO example (`expires_in: 899`).
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(899);
/// How long a simulated failover runs unless configured otherwise.
pub const DEFAULT_FAILOVER_DURATION: Duration = Duration::from_secs(2);
/// How long a simulated readiness check runs unless configured otherwise.
pub const DEFAULT_CHECK_DURATION: Duration = Duration::from_millis(500);
/// Account of [`SimConfig::demo`] and the default of the plans file.
pub const DEFAULT_USERNAME: &str = "drbook";
/// The demo account's password. Not the user name: drbook masks the password wherever it
/// appears, and a password equal to its own name would mask every "drbook" in the output.
pub const DEFAULT_PASSWORD: &str = "demo-password";
/// The most plans one page of a VRO collection holds unless configured otherwise.
pub const DEFAULT_PAGE_LIMIT: usize = 100;

/// A client the `client_credentials` grant accepts (`client_id` and `client_secret` form
/// fields). `Debug` masks the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct SimClient {
    pub id: String,
    pub secret: String,
}

impl fmt::Debug for SimClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimClient")
            .field("id", &self.id)
            .field("secret", &"***")
            .finish()
    }
}

/// Everything a simulator instance serves.
#[derive(Clone)]
pub struct SimConfig {
    pub plans: Vec<SimPlan>,
    /// Accepted by the password grant, exactly or as `DOMAIN\username`.
    pub username: String,
    /// Never logged or printed: `Debug` masks it.
    pub password: String,
    /// Lifetime of issued access tokens, reported as `expires_in`.
    pub token_lifetime: Duration,
    /// Injected faults, checked in order for every request.
    pub faults: Vec<Fault>,
    /// Seeds the draws of faults with a `probability`.
    pub seed: u64,
    /// The API edition served: prefix, token path, envelope, plan fields.
    pub api: SimApi,
    /// The client the client credentials grant accepts; none by default.
    pub client: Option<SimClient>,
    /// The account (password grant) must pass multi-factor authentication: a right
    /// password is answered with the simulator's MFA demand, never with a token.
    pub mfa: bool,
    /// The most items one page of a VRO collection holds (`limit` is capped to it).
    pub page_limit: usize,
}

/// One simulated orchestration plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimPlan {
    /// A UUID string; requests match it case-insensitively.
    pub id: String,
    pub name: String,
    pub plan_type: String,
    pub enabled: bool,
    /// State before any failover, e.g. `Verified` or `NotVerified`.
    pub state: String,
    /// How long an accepted failover reports `FailoverInProgress`.
    pub failover_duration: Duration,
    /// How long an accepted undo reports `UndoFailoverInProgress`; `None`
    /// for the failover duration.
    pub undo_duration: Option<Duration>,
    pub outcome: SimOutcome,
    /// How long an accepted readiness check reports `Checking`.
    pub check_duration: Duration,
    pub check_outcome: SimCheckOutcome,
    /// How each `Continue` with a Retry option ends, in turn (`halt` halts again where the
    /// run stopped); once the list is used up, a retry succeeds. A Proceed option always
    /// completes with warnings.
    pub continue_outcomes: Vec<SimOutcome>,
    /// How long a continued run reports `FailoverInProgress`; `None` for the failover
    /// duration.
    pub continue_duration: Option<Duration>,
}

/// How a simulated failover ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SimOutcome {
    #[default]
    Success,
    Warnings,
    Errors,
    Halt,
}

/// How a simulated readiness check ends: `Pass` leaves the plan `Verified`,
/// `Fail` leaves it `NotVerified`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SimCheckOutcome {
    #[default]
    Pass,
    Fail,
}

impl SimPlan {
    /// A ready, enabled replica plan with the default name, durations and
    /// outcomes.
    pub fn new(id: impl Into<String>) -> Self {
        let id = id.into();
        SimPlan {
            name: default_plan_name(&id),
            id,
            plan_type: "Replica".to_string(),
            enabled: true,
            state: "Verified".to_string(),
            failover_duration: DEFAULT_FAILOVER_DURATION,
            undo_duration: None,
            outcome: SimOutcome::Success,
            check_duration: DEFAULT_CHECK_DURATION,
            check_outcome: SimCheckOutcome::Pass,
            continue_outcomes: Vec::new(),
            continue_duration: None,
        }
    }

    /// Halts `times` times: the failover halts halfway, and so do the first `times - 1`
    /// retries after it (the next one succeeds). What `--sim-halt PLAN:TIMES` sets.
    pub fn halting(mut self, times: usize) -> Self {
        self.outcome = SimOutcome::Halt;
        self.continue_outcomes = vec![SimOutcome::Halt; times.saturating_sub(1)];
        self
    }

    /// How long a continued run runs.
    pub fn continue_duration(&self) -> Duration {
        self.continue_duration.unwrap_or(self.failover_duration)
    }

    /// How long an accepted undo runs.
    pub fn undo_duration(&self) -> Duration {
        self.undo_duration.unwrap_or(self.failover_duration)
    }
}

fn default_plan_name(id: &str) -> String {
    format!("Plan {}", id.chars().take(8).collect::<String>())
}

impl fmt::Debug for SimConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimConfig")
            .field("plans", &self.plans)
            .field("username", &self.username)
            .field("password", &"***")
            .field("token_lifetime", &self.token_lifetime)
            .field("faults", &self.faults)
            .field("seed", &self.seed)
            .field("api", &self.api)
            .field("client", &self.client)
            .field("mfa", &self.mfa)
            .field("page_limit", &self.page_limit)
            .finish()
    }
}

impl SimConfig {
    /// Ready, enabled replica plans with the given ids; username `drbook` and
    /// a random password, so a test has to read it from the config.
    pub fn with_plans(ids: impl IntoIterator<Item = String>, failover_duration: Duration) -> Self {
        SimConfig {
            plans: ids
                .into_iter()
                .map(|id| SimPlan {
                    failover_duration,
                    ..SimPlan::new(id)
                })
                .collect(),
            username: DEFAULT_USERNAME.to_string(),
            password: uuid::Uuid::new_v4().to_string(),
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
            faults: Vec::new(),
            seed: 0,
            api: SimApi::default(),
            client: None,
            mfa: false,
            page_limit: DEFAULT_PAGE_LIMIT,
        }
    }

    /// What `drbook simulator` serves without `--plans`: three ready plans with fixed ids
    /// and the well-known account `drbook` / `demo-password`.
    pub fn demo() -> Self {
        let plan = |id: &str, name: &str| SimPlan {
            name: name.to_string(),
            ..SimPlan::new(id)
        };
        SimConfig {
            plans: vec![
                plan("6f1c2d9e-3b4a-4c5d-8e7f-0a1b2c3d4e5f", "Database tier"),
                plan("0b8a3c1d-2e4f-4a6b-9c8d-7e6f5a4b3c2d", "Application tier"),
                plan("9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a", "Web tier"),
            ],
            password: DEFAULT_PASSWORD.to_string(),
            ..SimConfig::with_plans(Vec::<String>::new(), DEFAULT_FAILOVER_DURATION)
        }
    }

    /// Parses a plans file. Errors read `LINE:COLUMN: message` when the
    /// parser knows the position.
    pub fn from_yaml_str(text: &str) -> Result<SimConfig, PlansFileError> {
        // The same YAML 1.2 reading as runbooks: `no` is not false, `012` is not 12.
        let options = serde_saphyr::options! {
            strict_booleans: true,
            leading_zero_numbers_as_strings: true,
            reject_unsupported_tags: true,
        };
        let file = serde_saphyr::from_str_with_options::<PlansFile>(text, options).map_err(|e| {
            let inner = e.without_snippet();
            let text = inner.to_string();
            match inner.location() {
                Some(loc) => {
                    // The parser appends the position in prose; it moves to
                    // the front in the `LINE:COLUMN:` form editors jump to.
                    let (line, column) = (loc.line(), loc.column());
                    let suffix = format!(" at line {line}, column {column}");
                    let message = text.strip_suffix(&suffix).unwrap_or(&text);
                    format!("{line}:{column}: {message}")
                }
                None => text,
            }
        });
        file.and_then(PlansFile::into_config)
            .map_err(PlansFileError)
    }

    /// Reads and parses a plans file; errors start with the path.
    pub fn from_yaml_file(path: &Path) -> Result<SimConfig, PlansFileError> {
        const MAX_PLANS_FILE_BYTES: u64 = 16 * 1024 * 1024;
        let at = |message: String| PlansFileError(format!("{}:{message}", path.display()));
        let unreadable = |e: std::io::Error| at(format!(" cannot read: {e}"));
        let size = std::fs::metadata(path).map_err(unreadable)?.len();
        if size > MAX_PLANS_FILE_BYTES {
            return Err(at(format!(
                " the file is larger than {MAX_PLANS_FILE_BYTES} bytes"
            )));
        }
        let text = std::fs::read_to_string(path).map_err(unreadable)?;
        Self::from_yaml_str(&text).map_err(|e| at(e.0))
    }
}

/// A plans file that cannot be used; the message names the file, and the line and column
/// where the parser knows them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PlansFileError(pub String);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlansFile {
    username: Option<String>,
    password: Option<String>,
    #[serde(default, deserialize_with = "humantime_opt")]
    token_lifetime: Option<Duration>,
    #[serde(default)]
    plans: Vec<PlanEntry>,
    #[serde(default)]
    faults: Vec<FaultEntry>,
    #[serde(default)]
    seed: u64,
    api: Option<SimApiName>,
    client_id: Option<String>,
    client_secret: Option<String>,
    #[serde(default)]
    mfa: bool,
}

/// `api:` of a plans file: `vao3`, `vro7` or `vro13`.
struct SimApiName(SimApi);

impl<'de> Deserialize<'de> for SimApiName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        SimApi::from_name(&name).map(SimApiName).ok_or_else(|| {
            serde::de::Error::custom(format!("api {name:?} is not one of vao3, vro7, vro13"))
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanEntry {
    #[serde(deserialize_with = "uuid_string")]
    id: String,
    name: Option<String>,
    #[serde(rename = "type")]
    plan_type: Option<String>,
    enabled: Option<bool>,
    state: Option<String>,
    #[serde(default, deserialize_with = "humantime_opt")]
    failover_time: Option<Duration>,
    #[serde(default, deserialize_with = "humantime_opt")]
    undo_time: Option<Duration>,
    outcome: Option<SimOutcome>,
    #[serde(default, deserialize_with = "humantime_opt")]
    check_time: Option<Duration>,
    check_outcome: Option<SimCheckOutcome>,
    #[serde(default)]
    continue_outcomes: Vec<SimOutcome>,
    #[serde(default, deserialize_with = "humantime_opt")]
    continue_time: Option<Duration>,
}

/// One entry of `faults:`. Fields that only some kinds take are checked
/// against the kind after parsing; their spans keep errors positioned.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultEntry {
    endpoint: FaultEndpoint,
    plan: Option<Spanned<String>>,
    kind: Spanned<FaultKindName>,
    status: Option<Spanned<FaultStatus>>,
    delay: Option<Spanned<HumanDuration>>,
    retry_after: Option<Spanned<u64>>,
    #[serde(default)]
    after: usize,
    count: Option<usize>,
    probability: Option<Probability>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum FaultKindName {
    Latency,
    Status,
    RetryAfter,
    DropAfterAction,
    Unauthorized,
    Halt,
}

/// Declares a number read from the plans file that must lie in a range: a
/// newtype whose deserializer refuses any other value with the message given.
macro_rules! bounded {
    ($(#[$doc:meta])* $name:ident($number:ty) in $range:expr, $value:ident => $message:literal) => {
        $(#[$doc])*
        struct $name($number);

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let $value = <$number>::deserialize(d)?;
                if ($range).contains(&$value) {
                    Ok($name($value))
                } else {
                    Err(serde::de::Error::custom(format!($message)))
                }
            }
        }
    };
}

bounded!(
    /// An HTTP status a `status` fault may answer: 400–599.
    FaultStatus(u16) in 400..=599, code => "status {code} is not an error status (400-599)"
);
bounded!(
    /// A probability: 0.0–1.0.
    Probability(f64) in 0.0..=1.0, p => "probability {p} is not between 0 and 1"
);

struct HumanDuration(Duration);

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        humantime::parse_duration(text.trim())
            .map(HumanDuration)
            .map_err(|e| serde::de::Error::custom(format!("invalid duration {text:?}: {e}")))
    }
}

/// `LINE:COLUMN: message`, the form of parser errors.
fn at<T>(spanned: &Spanned<T>, message: &str) -> String {
    let loc = spanned.referenced;
    format!("{}:{}: {message}", loc.line(), loc.column())
}

impl FaultEntry {
    fn into_fault(self, plans: &[SimPlan]) -> Result<Fault, String> {
        let kind_name = self.kind.value;
        // A field that does not go with the kind is an error where it stands.
        let misplaced = |field: &str, owner: &str| format!("`{field}` goes with kind {owner} only");
        if let Some(status) = &self.status
            && kind_name != FaultKindName::Status
        {
            return Err(at(status, &misplaced("status", "status")));
        }
        if let Some(delay) = &self.delay
            && kind_name != FaultKindName::Latency
        {
            return Err(at(delay, &misplaced("delay", "latency")));
        }
        if let Some(retry_after) = &self.retry_after
            && kind_name != FaultKindName::RetryAfter
        {
            return Err(at(retry_after, &misplaced("retry_after", "retry_after")));
        }
        let missing =
            |field: &str, name: &str| at(&self.kind, &format!("kind {name} needs `{field}`"));
        let kind = match kind_name {
            FaultKindName::Latency => FaultKind::Latency(
                self.delay
                    .map(|d| d.value.0)
                    .ok_or_else(|| missing("delay", "latency"))?,
            ),
            FaultKindName::Status => FaultKind::Status(
                self.status
                    .map(|s| s.value.0)
                    .ok_or_else(|| missing("status", "status"))?,
            ),
            FaultKindName::RetryAfter => FaultKind::RetryAfter(
                self.retry_after
                    .map(|r| r.value)
                    .ok_or_else(|| missing("retry_after", "retry_after"))?,
            ),
            FaultKindName::DropAfterAction => FaultKind::DropAfterAction,
            FaultKindName::Unauthorized => FaultKind::Unauthorized,
            FaultKindName::Halt => {
                if !self.endpoint.can_halt() {
                    return Err(at(
                        &self.kind,
                        "kind halt goes with endpoint failover or continue only",
                    ));
                }
                FaultKind::Halt
            }
        };
        let plan = match self.plan {
            None => None,
            Some(plan) => {
                let id = plan.value.trim();
                if !self.endpoint.names_a_plan() {
                    return Err(at(
                        &plan,
                        "`plan` does not go with this endpoint: its requests name no plan",
                    ));
                }
                // A filter that names no plan would silently never apply.
                if !plans.iter().any(|p| p.id.eq_ignore_ascii_case(id)) {
                    return Err(at(
                        &plan,
                        &format!("plan {id:?} is not one of the plans of this file"),
                    ));
                }
                Some(id.to_string())
            }
        };
        Ok(Fault {
            endpoint: self.endpoint,
            plan,
            kind,
            after: self.after,
            count: self.count.unwrap_or(1),
            probability: self.probability.map(|p| p.0),
        })
    }
}

// Checked while deserializing, not afterwards, so the parser attaches the
// line and column of the offending value to the error.
fn humantime_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    let text = String::deserialize(d)?;
    humantime::parse_duration(text.trim())
        .map(Some)
        .map_err(|e| serde::de::Error::custom(format!("invalid duration {text:?}: {e}")))
}

fn uuid_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let text = String::deserialize(d)?;
    match uuid::Uuid::parse_str(text.trim()) {
        Ok(_) => Ok(text.trim().to_string()),
        Err(e) => Err(serde::de::Error::custom(format!(
            "plan id {text:?} is not a UUID: {e}"
        ))),
    }
}

impl PlansFile {
    fn into_config(self) -> Result<SimConfig, String> {
        let mut plans: Vec<SimPlan> = Vec::with_capacity(self.plans.len());
        for entry in self.plans {
            // Requests match ids case-insensitively, so two spellings of one
            // id would make one of the plans unreachable.
            if plans.iter().any(|p| p.id.eq_ignore_ascii_case(&entry.id)) {
                return Err(format!("plan id {} appears more than once", entry.id));
            }
            let defaults = SimPlan::new(entry.id);
            plans.push(SimPlan {
                name: entry.name.unwrap_or(defaults.name),
                plan_type: entry.plan_type.unwrap_or(defaults.plan_type),
                enabled: entry.enabled.unwrap_or(defaults.enabled),
                state: entry.state.unwrap_or(defaults.state),
                failover_duration: entry.failover_time.unwrap_or(defaults.failover_duration),
                undo_duration: entry.undo_time,
                outcome: entry.outcome.unwrap_or(defaults.outcome),
                check_duration: entry.check_time.unwrap_or(defaults.check_duration),
                check_outcome: entry.check_outcome.unwrap_or(defaults.check_outcome),
                continue_outcomes: entry.continue_outcomes,
                continue_duration: entry.continue_time,
                id: defaults.id,
            });
        }
        let faults = self
            .faults
            .into_iter()
            .map(|entry| entry.into_fault(&plans))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SimConfig {
            plans,
            username: self
                .username
                .unwrap_or_else(|| DEFAULT_USERNAME.to_string()),
            password: self
                .password
                .unwrap_or_else(|| DEFAULT_PASSWORD.to_string()),
            token_lifetime: self.token_lifetime.unwrap_or(DEFAULT_TOKEN_LIFETIME),
            faults,
            seed: self.seed,
            api: self.api.map(|a| a.0).unwrap_or_default(),
            client: match (self.client_id, self.client_secret) {
                (Some(id), Some(secret)) => Some(SimClient { id, secret }),
                (None, None) => None,
                _ => return Err("client_id and client_secret go together".to_string()),
            },
            mfa: self.mfa,
            page_limit: DEFAULT_PAGE_LIMIT,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID_A: &str = "6f1c2d9e-3b4a-4c5d-8e7f-0a1b2c3d4e5f";

    #[test]
    fn full_plans_file() {
        let cfg = SimConfig::from_yaml_str(
            "username: 'CORP\\ops'\npassword: s3cret\ntoken_lifetime: 10m\nplans:\n  - id: 6f1c2d9e-3b4a-4c5d-8e7f-0a1b2c3d4e5f\n    name: Database tier\n    type: Storage\n    enabled: false\n    state: NotVerified\n    failover_time: 1500ms\n    outcome: halt\n    check_time: 2s\n    check_outcome: fail\n    continue_outcomes: [halt, warnings]\n    continue_time: 3s\n",
        )
        .unwrap();
        assert_eq!(cfg.username, "CORP\\ops");
        assert_eq!(cfg.password, "s3cret");
        assert_eq!(cfg.token_lifetime, Duration::from_secs(600));
        assert_eq!(
            cfg.plans,
            vec![SimPlan {
                id: ID_A.to_string(),
                name: "Database tier".to_string(),
                plan_type: "Storage".to_string(),
                enabled: false,
                state: "NotVerified".to_string(),
                failover_duration: Duration::from_millis(1500),
                undo_duration: None,
                outcome: SimOutcome::Halt,
                check_duration: Duration::from_secs(2),
                check_outcome: SimCheckOutcome::Fail,
                continue_outcomes: vec![SimOutcome::Halt, SimOutcome::Warnings],
                continue_duration: Some(Duration::from_secs(3)),
            }]
        );
    }

    #[test]
    fn defaults_apply() {
        let cfg = SimConfig::from_yaml_str(&format!("plans:\n  - id: {ID_A}\n")).unwrap();
        assert_eq!(cfg.username, "drbook");
        assert_eq!(cfg.password, DEFAULT_PASSWORD);
        assert_eq!(cfg.token_lifetime, DEFAULT_TOKEN_LIFETIME);
        assert_eq!(cfg.plans, vec![SimPlan::new(ID_A)]);
        assert_eq!(cfg.plans[0].name, "Plan 6f1c2d9e");
        assert_eq!(cfg.plans[0].failover_duration, Duration::from_secs(2));
        assert_eq!(cfg.plans[0].check_duration, Duration::from_millis(500));
        assert_eq!(cfg.plans[0].check_outcome, SimCheckOutcome::Pass);
    }

    #[test]
    fn readiness_check_fault_endpoint() {
        let cfg = SimConfig::from_yaml_str(&format!(
            "plans:\n  - id: {ID_A}\nfaults:\n  - endpoint: readiness_check\n    plan: {ID_A}\n    kind: status\n    status: 500\n"
        ))
        .unwrap();
        assert_eq!(
            cfg.faults,
            vec![Fault::new(FaultEndpoint::ReadinessCheck, FaultKind::Status(500)).for_plan(ID_A)]
        );
    }

    #[test]
    fn bad_check_outcome_names_line_and_column() {
        let err = SimConfig::from_yaml_str(&format!(
            "plans:\n  - id: {ID_A}\n    check_outcome: maybe\n"
        ))
        .unwrap_err()
        .0;
        assert!(err.starts_with("3:20: unknown variant `maybe`"), "{err}");
        assert!(err.contains("pass") && err.contains("fail"), "{err}");
    }

    #[test]
    fn unknown_key_names_line_and_column() {
        let err = SimConfig::from_yaml_str(&format!("plans:\n  - id: {ID_A}\n    colour: red\n"))
            .unwrap_err()
            .0;
        assert!(err.starts_with("3:5: unknown field `colour`"), "{err}");
        assert!(!err.contains("at line"), "{err}");
    }

    #[test]
    fn bad_duration_names_line() {
        for key in ["failover_time", "undo_time", "check_time"] {
            let err =
                SimConfig::from_yaml_str(&format!("plans:\n  - id: {ID_A}\n    {key}: soon\n"))
                    .unwrap_err()
                    .0;
            assert!(err.starts_with("3:"), "{key}: {err}");
            assert!(err.contains("invalid duration"), "{key}: {err}");
        }
        let err = SimConfig::from_yaml_str("token_lifetime: 5 parsecs\n")
            .unwrap_err()
            .0;
        assert!(err.contains("invalid duration"), "{err}");
    }

    #[test]
    fn bad_id_outcome_and_duplicates_are_errors() {
        let err = SimConfig::from_yaml_str("plans:\n  - id: db-1\n")
            .unwrap_err()
            .0;
        assert!(err.contains("not a UUID"), "{err}");
        let err =
            SimConfig::from_yaml_str(&format!("plans:\n  - id: {ID_A}\n    outcome: maybe\n"))
                .unwrap_err()
                .0;
        assert!(err.starts_with("3:"), "{err}");
        let err = SimConfig::from_yaml_str(&format!(
            "plans:\n  - id: {ID_A}\n  - id: {}\n",
            ID_A.to_uppercase()
        ))
        .unwrap_err()
        .0;
        assert!(err.contains("more than once"), "{err}");
    }

    #[test]
    fn faults_seed_and_undo_time() {
        let cfg = SimConfig::from_yaml_str(&format!(
            "seed: 42
plans:
  - id: {ID_A}
    failover_time: 3s
    undo_time: 1s
  - id: 0b8a3c1d-2e4f-4a6b-9c8d-7e6f5a4b3c2d
faults:
  - endpoint: failover
    plan: {upper}
    kind: status
    status: 503
    count: 2
  - endpoint: runtime_details
    kind: latency
    delay: 1500ms
    after: 3
    count: 0
    probability: 0.3
  - endpoint: token
    kind: retry_after
    retry_after: 1
  - endpoint: any
    kind: drop_after_action
  - endpoint: plans
    kind: unauthorized
",
            upper = ID_A.to_uppercase()
        ))
        .unwrap();
        assert_eq!(cfg.seed, 42);
        assert_eq!(cfg.plans[0].undo_duration(), Duration::from_secs(1));
        assert_eq!(cfg.plans[1].undo_duration, None);
        assert_eq!(cfg.plans[1].undo_duration(), DEFAULT_FAILOVER_DURATION);
        assert_eq!(
            cfg.faults,
            vec![
                Fault::new(FaultEndpoint::Failover, FaultKind::Status(503))
                    .for_plan(ID_A.to_uppercase())
                    .times(2),
                Fault::new(
                    FaultEndpoint::RuntimeDetails,
                    FaultKind::Latency(Duration::from_millis(1500))
                )
                .skip(3)
                .times(0)
                .with_probability(0.3),
                Fault::new(FaultEndpoint::Token, FaultKind::RetryAfter(1)),
                Fault::new(FaultEndpoint::Any, FaultKind::DropAfterAction),
                Fault::new(FaultEndpoint::Plans, FaultKind::Unauthorized),
            ]
        );
        let text = format!("{cfg:?}");
        assert!(
            text.contains("faults") && text.contains("seed: 42"),
            "{text}"
        );
        let plain = SimConfig::from_yaml_str("plans: []\n").unwrap();
        assert!(plain.faults.is_empty());
        assert_eq!(plain.seed, 0);
    }

    #[test]
    fn bad_faults_name_line_and_column() {
        let fault = |body: &str| {
            SimConfig::from_yaml_str(&format!(
                "plans:\n  - id: {ID_A}\nfaults:\n  - endpoint: failover\n{body}"
            ))
            .unwrap_err()
            .0
        };
        // Each body: the start of its message, and a word it must contain ("" for none).
        for (body, start, also) in [
            (
                "    kind: explode\n",
                "5:11: unknown variant `explode`",
                "drop_after_action",
            ),
            ("    kind: status\n", "5:11: kind status needs `status`", ""),
            (
                "    kind: latency\n",
                "5:11: kind latency needs `delay`",
                "",
            ),
            (
                "    kind: retry_after\n",
                "5:11: kind retry_after needs `retry_after`",
                "",
            ),
            ("    kind: status\n    status: 200\n", "6:13: ", "400-599"),
            (
                "    kind: latency\n    delay: 1500ms\n    status: 503\n",
                "7:13: `status` goes with kind status",
                "",
            ),
            (
                "    kind: unauthorized\n    delay: soon\n",
                "6:12: invalid duration",
                "",
            ),
            (
                "    kind: unauthorized\n    delay: 1s\n",
                "6:12: `delay` goes with kind latency",
                "",
            ),
            (
                "    kind: status\n    status: 503\n    retry_after: 2\n",
                "7:18: `retry_after` goes with",
                "",
            ),
            (
                "    kind: unauthorized\n    probability: 1.5\n",
                "6:18: ",
                "between 0 and 1",
            ),
            (
                "    kind: unauthorized\n    plan: 00000000-0000-4000-8000-000000000000\n",
                "6:11: plan \"00000000",
                "",
            ),
            (
                "    kind: unauthorized\n    colour: red\n",
                "6:5: unknown field `colour`",
                "",
            ),
            ("    kind: unauthorized\n    count: -1\n", "6:", ""),
        ] {
            let err = fault(body);
            assert!(err.starts_with(start) && err.contains(also), "{err}");
        }
        let err = SimConfig::from_yaml_str(&format!(
            "plans:\n  - id: {ID_A}\nfaults:\n  - endpoint: token\n    plan: {ID_A}\n    kind: unauthorized\n"
        ))
        .unwrap_err().0;
        assert!(err.starts_with("5:11: `plan` does not go"), "{err}");
        let err =
            SimConfig::from_yaml_str("faults:\n  - endpoint: everywhere\n    kind: unauthorized\n")
                .unwrap_err()
                .0;
        assert!(
            err.starts_with("2:15: unknown variant `everywhere`"),
            "{err}"
        );
        let err = SimConfig::from_yaml_str("faults:\n  - kind: unauthorized\n")
            .unwrap_err()
            .0;
        assert!(err.contains("endpoint"), "{err}");
        let err = SimConfig::from_yaml_str("seed: -3\n").unwrap_err().0;
        assert!(err.starts_with("1:"), "{err}");
        let err = SimConfig::from_yaml_str("faults:\n  - endpoint: undo\n    kind: halt\n")
            .unwrap_err()
            .0;
        assert_eq!(
            err,
            "3:11: kind halt goes with endpoint failover or continue only"
        );
        let halting = SimConfig::from_yaml_str(&format!(
            "plans:\n  - id: {ID_A}\nfaults:\n  - endpoint: continue\n    plan: {ID_A}\n    kind: halt\n    count: 2\n"
        ))
        .unwrap();
        assert_eq!(
            halting.faults,
            [Fault::new(FaultEndpoint::Continue, FaultKind::Halt)
                .for_plan(ID_A)
                .times(2)]
        );
        let err = SimConfig::from_yaml_str(&format!(
            "plans:\n  - id: {ID_A}\n    continue_outcomes: [halt, maybe]\n"
        ))
        .unwrap_err()
        .0;
        assert!(err.starts_with("3:"), "{err}");
    }

    #[test]
    fn file_errors_name_the_path() {
        let missing = Path::new("/nonexistent/drbook-plans.yaml");
        let err = SimConfig::from_yaml_file(missing).unwrap_err().0;
        assert!(err.starts_with("/nonexistent/drbook-plans.yaml"), "{err}");
    }

    #[test]
    fn debug_masks_password() {
        let cfg = SimConfig::demo();
        let text = format!("{cfg:?}");
        assert!(!text.contains("password: \"drbook\""), "{text}");
        assert!(text.contains("***"));
    }

    #[test]
    fn constructors() {
        let demo = SimConfig::demo();
        assert_eq!(demo.plans.len(), 3);
        assert_eq!(demo.plans[2].id, "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a");
        assert!(
            demo.plans
                .iter()
                .all(|p| p.enabled && p.state == "Verified")
        );
        let cfg = SimConfig::with_plans([ID_A.to_string()], Duration::ZERO);
        assert_eq!(cfg.username, "drbook");
        assert_ne!(
            cfg.password,
            SimConfig::with_plans([], Duration::ZERO).password
        );
        assert_eq!(cfg.plans[0].failover_duration, Duration::ZERO);
    }
}

#[cfg(test)]
mod yaml_1_2_tests {
    use super::*;

    #[test]
    fn yaml_1_1_booleans_are_not_booleans() {
        let text = "plans:\n  - id: 6f1c2d9e-3b4a-4c5d-8e7f-0a1b2c3d4e5f\n    enabled: no\n";
        let result = SimConfig::from_yaml_str(text);
        assert!(result.is_err(), "{:?}", result.map(|c| c.plans[0].enabled));
    }
}
