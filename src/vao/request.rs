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
    }
}
