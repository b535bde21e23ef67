//! Taking a failed run forward: `drbook resume RUN --retry` (the plan read first: finished
//! in VAO, still ready, halted), `--skip STEP --reason`, the refusals that send nothing, a
//! retry killed and resumed, and the operator asked at a terminal. Every decision is in the
//! journal and in each report format.

use crate::support::*;
use drbook::sim::{Fault, FaultEndpoint, FaultKind, SimOutcome, Simulator};
use serde_json::json;
use std::time::Duration;

/// State-changing requests the simulator received (everything but reads and logins).
fn posts(sim: &Simulator) -> usize {
    sim.requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path != "/token")
        .count()
}

/// The failover of `plan` is refused with 400 (nothing done) `count` times (0: always).
fn refused(plan: &str, count: usize) -> Fault {
    let mut fault = Fault::new(FaultEndpoint::Failover, FaultKind::Status(400));
    fault.plan = Some(plan.to_owned());
    fault.count = count;
    fault
}

fn run_id(t: &Drbook) -> String {
    t.report()["run_id"].as_str().unwrap().to_owned()
}

/// `drbook resume RUN ARGS...` of the run `t` made, on the same machine and report folder.
fn resume(t: &Drbook, args: &[&str]) -> Drbook {
    let r = t.resume(&run_id(t));
    r.args(["--report-dir", &t.reports_dir()])
        .args(args.iter().copied());
    r
}

fn report_file(t: &Drbook, extension: &str) -> String {
    let path = t
        .dir()
        .join("reports")
        .join(format!("{}.{extension}", run_id(t)));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Two failovers, the first with a short timeout (`timeout`), the second of `PLAN_B`.
fn two_failovers(timeout: &str) -> String {
    format!(
        "  - name: Fail over the database\n    failover: {{ plan_id: {PLAN_A}, timeout: {timeout} }}\n  - name: Fail over the application\n    failover: {{ plan_id: {PLAN_B} }}\n"
    )
}

#[test]
fn a_retried_step_whose_plan_was_finished_in_vao_is_recorded_as_succeeded_and_not_sent_again() {
    // The database plan takes longer than the step waits: the step fails, VAO finishes it.
    let sim = sim(vec![
        plan(PLAN_A, Duration::from_millis(800)),
        plan(PLAN_B, Duration::ZERO),
    ]);
    let (t, out) = run_live(&sim, &two_failovers("100ms"), &[]);
    out.assert_code(1)
        .assert_stderr_contains("did not finish within 100ms");
    assert!(eventually(Duration::from_secs(10), || sim
        .plan_state(PLAN_A)
        .as_deref()
        == Some("Failover")));

    let out = resume(&t, &["--retry", "--report-format", "json,md,junit,html"]).run();
    out.assert_code(0)
        .assert_stderr_contains("operator decision: step 1: retry")
        .assert_stderr_contains("the failover was finished in VAO (by the operator)");
    assert_eq!(sim.failover_count(PLAN_A), 1, "sent again");
    assert_eq!(sim.accepted_failovers(PLAN_B), 1);

    let report = t.report();
    assert_eq!(report["result"], "succeeded");
    let step = &report["steps"][0];
    assert_eq!(step["result"], "succeeded");
    assert_eq!(step["decisions"][0]["decision"], "retry");
    assert_eq!(step["decisions"][0]["how"], "resume --retry");
    assert!(step["decisions"][0]["account"].is_string());
    assert_eq!(step["decisions"][0]["by"], step["decisions"][0]["account"]);
    assert_eq!(report["steps"][1]["result"], "succeeded");
    assert!(report_file(&t, "md").contains("## Operator decisions"));
    assert!(report_file(&t, "junit.xml").contains("operator decision: retry by"));
    assert!(report_file(&t, "html").contains("Operator decisions"));
}

#[test]
fn a_retried_step_whose_plan_is_still_ready_is_sent_again_exactly_once() {
    let sim = faulty_sim(
        vec![plan(PLAN_A, Duration::ZERO), plan(PLAN_B, Duration::ZERO)],
        vec![refused(PLAN_A, 1)],
    );
    let (t, out) = run_live(&sim, &two_failovers("30s"), &[]);
    out.assert_code(1);
    assert_eq!(failovers(&sim).len(), 1);
    assert_eq!(sim.accepted_failovers(PLAN_A), 0);

    resume(&t, &["--retry"]).run().assert_code(0);
    let sent_to_a = failovers(&sim)
        .iter()
        .filter(|(id, _)| id == PLAN_A)
        .count();
    assert_eq!(sent_to_a, 2, "the refused try and the retry, nothing more");
    assert_eq!(sim.accepted_failovers(PLAN_A), 1);
    assert_eq!(sim.accepted_failovers(PLAN_B), 1);
    let report = t.report();
    let step = &report["steps"][0];
    assert_eq!(step["result"], "succeeded");
    assert_eq!(step["attempts"].as_array().unwrap().len(), 2);
    assert_eq!(step["guard"]["verdict"], "passed");
    assert_eq!(step["decisions"].as_array().unwrap().len(), 1);
}

#[test]
fn a_skipped_step_is_recorded_with_its_reason_and_the_run_goes_on() {
    let sim = faulty_sim(
        vec![plan(PLAN_A, Duration::ZERO), plan(PLAN_B, Duration::ZERO)],
        vec![refused(PLAN_A, 0)],
    );
    let (t, out) = run_live(&sim, &two_failovers("30s"), &[]);
    out.assert_code(1);
    let formats = ["--report-format", "json,md,junit,html"];
    let why = "the DBA failed it over by hand";
    let skip = [
        &["--skip", "1", "--reason", why, "--operator", "alice"][..],
        &formats,
    ]
    .concat();
    resume(&t, &skip)
        .run()
        .assert_code(0)
        .assert_stderr_contains(&format!(
            "operator decision: step 1: skip (by alice, resume --skip): {why}"
        ));
    assert_eq!(
        failovers(&sim)
            .iter()
            .filter(|(id, _)| id == PLAN_A)
            .count(),
        1
    );
    assert_eq!(sim.accepted_failovers(PLAN_B), 1);

    let report = t.report();
    assert_eq!(report["result"], "succeeded");
    assert_eq!(report["summary"]["skipped"], 1);
    let step = &report["steps"][0];
    assert_eq!(step["result"], "skipped");
    assert_eq!(
        step["error"],
        format!("skipped by the operator (alice): {why}")
    );
    let decision = &step["decisions"][0];
    assert_eq!(decision["decision"], "skip");
    assert_eq!(decision["by"], "alice");
    assert_eq!(decision["reason"], why);
    assert!(
        decision["account"].is_string(),
        "the account is kept beside --operator"
    );
    let junit = report_file(&t, "junit.xml");
    assert!(
        junit.contains(&format!(
            "<skipped message=\"skipped by the operator (alice): {why}\""
        )),
        "{junit}"
    );
    let markdown = report_file(&t, "md");
    assert!(markdown.contains("| skip | alice (account "), "{markdown}");
    assert!(markdown.contains(why));
    assert!(report_file(&t, "html").contains(why));

    // `drbook status` shows the skip, with its reason, from the journal.
    let status = t.status([run_id(&t).as_str(), "--format", "json"]).run();
    status.assert_code(0);
    let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(
        status["steps"][0]["state"], "skipped_by_operator",
        "{status:#}"
    );
    assert_eq!(status["steps"][0]["error"], why, "{status:#}");
    assert_eq!(status["steps"][1]["state"], "succeeded", "{status:#}");
}

#[test]
fn a_skipped_failover_that_vao_accepted_is_still_rolled_back() {
    let mut slow = plan(PLAN_A, Duration::from_millis(400));
    slow.undo_duration = Some(Duration::ZERO);
    let sim = faulty_sim(
        vec![slow, plan(PLAN_B, Duration::ZERO)],
        vec![refused(PLAN_B, 0)],
    );
    let steps = format!(
        "  - failover: {{ plan_id: {PLAN_A}, timeout: 100ms }}\n  - on_failure: rollback\n    failover: {{ plan_id: {PLAN_B} }}\n"
    );
    let (t, out) = run_live(&sim, &steps, &[]);
    out.assert_code(1);
    assert!(eventually(Duration::from_secs(10), || sim
        .plan_state(PLAN_A)
        .as_deref()
        == Some("Failover")));
    let out = resume(&t, &["--skip", "1", "--reason", "checked by hand"]).run();
    out.assert_code(1)
        .assert_stderr_contains("rolled back: undid 1 failover");
    // The skipped step's plan had been failed over: the rollback undid it.
    assert_eq!(sim.accepted_undos(PLAN_A), 1);
    assert_eq!(sim.failover_count(PLAN_A), 1);
}

#[test]
fn decisions_that_cannot_apply_are_refused_with_exit_2_and_nothing_sent() {
    let sim = faulty_sim(
        vec![
            plan(PLAN_A, Duration::ZERO),
            plan_with(PLAN_B, Duration::ZERO, SimOutcome::Halt),
        ],
        vec![refused(PLAN_A, 1)],
    );
    // Step 1 fails (refused once); step 2 never ran.
    let (t, out) = run_live(&sim, &two_failovers("30s"), &[]);
    out.assert_code(1);
    let before = posts(&sim);
    let cases: &[(&[&str], &str)] = &[
        (&[], "--retry"),
        (&["--skip", "9", "--reason", "x"], "no such step"),
        (
            &["--skip", "Fail over the moon", "--reason", "x"],
            "no such step",
        ),
        (&["--skip", "1"], "--reason"),
        (&["--reason", "x"], "--skip"),
        (&["--continue", "RetryFailedStep"], "--retry"),
        (&["--retry", "--continue", "Later"], "ProceedToNextVm"),
        (
            &["--skip", "2", "--reason", "x"],
            "step 1 \"Fail over the database\" failed and stopped the run",
        ),
        // The plan is ready, not halted: VAO takes Continue only for a halted plan.
        (&["--retry", "--continue", "RetryFailedStep"], "not halted"),
    ];
    for (args, says) in cases {
        let out = resume(&t, args).run();
        out.assert_code(2).assert_stderr_contains(says);
        assert_eq!(posts(&sim), before, "{args:?} sent something");
    }
    let out = resume(&t, &[]).run();
    out.assert_stderr_contains("--skip 1 --reason TEXT");

    // Step 1 retried and succeeded; step 2's plan halted.
    resume(&t, &["--retry"]).run().assert_code(1);
    let before = posts(&sim);
    resume(&t, &["--skip", "1", "--reason", "x"])
        .run()
        .assert_code(2)
        .assert_stderr_contains("step 1 \"Fail over the database\" succeeded");
    resume(&t, &["--retry"])
        .run()
        .assert_code(2)
        .assert_stderr_contains("is halted")
        .assert_stderr_contains("--continue OPTION, one of ProceedToNextVm, ProceedToNextGroup");
    assert_eq!(posts(&sim), before);

    // --continue on the halted plan: journalled, then VAO's Continue is sent once and the
    // plan, retried by VAO, finishes.
    let out = resume(&t, &["--retry", "--continue", "RetryFailedVm"]).run();
    out.assert_code(0)
        .assert_stderr_contains("operator decision: step 2: continue");
    assert_eq!(posts(&sim), before + 1);
    assert_eq!(
        (sim.continue_count(PLAN_B), sim.accepted_continues(PLAN_B)),
        (1, 1)
    );
    assert_eq!(sim.plan_state(PLAN_B).as_deref(), Some("Failover"));
    let report = t.report();
    assert_eq!(report["result"], "succeeded");
    let decisions = report["steps"][1]["decisions"].as_array().unwrap();
    let last = decisions.last().unwrap();
    assert_eq!(last["decision"], "continue");
    assert_eq!(last["option"], "RetryFailedVm");
}

#[test]
fn a_run_that_succeeded_or_rolled_back_is_not_taken_forward() {
    let sim = faulty_sim(
        vec![plan(PLAN_A, Duration::ZERO), plan(PLAN_B, Duration::ZERO)],
        vec![refused(PLAN_B, 0)],
    );
    let (ok, out) = run_live(&sim, &one_failover(PLAN_A), &[]);
    out.assert_code(0);
    resume(&ok, &["--retry"])
        .run()
        .assert_code(2)
        .assert_stderr_contains("already finished (Succeeded); there is nothing to resume");

    let steps = format!(
        "{}  - on_failure: rollback\n    failover: {{ plan_id: {PLAN_B} }}\n",
        one_failover(PLAN_C)
    );
    let sim = faulty_sim(
        vec![plan(PLAN_C, Duration::ZERO), plan(PLAN_B, Duration::ZERO)],
        vec![refused(PLAN_B, 0)],
    );
    let (rolled, out) = run_live(&sim, &steps, &[]);
    out.assert_code(1);
    let before = posts(&sim);
    for args in [&["--retry"][..], &[]] {
        resume(&rolled, args)
            .run()
            .assert_code(2)
            .assert_stderr_contains("its failovers were undone, so it cannot be taken forward");
    }
    assert_eq!(posts(&sim), before);
}

#[test]
fn a_retry_killed_after_its_failover_left_is_resumed_without_sending_it_twice() {
    let sim = faulty_sim(
        vec![
            plan(PLAN_A, Duration::from_secs(2)),
            plan(PLAN_B, Duration::ZERO),
        ],
        vec![refused(PLAN_A, 1)],
    );
    let (t, out) = run_live(&sim, &two_failovers("30s"), &[]);
    out.assert_code(1);
    let mut retry = resume(&t, &["--retry"]).spawn();
    // The intent is journalled before the request leaves: once VAO has it, so has the journal.
    assert!(eventually(Duration::from_secs(20), || sim
        .accepted_failovers(PLAN_A)
        == 1));
    retry.kill().unwrap();
    retry.wait().unwrap();

    let out = resume(&t, &[]).run();
    out.assert_code(0)
        .assert_stderr_contains("the failover was accepted; waiting for it (not sending it again)");
    assert_eq!(
        failovers(&sim)
            .iter()
            .filter(|(id, _)| id == PLAN_A)
            .count(),
        2
    );
    assert_eq!(sim.accepted_failovers(PLAN_A), 1);
    assert_eq!(sim.accepted_failovers(PLAN_B), 1);
    let report = t.report();
    assert_eq!(report["result"], "succeeded");
    assert_eq!(report["steps"][0]["decisions"][0]["decision"], "retry");
}

/// `steps` run live by operator bob at a terminal, past the runbook-name confirmation;
/// `None` where no terminal can be had (outside CI).
fn at_the_terminal_as_bob(sim: &Simulator, steps: &str) -> Option<(Drbook, Terminal)> {
    let t = live(&sim.base_url(), steps);
    t.yes(false).args(["--operator", "bob"]);
    let terminal = t
        .on_a_terminal()?
        .answer("Type the runbook name to continue", "test-runbook");
    Some((t, terminal))
}

#[test]
fn on_a_terminal_a_failed_step_asks_the_operator_and_the_answer_is_recorded() {
    let sim = faulty_sim(
        vec![plan(PLAN_A, Duration::ZERO), plan(PLAN_B, Duration::ZERO)],
        vec![refused(PLAN_A, 1), refused(PLAN_B, 0)],
    );
    let Some((t, terminal)) = at_the_terminal_as_bob(&sim, &two_failovers("30s")) else {
        return;
    };
    let out = terminal
        .answer("step 1 failed: what now?", "retry")
        .answer("step 2 failed: what now?", "skip")
        .answer("a skip needs a reason", "skip the app team does it by hand")
        .finish();
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(sim.accepted_failovers(PLAN_A), 1);
    let report = t.report();
    let retry = &report["steps"][0]["decisions"][0];
    assert_eq!(retry["decision"], "retry");
    assert_eq!(retry["how"], "terminal");
    assert_eq!(retry["by"], "bob");
    let skip = &report["steps"][1]["decisions"][0];
    assert_eq!(skip["decision"], "skip");
    assert_eq!(skip["reason"], "the app team does it by hand");
    assert_eq!(report["steps"][1]["result"], "skipped");

    // With --yes (or without a terminal) nobody is asked: the policy applies at once.
    let sim = faulty_sim(vec![plan(PLAN_A, Duration::ZERO)], vec![refused(PLAN_A, 0)]);
    let t = live(&sim.base_url(), &one_failover(PLAN_A));
    let Some(terminal) = t.on_a_terminal() else {
        return;
    };
    let out = terminal.finish();
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(!out.stdout.contains("what now?"), "{}", out.stdout);
}

/// A run taken forward with `--skip` or `--retry`, killed (SIGKILL) once the decision is
/// journalled and again once the next failover is under way: each resume after that takes
/// the decision from the journal, never sends a failover twice, and the run ends with one
/// decision recorded.
#[test]
fn a_run_taken_forward_and_killed_at_each_point_sends_nothing_twice() {
    type Point = fn(&Drbook, &Simulator);
    let decided: Point = |t, _| t.await_event(|e| e["event"] == "decided");
    let under_way: Point = |_, sim| {
        assert!(eventually(Duration::from_secs(20), || sim
            .accepted_failovers(PLAN_B)
            == 1));
    };
    let decisions: [(&[&str], usize, &str); 2] = [
        (&["--skip", "1", "--reason", "done by hand"], 0, "skip"),
        (&["--retry"], 1, "retry"),
    ];
    for (args, refusals, decision) in decisions {
        for (point, at) in [(decided, "decided"), (under_way, "under way")] {
            let sim = faulty_sim(
                vec![
                    plan(PLAN_A, Duration::ZERO),
                    plan(PLAN_B, Duration::from_secs(1)),
                ],
                vec![refused(PLAN_A, refusals)],
            );
            let (t, out) = run_live(&sim, &two_failovers("30s"), &[]);
            out.assert_code(1);
            let mut child = resume(&t, args).spawn();
            point(&t, &sim);
            child.kill().unwrap();
            child.wait().unwrap();
            let out = resume(&t, &[]).run();
            out.assert_code(0);
            let context = format!("{decision}, killed {at}: {}", out.stderr);
            let sent = |plan: &str| failovers(&sim).iter().filter(|(id, _)| id == plan).count();
            assert_eq!(sim.failover_count(PLAN_B), 1, "{context}");
            assert_eq!(sent(PLAN_B), 1, "{context}");
            // A retry sends A once more (after its refusal); a skip never again.
            assert_eq!(sent(PLAN_A), 1 + usize::from(refusals > 0), "{context}");
            let report = t.report();
            assert_eq!(report["result"], "succeeded", "{context}");
            let recorded = report["steps"][0]["decisions"].as_array().unwrap();
            assert_eq!(recorded.len(), 1, "{context}");
            assert_eq!(recorded[0]["decision"], decision, "{context}");
        }
    }
}

/// At the terminal prompt, `continue OPTION` sends that Continue once to the halted plan,
/// `rollback` undoes what the run failed over, and `abort` stops the run: each answer is
/// recorded as the operator's decision.
#[test]
fn on_a_terminal_continue_rollback_and_abort_are_carried_out_once() {
    let sim = faulty_sim(
        vec![
            plan(PLAN_A, Duration::ZERO).halting(1),
            plan(PLAN_B, Duration::ZERO),
        ],
        vec![refused(PLAN_B, 0)],
    );
    let Some((t, terminal)) = at_the_terminal_as_bob(&sim, &two_failovers("30s")) else {
        return;
    };
    let out = terminal
        .answer("step 1 failed: what now?", "continue RetryFailedStep")
        .answer("step 2 failed: what now?", "rollback")
        .finish();
    assert_eq!(out.code, 1, "{}", out.stdout);
    let continues: Vec<String> = sim
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/Continue"))
        .map(|r| r.body.clone())
        .collect();
    assert_eq!(
        continues,
        [r#"{"executionContinueOptions":"RetryFailedStep"}"#],
        "{}",
        out.stdout
    );
    assert_eq!(sim.accepted_failovers(PLAN_A), 1);
    assert_eq!(sim.accepted_undos(PLAN_A), 1, "rolled back");
    let report = t.report();
    let continued = &report["steps"][0]["decisions"][0];
    assert_eq!(
        (
            &continued["decision"],
            &continued["option"],
            &continued["how"]
        ),
        (
            &json!("continue"),
            &json!("RetryFailedStep"),
            &json!("terminal")
        )
    );
    assert_eq!(report["steps"][1]["decisions"][0]["decision"], "rollback");

    let sim = faulty_sim(
        vec![plan(PLAN_A, Duration::ZERO), plan(PLAN_B, Duration::ZERO)],
        vec![refused(PLAN_A, 0)],
    );
    let Some((t, terminal)) = at_the_terminal_as_bob(&sim, &two_failovers("30s")) else {
        return;
    };
    let out = terminal
        .answer("step 1 failed: what now?", "abort")
        .finish();
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert_eq!(sim.failover_count(PLAN_B), 0, "the run went on");
    let report = t.report();
    assert_eq!(report["steps"][0]["decisions"][0]["decision"], "abort");
    assert_eq!(report["steps"][1]["result"], "skipped");
}

/// The operator's Continue (`--retry --continue`) killed while on the wire: the resumed run
/// settles it by reading the plan and never sends it again.
#[test]
fn an_operator_continue_killed_on_the_wire_is_never_sent_twice() {
    let slow = Fault::new(
        FaultEndpoint::Continue,
        FaultKind::Latency(Duration::from_secs(3)),
    );
    let sim = faulty_sim(
        vec![plan_with(PLAN_A, Duration::ZERO, SimOutcome::Halt)],
        vec![slow],
    );
    let (t, out) = run_live(&sim, &one_failover(PLAN_A), &[]);
    out.assert_code(1);
    let continues = || {
        sim.requests()
            .iter()
            .filter(|r| r.method == "POST" && r.path.ends_with("/Continue"))
            .count()
    };
    let mut child = resume(&t, &["--retry", "--continue", "RetryFailedStep"]).spawn();
    t.await_event(|e| {
        e["event"] == "request" && e["path"].as_str().is_some_and(|p| p.ends_with("/Continue"))
    });
    assert!(eventually(Duration::from_secs(10), || continues() == 1));
    child.kill().unwrap();
    child.wait().unwrap();
    let out = resume(&t, &[]).run();
    assert!(
        matches!(out.code, 0 | 1),
        "exit {}: {}",
        out.code,
        out.stderr
    );
    assert_eq!(continues(), 1, "{}", out.stderr);
    assert!(eventually(Duration::from_secs(10), || sim
        .accepted_continues(PLAN_A)
        == 1));
    assert_eq!(sim.failover_count(PLAN_A), 1);
}

#[test]
fn retry_takes_up_a_step_that_failed_under_continue_and_then_what_needs_it() {
    // A is refused once; B needs A and is not run; C is independent.
    let sim = faulty_sim(
        vec![
            plan(PLAN_A, Duration::ZERO),
            plan(PLAN_B, Duration::ZERO),
            plan(PLAN_C, Duration::ZERO),
        ],
        vec![refused(PLAN_A, 1)],
    );
    let steps = format!(
        "  - {{ id: a, needs: [], on_failure: continue, failover: {{ plan_id: {PLAN_A} }} }}\n  - {{ needs: [a], failover: {{ plan_id: {PLAN_B} }} }}\n  - {{ needs: [], failover: {{ plan_id: {PLAN_C} }} }}\n"
    );
    let (t, out) = run_live(&sim, &steps, &[]);
    out.assert_code(1);
    assert_eq!(sim.failover_count(PLAN_B), 0);
    assert_eq!(sim.accepted_failovers(PLAN_C), 1);
    // Without a decision, resume says which one takes the run forward.
    resume(&t, &[]).run().assert_code(2).assert_stderr_contains(&format!(
        "run {} went on past failed step(s) 1 (on_failure: continue) and finished Failed; take them up again with `drbook resume {} --retry`",
        run_id(&t),
        run_id(&t)
    ));

    let out = resume(&t, &["--retry"]).run();
    out.assert_code(0)
        .assert_stderr_contains("operator decision: step 1: retry");
    assert_eq!(sim.accepted_failovers(PLAN_A), 1);
    assert_eq!(sim.accepted_failovers(PLAN_B), 1);
    assert_eq!(sim.failover_count(PLAN_C), 1, "C is done: not sent again");
    let report = t.report();
    assert_eq!(report["result"], "succeeded");
    assert_eq!(report["steps"][0]["decisions"][0]["decision"], "retry");
    assert_eq!(report["steps"][1]["result"], "succeeded");
}

#[test]
fn skip_lets_what_needs_a_step_that_failed_under_continue_go_on() {
    let sim = faulty_sim(
        vec![plan(PLAN_A, Duration::ZERO), plan(PLAN_B, Duration::ZERO)],
        vec![refused(PLAN_A, 0)],
    );
    let steps = format!(
        "  - {{ id: a, needs: [], on_failure: continue, failover: {{ plan_id: {PLAN_A} }} }}\n  - {{ needs: [a], failover: {{ plan_id: {PLAN_B} }} }}\n"
    );
    let (t, out) = run_live(&sim, &steps, &[]);
    out.assert_code(1);
    let out = resume(&t, &["--skip", "1", "--reason", "failed over by hand"]).run();
    out.assert_code(0);
    assert_eq!(sim.accepted_failovers(PLAN_B), 1);
    let report = t.report();
    assert_eq!(report["steps"][0]["result"], "skipped");
    assert_eq!(report["steps"][1]["result"], "succeeded");
}

/// While the operator is asked about a failed step, what the other branches do is held
/// back and shown after the answer: nothing is printed into the question.
#[test]
fn on_a_terminal_the_question_is_not_interleaved_with_other_steps() {
    let sim = faulty_sim(
        vec![
            plan(PLAN_A, Duration::ZERO),
            plan(PLAN_B, Duration::from_millis(500)),
        ],
        vec![refused(PLAN_A, 0)],
    );
    let steps = format!(
        "  - {{ needs: [], failover: {{ plan_id: {PLAN_A} }} }}\n  - {{ needs: [], failover: {{ plan_id: {PLAN_B} }} }}\n"
    );
    let Some((t, terminal)) = at_the_terminal_as_bob(&sim, &steps) else {
        return;
    };
    let terminal = terminal.shows("step 1 failed: what now?");
    // The other branch runs to its end while the question is open.
    t.await_event(|e| e["event"] == "step_finished" && e["step"] == 2);
    let out = terminal.answer("what now?", "skip done by hand").finish();
    assert_eq!(out.code, 0, "{}", out.stdout);
    let screen = out.stdout.replace('\r', "");
    let asked = screen.find("step 1 failed: what now?").unwrap();
    let decided = screen.find("operator decision: step 1: skip").unwrap();
    let between = &screen[asked..decided];
    assert!(
        !between.contains("[2]"),
        "printed into the question:\n{screen}"
    );
    assert!(
        screen[decided..].contains("[2] ✓ succeeded"),
        "held back and lost:\n{screen}"
    );
}

#[test]
fn on_a_terminal_branches_that_fail_together_are_asked_about_one_at_a_time() {
    let sim = faulty_sim(
        vec![
            plan(PLAN_A, Duration::ZERO),
            plan(PLAN_B, Duration::ZERO),
            plan(PLAN_C, Duration::ZERO),
        ],
        vec![refused(PLAN_A, 0), refused(PLAN_B, 0)],
    );
    let steps = format!(
        "  - {{ id: a, needs: [], failover: {{ plan_id: {PLAN_A} }} }}\n  - {{ id: b, needs: [], failover: {{ plan_id: {PLAN_B} }} }}\n  - {{ needs: [a, b], failover: {{ plan_id: {PLAN_C} }} }}\n"
    );
    let Some((t, terminal)) = at_the_terminal_as_bob(&sim, &steps) else {
        return;
    };
    let out = terminal
        .answer("failed: what now?", "skip done by hand")
        .answer("failed: what now?", "skip done by hand too")
        .finish();
    assert_eq!(out.code, 0, "{}", out.stdout);
    // What needed both ran once both were skipped.
    assert_eq!(sim.accepted_failovers(PLAN_C), 1);
    let report = t.report();
    for step in &report["steps"].as_array().unwrap()[..2] {
        assert_eq!(step["result"], "skipped");
        assert_eq!(step["decisions"][0]["decision"], "skip");
        assert_eq!(step["decisions"][0]["by"], "bob");
    }
}
