//! Failure policies (`on_failure`) and what an interrupt does to running plans.

use crate::support::*;
use drbook::sim::{SimOutcome, SimPlan};

use std::time::Duration;

fn halting(id: &str) -> SimPlan {
    plan_with(id, Duration::from_millis(100), SimOutcome::Halt)
}

#[test]
fn continue_records_the_failure_and_goes_on() {
    let sim = sim(vec![halting(PLAN_A), plan(PLAN_B, Duration::ZERO)]);
    let steps = format!(
        "  - on_failure: continue\n    failover: {{ plan_id: {PLAN_A} }}\n{}",
        one_failover(PLAN_B)
    );
    let (t, out) = run_live(&sim, &steps, &[]);
    out.assert_code(1);
    assert_eq!(sim.accepted_failovers(PLAN_B), 1, "the next step ran");
    let report = t.report();
    assert_eq!(report["result"], "failed");
    assert_eq!(report["steps"][0]["result"], "failed");
    assert_eq!(report["steps"][1]["result"], "succeeded");
}

#[test]
fn rollback_undoes_every_accepted_failover_newest_first() {
    let sim = sim(vec![
        plan(PLAN_A, Duration::from_millis(50)),
        plan(PLAN_B, Duration::from_millis(50)),
        halting(PLAN_C),
    ]);
    let steps = format!(
        "{}{}  - failover: {{ plan_id: {PLAN_C} }}\n    on_failure: rollback\n  - wait: 1h\n",
        one_failover(PLAN_A),
        one_failover(PLAN_B)
    );
    let (t, out) = run_live(&sim, &steps, &[]);
    out.assert_code(1);
    // C halted (undo is allowed from HALTED), then B, then A.
    let undos: Vec<String> = sim
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/Undo"))
        .map(|r| r.path.split('/').nth(4).unwrap().to_owned())
        .collect();
    assert_eq!(undos, vec![PLAN_C, PLAN_B, PLAN_A]);
    for id in [PLAN_A, PLAN_B, PLAN_C] {
        assert_eq!(sim.accepted_undos(id), 1);
        assert_eq!(sim.plan_state(id).as_deref(), Some("UndoFailover"));
    }
    let report = t.report();
    let steps = report["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 4 + 3, "the undos are steps of their own");
    assert_eq!(steps[3]["result"], "skipped");
    for undo in &steps[4..] {
        assert_eq!(undo["kind"], "undo");
        assert_eq!(undo["result"], "succeeded");
    }
    assert!(
        report["error"]
            .as_str()
            .unwrap()
            .contains("rolled back: undid 3 failover(s)")
    );
}

#[test]
fn a_runbook_wide_rollback_whose_undo_fails_names_the_plans_left_failed_over() {
    use drbook::sim::{Fault, FaultEndpoint, FaultKind};
    let sim = faulty_sim(
        vec![plan(PLAN_A, Duration::ZERO), halting(PLAN_B)],
        vec![Fault::new(FaultEndpoint::Undo, FaultKind::Status(500)).for_plan(PLAN_A)],
    );
    let steps = format!("{}{}", one_failover(PLAN_A), one_failover(PLAN_B));
    let text = runbook(&steps).replace("steps:\n", "on_failure: rollback\nsteps:\n");
    let t = Drbook::new();
    t.runbook_text(text);
    let out = t.live("run", &sim.base_url()).run();
    out.assert_code(1);
    assert_eq!(sim.accepted_undos(PLAN_B), 1);
    assert_eq!(sim.accepted_undos(PLAN_A), 0);
    assert_eq!(
        sim.undo_count(PLAN_A),
        0,
        "a 500 before acting: the plan never saw it"
    );
    let error = t.report()["error"].as_str().unwrap().to_owned();
    assert!(
        error.contains(&format!(
            "the rollback FAILED for plan(s) {PLAN_A}: they are still failed over"
        )),
        "{error}"
    );
}

#[test]
fn an_interrupt_leaves_running_plans_alone_unless_asked_to_halt_them() {
    for halt in [false, true] {
        let sim = sim(vec![plan(PLAN_A, Duration::from_secs(30))]);
        let t = live(&sim.base_url(), &one_failover(PLAN_A));
        if halt {
            t.args(["--halt-on-interrupt"]);
        }
        let child = t.spawn();
        assert!(eventually(Duration::from_secs(10), || {
            sim.accepted_failovers(PLAN_A) == 1
                && sim
                    .requests()
                    .iter()
                    .any(|r| r.path.contains("RuntimeDetails"))
        }));
        signal(&child, "-INT");
        let output = child.wait_with_output().unwrap();
        assert_eq!(output.status.code(), Some(130));
        let report = t.report();
        let error = report["error"].as_str().unwrap().to_owned();
        let halts = sim
            .requests()
            .iter()
            .filter(|r| r.path.ends_with("/Halt"))
            .count();
        if halt {
            assert_eq!(halts, 1);
            assert!(error.contains("was halted"), "{error}");
            assert_eq!(sim.plan_state(PLAN_A).as_deref(), Some("Halted"));
        } else {
            assert_eq!(halts, 0);
            assert!(error.contains("left running in VAO"), "{error}");
        }
    }
}

#[test]
fn an_interrupted_run_is_resumed_without_resending_its_failover() {
    let sim = sim(vec![
        plan(PLAN_A, Duration::from_millis(1500)),
        plan(PLAN_B, Duration::ZERO),
    ]);
    let t = live(
        &sim.base_url(),
        &format!("{}{}", one_failover(PLAN_A), one_failover(PLAN_B)),
    );
    let child = t.spawn();
    assert!(eventually(Duration::from_secs(10), || sim
        .accepted_failovers(PLAN_A)
        == 1));
    signal(&child, "-INT");
    assert_eq!(child.wait_with_output().unwrap().status.code(), Some(130));
    let run_id = t.report()["run_id"].as_str().unwrap().to_owned();

    let out = resume_run(&t);
    out.assert_code(0);
    assert!(
        out.stderr
            .contains("the failover was accepted; waiting for it"),
        "{}",
        out.stderr
    );
    assert_eq!(sim.failover_count(PLAN_A), 1);
    assert_eq!(sim.accepted_failovers(PLAN_B), 1);
    let report = t.report();
    assert_eq!(report["run_id"], run_id.as_str());
    assert_eq!(report["result"], "succeeded");
    assert_eq!(report["summary"]["succeeded"], 2);

    // Finished runs are not resumed again.
    let out = resume_run(&t);
    out.assert_code(2);
    assert!(out.stderr.contains("already finished"), "{}", out.stderr);
}

#[test]
fn an_interrupt_during_the_state_guard_sends_nothing() {
    use drbook::sim::{Fault, FaultEndpoint, FaultKind};
    let sim = faulty_sim(
        vec![plan(PLAN_A, Duration::ZERO)],
        vec![Fault::new(
            FaultEndpoint::Plan,
            FaultKind::Latency(Duration::from_secs(2)),
        )],
    );
    let t = live(&sim.base_url(), &one_failover(PLAN_A));
    let child = t.spawn();
    assert!(eventually(Duration::from_secs(10), || {
        sim.requests()
            .iter()
            .any(|r| r.path == format!("/api/v3/Plans/{PLAN_A}"))
    }));
    signal(&child, "-INT");
    assert_eq!(child.wait_with_output().unwrap().status.code(), Some(130));
    // drbook has ended, so nothing more can come from it; the journal, written before each
    // request, shows it never meant to send one either.
    t.await_event(|e| e["event"] == "run_finished" && e["result"] == "interrupted");
    let journal = t.report_texts();
    assert!(!journal.contains("/Failover"), "{journal}");
    assert_eq!(
        sim.failover_count(PLAN_A),
        0,
        "a failover was sent after the interrupt"
    );
}

#[test]
fn a_run_killed_during_its_rollback_is_resumed_and_the_rollback_finishes() {
    let mut slow_undo = plan(PLAN_A, Duration::ZERO);
    slow_undo.undo_duration = Some(Duration::from_millis(1500));
    let sim = sim(vec![slow_undo, halting(PLAN_B)]);
    let steps = format!(
        "{}  - failover: {{ plan_id: {PLAN_B} }}\n    on_failure: rollback\n",
        one_failover(PLAN_A)
    );
    let t = live(&sim.base_url(), &steps);
    let mut child = t.spawn();
    // Kill it while the undo of A (the second undo: B first, newest first) runs.
    assert!(eventually(Duration::from_secs(15), || sim
        .accepted_undos(PLAN_A)
        == 1));
    child.kill().unwrap();
    child.wait().unwrap();
    let out = resume_run(&t);
    out.assert_code(1);
    assert_eq!(
        sim.accepted_undos(PLAN_A),
        1,
        "the undo under way was not sent again"
    );
    assert_eq!(sim.accepted_undos(PLAN_B), 1);
    assert_eq!(sim.plan_state(PLAN_A).as_deref(), Some("UndoFailover"));
    let report = t.report();
    assert_eq!(report["result"], "failed");
    assert!(
        report["error"].as_str().unwrap().contains("rolled back"),
        "{report:#}"
    );
}

#[test]
fn with_force_a_plan_that_was_never_ready_is_not_taken_for_failed_over() {
    use drbook::sim::{Fault, FaultEndpoint, FaultKind};
    let mut halted = plan(PLAN_A, Duration::ZERO);
    halted.state = "Halted".to_owned();
    let sim = faulty_sim(
        vec![halted],
        vec![Fault::new(FaultEndpoint::Failover, FaultKind::Status(503))],
    );
    let steps = format!("  - failover: {{ plan_id: {PLAN_A} }}\n    on_failure: rollback\n");
    let (t, out) = run_live(&sim, &steps, &["--force"]);
    out.assert_code(1);
    // The 503 left the plan Halted, as it was: not accepted, so nothing to roll back.
    assert!(
        sim.requests().iter().all(|r| !r.path.ends_with("/Undo")),
        "{}",
        out.stderr
    );
    let report = t.report();
    assert_eq!(report["steps"][0]["reconciliations"][0]["accepted"], false);
    assert!(
        report["error"]
            .as_str()
            .unwrap()
            .contains("nothing (more) to roll back")
    );
}
