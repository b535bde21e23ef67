//! The runbook's steps in the VAO client's words: the one place where the executor turns
//! the model into the requests and state sets of [`crate::vao`], so that the client knows
//! nothing of runbooks.

use crate::runbook::values::ServerTimeZone;
use crate::runbook::{Api, Failover, PlanCall, ReadinessCheck, RestorePoint, StateOverrides};
use crate::vao::{ApiFlavour, FailoverRequest, ReadinessCheckRequest, RetryPolicy, StateSets};
use chrono::NaiveDateTime;

/// How often, and after what pause, a plan step's calls are tried again: its `retries`
/// and `retry_delay`.
pub fn retry_policy(call: &PlanCall) -> RetryPolicy {
    RetryPolicy {
        retries: call.retries,
        delay: call.retry_delay,
    }
}

/// The failover's body: the restore point in the server's local time.
pub fn failover_request(
    failover: &Failover,
    server_time_zone: Option<ServerTimeZone>,
) -> FailoverRequest {
    FailoverRequest {
        execute_chained_plans: failover.execute_chained_plans,
        restore_point_date: server_local(&failover.restore_point, server_time_zone),
        protect_storage_volumes: failover.protect_storage_volumes,
    }
}

pub fn readiness_check_request(check: &ReadinessCheck) -> ReadinessCheckRequest {
    ReadinessCheckRequest {
        generate_report: check.generate_report,
    }
}

/// The client's flavour for a runbook's `api:`.
pub fn api_flavour(api: Api) -> ApiFlavour {
    match api {
        Api::Vao3 => ApiFlavour::Vao3,
        Api::Vro7 => ApiFlavour::Vro7,
        Api::Vro13 => ApiFlavour::Vro13,
    }
}

/// The built-in sets with a runbook's `states:` in place of those it names.
pub fn state_sets(overrides: &StateOverrides) -> StateSets {
    let mut sets = StateSets::default();
    for (set, names) in [
        (&mut sets.ready, &overrides.ready),
        (&mut sets.in_progress, &overrides.in_progress),
        (&mut sets.succeeded, &overrides.succeeded),
        (&mut sets.failed, &overrides.failed),
    ] {
        if let Some(names) = names {
            *set = StateSets::names(names);
        }
    }
    sets
}

/// `None` for the latest point, else the server-local time. A time written with an offset
/// is converted to `server_time_zone` (the builder has made sure it is known).
fn server_local(
    point: &RestorePoint,
    server_time_zone: Option<ServerTimeZone>,
) -> Option<NaiveDateTime> {
    match point {
        RestorePoint::Latest => None,
        RestorePoint::Local(naive) => Some(*naive),
        RestorePoint::Offset(at) => Some(match server_time_zone {
            Some(zone) => zone.local(at),
            None => at.naive_local(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runbook::values::{parse_restore_point, parse_time_zone};
    use crate::vao::{Phase, PlanRequest, PlanStatus};
    use serde_json::json;

    fn failover(restore_point: RestorePoint) -> Failover {
        Failover {
            plan_id: uuid::Uuid::nil(),
            restore_point,
            execute_chained_plans: true,
            protect_storage_volumes: false,
            wait_for_completion: true,
            timeout: std::time::Duration::from_secs(1),
            retries: 0,
            retry_delay: std::time::Duration::from_secs(1),
            objectives: Default::default(),
            on_halt: None,
        }
    }

    #[test]
    fn restore_points_are_sent_in_server_local_time() {
        let restore_point_date = |text, zone| {
            let point = parse_restore_point(text).unwrap();
            failover_request(&failover(point), zone).body().unwrap()["restorePointDate"].clone()
        };
        assert_eq!(restore_point_date("latest", None), serde_json::Value::Null);
        assert_eq!(
            restore_point_date("2026-11-25T22:00:30.5", None),
            json!("2026-11-25T22:00:30")
        );
        let cet = parse_time_zone("+01:00");
        assert_eq!(
            restore_point_date("2026-11-25T22:00:00Z", cet),
            json!("2026-11-25T23:00:00")
        );
        assert_eq!(
            restore_point_date("2026-11-25T22:00:00-05:00", cet),
            json!("2026-11-26T04:00:00")
        );
        assert_eq!(
            restore_point_date("2026-11-25T22:00:00", cet),
            json!("2026-11-25T22:00:00")
        );
    }

    #[test]
    fn the_body_is_the_steps_settings() {
        assert_eq!(
            serde_json::to_string(&failover_request(&failover(RestorePoint::Latest), None).body())
                .unwrap(),
            r#"{"executeChainedPlans":true,"restorePointDate":null,"protectStorageVolumes":false}"#
        );
    }

    #[test]
    fn overrides_replace_sets() {
        let status = |state: &str, stable: &str| PlanStatus {
            state: state.to_owned(),
            last_stable_state: Some(stable.to_owned()),
            result_name: Some("ok".to_owned()),
            total_progress: Some(100),
            ..PlanStatus::default()
        };
        let sets = state_sets(&StateOverrides {
            succeeded: Some(vec!["Failed Over".into()]),
            ..Default::default()
        });
        assert_eq!(
            sets.classify(&status("failed-over", "FailedOver")),
            Phase::Succeeded
        );
        assert_eq!(
            sets.classify(&status("Failover", "Failover")),
            Phase::Unexpected
        );
        assert_eq!(sets.ready, StateSets::default().ready);
    }
}
