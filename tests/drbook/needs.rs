//! `id`, `needs` and `expected_duration`: `validate` prints the schedule's shape (its
//! errors are invalid fixtures: tests/fixtures/invalid/needs*.yaml), and a run still takes
//! the steps one after another in file order.

use crate::support::*;
use std::time::Duration;

/// dbA (10m) → appA (2m), dbB (2m) → appB (10m): the critical path is 12m, not 20m.
const FAN_IN: &str = "  - { id: db-a, needs: [], expected_duration: 10m, wait: 0s }
  - { id: db-b, needs: [], expected_duration: 2m, wait: 0s }
  - { id: app-a, needs: [db-a], expected_duration: 2m, wait: 0s }
  - { id: app-b, needs: [db-b], pause: { message: go } }
";

#[test]
fn validate_prints_levels_and_the_critical_path_in_text() {
    let t = Drbook::new();
    let path = t.runbook(&FAN_IN.replace("[db-b], pause", "[db-b], expected_duration: 10m, pause"));
    let out = t.args(["validate", path.to_str().unwrap()]).run();
    out.assert_code(0);
    assert_eq!(
        out.stdout.lines().skip(1).collect::<Vec<_>>(),
        [
            "  schedule: 2 levels (steps on one level could run at the same time)",
            "    level 1: 1 (db-a), 2 (db-b)",
            "    level 2: 3 (app-a), 4 (app-b)",
            "  critical path: 2 steps: 1 (db-a) → 3 (app-a)",
            "  critical path in time: 12m: 1 (db-a) → 3 (app-a)",
            "  steps still run one after another in file order, which satisfies every `needs`",
        ],
        "{}",
        out.stdout
    );
}

#[test]
fn validate_prints_the_schedule_in_json_and_names_steps_without_a_duration() {
    let t = Drbook::new();
    let path = t.runbook(FAN_IN);
    let out = t
        .args(["validate", "--format", "json", path.to_str().unwrap()])
        .run();
    out.assert_code(0);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let schedule = &json["runbooks"][0]["schedule"];
    assert_eq!(schedule["levels"], serde_json::json!([[1, 2], [3, 4]]));
    assert_eq!(schedule["critical_path"], serde_json::json!([1, 3]));
    assert_eq!(
        schedule["critical_time"],
        serde_json::json!({ "steps": [1, 3], "seconds": 720.0, "unknown": [4] })
    );
}

#[test]
fn a_runbook_without_needs_has_no_schedule_and_steps_without_needs_wait_for_the_one_before() {
    let t = Drbook::new();
    let path = t.runbook("  - wait: 0s\n  - wait: 0s\n");
    let out = t
        .args(["validate", "--format", "json", path.to_str().unwrap()])
        .run();
    out.assert_code(0);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["runbooks"][0].get("schedule"), None);

    // Step 2 names none, so it waits for step 1; step 3 is free; step 4 follows step 3.
    let t = Drbook::new();
    let path = t.runbook(
        "  - { id: a, wait: 0s }\n  - wait: 0s\n  - { needs: [], wait: 0s }\n  - wait: 0s\n",
    );
    let out = t
        .args(["validate", "--format", "json", path.to_str().unwrap()])
        .run();
    out.assert_code(0);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let schedule = &json["runbooks"][0]["schedule"];
    assert_eq!(schedule["levels"], serde_json::json!([[1, 3], [2, 4]]));
    assert_eq!(schedule["critical_time"], serde_json::Value::Null);
}

#[test]
fn a_run_with_needs_takes_its_steps_in_file_order() {
    let sim = sim(vec![
        plan(PLAN_A, Duration::ZERO),
        plan(PLAN_B, Duration::ZERO),
        plan(PLAN_C, Duration::ZERO),
    ]);
    let steps = format!(
        "  - {{ id: db, needs: [], failover: {{ plan_id: {PLAN_A} }} }}\n  - {{ id: other, needs: [], failover: {{ plan_id: {PLAN_B} }} }}\n  - {{ needs: [db], failover: {{ plan_id: {PLAN_C} }} }}\n"
    );
    let (t, out) = run_live(&sim, &steps, &[]);
    out.assert_code(0);
    let sent: Vec<String> = failovers(&sim).into_iter().map(|(id, _)| id).collect();
    assert_eq!(sent, [PLAN_A, PLAN_B, PLAN_C]);
    let report = t.report();
    let steps = report["steps"].as_array().unwrap();
    assert!(steps.iter().all(|s| s["result"] == "succeeded"));
}
