//! Drills and audits: `drbook check`, the drill step kinds, `drbook drill` and its
//! clean-up, and recovery objectives.

use crate::support::*;
use drbook::sim::{Fault, FaultEndpoint, FaultKind, SimApi, SimCheckOutcome, SimOutcome, SimPlan};
use std::time::Duration;

const MISSING: &str = "11111111-2222-4333-8444-555555555555";

fn in_state(id: &str, state: &str) -> SimPlan {
    let mut plan = plan(id, Duration::from_millis(50));
    plan.state = state.to_owned();
    plan
}

/// The POSTs the simulator received, as `(action, plan)`; `/token` excluded.
fn posts(sim: &drbook::sim::Simulator) -> Vec<(String, String)> {
    sim.requests()
        .into_iter()
        .filter(|r| r.method == "POST" && !r.path.ends_with("/token"))
        .map(|r| {
            let parts: Vec<&str> = r.path.split('/').collect();
            (
                parts.last().unwrap_or(&"").to_string(),
                parts.get(4).unwrap_or(&"").to_string(),
            )
        })
        .collect()
}

/// Runs `command` (`check`, `drill`, `run`) of a runbook made of `steps` against `sim`.
fn command(
    sim: &drbook::sim::Simulator,
    command: &str,
    steps: &str,
    extra: &[&str],
) -> (Drbook, Outcome) {
    command_of(sim, command, runbook(steps), extra)
}

/// [`command`] with a runbook for an API edition (its `api:`).
fn command_in(
    api: SimApi,
    sim: &drbook::sim::Simulator,
    command: &str,
    steps: &str,
    extra: &[&str],
) -> (Drbook, Outcome) {
    command_of(sim, command, runbook_in(api, steps), extra)
}

fn command_of(
    sim: &drbook::sim::Simulator,
    command: &str,
    runbook: String,
    extra: &[&str],
) -> (Drbook, Outcome) {
    let t = Drbook::new();
    t.runbook_text(runbook);
    // `check` changes nothing, so it has nothing to confirm.
    t.live(command, &sim.base_url())
        .yes(command != "check")
        .args(extra.iter().copied());
    let out = t.run();
    (t, out)
}

fn results(report: &serde_json::Value) -> Vec<String> {
    report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["result"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn check_finds_the_steps_that_would_fail_and_changes_nothing() {
    for api in SimApi::ALL {
        check_finds_the_steps_that_would_fail_and_changes_nothing_in(api);
    }
}

/// In every edition: a disabled plan (`enabled: false`, or VRO's `planMode: Disabled`) is
/// a step that would fail, never a false green.
fn check_finds_the_steps_that_would_fail_and_changes_nothing_in(api: SimApi) {
    let mut disabled = plan(PLAN_B, Duration::ZERO);
    disabled.enabled = false;
    let sim = sim_in(
        api,
        vec![
            plan(PLAN_A, Duration::ZERO),
            disabled,
            in_state(PLAN_C, "Failover"),
        ],
    );
    let steps = format!(
        "{a}  - expect_state: {{ plan_id: {PLAN_A}, state: Failover }}\n  - undo_failover: {{ plan_id: {PLAN_A} }}\n{b}  - failover: {{ plan_id: {PLAN_C} }}\n  - readiness_check: {{ plan_id: {MISSING} }}\n  - undo_failover: {{ plan_id: {PLAN_C} }}\n  - pause: {{ message: go on? }}\n",
        a = one_failover(PLAN_A),
        b = one_failover(PLAN_B),
    );
    let (t, out) = command_in(api, &sim, "check", &steps, &[]);
    out.assert_code(1);
    let report = t.report();
    assert_eq!(report["mode"], "check");
    assert_eq!(
        results(&report),
        [
            "check_passed", // A is ready
            "check_passed", // A is Failover once step 1 has run
            "check_passed", // and can be undone then
            "check_failed", // B is disabled
            "check_failed", // C is already failed over
            "check_failed", // no such plan
            "check_passed", // C is failed over: an undo applies
            "check_failed", // no terminal, no --approve
        ]
    );
    let steps = report["steps"].as_array().unwrap();
    assert!(
        steps[3]["error"]
            .as_str()
            .unwrap()
            .contains(&format!("plan {PLAN_B} is disabled")),
        "{api:?}: {}",
        steps[3]
    );
    assert_eq!(steps[3]["guard"]["plan"]["enabled"], false, "{api:?}");
    assert!(
        steps[4]["error"]
            .as_str()
            .unwrap()
            .contains("a failover needs a ready state")
    );
    assert!(
        steps[5]["error"]
            .as_str()
            .unwrap()
            .contains("does not exist")
    );
    assert!(steps[7]["error"].as_str().unwrap().contains("--approve 8"));
    // Only reads and the login: nothing changed on the server.
    assert_eq!(posts(&sim), Vec::<(String, String)>::new());
    assert_eq!(sim.plan_state(PLAN_A).as_deref(), Some("Verified"));
    assert_eq!(sim.plan_state(PLAN_C).as_deref(), Some("Failover"));
    assert!(
        sim.requests()
            .iter()
            .all(|r| r.method == "GET" || r.path == api.token_path())
    );
    assert!(!t.dir().join("reports").read_dir().unwrap().any(|e| {
        e.unwrap()
            .path()
            .to_string_lossy()
            .ends_with(".journal.jsonl")
    }));
}

#[test]
fn check_passes_a_runbook_that_would_run_and_warns_of_chained_plans() {
    let sim = sim(vec![plan(PLAN_A, Duration::ZERO)]);
    let steps = format!(
        "  - failover: {{ plan_id: {PLAN_A}, execute_chained_plans: true }}\n  - name: gate\n    pause: {{ message: go on? }}\n"
    );
    let (t, out) = command(&sim, "check", &steps, &["--approve", "gate"]);
    out.assert_code(0)
        .assert_stderr_contains("the plans chained after plan");
    let report = t.report();
    assert_eq!(results(&report), ["check_passed", "check_passed"]);
    assert!(
        report["steps"][0]["notes"][0]
            .as_str()
            .unwrap()
            .contains("execute_chained_plans")
    );
    assert_eq!(sim.failover_count(PLAN_A), 0);
}

#[test]
fn undo_readiness_check_and_expect_state_steps_run_live() {
    let mut failing_check = plan(PLAN_B, Duration::ZERO);
    failing_check.check_outcome = SimCheckOutcome::Fail;
    let sim = sim(vec![
        plan(PLAN_A, Duration::from_millis(100)),
        failing_check,
    ]);
    let steps = format!(
        "  - readiness_check: {{ plan_id: {PLAN_A}, generate_report: true }}\n{a}  - expect_state: {{ plan_id: {PLAN_A}, state: [Failover] }}\n  - undo_failover: {{ plan_id: {PLAN_A} }}\n  - expect_state: {{ plan_id: {PLAN_A}, state: Undo Failover }}\n  - on_failure: continue\n    readiness_check: {{ plan_id: {PLAN_B} }}\n",
        a = one_failover(PLAN_A),
    );
    let (t, out) = command(&sim, "run", &steps, &[]);
    out.assert_code(1);
    let report = t.report();
    assert_eq!(
        results(&report),
        [
            "succeeded",
            "succeeded",
            "succeeded",
            "succeeded",
            "succeeded",
            "failed"
        ]
    );
    assert_eq!(
        posts(&sim),
        [
            ("ReadinessCheck".to_owned(), PLAN_A.to_owned()),
            ("Failover".to_owned(), PLAN_A.to_owned()),
            ("Undo".to_owned(), PLAN_A.to_owned()),
            ("ReadinessCheck".to_owned(), PLAN_B.to_owned()),
        ]
    );
    let check = sim
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/ReadinessCheck"))
        .unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&check.body).unwrap(),
        serde_json::json!({ "generateReport": true })
    );
    let steps = report["steps"].as_array().unwrap();
    assert_eq!(steps[0]["kind"], "readiness_check");
    assert_eq!(steps[3]["kind"], "undo_failover");
    assert_eq!(steps[3]["guard"]["verdict"], "passed");
    assert!(
        steps[5]["error"]
            .as_str()
            .unwrap()
            .contains("the readiness check of plan")
    );
    assert_eq!(sim.accepted_undos(PLAN_A), 1);
    assert_eq!(sim.plan_state(PLAN_A).as_deref(), Some("UndoFailover"));
}

#[test]
fn an_undo_of_a_plan_that_is_not_failed_over_is_refused_before_anything_is_sent() {
    let sim = sim(vec![plan(PLAN_A, Duration::ZERO)]);
    let steps = format!("  - undo_failover: {{ plan_id: {PLAN_A} }}\n");
    let (t, out) = command(&sim, "run", &steps, &[]);
    out.assert_code(1);
    assert!(posts(&sim).is_empty());
    let report = t.report();
    assert_eq!(report["steps"][0]["guard"]["verdict"], "refused");
    assert!(
        report["steps"][0]["error"]
            .as_str()
            .unwrap()
            .contains("an undo needs")
    );
}

#[test]
fn expect_state_waits_up_to_its_timeout_then_fails_naming_the_state() {
    let sim = sim(vec![plan(PLAN_A, Duration::ZERO)]);
    let steps =
        format!("  - expect_state: {{ plan_id: {PLAN_A}, state: Failover, timeout: 200ms }}\n");
    let (t, out) = command(&sim, "run", &steps, &[]);
    out.assert_code(1);
    let report = t.report();
    let error = report["steps"][0]["error"].as_str().unwrap();
    assert!(error.contains("is Verified"), "{error}");
    assert!(
        error.contains("expected Failover after waiting 200ms"),
        "{error}"
    );
    assert!(report["steps"][0]["polls"].as_u64().unwrap() >= 2);
    assert!(posts(&sim).is_empty());
}

#[test]
fn a_pause_needs_approval_and_the_report_says_who_gave_it() {
    let sim = sim(vec![plan(PLAN_A, Duration::ZERO)]);
    let steps = format!(
        "  - name: Application owner confirms\n    pause: {{ message: Is the app answering? }}\n{}",
        one_failover(PLAN_A)
    );
    // Without a terminal or --approve the run stops at the pause; nothing after it is sent.
    let (t, out) = command(&sim, "run", &steps, &[]);
    out.assert_code(1)
        .assert_stderr_contains("Is the app answering?")
        .assert_stderr_contains("--approve 1");
    assert_eq!(sim.failover_count(PLAN_A), 0);
    assert_eq!(results(&t.report()), ["failed", "skipped"]);

    let (t, out) = command(
        &sim,
        "run",
        &steps,
        &["--approve", "Application owner confirms"],
    );
    out.assert_code(0);
    let report = t.report();
    let approval = &report["steps"][0]["approval"];
    assert_eq!(approval["by"], "test-operator");
    assert_eq!(approval["how"], "--approve");
    assert!(approval["at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(sim.accepted_failovers(PLAN_A), 1);
}

#[test]
fn a_pause_is_approved_by_typing_approve_at_a_terminal() {
    // util-linux `script` gives drbook a terminal; what is written to its stdin is typed.
    let sim = sim(vec![plan(PLAN_A, Duration::ZERO)]);
    let t = live(
        &sim.base_url(),
        &format!("  - pause: {{ message: Ready? }}\n{}", one_failover(PLAN_A)),
    );
    let Some(terminal) = t.on_a_terminal() else {
        return;
    };
    // Typed once the question is on the screen.
    let output = terminal.answer("type `approve`", "approve").finish();
    let screen = &output.stdout;
    assert_eq!(output.code, 0, "{screen}");
    assert!(screen.contains("type `approve`"), "{screen}");
    let report = t.report();
    assert_eq!(report["steps"][0]["approval"]["how"], "terminal");
    assert_eq!(sim.accepted_failovers(PLAN_A), 1);
}

#[test]
fn a_drill_undoes_every_failover_it_made_and_verifies_the_plans_are_ready() {
    for api in SimApi::ALL {
        a_drill_undoes_every_failover_it_made_and_verifies_the_plans_are_ready_in(api);
    }
}

fn a_drill_undoes_every_failover_it_made_and_verifies_the_plans_are_ready_in(api: SimApi) {
    let sim = sim_in(
        api,
        vec![
            plan(PLAN_A, Duration::from_millis(50)),
            plan(PLAN_B, Duration::from_millis(50)),
        ],
    );
    let steps = format!(
        "{}  - wait: 10ms\n  - failover: {{ plan_id: {PLAN_B}, wait_for_completion: false }}\n",
        one_failover(PLAN_A)
    );
    let (t, out) = command_in(api, &sim, "drill", &steps, &[]);
    out.assert_code(0)
        .assert_stderr_contains("drill clean-up: clean (2 plan(s) undone and ready again)");
    assert_eq!(
        posts(&sim),
        [
            ("Failover".to_owned(), PLAN_A.to_owned()),
            ("Failover".to_owned(), PLAN_B.to_owned()),
            ("Undo".to_owned(), PLAN_B.to_owned()),
            ("Undo".to_owned(), PLAN_A.to_owned()),
        ]
    );
    for id in [PLAN_A, PLAN_B] {
        assert_eq!(sim.plan_state(id).as_deref(), Some("UndoFailover"));
    }
    let report = t.report();
    assert_eq!(report["mode"], "drill");
    assert_eq!(report["result"], "succeeded");
    assert_eq!(report["drill"]["cleanup"], "clean");
    assert_eq!(
        report["drill"]["undone"],
        serde_json::json!([PLAN_B, PLAN_A])
    );
    let steps = report["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 5);
    assert_eq!(steps[0]["phase"], "failover");
    for undo in &steps[3..] {
        assert_eq!(undo["phase"], "cleanup");
        assert_eq!(undo["kind"], "undo");
        assert_eq!(undo["result"], "succeeded");
    }
    // The plans can fail over again: the next night's drill runs.
    let (_, again) = command_in(api, &sim, "drill", &steps_of(&[PLAN_A]), &[]);
    again.assert_code(0);
    assert_eq!(sim.accepted_failovers(PLAN_A), 2);
}

fn steps_of(plans: &[&str]) -> String {
    plans.iter().map(|p| one_failover(p)).collect()
}

#[test]
fn a_drill_whose_failover_fails_halfway_still_cleans_up() {
    let sim = sim(vec![
        plan(PLAN_A, Duration::from_millis(50)),
        plan_with(PLAN_B, Duration::from_millis(50), SimOutcome::Halt),
        plan(PLAN_C, Duration::ZERO),
    ]);
    let (t, out) = command(&sim, "drill", &steps_of(&[PLAN_A, PLAN_B, PLAN_C]), &[]);
    out.assert_code(1);
    // C was never sent; B halted (an undo applies) and A are undone, newest first.
    assert_eq!(sim.failover_count(PLAN_C), 0);
    let undos: Vec<String> = posts(&sim)
        .into_iter()
        .filter(|(action, _)| action == "Undo")
        .map(|(_, plan)| plan)
        .collect();
    assert_eq!(undos, [PLAN_B, PLAN_A]);
    let report = t.report();
    assert_eq!(report["result"], "failed");
    assert_eq!(report["drill"]["cleanup"], "clean");
    assert_eq!(
        results(&report),
        ["succeeded", "failed", "skipped", "succeeded", "succeeded"]
    );
    // The drill is over: its clean-up finished, so neither a resume nor a decision takes
    // it forward, and nothing is sent.
    let sent = sim.requests().len();
    let run_id = report["run_id"].as_str().unwrap().to_owned();
    for args in [
        &[][..],
        &["--retry"],
        &["--skip", "2", "--reason", "fixed by hand"],
    ] {
        t.resume(&run_id)
            .args(["--report-dir", &t.reports_dir()])
            .args(args.iter().copied())
            .run()
            .assert_code(2)
            .assert_stderr_contains(&format!(
                "drill {run_id} is over: its clean-up finished and left nothing failed over"
            ));
    }
    assert_eq!(sim.requests().len(), sent, "a request was sent");
}

#[test]
fn a_drill_that_cannot_clean_up_fails_loudly_naming_the_plans_left_failed_over() {
    let mut undo_fails = Fault::new(FaultEndpoint::Undo, FaultKind::Status(409));
    undo_fails.plan = Some(PLAN_A.to_owned());
    let sim = faulty_sim(
        vec![
            plan(PLAN_A, Duration::from_millis(50)),
            plan(PLAN_B, Duration::from_millis(50)),
        ],
        vec![undo_fails],
    );
    let (t, out) = command(&sim, "drill", &steps_of(&[PLAN_A, PLAN_B]), &[]);
    out.assert_code(1)
        .assert_stderr_contains(&format!("plan(s) {PLAN_A} are STILL FAILED OVER"));
    assert_eq!(sim.plan_state(PLAN_A).as_deref(), Some("Failover"));
    assert_eq!(sim.plan_state(PLAN_B).as_deref(), Some("UndoFailover"));
    let report = t.report();
    assert_eq!(report["result"], "failed");
    assert_eq!(report["drill"]["cleanup"], "failed");
    assert_eq!(
        report["drill"]["left_failed_over"],
        serde_json::json!([PLAN_A])
    );
    assert!(
        report["error"]
            .as_str()
            .unwrap()
            .contains("THE DRILL COULD NOT CLEAN UP")
    );
    let markdown = t.report_texts();
    assert!(markdown.contains("left failed over"), "{markdown}");
}

#[test]
fn a_drill_dry_run_lists_the_clean_up_and_sends_nothing() {
    let t = Drbook::new();
    let rb = t.file("rb.yaml", runbook(&steps_of(&[PLAN_A, PLAN_B])));
    let out = t.args(["drill", rb.to_str().unwrap(), "--dry-run"]).run();
    out.assert_code(0);
    let undo_b = out.stdout.find(&format!("Plans/{PLAN_B}/Undo")).unwrap();
    let undo_a = out.stdout.find(&format!("Plans/{PLAN_A}/Undo")).unwrap();
    assert!(undo_b < undo_a, "newest first:\n{}", out.stdout);
    assert_eq!(t.report()["mode"], "dry-run");
}

/// A runbook with objectives; restore points relative to the run's start.
fn objectives_runbook(rto: &str) -> String {
    format!(
        "version: 1\nname: objectives\nserver_time_zone: UTC\nobjectives:\n  rto: {rto}\n  rpo: 1d\ndefaults:\n  poll_interval: 20ms\nsteps:\n  - failover:\n      plan_id: {PLAN_A}\n      restore_point: \"{{{{ago \\\"4h\\\"}}}}\"\n      rpo: 1h\n      rto: 10s\n  - failover:\n      plan_id: {PLAN_B}\n      restore_point: \"{{{{ago \\\"2h\\\"}}}}\"\n"
    )
}

fn run_objectives(rto: &str, extra: &[&str]) -> (Drbook, Outcome) {
    let sim = sim(vec![
        plan(PLAN_A, Duration::from_millis(150)),
        plan(PLAN_B, Duration::from_millis(150)),
    ]);
    let t = Drbook::new();
    t.runbook_text(objectives_runbook(rto));
    t.live("run", &sim.base_url()).args(extra.iter().copied());
    let out = t.run();
    (t, out)
}

/// An age in ms that should be `hours`, give or take the time between the template clock
/// (whole seconds, taken before rendering) and the run's start.
fn about_hours(age: &serde_json::Value, hours: u64) -> bool {
    let age = age.as_u64().unwrap();
    let want = hours * 3600 * 1000;
    (want..want + 60_000).contains(&age)
}

#[test]
fn recovery_objectives_are_measured_met_and_missed() {
    let (t, out) = run_objectives("1h", &[]);
    // Missed objectives are said, but fail the run only when asked to.
    out.assert_code(0)
        .assert_stderr_contains("objective missed: step 1");
    let report = t.report();
    let a = &report["steps"][0]["recovery"];
    assert!(a["restore_point"].as_str().unwrap().ends_with("+00:00"));
    assert!(about_hours(&a["restore_point_age_ms"], 4), "{a}");
    assert_eq!(a["rpo_target_ms"], 3600 * 1000);
    assert_eq!(a["rpo_met"], false);
    assert_eq!(a["rto_target_ms"], 10_000);
    assert_eq!(a["rto_met"], true);
    let measured = a["recovery_time_ms"].as_u64().unwrap();
    assert!(measured >= 150, "the plan took 150 ms: {measured}");
    let b = &report["steps"][1]["recovery"];
    assert!(about_hours(&b["restore_point_age_ms"], 2), "{b}");
    assert_eq!(b["rpo_met"], serde_json::Value::Null, "no target for B");
    let o = &report["objectives"];
    assert_eq!(o["rto_met"], true);
    assert_eq!(o["rpo_met"], true, "4h is within the run's 1d");
    assert_eq!(o["restore_point_age_ms"], a["restore_point_age_ms"]);
    assert!(o["recovery_time_ms"].as_u64().unwrap() >= 300);
    assert_eq!(o["missed"].as_array().unwrap().len(), 1);
    assert!(t.report_texts().contains("## Recovery objectives"));
}

#[test]
fn fail_on_rto_miss_fails_a_run_that_missed_its_objectives() {
    let (t, out) = run_objectives("1ms", &["--fail-on-rto-miss"]);
    out.assert_code(1)
        .assert_stderr_contains("the run's recovery took");
    let report = t.report();
    assert_eq!(report["result"], "failed");
    assert_eq!(report["objectives"]["rto_met"], false);
    assert!(
        report["error"]
            .as_str()
            .unwrap()
            .contains("--fail-on-rto-miss")
    );
}

#[test]
fn a_drill_killed_mid_run_is_resumed_and_still_cleans_up() {
    for api in SimApi::ALL {
        a_drill_killed_mid_run_is_resumed_and_still_cleans_up_in(api);
    }
}

/// The run names its edition with `--api` only: `resume` reaches the server the same way
/// because the journal recorded it.
fn a_drill_killed_mid_run_is_resumed_and_still_cleans_up_in(api: SimApi) {
    let sim = sim_in(
        api,
        vec![
            plan(PLAN_A, Duration::from_millis(50)),
            plan(PLAN_B, Duration::from_millis(1500)),
        ],
    );
    let t = Drbook::new();
    t.runbook(&steps_of(&[PLAN_A, PLAN_B]));
    t.live("drill", &sim.base_url()).args(["--api", api.name()]);
    let child = t.spawn();
    assert!(eventually(Duration::from_secs(10), || sim
        .accepted_failovers(PLAN_B)
        == 1));
    signal(&child, "-KILL");
    let _ = child.wait_with_output();
    resume_run(&t)
        .assert_code(0)
        .assert_stderr_contains("drill clean-up: clean (2 plan(s) undone and ready again)");
    assert_eq!(sim.failover_count(PLAN_B), 1, "never sent twice");
    for id in [PLAN_A, PLAN_B] {
        assert_eq!(sim.accepted_undos(id), 1);
        assert_eq!(sim.plan_state(id).as_deref(), Some("UndoFailover"));
    }
    let report = t.report();
    assert_eq!(report["mode"], "drill");
    assert_eq!(report["drill"]["cleanup"], "clean");
}

#[test]
fn a_resumed_drill_undoes_only_what_was_failed_over() {
    // A readiness check is answered 2xx too: it makes no plan failed over.
    let sim = sim(vec![
        plan(PLAN_A, Duration::ZERO),
        plan(PLAN_B, Duration::from_millis(50)),
    ]);
    let steps = format!(
        "  - readiness_check: {{ plan_id: {PLAN_A} }}\n{}  - wait: 2s\n",
        one_failover(PLAN_B)
    );
    let (t, child) = spawn_live(&sim, "drill", &steps);
    assert!(eventually(Duration::from_secs(10), || {
        sim.plan_state(PLAN_B).as_deref() == Some("Failover") && sim.accepted_checks(PLAN_A) == 1
    }));
    t.await_waiting(3);
    signal(&child, "-KILL");
    let _ = child.wait_with_output();
    resume_run(&t)
        .assert_code(0)
        .assert_stderr_contains("drill clean-up: clean (1 plan(s) undone and ready again)");
    assert_eq!(
        sim.undo_count(PLAN_A),
        0,
        "the checked plan was never failed over"
    );
    assert_eq!(sim.accepted_undos(PLAN_B), 1);
    assert_eq!(sim.failover_count(PLAN_B), 1);
}

#[test]
fn a_drill_cleans_up_a_failover_whose_answer_was_lost_even_when_the_plan_could_not_be_read() {
    let mut lost = Fault::new(FaultEndpoint::Failover, FaultKind::DropAfterAction);
    lost.plan = Some(PLAN_A.to_owned());
    // The guard's read passes; the four reads after the lost answer fail.
    let mut unreadable = Fault::new(FaultEndpoint::Plan, FaultKind::Status(503));
    unreadable.plan = Some(PLAN_A.to_owned());
    unreadable.after = 1;
    unreadable.count = 4;
    let sim = faulty_sim(
        vec![plan(PLAN_A, Duration::from_millis(50))],
        vec![lost, unreadable],
    );
    let (t, out) = command(&sim, "drill", &steps_of(&[PLAN_A]), &[]);
    out.assert_code(1);
    assert_eq!(sim.failover_count(PLAN_A), 1, "never sent twice");
    // The clean-up read the plan, found it failed over, and undid it.
    assert_eq!(sim.accepted_undos(PLAN_A), 1);
    assert_eq!(sim.plan_state(PLAN_A).as_deref(), Some("UndoFailover"));
    let report = t.report();
    assert_eq!(report["drill"]["cleanup"], "clean");
    assert_eq!(report["drill"]["undone"], serde_json::json!([PLAN_A]));
}

#[test]
fn a_drill_interrupted_during_its_clean_up_is_finished_by_resume() {
    let mut slow_undo = plan(PLAN_A, Duration::from_millis(50));
    slow_undo.undo_duration = Some(Duration::from_millis(1500));
    let sim = sim(vec![slow_undo]);
    let (t, child) = spawn_live(&sim, "drill", &steps_of(&[PLAN_A]));
    assert!(eventually(Duration::from_secs(10), || sim
        .accepted_undos(PLAN_A)
        == 1));
    signal(&child, "-INT");
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130));
    let report = t.report();
    assert_eq!(report["result"], "interrupted");
    assert_eq!(report["drill"]["cleanup"], "interrupted");
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("`drbook resume` finishes the clean-up")
    );

    resume_run(&t).assert_code(0);
    assert_eq!(
        sim.undo_count(PLAN_A),
        1,
        "the undo under way is waited for, not sent again"
    );
    assert_eq!(sim.plan_state(PLAN_A).as_deref(), Some("UndoFailover"));
    let report = t.report();
    assert_eq!(report["drill"]["cleanup"], "clean");
    assert_eq!(report["result"], "succeeded");
}

#[test]
fn an_approval_that_names_no_pause_step_is_refused_before_anything_is_sent() {
    let sim = sim(vec![plan(PLAN_A, Duration::ZERO)]);
    let steps = format!(
        "  - name: gate\n    pause: {{ message: go? }}\n{}",
        one_failover(PLAN_A)
    );
    let (_, out) = command(&sim, "run", &steps, &["--approve", "gaet"]);
    out.assert_code(2)
        .assert_stderr_contains("--approve \"gaet\" names no pause step")
        .assert_stderr_contains("1 (\"gate\")");
    assert!(sim.requests().is_empty());
}
