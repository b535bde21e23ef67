//! Readiness checks and failing over again after an undo, over HTTP on
//! 127.0.0.1. Checks that must be seen running last a minute and checks
//! that must be seen ended take no time, so no test waits on a clock.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::*;

const CHECK: &str = "ReadinessCheck";
const UNKNOWN: &str = "00000000-0000-4000-8000-000000000000";
/// `resultName` of a successful failover or undo.
const RESULT: &str = "Complete, no errors, no warnings";

/// state, lastStableState, resultName, currentCheckResult of runtime details.
async fn check_fields(
    http: &reqwest::Client,
    base: &str,
    id: &str,
    token: &str,
) -> (String, String, String, String) {
    let (status, d) = details(http, base, id, token).await;
    assert_eq!(status, StatusCode::OK, "{d}");
    let text = |key: &str| d[key].as_str().unwrap_or_default().to_string();
    (
        text("state"),
        text("lastStableState"),
        text("resultName"),
        text("currentCheckResult"),
    )
}

fn fields(state: &str, last: &str, result: &str, check: &str) -> (String, String, String, String) {
    (
        state.to_string(),
        last.to_string(),
        result.to_string(),
        check.to_string(),
    )
}

/// `POST .../ReadinessCheck` with an empty body.
async fn check(http: &reqwest::Client, base: &str, id: &str, token: &str) -> (StatusCode, Value) {
    plan_action(http, base, id, CHECK, token, json!({})).await
}

fn checking(config: &mut SimConfig, index: usize, time: Duration, outcome: SimCheckOutcome) {
    config.plans[index].check_duration = time;
    config.plans[index].check_outcome = outcome;
}

#[tokio::test]
async fn a_running_check_reports_checking_and_refuses_other_actions() {
    let mut config = plans(&[A], Duration::ZERO);
    checking(
        &mut config,
        0,
        Duration::from_secs(60),
        SimCheckOutcome::Pass,
    );
    config.plans[0].state = "NotVerified".to_string();
    let (sim, http, base, token) = start_logged_in(&config).await;

    assert_eq!(
        check_fields(&http, &base, A, &token).await,
        fields("NotVerified", "NotVerified", "Ready", "None")
    );
    let (status, body) = plan_action(
        &http,
        &base,
        A,
        CHECK,
        &token,
        json!({"generateReport": false}),
    )
    .await;
    assert_eq!((status, body), (StatusCode::OK, Value::Null));
    assert_eq!(
        check_fields(&http, &base, A, &token).await,
        fields("Checking", "NotVerified", "Running", "Running")
    );
    let (_, d) = details(&http, &base, A, &token).await;
    assert_eq!(d["stateName"], "Checking");
    let progress = d["totalProgress"].as_u64().unwrap();
    assert!((1..=99).contains(&progress), "{progress}");
    let (_, plan) = get(&http, format!("{base}/api/v3/Plans/{A}"), &token).await;
    assert_eq!(
        (
            &plan["state"],
            &plan["lastStableState"],
            &plan["resultName"]
        ),
        (&json!("Checking"), &json!("NotVerified"), &json!("Running"))
    );

    // Busy: every action is refused with a message naming the state.
    assert_refused(check(&http, &base, A, &token).await, "Checking");
    assert_refused(
        failover(&http, &base, A, &token, json!({})).await,
        "Checking",
    );
    assert_refused(undo(&http, &base, A, &token).await, "Checking");
    assert_refused(
        post(
            &http,
            format!("{base}/api/v3/Plans/{A}/Halt"),
            &token,
            Some(json!({"fullStop": false})),
        )
        .await,
        "Checking",
    );

    assert_eq!(sim.plan_state(A).as_deref(), Some("Checking"));
    assert_eq!((sim.check_count(A), sim.accepted_checks(A)), (2, 1));
    assert_eq!((sim.failover_count(A), sim.accepted_failovers(A)), (1, 0));
    // The per-action shorthands read the same counters as the generic ones.
    for (action, counts) in [
        (Action::Check, (2, 1)),
        (Action::Failover, (1, 0)),
        (Action::Undo, (1, 0)),
    ] {
        assert_eq!(
            (sim.requests_for(action, A), sim.accepted(action, A)),
            counts
        );
    }
    assert_eq!((sim.undo_count(A), sim.accepted_undos(A)), (1, 0));
}

#[tokio::test]
async fn check_outcomes() {
    let mut config = plans(&[A, B], Duration::ZERO);
    checking(&mut config, 0, Duration::ZERO, SimCheckOutcome::Pass);
    config.plans[0].state = "NotVerified".to_string();
    checking(&mut config, 1, Duration::ZERO, SimCheckOutcome::Fail);
    let (sim, http, base, token) = start_logged_in(&config).await;

    // Before any check: what the configured state implies.
    assert_eq!(check_fields(&http, &base, A, &token).await.3, "None");
    assert_eq!(check_fields(&http, &base, B, &token).await.3, "Success");

    for id in [A, B] {
        assert_eq!(check(&http, &base, id, &token).await.0, StatusCode::OK);
    }
    assert_eq!(
        check_fields(&http, &base, A, &token).await,
        fields("Verified", "Verified", "Ready", "Success")
    );
    assert_eq!(
        check_fields(&http, &base, B, &token).await,
        fields("NotVerified", "NotVerified", "Ready", "Failed")
    );
    let (_, b) = details(&http, &base, B, &token).await;
    assert_eq!(b["totalProgress"], 0);
    let (_, b) = get(&http, format!("{base}/api/v3/Plans/{B}"), &token).await;
    assert_eq!(
        (&b["state"], &b["previousExecutionState"]),
        (&json!("NotVerified"), &json!("Verified"))
    );

    // A failed check still allows a failover, and its result stays through
    // it; a plan that runs nothing takes a check in any state.
    assert_eq!(
        failover(&http, &base, B, &token, json!({})).await.0,
        StatusCode::OK
    );
    assert_eq!(
        check_fields(&http, &base, B, &token).await,
        fields("Failover", "Failover", RESULT, "Failed")
    );
    assert_eq!(check(&http, &base, B, &token).await.0, StatusCode::OK);
    assert_eq!(
        check_fields(&http, &base, B, &token).await,
        fields("NotVerified", "NotVerified", "Ready", "Failed")
    );
    assert_eq!((sim.accepted_checks(A), sim.accepted_checks(B)), (1, 2));
}

#[tokio::test]
async fn check_rejections() {
    let mut config = plans(&[A, B], Duration::ZERO);
    config.plans[1].enabled = false;
    let (sim, http, base, token) = start_logged_in(&config).await;

    let (status, body) = check(&http, &base, UNKNOWN, &token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(message_of(&body), format!("Plan {UNKNOWN} was not found."));
    assert_eq!(sim.check_count(UNKNOWN), 1);

    assert_refused(check(&http, &base, B, &token).await, "disabled");
    assert_eq!((sim.check_count(B), sim.accepted_checks(B)), (1, 0));

    let url = format!("{base}/api/v3/Plans/{A}/ReadinessCheck");
    let sent = assert_bad_requests(
        &http,
        &url,
        &token,
        &[
            "[]",
            "true",
            r#"{"generateReport": "yes"}"#,
            r#"{"GenerateReport": null}"#,
            r#"{"generateReport": 1}"#,
        ],
    )
    .await;
    assert_eq!(sent, 9);
    assert_eq!(sim.plan_state(A).as_deref(), Some("Verified"));
    assert_eq!((sim.check_count(A), sim.accepted_checks(A)), (9, 0));

    // Case-insensitive names as ASP.NET binds them; unknown ones are ignored.
    let (status, _) = plan_action(
        &http,
        &base,
        &A.to_uppercase(),
        CHECK,
        &token,
        json!({"GENERATEREPORT": true, "other": [1]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((sim.check_count(A), sim.accepted_checks(A)), (10, 1));

    // Only a valid token reaches the plan.
    let (status, _) = plan_action(&http, &base, A, CHECK, "made-up", json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(sim.check_count(A), 10);
    let (status, _) = get(
        &http,
        format!("{base}/api/v3/Plans/{A}/ReadinessCheck"),
        &token,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(sim.check_count(A), 10);
}

#[tokio::test]
async fn drill_fails_over_undoes_checks_and_fails_over_again() {
    let mut config = plans(&[A], Duration::ZERO);
    checking(&mut config, 0, Duration::ZERO, SimCheckOutcome::Pass);
    let (sim, http, base, token) = start_logged_in(&config).await;

    assert_eq!(
        failover(&http, &base, A, &token, json!({})).await.0,
        StatusCode::OK
    );
    assert_eq!(undo(&http, &base, A, &token).await.0, StatusCode::OK);
    assert_eq!(
        check_fields(&http, &base, A, &token).await,
        fields("UndoFailover", "UndoFailover", RESULT, "Success")
    );
    assert_eq!(
        plan_action(
            &http,
            &base,
            A,
            CHECK,
            &token,
            json!({"generateReport": true})
        )
        .await
        .0,
        StatusCode::OK
    );
    assert_eq!(
        check_fields(&http, &base, A, &token).await,
        fields("Verified", "Verified", "Ready", "Success")
    );
    assert_eq!(
        failover(&http, &base, A, &token, json!({})).await.0,
        StatusCode::OK
    );
    assert_eq!(sim.plan_state(A).as_deref(), Some("Failover"));
    // Straight from UndoFailover, without a check, works too.
    assert_eq!(undo(&http, &base, A, &token).await.0, StatusCode::OK);
    assert_eq!(
        failover(&http, &base, A, &token, json!({})).await.0,
        StatusCode::OK
    );
    assert_eq!(sim.plan_state(A).as_deref(), Some("Failover"));
    assert_eq!(
        (
            sim.accepted_failovers(A),
            sim.accepted_undos(A),
            sim.accepted_checks(A)
        ),
        (3, 2, 1)
    );
}

#[tokio::test]
async fn readiness_check_faults() {
    let config = {
        let mut config = with_faults(
            &[A, B],
            Duration::ZERO,
            vec![
                Fault::new(FaultEndpoint::ReadinessCheck, FaultKind::Status(503)).for_plan(A),
                Fault::new(FaultEndpoint::ReadinessCheck, FaultKind::DropAfterAction).for_plan(B),
            ],
        );
        checking(
            &mut config,
            1,
            Duration::from_secs(60),
            SimCheckOutcome::Pass,
        );
        config
    };
    let (sim, http, base, token) = start_logged_in(&config).await;

    // A status fault answers without reaching the plan.
    let (status, body) = check(&http, &base, A, &token).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(message_of(&body).contains("Injected fault"), "{body}");
    assert_eq!((sim.check_count(A), sim.accepted_checks(A)), (0, 0));
    assert_eq!(sim.plan_state(A).as_deref(), Some("Verified"));
    assert_eq!(check(&http, &base, A, &token).await.0, StatusCode::OK);

    // drop_after_action: the check starts, the answer is lost.
    let lost = http
        .post(format!("{base}/api/v3/Plans/{B}/ReadinessCheck"))
        .bearer_auth(&token)
        .json(&json!({}))
        .send()
        .await;
    let error = lost.expect_err("the answer must be lost");
    assert!(error.status().is_none(), "{error:?}");
    assert_eq!((sim.check_count(B), sim.accepted_checks(B)), (1, 1));
    assert_eq!(sim.plan_state(B).as_deref(), Some("Checking"));
    assert_eq!(
        faults_of(&sim),
        [
            None,
            Some("status".to_string()),
            None,
            Some("drop_after_action".to_string())
        ]
    );
}
