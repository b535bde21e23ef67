//! Request bodies, exactly as VAO's parameter tables name them.

use crate::runbook::values::ServerTimeZone;
use crate::runbook::{Failover, RestorePoint};
use serde_json::json;

/// VAO's restore point form: `YYYY-MM-DDTHH:MM:SS`, server-local time.
const VAO_DATE_FORMAT: &str = "%Y-%m-%dT%H:%M:%S";

/// The `restorePointDate` value: `null` for the latest point, else the server-local time.
/// A time written with an offset is converted to `server_time_zone` (the builder has made
/// sure it is known).
pub fn restore_point_date(
    point: &RestorePoint,
    server_time_zone: Option<ServerTimeZone>,
) -> serde_json::Value {
    match point {
        RestorePoint::Latest => serde_json::Value::Null,
        RestorePoint::Local(naive) => json!(naive.format(VAO_DATE_FORMAT).to_string()),
        RestorePoint::Offset(at) => {
            let local = match server_time_zone {
                Some(zone) => zone.local(at),
                None => at.naive_local(),
            };
            json!(local.format(VAO_DATE_FORMAT).to_string())
        }
    }
}

/// The body of `POST /api/v3/Plans/{planId}/Failover`.
pub fn failover_body(
    failover: &Failover,
    server_time_zone: Option<ServerTimeZone>,
) -> serde_json::Value {
    json!({
        "executeChainedPlans": failover.execute_chained_plans,
        "restorePointDate": restore_point_date(&failover.restore_point, server_time_zone),
        "protectStorageVolumes": failover.protect_storage_volumes,
    })
}

/// The body of `POST .../ReadinessCheck`.
pub fn readiness_check_body(check: &crate::runbook::ReadinessCheck) -> serde_json::Value {
    json!({ "generateReport": check.generate_report })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runbook::values::{parse_restore_point, parse_time_zone};

    #[test]
    fn restore_points_are_sent_in_server_local_time() {
        let p = |s| parse_restore_point(s).unwrap();
        assert_eq!(
            restore_point_date(&p("latest"), None),
            serde_json::Value::Null
        );
        assert_eq!(
            restore_point_date(&p("2026-11-25T22:00:30.5"), None),
            json!("2026-11-25T22:00:30")
        );
        let cet = parse_time_zone("+01:00");
        assert_eq!(
            restore_point_date(&p("2026-11-25T22:00:00Z"), cet),
            json!("2026-11-25T23:00:00")
        );
        assert_eq!(
            restore_point_date(&p("2026-11-25T22:00:00-05:00"), cet),
            json!("2026-11-26T04:00:00")
        );
        assert_eq!(
            restore_point_date(&p("2026-11-25T22:00:00"), cet),
            json!("2026-11-25T22:00:00")
        );
    }

    #[test]
    fn body_keys_follow_the_parameter_table() {
        let f = Failover {
            plan_id: uuid::Uuid::nil(),
            restore_point: RestorePoint::Latest,
            execute_chained_plans: true,
            protect_storage_volumes: false,
            wait_for_completion: true,
            timeout: std::time::Duration::from_secs(1),
            retries: 0,
            retry_delay: std::time::Duration::from_secs(1),
            objectives: Default::default(),
        };
        assert_eq!(
            serde_json::to_string(&failover_body(&f, None)).unwrap(),
            r#"{"executeChainedPlans":true,"restorePointDate":null,"protectStorageVolumes":false}"#
        );
    }
}
