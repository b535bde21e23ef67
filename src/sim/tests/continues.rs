//! `POST .../Plans/{id}/Continue` over HTTP on 127.0.0.1: only a halted plan goes on, each
//! option as VAO names it, and the faults a Continue can meet.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use super::*;

async fn go_on(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    option: &str,
) -> (StatusCode, Value) {
    plan_action(
        http,
        base,
        A,
        "Continue",
        token,
        json!({ "executionContinueOptions": option }),
    )
    .await
}

/// Plan [`A`], acting at once, halting `times` times, with these faults.
fn halting(times: usize, faults: Vec<Fault>) -> SimConfig {
    let mut config = with_faults(&[A], Duration::ZERO, faults);
    config.plans[0] = config.plans[0].clone().halting(times);
    config
}

#[tokio::test]
async fn only_a_halted_plan_is_continued_and_each_option_is_honoured() {
    let (sim, http, base, token) = start_logged_in(&halting(2, Vec::new())).await;
    assert_refused(
        go_on(&http, &base, &token, "RetryFailedStep").await,
        "continue requires state Halted",
    );
    let (status, _) = failover(&http, &base, A, &token, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let (_, halted) = details(&http, &base, A, &token).await;
    assert_eq!(
        (&halted["state"], &halted["totalProgress"]),
        (&json!("Halted"), &json!(50))
    );
    // Bodies VAO would not bind are refused without acting.
    let url = format!("{base}/api/v3/Plans/{A}/Continue");
    let sent = assert_bad_requests(
        &http,
        &url,
        &token,
        &[
            "{}",
            r#"{"executionContinueOptions": "RetryEverything"}"#,
            r#"{"executionContinueOptions": 3}"#,
        ],
    )
    .await;
    assert_eq!(sim.accepted_continues(A), 0);
    // The first retry halts again (the plan halts twice), the next one succeeds; the
    // option's name is bound ignoring case.
    let (status, _) = go_on(&http, &base, &token, "retryfailedvm").await;
    assert_eq!(status, StatusCode::OK);
    let (_, again) = details(&http, &base, A, &token).await;
    assert_eq!(again["state"], "Halted");
    let (status, _) = go_on(&http, &base, &token, "RetryFailedGroup").await;
    assert_eq!(status, StatusCode::OK);
    let (_, done) = details(&http, &base, A, &token).await;
    assert_eq!(
        (&done["state"], &done["resultName"]),
        (
            &json!("Failover"),
            &json!("Complete, no errors, no warnings")
        )
    );
    assert_refused(
        go_on(&http, &base, &token, "ProceedToNextVm").await,
        "state Failover",
    );
    assert_eq!(sim.continue_count(A), 1 + sent + 3);
    assert_eq!(sim.accepted_continues(A), 2);
}

#[tokio::test]
async fn a_proceed_completes_with_warnings() {
    let (_sim, http, base, token) = start_logged_in(&halting(5, Vec::new())).await;
    failover(&http, &base, A, &token, json!({})).await;
    let (status, _) = go_on(&http, &base, &token, "ProceedToNextStep").await;
    assert_eq!(status, StatusCode::OK);
    let (_, done) = details(&http, &base, A, &token).await;
    assert_eq!(
        (&done["state"], &done["resultName"]),
        (&json!("Failover"), &json!("Complete with warnings"))
    );
}

#[tokio::test]
async fn faults_halt_a_failover_and_lose_a_continues_answer() {
    let faults = vec![
        Fault::new(FaultEndpoint::Failover, FaultKind::Halt).for_plan(A),
        Fault::new(FaultEndpoint::Continue, FaultKind::DropAfterAction),
    ];
    let mut config = with_faults(&[A], Duration::ZERO, faults);
    config.plans[0].continue_duration = Some(Duration::from_secs(30));
    let (sim, http, base, token) = start_logged_in(&config).await;
    // The plan would succeed; the fault makes its failover halt.
    failover(&http, &base, A, &token, json!({})).await;
    assert_eq!(sim.plan_state(A).as_deref(), Some("Halted"));
    let lost = http
        .post(format!("{base}/api/v3/Plans/{A}/Continue"))
        .bearer_auth(&token)
        .json(&json!({"executionContinueOptions": "RetryFailedStep"}))
        .send()
        .await;
    assert!(lost.is_err(), "{lost:?}");
    // It acted before the answer was lost: the plan runs on, and a second Continue is
    // refused.
    assert_eq!(sim.plan_state(A).as_deref(), Some("FailoverInProgress"));
    assert_refused(
        go_on(&http, &base, &token, "RetryFailedStep").await,
        "FailoverInProgress",
    );
    assert_eq!((sim.continue_count(A), sim.accepted_continues(A)), (2, 1));
    assert_eq!(
        faults_of(&sim).into_iter().flatten().collect::<Vec<_>>(),
        ["halt", "drop_after_action"]
    );
}
