//! `id`, `needs` and `expected_duration`: `validate` prints the schedule's shape (its
//! errors are invalid fixtures: tests/fixtures/invalid/needs*.yaml), and a run starts each
//! step as soon as what it needs has succeeded.

use crate::support::*;
use drbook::sim::SimOutcome;
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
            "  each step starts as soon as the steps it waits for have finished (those it `needs`: succeeded)",
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

const PLAN_D: &str = "4a3b2c1d-0e9f-4a8b-8c7d-6e5f4a3b2c1d";
const PLAN_E: &str = "5b4c3d2e-1f0a-4b9c-8d7e-6f5a4b3c2d1e";

/// A failover step of `plan`, with its `id` (if any) and `needs` (`None`: no `needs` key).
fn failover(id: Option<&str>, needs: Option<&[&str]>, plan: &str) -> String {
    let mut keys = String::new();
    if let Some(id) = id {
        keys.push_str(&format!("id: {id}, "));
    }
    if let Some(needs) = needs {
        keys.push_str(&format!("needs: [{}], ", needs.join(", ")));
    }
    format!("  - {{ {keys}failover: {{ plan_id: {plan} }} }}\n")
}

fn at(step: &serde_json::Value, key: &str) -> chrono::DateTime<chrono::Utc> {
    step[key].as_str().unwrap().parse().unwrap()
}

/// The report's steps, by number.
fn steps_of(report: &serde_json::Value) -> Vec<serde_json::Value> {
    report["steps"].as_array().unwrap().clone()
}

fn results(report: &serde_json::Value) -> Vec<String> {
    steps_of(report)
        .iter()
        .map(|s| s["result"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_step_starts_when_what_it_needs_has_succeeded_not_when_the_step_before_it_ends() {
    // db A is slow, db B fast; app B needs only db B, so it runs while db A still does,
    // and app A waits for db A alone.
    let slow = Duration::from_millis(800);
    let sim = sim(vec![
        plan(PLAN_A, slow),
        plan(PLAN_B, Duration::ZERO),
        plan(PLAN_C, Duration::ZERO),
        plan(PLAN_D, Duration::from_millis(200)),
    ]);
    let steps = [
        failover(Some("db-a"), Some(&[]), PLAN_A),
        failover(Some("db-b"), Some(&[]), PLAN_B),
        failover(Some("app-a"), Some(&["db-a"]), PLAN_C),
        failover(Some("app-b"), Some(&["db-b"]), PLAN_D),
    ]
    .concat();
    let (t, out) = run_live(&sim, &steps, &[]);
    out.assert_code(0);
    for id in [PLAN_A, PLAN_B, PLAN_C, PLAN_D] {
        assert_eq!(sim.failover_count(id), 1, "plan {id} sent once");
    }
    let report = t.report();
    let s = steps_of(&report);
    assert!(s.iter().all(|s| s["result"] == "succeeded"));
    // app B started and finished while db A was still failing over.
    assert!(at(&s[3], "started_at") < at(&s[0], "finished_at"));
    assert!(at(&s[3], "finished_at") < at(&s[0], "finished_at"));
    // app A waited for db A.
    assert!(at(&s[0], "finished_at") <= at(&s[2], "started_at"));
    assert!(at(&s[1], "finished_at") <= at(&s[3], "started_at"));
    // The report says what each step waited for.
    assert_eq!(s[2]["needs"], serde_json::json!([1]));
    assert_eq!(s[0]["needs"], serde_json::json!([]));
}

#[test]
fn a_step_without_needs_still_waits_for_the_step_before_it() {
    let sim = sim(vec![
        plan(PLAN_A, Duration::from_millis(300)),
        plan(PLAN_B, Duration::ZERO),
        plan(PLAN_C, Duration::ZERO),
    ]);
    // Step 2 has no `needs`: it follows step 1. Step 3 is free and runs beside step 1.
    let steps = format!(
        "  - {{ id: a, failover: {{ plan_id: {PLAN_A} }} }}\n  - failover: {{ plan_id: {PLAN_B} }}\n  - {{ needs: [], failover: {{ plan_id: {PLAN_C} }} }}\n"
    );
    let (t, out) = run_live(&sim, &steps, &[]);
    out.assert_code(0);
    let report = t.report();
    let s = steps_of(&report);
    assert!(at(&s[0], "finished_at") <= at(&s[1], "started_at"));
    assert!(at(&s[2], "started_at") < at(&s[0], "finished_at"));
    assert_eq!(s[1]["needs"], serde_json::json!([1]));
}

#[test]
fn continue_runs_the_independent_branch_and_not_what_needs_the_failed_step() {
    let sim = sim(vec![
        plan_with(PLAN_A, Duration::ZERO, SimOutcome::Errors),
        plan(PLAN_B, Duration::from_millis(100)),
        plan(PLAN_C, Duration::ZERO),
        plan(PLAN_D, Duration::ZERO),
        plan(PLAN_E, Duration::ZERO),
    ]);
    let steps = format!(
        "  - {{ id: db, needs: [], name: DB tier, on_failure: continue, failover: {{ plan_id: {PLAN_A} }} }}\n  - {{ id: other, needs: [], failover: {{ plan_id: {PLAN_B} }} }}\n  - {{ id: app, needs: [db, other], failover: {{ plan_id: {PLAN_C} }} }}\n  - {{ needs: [app], failover: {{ plan_id: {PLAN_D} }} }}\n  - {{ needs: [other], failover: {{ plan_id: {PLAN_E} }} }}\n"
    );
    let (t, out) = run_live(&sim, &steps, &[]);
    out.assert_code(1);
    assert_eq!(sim.failover_count(PLAN_B), 1);
    assert_eq!(sim.failover_count(PLAN_C), 0);
    assert_eq!(sim.failover_count(PLAN_D), 0);
    assert_eq!(sim.failover_count(PLAN_E), 1);
    let report = t.report();
    assert_eq!(
        results(&report),
        ["failed", "succeeded", "skipped", "skipped", "succeeded"]
    );
    let s = steps_of(&report);
    assert_eq!(
        s[2]["error"],
        "not run: it needs step 1 \"DB tier\", which failed"
    );
    assert!(
        s[3]["error"]
            .as_str()
            .unwrap()
            .starts_with("not run: it needs step 3 "),
        "{}",
        s[3]["error"]
    );
    assert_eq!(report["result"], "failed");
}

#[test]
fn abort_starts_nothing_new_and_waits_for_the_branches_that_run() {
    let sim = sim(vec![
        plan_with(PLAN_A, Duration::from_millis(50), SimOutcome::Errors),
        plan(PLAN_B, Duration::from_millis(600)),
        plan(PLAN_C, Duration::ZERO),
        plan(PLAN_D, Duration::ZERO),
    ]);
    let steps = [
        failover(Some("a"), Some(&[]), PLAN_A),
        failover(Some("b"), Some(&[]), PLAN_B),
        failover(None, Some(&["b"]), PLAN_C),
        failover(None, Some(&["a"]), PLAN_D),
    ]
    .concat();
    let (t, out) = run_live(&sim, &steps, &[]);
    out.assert_code(1);
    // B was under way when A failed: it was waited for, and nothing new started.
    assert_eq!(sim.plan_state(PLAN_B).as_deref(), Some("Failover"));
    assert_eq!(sim.failover_count(PLAN_C), 0);
    assert_eq!(sim.failover_count(PLAN_D), 0);
    let report = t.report();
    assert_eq!(
        results(&report),
        ["failed", "succeeded", "skipped", "skipped"]
    );
    assert_eq!(
        steps_of(&report)[2]["error"],
        "not run: an earlier step failed"
    );
    assert!(report["error"].as_str().unwrap().contains("step 1"));
}

#[test]
fn rollback_waits_for_the_running_branches_then_undoes_every_failover_newest_first() {
    let sim = sim(vec![
        plan(PLAN_A, Duration::ZERO),
        plan_with(PLAN_B, Duration::from_millis(50), SimOutcome::Errors),
        plan(PLAN_C, Duration::from_millis(400)),
    ]);
    let steps = format!(
        "  - {{ id: a, needs: [], failover: {{ plan_id: {PLAN_A} }} }}\n  - {{ id: b, needs: [a], on_failure: rollback, failover: {{ plan_id: {PLAN_B} }} }}\n  - {{ id: c, needs: [a], failover: {{ plan_id: {PLAN_C} }} }}\n"
    );
    let (t, out) = run_live(&sim, &steps, &[]);
    out.assert_code(1);
    for id in [PLAN_A, PLAN_B, PLAN_C] {
        assert_eq!(sim.accepted_undos(id), 1, "plan {id} undone once");
    }
    let report = t.report();
    let s = steps_of(&report);
    assert_eq!(s.len(), 3 + 3);
    // C, the last to finish, is undone first; A, the first, last.
    let undone: Vec<&str> = s[3..]
        .iter()
        .map(|s| s["plan_id"].as_str().unwrap())
        .collect();
    assert_eq!(undone.first(), Some(&PLAN_C));
    assert_eq!(undone.last(), Some(&PLAN_A));
}

#[test]
fn max_concurrency_bounds_the_plan_steps_of_the_whole_run() {
    let slow = Duration::from_millis(150);
    let sim = sim(vec![
        plan(PLAN_A, slow),
        plan(PLAN_B, slow),
        plan(PLAN_C, slow),
    ]);
    let steps = [
        failover(None, Some(&[]), PLAN_A),
        failover(None, Some(&[]), PLAN_B),
        failover(None, Some(&[]), PLAN_C),
    ]
    .concat();
    let t = Drbook::new();
    t.runbook_text(runbook(&steps).replace("steps:\n", "max_concurrency: 1\nsteps:\n"));
    let out = t.live("run", &sim.base_url()).run();
    out.assert_code(0);
    let report = t.report();
    let s = steps_of(&report);
    for (a, b) in [(0, 1), (1, 2), (0, 2)] {
        let apart = at(&s[a], "finished_at") <= at(&s[b], "started_at")
            || at(&s[b], "finished_at") <= at(&s[a], "started_at");
        assert!(apart, "steps {a} and {b} overlapped");
    }
}

#[test]
fn a_run_killed_with_branches_under_way_is_resumed_without_resending_and_goes_on() {
    let slow = Duration::from_millis(1500);
    let sim = sim(vec![
        plan(PLAN_A, slow),
        plan(PLAN_B, slow),
        plan(PLAN_C, Duration::ZERO),
        plan(PLAN_D, Duration::ZERO),
    ]);
    let steps = [
        failover(Some("a"), Some(&[]), PLAN_A),
        failover(Some("b"), Some(&[]), PLAN_B),
        failover(None, Some(&["a"]), PLAN_C),
        failover(None, Some(&["b"]), PLAN_D),
    ]
    .concat();
    let (t, child) = spawn_live(&sim, "run", &steps);
    kill_when(child, || {
        sim.accepted_failovers(PLAN_A) == 1 && sim.accepted_failovers(PLAN_B) == 1
    });
    resume_run(&t).assert_code(0);
    for id in [PLAN_A, PLAN_B, PLAN_C, PLAN_D] {
        assert_eq!(sim.failover_count(id), 1, "plan {id} sent once");
    }
    let report = t.report();
    assert_eq!(report["result"], "succeeded");
    assert!(results(&report).iter().all(|r| r == "succeeded"));
}

#[test]
fn a_run_killed_after_a_failure_takes_up_only_the_branches_under_way() {
    let sim = sim(vec![
        plan_with(PLAN_A, Duration::ZERO, SimOutcome::Errors),
        plan(PLAN_B, Duration::from_millis(1500)),
        plan(PLAN_C, Duration::ZERO),
    ]);
    let steps = [
        failover(Some("a"), Some(&[]), PLAN_A),
        failover(Some("b"), Some(&[]), PLAN_B),
        failover(None, Some(&["b"]), PLAN_C),
    ]
    .concat();
    // B is waited for, not sent again; nothing new starts.
    let (t, out) = crash_after_a_failure_and_resume(&sim, &steps, PLAN_B);
    out.assert_code(1);
    assert_eq!(sim.failover_count(PLAN_C), 0);
    let report = t.report();
    assert_eq!(results(&report), ["failed", "succeeded", "skipped"]);
    assert!(report["error"].as_str().unwrap().contains("step 1"));
}

#[test]
fn validate_refuses_two_steps_on_one_plan_that_may_run_at_the_same_time() {
    let t = Drbook::new();
    let path = t.runbook(&format!(
        "  - {{ id: a, needs: [], failover: {{ plan_id: {PLAN_A} }} }}\n  - {{ needs: [], readiness_check: {{ plan_id: {PLAN_A} }} }}\n"
    ));
    let out = t.args(["validate", path.to_str().unwrap()]).run();
    out.assert_code(2);
    out.assert_stderr_contains(&format!(
        "plan {PLAN_A} is also used by step 1, and neither step waits for the other"
    ));
    out.assert_stderr_contains("steps[1].readiness_check.plan_id");
    // Ordered by `needs`, the same two are fine.
    let t = Drbook::new();
    let path = t.runbook(&format!(
        "  - {{ id: a, needs: [], failover: {{ plan_id: {PLAN_A} }} }}\n  - {{ needs: [a], readiness_check: {{ plan_id: {PLAN_A} }} }}\n"
    ));
    t.args(["validate", path.to_str().unwrap()])
        .run()
        .assert_code(0);
}

#[test]
fn validate_refuses_max_concurrency_zero_with_its_position() {
    let t = Drbook::new();
    let path = t.runbook_text(
        runbook("  - wait: 0s\n").replace("steps:\n", "max_concurrency: 0\nsteps:\n"),
    );
    let out = t.args(["validate", path.to_str().unwrap()]).run();
    out.assert_code(2);
    out.assert_stderr_contains("rb.yaml:7:18");
    out.assert_stderr_contains("max_concurrency: expected how many plan steps");
    out.assert_stderr_contains("1 to 1000");
}

#[test]
fn a_dry_run_says_when_each_step_would_start() {
    let t = Drbook::new();
    let path = t.runbook(&format!(
        "  - {{ id: db, needs: [], failover: {{ plan_id: {PLAN_A} }} }}\n  - {{ needs: [db], failover: {{ plan_id: {PLAN_B} }} }}\n  - wait: 1s\n"
    ));
    let out = t.args(["run", path.to_str().unwrap(), "--dry-run"]).run();
    out.assert_code(0);
    let text = format!("{}{}", out.stdout, out.stderr);
    for line in [
        "starts at once: it waits for no other step",
        "starts when step 1 (db) has succeeded",
        "starts when step 2 has finished",
    ] {
        assert!(text.contains(line), "{line:?} not in:\n{text}");
    }
    // Plans are read every poll interval unless the runbook opts into back-off.
    assert!(!text.contains("less often"), "{text}");
}

#[test]
fn the_reports_show_what_each_step_waited_for_and_the_html_timeline_draws_the_critical_path() {
    let sim = sim(vec![
        plan(PLAN_A, Duration::from_millis(300)),
        plan(PLAN_B, Duration::ZERO),
        plan(PLAN_C, Duration::ZERO),
    ]);
    let steps = [
        failover(Some("slow"), Some(&[]), PLAN_A),
        failover(Some("fast"), Some(&[]), PLAN_B),
        failover(None, Some(&["slow", "fast"]), PLAN_C),
    ]
    .concat();
    let (t, out) = run_live(&sim, &steps, &["--report-format", "json,md,html"]);
    out.assert_code(0);
    let texts = t.report_texts();
    assert!(texts.contains("after steps 1, 2: "), "{texts}");
    let html = std::fs::read_dir(t.reports_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "html"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .expect("an HTML report");
    // Two arrows into step 3; the one from the slow step is on the critical path.
    assert_eq!(html.matches("class=\"dep on-path\"").count(), 1, "{html}");
    assert_eq!(html.matches("class=\"dep\"").count(), 1, "{html}");
    // Steps 1 and 3 are marked as the critical path, step 2 is not.
    assert_eq!(html.matches("class=\"critical\"").count(), 2 + 1, "{html}");
    assert!(html.contains("critical path"));
}

#[test]
fn a_drill_with_needs_undoes_every_branch_and_skips_what_needed_a_failed_step() {
    let sim = sim(vec![
        plan(PLAN_A, Duration::from_millis(50)),
        plan_with(PLAN_B, Duration::ZERO, SimOutcome::Errors),
        plan(PLAN_C, Duration::ZERO),
        plan(PLAN_D, Duration::ZERO),
    ]);
    let steps = [
        failover(Some("a"), Some(&[]), PLAN_A),
        failover(Some("b"), Some(&[]), PLAN_B)
            .replace("{ id: b,", "{ id: b, on_failure: continue,"),
        failover(None, Some(&["a"]), PLAN_C),
        failover(None, Some(&["b"]), PLAN_D),
    ]
    .concat();
    let t = Drbook::new();
    t.runbook(&steps);
    t.live("drill", &sim.base_url()).run().assert_code(1);
    // What failed over is undone; D, which needed the failed B, never started.
    for id in [PLAN_A, PLAN_C] {
        assert_eq!(sim.accepted_undos(id), 1, "plan {id} undone once");
    }
    assert_eq!(sim.failover_count(PLAN_D), 0);
    let report = t.report();
    assert_eq!(
        &results(&report)[..4],
        ["succeeded", "failed", "succeeded", "skipped"]
    );
    assert_eq!(report["result"], "failed");
}

#[test]
fn a_step_without_needs_after_a_step_that_was_not_run_still_runs() {
    let sim = sim(vec![
        plan_with(PLAN_A, Duration::ZERO, SimOutcome::Errors),
        plan(PLAN_B, Duration::ZERO),
        plan(PLAN_C, Duration::ZERO),
    ]);
    // Step 2 needs the failed step 1 and is not run; step 3 only comes after step 2.
    let steps = [
        failover(Some("a"), Some(&[]), PLAN_A)
            .replace("{ id: a,", "{ id: a, on_failure: continue,"),
        failover(Some("b"), Some(&["a"]), PLAN_B),
        failover(None, None, PLAN_C),
    ]
    .concat();
    let (t, out) = run_live(&sim, &steps, &[]);
    out.assert_code(1);
    assert_eq!(sim.failover_count(PLAN_B), 0);
    assert_eq!(sim.accepted_failovers(PLAN_C), 1);
    assert_eq!(results(&t.report()), ["failed", "skipped", "succeeded"]);
}

#[test]
fn a_resume_applies_the_failure_that_happened_first_not_the_lowest_numbered() {
    // Step 1 (abort) fails first; step 2 (rollback) fails later while step 3 runs; then a
    // crash. The run had aborted: its resume must not roll back.
    let sim = sim(vec![
        plan_with(PLAN_A, Duration::ZERO, SimOutcome::Errors),
        plan_with(PLAN_B, Duration::from_millis(300), SimOutcome::Errors),
        plan(PLAN_C, Duration::from_millis(3000)),
    ]);
    let steps = [
        failover(Some("a"), Some(&[]), PLAN_A),
        failover(Some("b"), Some(&[]), PLAN_B)
            .replace("{ id: b,", "{ id: b, on_failure: rollback,"),
        failover(Some("c"), Some(&[]), PLAN_C),
    ]
    .concat();
    let (t, child) = spawn_live(&sim, "run", &steps);
    kill_when(child, || {
        sim.accepted_failovers(PLAN_C) == 1
            && t.report_texts().matches("\"result\": \"failed\"").count() >= 2
    });
    resume_run(&t).assert_code(1);
    for id in [PLAN_A, PLAN_B, PLAN_C] {
        assert_eq!(
            sim.accepted_undos(id),
            0,
            "plan {id}: the run aborted, nothing is undone"
        );
    }
    assert_eq!(sim.failover_count(PLAN_C), 1);
}

#[test]
fn a_rollback_cut_short_by_a_crash_goes_on_even_if_a_lower_step_failed_later() {
    // Step 3 (rollback) fails first; step 2 (abort) fails later; the rollback starts and
    // the process dies: the resume finishes the rollback.
    let undo = Some(Duration::from_millis(2000));
    let mut a = plan(PLAN_A, Duration::ZERO);
    a.undo_duration = undo;
    let mut b = plan_with(PLAN_B, Duration::from_millis(600), SimOutcome::Errors);
    b.undo_duration = undo;
    let mut c = plan_with(PLAN_C, Duration::ZERO, SimOutcome::Errors);
    c.undo_duration = undo;
    let sim = sim(vec![a, b, c]);
    let steps = [
        failover(Some("a"), Some(&[]), PLAN_A),
        failover(Some("b"), Some(&[]), PLAN_B),
        failover(Some("c"), Some(&["a"]), PLAN_C)
            .replace("{ id: c,", "{ id: c, on_failure: rollback,"),
    ]
    .concat();
    let (t, child) = spawn_live(&sim, "run", &steps);
    kill_when(child, || {
        [PLAN_A, PLAN_B, PLAN_C]
            .iter()
            .map(|id| sim.accepted_undos(id))
            .sum::<usize>()
            >= 1
    });
    resume_run(&t).assert_code(1);
    for id in [PLAN_A, PLAN_B, PLAN_C] {
        assert_eq!(sim.accepted_undos(id), 1, "plan {id} undone once");
    }
}
