//! The calls drbook makes on a plan (`POST /api/v3/Plans/{planId}/{action}`), as types whose
//! bodies are exactly what VAO's parameter tables name.
//!
//! The client sends nothing else: every state-changing call is built from one of these.
//! They know nothing of runbooks; the executor fills them in from its steps
//! (`exec::to_vao`), so that the client can change without the model and the other way
//! round.

use chrono::NaiveDateTime;
use serde::{Serialize, Serializer};

/// A call on one plan: the last segment of its path and its JSON body, which is the
/// request's serde form unless the call has none.
pub trait PlanRequest: Serialize {
    /// `Failover` in `POST .../Plans/{planId}/Failover`.
    const ACTION: &'static str;

    fn action(&self) -> &'static str {
        Self::ACTION
    }

    /// The JSON body, `None` for a call without one.
    fn body(&self) -> Option<serde_json::Value> {
        // A body of plain fields always serialises.
        serde_json::to_value(self).ok()
    }
}

/// The body of `POST .../Plans/{planId}/Failover`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FailoverRequest {
    pub execute_chained_plans: bool,
    /// The restore point in the server's local time; `None` (sent as `null`) for the latest.
    #[serde(serialize_with = "vao_date")]
    pub restore_point_date: Option<NaiveDateTime>,
    pub protect_storage_volumes: bool,
}

/// `POST .../Plans/{planId}/Undo`, which takes no body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct UndoRequest;

/// The body of `POST .../Plans/{planId}/ReadinessCheck`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadinessCheckRequest {
    pub generate_report: bool,
}

/// The body of `POST .../Plans/{planId}/Halt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HaltRequest {
    /// Also stop the plans chained after this one.
    pub full_stop: bool,
}

/// What VAO should do with a HALTED plan: `executionContinueOptions` of
/// `POST .../Plans/{planId}/Continue` (`continue_plan.html`), spelt as VAO spells it.
///
/// The one list of the options: the runbook format (`on_halt.continue`) and its generated
/// schema take them from here.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[schemars(
    rename = "continue_option",
    description = "what VAO does with the halted plan, one of its executionContinueOptions: a Proceed option goes on past what failed, a Retry option runs it again"
)]
pub enum ContinueOption {
    ProceedToNextVm,
    ProceedToNextGroup,
    ProceedToNextStep,
    RetryFailedStep,
    RetryFailedVm,
    RetryFailedGroup,
}

impl ContinueOption {
    /// Every option, in the documentation's order.
    pub const ALL: [ContinueOption; 6] = [
        ContinueOption::ProceedToNextVm,
        ContinueOption::ProceedToNextGroup,
        ContinueOption::ProceedToNextStep,
        ContinueOption::RetryFailedStep,
        ContinueOption::RetryFailedVm,
        ContinueOption::RetryFailedGroup,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ContinueOption::ProceedToNextVm => "ProceedToNextVm",
            ContinueOption::ProceedToNextGroup => "ProceedToNextGroup",
            ContinueOption::ProceedToNextStep => "ProceedToNextStep",
            ContinueOption::RetryFailedStep => "RetryFailedStep",
            ContinueOption::RetryFailedVm => "RetryFailedVm",
            ContinueOption::RetryFailedGroup => "RetryFailedGroup",
        }
    }

    /// Whether VAO runs the failed part again (a retry may halt again), rather than going
    /// on past it.
    pub fn is_retry(self) -> bool {
        matches!(
            self,
            ContinueOption::RetryFailedStep
                | ContinueOption::RetryFailedVm
                | ContinueOption::RetryFailedGroup
        )
    }

    /// The options as a list for messages: `ProceedToNextVm, ..., RetryFailedGroup`.
    pub fn listed() -> String {
        Self::ALL.map(Self::as_str).join(", ")
    }
}

impl std::fmt::Display for ContinueOption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A word that is not one of VAO's Continue options.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a Continue option; VAO knows {options}", options = ContinueOption::listed())]
pub struct UnknownContinueOption(pub String);

impl std::str::FromStr for ContinueOption {
    type Err = UnknownContinueOption;

    fn from_str(word: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|option| option.as_str() == word)
            .ok_or_else(|| UnknownContinueOption(word.to_owned()))
    }
}

/// The body of `POST .../Plans/{planId}/Continue`, sent only to a HALTED plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContinueRequest {
    pub execution_continue_options: ContinueOption,
}

/// VAO's restore point form: `YYYY-MM-DDTHH:MM:SS`, server-local time.
const VAO_DATE_FORMAT: &str = "%Y-%m-%dT%H:%M:%S";

fn vao_date<S: Serializer>(date: &Option<NaiveDateTime>, out: S) -> Result<S::Ok, S::Error> {
    match date {
        Some(date) => out.collect_str(&date.format(VAO_DATE_FORMAT)),
        None => out.serialize_none(),
    }
}

impl PlanRequest for FailoverRequest {
    const ACTION: &'static str = "Failover";
}

impl PlanRequest for UndoRequest {
    const ACTION: &'static str = "Undo";

    fn body(&self) -> Option<serde_json::Value> {
        None
    }
}

impl PlanRequest for ReadinessCheckRequest {
    const ACTION: &'static str = "ReadinessCheck";
}

impl PlanRequest for HaltRequest {
    const ACTION: &'static str = "Halt";
}

impl PlanRequest for ContinueRequest {
    const ACTION: &'static str = "Continue";
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(request: &impl PlanRequest) -> String {
        request
            .body()
            .map_or_else(|| "(none)".to_owned(), |body| body.to_string())
    }

    #[test]
    fn body_keys_follow_the_parameter_table() {
        let latest = FailoverRequest {
            execute_chained_plans: true,
            restore_point_date: None,
            protect_storage_volumes: false,
        };
        assert_eq!(latest.action(), "Failover");
        assert_eq!(
            text(&latest),
            r#"{"executeChainedPlans":true,"restorePointDate":null,"protectStorageVolumes":false}"#
        );
        let at = FailoverRequest {
            restore_point_date: chrono::NaiveDate::from_ymd_opt(2026, 11, 25)
                .and_then(|d| d.and_hms_milli_opt(22, 0, 30, 500)),
            ..latest
        };
        assert_eq!(
            text(&at),
            r#"{"executeChainedPlans":true,"restorePointDate":"2026-11-25T22:00:30","protectStorageVolumes":false}"#
        );
        let check = ReadinessCheckRequest {
            generate_report: true,
        };
        assert_eq!(
            (check.action(), text(&check).as_str()),
            ("ReadinessCheck", r#"{"generateReport":true}"#)
        );
        let halt = HaltRequest { full_stop: false };
        assert_eq!(
            (halt.action(), text(&halt).as_str()),
            ("Halt", r#"{"fullStop":false}"#)
        );
        assert_eq!(
            (UndoRequest.action(), text(&UndoRequest).as_str()),
            ("Undo", "(none)")
        );
        let go_on = ContinueRequest {
            execution_continue_options: ContinueOption::RetryFailedVm,
        };
        assert_eq!(
            (go_on.action(), text(&go_on).as_str()),
            (
                "Continue",
                r#"{"executionContinueOptions":"RetryFailedVm"}"#
            )
        );
    }

    #[test]
    fn continue_options_read_as_vao_spells_them() {
        for option in ContinueOption::ALL {
            assert_eq!(option.as_str().parse::<ContinueOption>(), Ok(option));
            assert_eq!(
                serde_json::to_value(option).unwrap(),
                serde_json::Value::from(option.as_str())
            );
        }
        let unknown = "retryfailedstep".parse::<ContinueOption>().unwrap_err();
        assert_eq!(
            unknown.to_string(),
            "`retryfailedstep` is not a Continue option; VAO knows ProceedToNextVm, ProceedToNextGroup, ProceedToNextStep, RetryFailedStep, RetryFailedVm, RetryFailedGroup"
        );
        assert_eq!(
            ContinueOption::ALL.map(ContinueOption::is_retry),
            [false, false, false, true, true, true]
        );
    }
}
