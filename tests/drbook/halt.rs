//! A plan that halts: continued with VAO's Continue per `on_halt`, at most once per try, also
//! across a lost answer and SIGKILL; without `on_halt` (or after its tries) the step fails,
//! saying what can be done next.

use crate::support::*;
use drbook::sim::{Fault, FaultEndpoint, FaultKind, SimApi, SimPlan};
use std::time::Duration;

const Z: Duration = Duration::ZERO;

/// Plan `id`, failing over in `duration`, halting `times` times (the failover and the
/// first `times - 1` retries).
fn halting(id: &str, duration: Duration, times: usize) -> SimPlan {
    plan(id, duration).halting(times)
}

fn on_halt(plan: &str, option: &str, times: u32) -> String {
    format!(
        "  - name: Fail over {plan}\n    failover:\n      plan_id: {plan}\n      on_halt: {{ continue: {option}, times: {times} }}\n"
    )
}

/// The Continue requests the simulator received for `plan`, as their options.
fn continues_sent(sim: &drbook::sim::Simulator, plan: &str) -> Vec<String> {
    sim.requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with(&format!("{plan}/Continue")))
        .map(|r| {
            let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
            body["executionContinueOptions"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[test]
fn a_halted_plan_is_continued_per_on_halt_and_each_continue_is_an_attempt_in_the_report() {
    let sim = sim(vec![halting(PLAN_A, Z, 2), halting(PLAN_B, Z, 1)]);
    let steps = format!(
        "{}{}",
        on_halt(PLAN_A, "RetryFailedStep", 2),
        on_halt(PLAN_B, "ProceedToNextVm", 1)
    );
    let (t, out) = run_live(&sim, &steps, &["--report-format", "json,md,html"]);
    out.assert_code(0);
    out.assert_stderr_contains("→ continuing it with RetryFailedStep (on_halt, 2 of 2)");
    assert_eq!(continues_sent(&sim, PLAN_A), ["RetryFailedStep"; 2]);
    assert_eq!(continues_sent(&sim, PLAN_B), ["ProceedToNextVm"]);
    assert_eq!(
        (sim.failover_count(PLAN_A), sim.failover_count(PLAN_B)),
        (1, 1)
    );
    let report = t.report();
    let a = &report["steps"][0];
    assert_eq!(a["result"], "succeeded");
    let attempts = a["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 3, "{a:#}");
    assert!(attempts[0].get("continue_option").is_none());
    for (i, attempt) in attempts[1..].iter().enumerate() {
        assert_eq!(attempt["attempt"], i + 1);
        assert_eq!(attempt["continue_option"], "RetryFailedStep");
        assert_eq!(attempt["status"], 200);
        assert_eq!(attempt["halted"]["by"], "on_halt");
        assert_eq!(
            attempt["halted"]["state"],
            "Halted (Halted with errors) 50%"
        );
    }
    // The step's own request and answer stay the failover's.
    assert!(
        a["request"]["path"]
            .as_str()
            .unwrap()
            .ends_with("/Failover")
    );
    // A proceed completes with warnings, which is a success.
    assert_eq!(report["steps"][1]["result"], "succeeded_with_warnings");
    for ext in ["md", "html"] {
        let path = std::fs::read_dir(t.dir().join("reports"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == ext))
            .unwrap();
        let text = std::fs::read_to_string(path).unwrap();
        for needle in [
            "Continue (RetryFailedStep) 1",
            "Continue (RetryFailedStep) 2",
            "halted: Halted (Halted with errors) 50%",
        ] {
            assert!(text.contains(needle), "{ext}: {needle}");
        }
    }
    let html = t.report_texts();
    assert!(
        html.contains(r#"class="halted""#),
        "the timeline marks each halt"
    );
}

#[test]
fn without_on_halt_a_halt_fails_the_step_and_says_what_can_be_done_next() {
    let sim = sim(vec![halting(PLAN_A, Z, 1), plan(PLAN_B, Z)]);
    let steps = format!("{}{}", one_failover(PLAN_A), one_failover(PLAN_B));
    let (t, out) = run_live(&sim, &steps, &[]);
    out.assert_code(1);
    assert_eq!(sim.continue_count(PLAN_A), 0);
    assert_eq!(sim.failover_count(PLAN_B), 0);
    let report = t.report();
    let run = report["run_id"].as_str().unwrap();
    let error = report["steps"][0]["error"].as_str().unwrap();
    assert!(
        error.starts_with(&format!(
            "plan {PLAN_A} halted: Halted (Halted with errors) 50%. What now:"
        )),
        "{error}"
    );
    for next in [
        format!("`drbook resume {run} --retry --continue OPTION`"),
        "ProceedToNextVm, ProceedToNextGroup, ProceedToNextStep, RetryFailedStep, RetryFailedVm, RetryFailedGroup".to_owned(),
        "`on_halt: { continue: OPTION }`".to_owned(),
        format!("`drbook resume {run} --retry`"),
        format!("`drbook resume {run} --skip 1 --reason TEXT`"),
        "`undo_failover`".to_owned(),
    ] {
        assert!(error.contains(&next), "{next} missing from: {error}");
    }
    out.assert_stderr_contains("--skip 1 --reason TEXT");
}

#[test]
fn after_its_times_a_halt_fails_the_step() {
    let sim = sim(vec![halting(PLAN_A, Z, 3)]);
    let (t, out) = run_live(&sim, &on_halt(PLAN_A, "RetryFailedVm", 2), &[]);
    out.assert_code(1);
    assert_eq!(continues_sent(&sim, PLAN_A), ["RetryFailedVm"; 2]);
    assert_eq!(sim.plan_state(PLAN_A).as_deref(), Some("Halted"));
    let error = t.report()["steps"][0]["error"].as_str().unwrap().to_owned();
    assert!(
        error.contains("halted again after 2 Continue(s) with RetryFailedVm (on_halt allows 2)"),
        "{error}"
    );
}

/// `on_halt` without `times` sends its Continue once: a plan that halts again fails the step.
#[test]
fn on_halt_continues_once_unless_it_says_how_often() {
    let sim = sim(vec![halting(PLAN_A, Z, 2)]);
    let steps = format!(
        "  - failover:\n      plan_id: {PLAN_A}\n      on_halt: {{ continue: RetryFailedStep }}\n"
    );
    let (t, out) = run_live(&sim, &steps, &[]);
    out.assert_code(1);
    assert_eq!(continues_sent(&sim, PLAN_A), ["RetryFailedStep"]);
    let error = t.report()["steps"][0]["error"].as_str().unwrap().to_owned();
    assert!(error.contains("(on_halt allows 1)"), "{error}");
}

#[test]
fn a_continue_whose_answer_is_lost_is_never_sent_again() {
    let drop = Fault::new(FaultEndpoint::Continue, FaultKind::DropAfterAction);
    let sim = faulty_sim(vec![halting(PLAN_A, Z, 1)], vec![drop]);
    let (t, out) = run_live(&sim, &on_halt(PLAN_A, "RetryFailedStep", 3), &[]);
    out.assert_code(0);
    out.assert_stderr_contains("no longer halted: the Continue was accepted");
    assert_eq!(
        (sim.continue_count(PLAN_A), sim.accepted_continues(PLAN_A)),
        (1, 1)
    );
    let step = &t.report()["steps"][0];
    assert_eq!(step["reconciliations"][0]["accepted"], true);
    assert!(step["attempts"][1]["error"].is_string(), "{step:#}");
}

#[test]
fn a_plan_halted_by_a_fault_is_continued_on_defaults_on_halt() {
    let halt = Fault::new(FaultEndpoint::Failover, FaultKind::Halt).for_plan(PLAN_A);
    let sim = faulty_sim(vec![plan(PLAN_A, Z)], vec![halt]);
    let steps = format!(
        "version: 1\nname: t\ndefaults:\n  poll_interval: 50ms\n  on_halt: {{ continue: RetryFailedGroup }}\nsteps:\n{}",
        one_failover(PLAN_A)
    );
    let t = Drbook::new();
    t.runbook_text(steps);
    t.live("run", &sim.base_url());
    let out = t.run();
    out.assert_code(0);
    assert_eq!(continues_sent(&sim, PLAN_A), ["RetryFailedGroup"]);
}

#[test]
fn an_unknown_option_and_times_zero_are_refused_before_anything_is_sent() {
    let sim = sim(vec![plan(PLAN_A, Z), plan(PLAN_B, Z)]);
    let steps = format!(
        "{}{}",
        on_halt(PLAN_A, "RetryFailedStpe", 1),
        on_halt(PLAN_B, "ProceedToNextVm", 0)
    );
    let (_t, out) = run_live(&sim, &steps, &[]);
    out.assert_code(2);
    out.assert_stderr_contains("steps[0].failover.on_halt.continue: expected what VAO does with the halted plan")
        .assert_stderr_contains("did you mean `RetryFailedStep`?")
        .assert_stderr_contains(
            "steps[1].failover.on_halt.times: expected how many times drbook sends the Continue for this step (1 to 20; default 1), or a template, got 0",
        );
    assert!(sim.requests().is_empty(), "nothing may be sent");
}

#[test]
fn the_simulate_mode_halts_a_plan_with_sim_halt() {
    let simulate = |extra: &[&str]| {
        let t2 = Drbook::new();
        let rb = t2.runbook(&on_halt(PLAN_A, "RetryFailedStep", 2));
        t2.args([
            "run",
            rb.to_str().unwrap(),
            "--simulate",
            "--sim-failover-time",
            "10ms",
        ]);
        t2.args(extra.iter().copied());
        t2.run()
    };
    let out = simulate(&["--sim-halt", &format!("{PLAN_A}:2")]);
    out.assert_code(0)
        .assert_stderr_contains("continuing it with RetryFailedStep (on_halt, 2 of 2)");
    let out = simulate(&["--sim-halt", &format!("{PLAN_A}:3")]);
    out.assert_code(1)
        .assert_stderr_contains("halted again after 2 Continue(s)");
    simulate(&["--sim-halt", PLAN_B])
        .assert_code(2)
        .assert_stderr_contains("no step of the runbook acts on that plan");
    simulate(&["--sim-halt", &format!("{PLAN_A}:0")]).assert_code(2);
}

/// Killed once the Continue was accepted: the resumed run waits for the plan and sends no
/// second Continue (the plan halted once).
#[test]
fn a_run_killed_after_a_continue_was_accepted_resumes_without_sending_it_again() {
    let mut halts = halting(PLAN_A, Z, 1);
    halts.continue_duration = Some(Duration::from_millis(800));
    let sim = sim(vec![halts]);
    let t = live(&sim.base_url(), &on_halt(PLAN_A, "RetryFailedStep", 3));
    let mut child = t.spawn();
    t.await_event(|e| e["event"] == "continuing" && e["step"] == 1);
    assert!(eventually(Duration::from_secs(10), || sim
        .accepted_continues(PLAN_A)
        == 1));
    child.kill().unwrap();
    child.wait().unwrap();
    let out = resume_run(&t);
    out.assert_code(0);
    assert_eq!(
        (sim.failover_count(PLAN_A), sim.continue_count(PLAN_A)),
        (1, 1),
        "{}",
        out.stderr
    );
    let report = t.report();
    assert_eq!(report["result"], "succeeded");
    assert_eq!(report["steps"][0]["result"], "succeeded");
}

/// Killed while a Continue was on the wire (the simulator holds it, then acts): the resumed
/// run reads the plan. Still halted means drbook cannot know whether VAO took it, so it
/// stops and says so; running means VAO took it, and it waits. Either way the Continue is
/// never sent a second time.
#[test]
fn a_run_killed_while_a_continue_was_in_flight_never_sends_it_twice() {
    let slow = Fault::new(
        FaultEndpoint::Continue,
        FaultKind::Latency(Duration::from_secs(3)),
    );
    let sim = faulty_sim(vec![halting(PLAN_A, Z, 1)], vec![slow]);
    let t = live(&sim.base_url(), &on_halt(PLAN_A, "RetryFailedStep", 3));
    let mut child = t.spawn();
    t.await_event(|e| {
        e["event"] == "request" && e["path"].as_str().is_some_and(|p| p.ends_with("/Continue"))
    });
    // On the wire: the simulator has it (and acts on it only after its latency).
    assert!(eventually(Duration::from_secs(10), || continues_sent(
        &sim, PLAN_A
    )
    .len()
        == 1));
    child.kill().unwrap();
    child.wait().unwrap();
    let out = resume_run(&t);
    match out.code {
        1 => {
            out.assert_stderr_contains(
                "still halted: whether the Continue was accepted is unknown",
            )
            .assert_stderr_contains("the earlier process sent a Continue of plan")
            .assert_stderr_contains("drbook does not send it again");
        }
        0 => {
            out.assert_stderr_contains("the Continue was accepted");
        }
        code => panic!("exit {code}: {}", out.stderr),
    };
    assert_eq!(continues_sent(&sim, PLAN_A).len(), 1, "{}", out.stderr);
    // The one Continue is acted on after its latency; nothing else came.
    assert!(eventually(Duration::from_secs(10), || sim
        .accepted_continues(PLAN_A)
        == 1));
    assert_eq!(sim.continue_count(PLAN_A), 1);
    assert_eq!(sim.failover_count(PLAN_A), 1);
}

/// The kill-and-resume test of the journal, for a run whose plan halts and is continued, in
/// every API edition: killed at each point of the Continue (its decision, its intent, its
/// answer, the step's end), the resumed run never sends a failover or a Continue twice, and finishes the run
/// whenever it can know what VAO did.
#[test]
fn a_continued_run_killed_at_each_point_is_resumed_sending_nothing_twice() {
    type Point = fn(&serde_json::Value) -> bool;
    let points: [(&str, Point); 4] = [
        ("the decision", |e| e["event"] == "continuing"),
        ("the intent", |e| {
            e["event"] == "request" && e["path"].as_str().is_some_and(|p| p.ends_with("/Continue"))
        }),
        // After the Continue's answer: the plan seen running on from its halt.
        ("the continued run", |e| {
            e["event"] == "polled"
                && e["status"]["state"] == "FailoverInProgress"
                && e["status"]["last_stable_state"] == "Halted"
        }),
        ("the step's end", |e| {
            e["event"] == "step_finished" && e["step"] == 1
        }),
    ];
    for (api, (point, at)) in SimApi::ALL
        .into_iter()
        .flat_map(|api| points.map(|p| (api, p)))
    {
        let mut a = halting(PLAN_A, Duration::from_millis(200), 1);
        a.continue_duration = Some(Duration::from_millis(300));
        let sim = sim_in(api, vec![a, plan(PLAN_B, Duration::from_millis(200))]);
        let steps = format!(
            "{}{}",
            on_halt(PLAN_A, "RetryFailedStep", 3),
            one_failover(PLAN_B)
        );
        let t = Drbook::new();
        t.runbook_text(runbook_in(api, &steps));
        t.live("run", &sim.base_url());
        let mut child = t.spawn();
        t.await_event(at);
        child.kill().unwrap();
        child.wait().unwrap();
        let out = resume_run(&t);
        let continues = continues_sent(&sim, PLAN_A).len();
        assert!(
            continues <= 1,
            "{api:?}, {point}: {continues} Continues: {}",
            out.stderr
        );
        assert_eq!(
            sim.failover_count(PLAN_A),
            1,
            "{api:?}, {point}: {}",
            out.stderr
        );
        assert!(sim.failover_count(PLAN_B) <= 1, "{api:?}, {point}");
        match out.code {
            0 => {
                assert_eq!(continues, 1, "{api:?}, {point}");
                assert_eq!(sim.failover_count(PLAN_B), 1, "{api:?}, {point}");
                let report = t.report();
                assert_eq!(
                    report["result"], "succeeded",
                    "{api:?}, {point}: {report:#}"
                );
            }
            // Killed with the Continue's fate unknown and the plan still halted: drbook
            // stops rather than guess.
            1 => {
                assert!(
                    matches!(point, "the decision" | "the intent"),
                    "{api:?}, {point}: {}",
                    out.stderr
                );
                out.assert_stderr_contains("drbook does not send it again");
            }
            code => panic!("{api:?}, {point}: exit {code}: {}", out.stderr),
        }
    }
}
