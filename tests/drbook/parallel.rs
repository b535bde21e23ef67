//! Parallel groups: independent steps that run at the same time.

use crate::support::*;
use drbook::sim::SimOutcome;
use std::time::Duration;

const PLAN_D: &str = "4a3b2c1d-0e9f-4a8b-8c7d-6e5f4a3b2c1d";

fn group(policy: &str, max: usize, plans: &[&str]) -> String {
    let mut steps = format!(
        "  - name: Tier 2\n    on_failure: {policy}\n    parallel:\n      max_concurrency: {max}\n      steps:\n"
    );
    for plan in plans {
        steps.push_str(&format!("        - failover: {{ plan_id: {plan} }}\n"));
    }
    steps
}

fn at(step: &serde_json::Value, key: &str) -> chrono::DateTime<chrono::Utc> {
    step[key].as_str().unwrap().parse().unwrap()
}

/// Whether the two steps' runs overlapped in time.
fn overlap(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    at(a, "started_at") < at(b, "finished_at") && at(b, "started_at") < at(a, "finished_at")
}

#[test]
fn a_group_runs_its_steps_at_the_same_time_and_completes_when_all_have() {
    let slow = Duration::from_millis(400);
    let sim = sim(vec![
        plan(PLAN_A, slow),
        plan(PLAN_B, slow),
        plan(PLAN_C, slow),
        plan(PLAN_D, Duration::ZERO),
    ]);
    let steps = format!(
        "{}{}",
        group("abort", 3, &[PLAN_A, PLAN_B, PLAN_C]),
        one_failover(PLAN_D)
    );
    let (t, out) = run_live(&sim, &steps, &[]);
    out.assert_code(0);
    for id in [PLAN_A, PLAN_B, PLAN_C, PLAN_D] {
        assert_eq!(sim.failover_count(id), 1);
    }
    let report = t.report();
    let steps = report["steps"].as_array().unwrap();
    assert!(overlap(&steps[0], &steps[1]) && overlap(&steps[1], &steps[2]));
    for step in &steps[..3] {
        assert_eq!(step["group"], "Tier 2");
        assert_eq!(step["result"], "succeeded");
        // The step after the group starts when every step of it has finished.
        assert!(at(step, "finished_at") <= at(&steps[3], "started_at"));
    }
    assert_eq!(steps[3]["group"], serde_json::Value::Null);
    // While they overlap, progress lines name their step.
    assert!(out.stderr.contains("  [2] "), "{}", out.stderr);
}

#[test]
fn max_concurrency_bounds_how_many_steps_run_at_once() {
    let slow = Duration::from_millis(150);
    let sim = sim(vec![
        plan(PLAN_A, slow),
        plan(PLAN_B, slow),
        plan(PLAN_C, slow),
    ]);
    let (t, out) = run_live(&sim, &group("abort", 1, &[PLAN_A, PLAN_B, PLAN_C]), &[]);
    out.assert_code(0);
    let report = t.report();
    let steps = report["steps"].as_array().unwrap();
    for (a, b) in [(0, 1), (1, 2), (0, 2)] {
        assert!(
            !overlap(&steps[a], &steps[b]),
            "steps {a} and {b} overlapped"
        );
    }
}

#[test]
fn abort_starts_no_new_step_of_the_group_and_waits_for_the_running_ones() {
    let sim = sim(vec![
        plan_with(PLAN_A, Duration::from_millis(50), SimOutcome::Halt),
        plan(PLAN_B, Duration::from_millis(300)),
        plan(PLAN_C, Duration::ZERO),
        plan(PLAN_D, Duration::ZERO),
    ]);
    // A and B start together; A halts while B runs; C (waiting for a slot) never starts.
    let steps = format!(
        "{}{}",
        group("abort", 2, &[PLAN_A, PLAN_B, PLAN_C]),
        one_failover(PLAN_D)
    );
    let (t, out) = run_live(&sim, &steps, &[]);
    out.assert_code(1);
    assert_eq!(sim.failover_count(PLAN_C), 0);
    assert_eq!(sim.failover_count(PLAN_D), 0);
    let report = t.report();
    let results: Vec<&str> = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["result"].as_str().unwrap())
        .collect();
    assert_eq!(results, ["failed", "succeeded", "skipped", "skipped"]);
    assert!(
        report["steps"][2]["error"]
            .as_str()
            .unwrap()
            .contains("another step of its parallel group failed")
    );
    assert!(
        report["error"]
            .as_str()
            .unwrap()
            .contains("in parallel group \"Tier 2\"")
    );
}

#[test]
fn rollback_undoes_what_the_group_did() {
    let sim = sim(vec![
        plan(PLAN_A, Duration::from_millis(50)),
        plan_with(PLAN_B, Duration::from_millis(50), SimOutcome::Errors),
        plan(PLAN_C, Duration::from_millis(50)),
    ]);
    let (t, out) = run_live(&sim, &group("rollback", 3, &[PLAN_A, PLAN_B, PLAN_C]), &[]);
    out.assert_code(1);
    for id in [PLAN_A, PLAN_B, PLAN_C] {
        assert_eq!(sim.accepted_undos(id), 1, "plan {id} undone once");
        assert_eq!(sim.plan_state(id).as_deref(), Some("UndoFailover"));
    }
    let report = t.report();
    assert_eq!(report["steps"].as_array().unwrap().len(), 3 + 3);
}

#[test]
fn continue_records_the_group_failure_and_goes_on() {
    let sim = sim(vec![
        plan_with(PLAN_A, Duration::ZERO, SimOutcome::Halt),
        plan(PLAN_B, Duration::ZERO),
        plan(PLAN_C, Duration::ZERO),
    ]);
    let steps = format!(
        "{}{}",
        group("continue", 2, &[PLAN_A, PLAN_B]),
        one_failover(PLAN_C)
    );
    let (_, out) = run_live(&sim, &steps, &[]);
    out.assert_code(1);
    assert_eq!(sim.accepted_failovers(PLAN_B), 1);
    assert_eq!(sim.accepted_failovers(PLAN_C), 1);
}

#[test]
fn a_run_killed_inside_a_group_is_resumed_without_resending_any_failover() {
    let slow = Duration::from_millis(1500);
    let sim = sim(vec![
        plan(PLAN_A, slow),
        plan(PLAN_B, slow),
        plan(PLAN_C, Duration::ZERO),
    ]);
    let (t, child) = spawn_live(
        &sim,
        "run",
        &format!(
            "{}{}",
            group("abort", 2, &[PLAN_A, PLAN_B]),
            one_failover(PLAN_C)
        ),
    );
    kill_when(child, || {
        sim.accepted_failovers(PLAN_A) == 1 && sim.accepted_failovers(PLAN_B) == 1
    });
    resume_run(&t).assert_code(0);
    for id in [PLAN_A, PLAN_B, PLAN_C] {
        assert_eq!(sim.failover_count(id), 1, "plan {id} sent once");
    }
    assert_eq!(t.report()["result"], "succeeded");
}

#[test]
fn a_drill_cleans_up_what_a_group_failed_over() {
    let sim = sim(vec![
        plan(PLAN_A, Duration::from_millis(50)),
        plan(PLAN_B, Duration::from_millis(50)),
    ]);
    let t = Drbook::new();
    t.runbook(&group("abort", 2, &[PLAN_A, PLAN_B]));
    t.live("drill", &sim.base_url()).run().assert_code(0);
    for id in [PLAN_A, PLAN_B] {
        assert_eq!(sim.accepted_undos(id), 1);
    }
    assert_eq!(t.report()["drill"]["cleanup"], "clean");
}

#[test]
fn an_interrupt_while_group_steps_wait_for_a_slot_interrupts_the_run() {
    use drbook::sim::{Fault, FaultEndpoint, FaultKind};
    // A's failover is slow to answer; the interrupt arrives while it is on the wire, so A
    // still succeeds (its answer is awaited), and B, waiting for the one slot, never starts.
    let mut slow = Fault::new(
        FaultEndpoint::Failover,
        FaultKind::Latency(Duration::from_millis(1500)),
    );
    slow.plan = Some(PLAN_A.to_owned());
    let sim = faulty_sim(
        vec![plan(PLAN_A, Duration::ZERO), plan(PLAN_B, Duration::ZERO)],
        vec![slow],
    );
    let steps = format!(
        "  - parallel:\n      max_concurrency: 1\n      steps:\n        - failover: {{ plan_id: {PLAN_A}, wait_for_completion: false }}\n        - failover: {{ plan_id: {PLAN_B}, wait_for_completion: false }}\n"
    );
    let (t, child) = spawn_live(&sim, "run", &steps);
    assert!(eventually(Duration::from_secs(10), || {
        failovers(&sim).iter().any(|(id, _)| id == PLAN_A)
    }));
    signal(&child, "-INT");
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130));
    assert_eq!(sim.failover_count(PLAN_B), 0);
    let report = t.report();
    assert_eq!(report["result"], "interrupted");
    assert_eq!(report["steps"][0]["result"], "succeeded");
    assert_eq!(report["steps"][1]["result"], "skipped");
}

#[test]
fn a_rollback_reads_and_undoes_a_failover_whose_answer_was_lost() {
    use drbook::sim::{Fault, FaultEndpoint, FaultKind};
    let mut lost = Fault::new(FaultEndpoint::Failover, FaultKind::DropAfterAction);
    lost.plan = Some(PLAN_B.to_owned());
    // The guard's read passes; the four reads after the lost answer fail.
    let mut unreadable = Fault::new(FaultEndpoint::Plan, FaultKind::Status(503));
    unreadable.plan = Some(PLAN_B.to_owned());
    unreadable.after = 1;
    unreadable.count = 4;
    let sim = faulty_sim(
        vec![
            plan(PLAN_A, Duration::from_millis(50)),
            plan(PLAN_B, Duration::from_millis(50)),
        ],
        vec![lost, unreadable],
    );
    let (t, out) = run_live(&sim, &group("rollback", 2, &[PLAN_A, PLAN_B]), &[]);
    out.assert_code(1);
    assert_eq!(sim.failover_count(PLAN_B), 1, "never sent twice");
    for id in [PLAN_A, PLAN_B] {
        assert_eq!(sim.accepted_undos(id), 1, "plan {id} undone once");
        assert_eq!(sim.plan_state(id).as_deref(), Some("UndoFailover"));
    }
    assert!(
        t.report()["error"]
            .as_str()
            .unwrap()
            .contains("rolled back")
    );
}

#[test]
fn a_run_killed_after_a_group_step_failed_is_resumed_for_the_steps_still_under_way() {
    let sim = sim(vec![
        plan_with(PLAN_A, Duration::ZERO, SimOutcome::Halt),
        plan(PLAN_B, Duration::from_millis(1500)),
        plan(PLAN_C, Duration::ZERO),
        plan(PLAN_D, Duration::ZERO),
    ]);
    let steps = format!(
        "{}{}",
        group("abort", 2, &[PLAN_A, PLAN_B, PLAN_C]),
        one_failover(PLAN_D)
    );
    // B is waited for, not sent again; nothing new starts.
    let (t, out) = crash_after_a_failure_and_resume(&sim, &steps, PLAN_B);
    out.assert_code(1);
    assert_eq!(sim.failover_count(PLAN_C), 0);
    assert_eq!(sim.failover_count(PLAN_D), 0);
    let report = t.report();
    assert_eq!(report["result"], "failed");
    assert_eq!(report["steps"][1]["result"], "succeeded");
    assert!(report["error"].as_str().unwrap().contains("step 1"));
}
