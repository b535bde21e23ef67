//! `drbook run` against the simulator: order, bodies, waits, failures, modes.

use crate::support::*;
use drbook::sim::{SimApi, SimOutcome};
use serde_json::json;
use std::time::Duration;

const Z: Duration = Duration::ZERO;

#[test]
fn failovers_are_sent_in_order_with_exact_bodies() {
    for api in SimApi::ALL {
        failovers_are_sent_in_order_with_exact_bodies_in(api);
    }
}

/// The same requests in every API edition, under its prefix, after its token endpoint.
fn failovers_are_sent_in_order_with_exact_bodies_in(api: SimApi) {
    let sim = sim_in(api, vec![plan(PLAN_A, Z), plan(PLAN_B, Z), plan(PLAN_C, Z)]);
    let t = Drbook::new();
    let rb = t.runbook_text(runbook_in(
        api,
        &format!(
            "  - name: storage
    failover:
      plan_id: {PLAN_C}
      protect_storage_volumes: true
  - failover:
      plan_id: {PLAN_A}
      restore_point: 2026-11-25T22:00
      execute_chained_plans: true
  - failover:
      plan_id: {PLAN_B}
"
        ),
    ));
    t.live("run", &sim.base_url());
    t.run().assert_code(0);

    assert_eq!(
        failovers(&sim),
        vec![
            (
                PLAN_C.to_owned(),
                json!({"executeChainedPlans": false, "restorePointDate": null, "protectStorageVolumes": true})
            ),
            (
                PLAN_A.to_owned(),
                json!({"executeChainedPlans": true, "restorePointDate": "2026-11-25T22:00:00", "protectStorageVolumes": false})
            ),
            (
                PLAN_B.to_owned(),
                json!({"executeChainedPlans": false, "restorePointDate": null, "protectStorageVolumes": false})
            ),
        ]
    );
    let requests = sim.requests();
    assert_eq!(requests[0].path, api.token_path(), "logs in first");
    assert!(
        requests[1..]
            .iter()
            .all(|r| r.path.starts_with(&format!("{}/", api.prefix()))),
        "{api:?}: every call under the prefix"
    );
    for r in requests.iter().filter(|r| r.path.ends_with("/Failover")) {
        assert_eq!(r.content_type.as_deref(), Some("application/json"));
        assert!(r.authorization.as_deref().unwrap().starts_with("Bearer "));
        // The keys go out in the documented order.
        assert!(r.body.starts_with("{\"executeChainedPlans\""), "{}", r.body);
    }
    // Each plan was waited for before the next was sent: its state was read in between.
    let order: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
    let post_a = order
        .iter()
        .position(|p| p.contains(PLAN_A) && p.ends_with("Failover"))
        .unwrap();
    let post_b = order
        .iter()
        .position(|p| p.contains(PLAN_B) && p.ends_with("Failover"))
        .unwrap();
    assert!(
        order[post_a..post_b]
            .iter()
            .any(|p| p.contains("RuntimeDetails") && p.contains(PLAN_A))
    );

    let report = t.report();
    assert_eq!(report["result"], "succeeded");
    assert_eq!(report["mode"], "live");
    assert_eq!(report["operator"], "test-operator");
    assert_eq!(report["summary"]["succeeded"], 3);
    assert_eq!(report["steps"][0]["name"], "storage");
    assert_eq!(
        report["steps"][1]["name"],
        format!("Fail over plan \"Plan 6f1c2d9e\" ({PLAN_A})")
    );
    assert_eq!(
        report["steps"][1]["request"]["path"],
        format!("{}/Plans/{PLAN_A}/Failover", api.prefix())
    );
    assert_eq!(
        report["steps"][1]["request"]["body"]["restorePointDate"],
        "2026-11-25T22:00:00"
    );
    assert_eq!(report["steps"][1]["response"]["status"], 200);
    assert_eq!(report["steps"][1]["final_state"]["state"], "Failover");
    let sha = drbook::runbook::source::hex(&<sha2::Sha256 as sha2::Digest>::digest(
        std::fs::read(&rb).unwrap(),
    ));
    assert_eq!(report["runbook"]["sha256"], sha);
}

#[test]
fn waits_are_real_waits() {
    let sim = sim(vec![plan(PLAN_A, Z), plan(PLAN_B, Z)]);
    let t = live(
        &sim.base_url(),
        &format!(
            "  - failover: {{ plan_id: {PLAN_A} }}\n  - name: settle\n    wait: 1200ms\n  - failover: {{ plan_id: {PLAN_B} }}\n"
        ),
    );
    t.run().assert_code(0);
    let posts: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/Failover"))
        .collect();
    let gap = posts[1]
        .received_at
        .duration_since(posts[0].received_at)
        .unwrap();
    assert!(
        gap >= Duration::from_millis(1200),
        "the wait lasted {gap:?}"
    );
    let report = t.report();
    assert_eq!(report["steps"][1]["kind"], "wait");
    assert_eq!(report["steps"][1]["wait_ms"], 1200);
    assert!(report["steps"][1]["duration_ms"].as_u64().unwrap() >= 1200);
}

#[test]
fn dry_run_sends_nothing_and_shows_every_request() {
    let sim = sim(vec![plan(PLAN_A, Z)]);
    let t = live(
        &sim.base_url(),
        &format!(
            "  - failover:\n      plan_id: {PLAN_A}\n      protect_storage_volumes: true\n  - wait: 10m\n"
        ),
    );
    let out = t.yes(false).args(["--dry-run"]).run();
    out.assert_code(0);
    assert!(
        sim.requests().is_empty(),
        "a dry run sent {:?}",
        sim.requests()
    );
    let url = format!("POST {}/api/v3/Plans/{PLAN_A}/Failover", sim.base_url());
    assert!(out.stdout.contains(&url), "{}", out.stdout);
    assert!(out.stdout.contains(
        r#"{"executeChainedPlans":false,"restorePointDate":null,"protectStorageVolumes":true}"#
    ));
    assert!(out.stdout.contains("wait 10m"));
    assert!(
        out.stdout
            .contains(&format!("POST {}/token", sim.base_url()))
    );
    assert!(!out.stdout.contains(PASSWORD) && !out.stderr.contains(PASSWORD));
    let report = t.report();
    assert_eq!(report["mode"], "dry-run");
    assert_eq!(report["result"], "dry_run");
    assert_eq!(report["steps"][0]["result"], "planned");
    assert!(report["steps"][0]["response"].is_null());
}

#[test]
fn dry_run_needs_no_server_and_no_credentials() {
    let t = Drbook::new();
    let rb = t.file("rb.yaml", runbook(&one_failover(PLAN_A)));
    let out = t.args(["run", rb.to_str().unwrap(), "--dry-run"]).run();
    out.assert_code(0);
    assert!(
        out.stdout
            .contains(&format!("/api/v3/Plans/{PLAN_A}/Failover"))
    );
}

#[test]
fn a_halted_plan_fails_the_step_and_stops_the_run() {
    let sim = sim(vec![
        plan_with(PLAN_A, Duration::from_millis(100), SimOutcome::Halt),
        plan(PLAN_B, Z),
    ]);
    let (t, out) = run_live(
        &sim,
        &format!(
            "  - failover: {{ plan_id: {PLAN_A} }}\n  - wait: 1s\n  - failover: {{ plan_id: {PLAN_B} }}\n"
        ),
        &[],
    );
    out.assert_code(1);
    assert_eq!(
        sim.failover_count(PLAN_B),
        0,
        "a step after a failure was sent"
    );
    assert!(out.stderr.contains("Halted"), "{}", out.stderr);
    let report = t.report();
    assert_eq!(report["result"], "failed");
    assert_eq!(report["steps"][0]["result"], "failed");
    assert!(
        report["steps"][0]["error"]
            .as_str()
            .unwrap()
            .contains("Halted")
    );
    assert_eq!(report["steps"][1]["result"], "skipped");
    assert_eq!(report["steps"][2]["result"], "skipped");
    assert!(report["steps"][2]["started_at"].is_null());
    assert!(report["error"].as_str().unwrap().starts_with("step 1"));
    assert_eq!(report["summary"]["failed"], 1);
    assert_eq!(report["summary"]["skipped"], 2);
}

#[test]
fn errors_fail_a_step_and_warnings_do_not() {
    let sim = sim(vec![
        plan_with(PLAN_A, Z, SimOutcome::Warnings),
        plan_with(PLAN_B, Z, SimOutcome::Errors),
    ]);
    let (t, out) = run_live(
        &sim,
        &format!("  - failover: {{ plan_id: {PLAN_A} }}\n  - failover: {{ plan_id: {PLAN_B} }}\n"),
        &[],
    );
    out.assert_code(1);
    let report = t.report();
    assert_eq!(report["steps"][0]["result"], "succeeded_with_warnings");
    assert_eq!(report["steps"][1]["result"], "failed");
    assert!(
        report["steps"][1]["error"]
            .as_str()
            .unwrap()
            .contains("Complete with errors")
    );
}

#[test]
fn the_state_guard_refuses_a_plan_in_the_wrong_state_before_sending() {
    let mut failed_over = plan(PLAN_A, Z);
    failed_over.state = "Failover".to_owned();
    let sim = sim(vec![failed_over, plan(PLAN_B, Z)]);
    let steps =
        format!("  - failover: {{ plan_id: {PLAN_A} }}\n  - failover: {{ plan_id: {PLAN_B} }}\n");
    let (t, out) = run_live(&sim, &steps, &[]);
    out.assert_code(1);
    assert!(
        out.stderr
            .contains(&format!("plan {PLAN_A} is in state Failover")),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("a failover needs a ready state"),
        "{}",
        out.stderr
    );
    assert_eq!(sim.failover_count(PLAN_A), 0, "the guard sent nothing");
    assert_eq!(sim.failover_count(PLAN_B), 0);
    let report = t.report();
    assert_eq!(report["steps"][0]["guard"]["verdict"], "refused");
    assert_eq!(
        report["steps"][0]["guard"]["plan"]["status"]["state"],
        "Failover"
    );
    assert!(report["steps"][0]["request"].is_null());
}

#[test]
fn with_force_the_guard_is_skipped_and_the_server_refuses_instead() {
    let mut failed_over = plan(PLAN_A, Z);
    failed_over.state = "Failover".to_owned();
    let sim = sim(vec![failed_over]);
    let (t, out) = run_live(&sim, &one_failover(PLAN_A), &["--force"]);
    out.assert_code(1);
    assert!(
        out.stderr.contains("guard: skipped (--force)"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("answered 400"), "{}", out.stderr);
    assert_eq!(sim.failover_count(PLAN_A), 1, "sent once, never again");
    let report = t.report();
    assert_eq!(report["steps"][0]["guard"]["verdict"], "skipped");
    assert_eq!(report["steps"][0]["guard"]["reason"], "--force");
    assert_eq!(report["steps"][0]["response"]["status"], 400);
    assert_eq!(report["steps"][0]["attempts"].as_array().unwrap().len(), 1);
}

#[test]
fn the_state_guard_refuses_disabled_and_missing_plans() {
    for api in SimApi::ALL {
        the_state_guard_refuses_disabled_and_missing_plans_in(api);
    }
}

/// VAO 3 says `enabled: false`, VRO `planMode: "Disabled"`: the guard refuses both.
fn the_state_guard_refuses_disabled_and_missing_plans_in(api: SimApi) {
    let mut disabled = plan(PLAN_A, Z);
    disabled.enabled = false;
    let sim = sim_in(api, vec![disabled]);
    let (_, out) = run_live(&sim, &one_failover(PLAN_A), &["--api", api.name()]);
    out.assert_code(1);
    assert!(
        out.stderr.contains(&format!(
            "plan {PLAN_A} is disabled; a failover needs an enabled plan"
        )),
        "{api:?}: {}",
        out.stderr
    );
    let (_, out) = run_live(&sim, &one_failover(PLAN_C), &["--api", api.name()]);
    out.assert_code(1);
    assert!(
        out.stderr
            .contains(&format!("plan {PLAN_C} does not exist")),
        "{}",
        out.stderr
    );
    assert_eq!(sim.failover_count(PLAN_A) + sim.failover_count(PLAN_C), 0);
}

#[test]
fn an_unknown_plan_fails_with_the_servers_message() {
    let sim = sim(vec![plan(PLAN_A, Z)]);
    let (_, out) = run_live(&sim, &one_failover(PLAN_C), &[]);
    out.assert_code(1);
    assert!(out.stderr.contains("404"), "{}", out.stderr);
    assert!(out.stderr.contains("was not found"), "{}", out.stderr);
}

#[test]
fn without_wait_for_completion_no_state_is_read() {
    let sim = sim(vec![plan(PLAN_A, Duration::from_secs(60))]);
    let (t, out) = run_live(
        &sim,
        &format!("  - failover:\n      plan_id: {PLAN_A}\n      wait_for_completion: false\n"),
        &[],
    );
    out.assert_code(0);
    // The state guard reads the plan; nothing polls its runtime details.
    let gets: Vec<String> = sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET")
        .map(|r| r.path)
        .collect();
    assert_eq!(gets, vec![format!("/api/v3/Plans/{PLAN_A}")]);
    assert_eq!(t.report()["steps"][0]["polls"], 0);
}

#[test]
fn a_plan_that_outlasts_its_timeout_fails_the_step() {
    let sim = sim(vec![plan(PLAN_A, Duration::from_secs(30))]);
    let (t, out) = run_live(
        &sim,
        &format!("  - failover:\n      plan_id: {PLAN_A}\n      timeout: 600ms\n"),
        &[],
    );
    out.assert_code(1);
    assert!(
        out.stderr.contains("did not finish within 600ms"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("VAO keeps running it"));
    let report = t.report();
    let polls = report["steps"][0]["polls"].as_u64().unwrap();
    assert!(
        (2..=20).contains(&polls),
        "{polls} polls at a 50 ms interval over 600 ms"
    );
}

#[test]
fn poll_interval_flag_overrides_the_runbook() {
    let sim = sim(vec![plan(PLAN_A, Duration::from_millis(900))]);
    let (_, out) = run_live(&sim, &one_failover(PLAN_A), &["--poll-interval", "400ms"]);
    out.assert_code(0);
    let gets = sim.requests().iter().filter(|r| r.method == "GET").count();
    // 0 ms, 400 ms, 800 ms, 1200 ms: about four reads, never the 18 a 50 ms interval makes.
    assert!((2..=5).contains(&gets), "{gets} state reads");
}

#[test]
fn simulate_runs_the_quickstart_with_the_built_in_simulator() {
    let t = Drbook::new();
    let quickstart = concat!(env!("CARGO_MANIFEST_DIR"), "/runbooks/quickstart.yaml");
    let out = t
        .args([
            "run",
            quickstart,
            "--simulate",
            "--sim-failover-time",
            "200ms",
        ])
        .run();
    out.assert_code(0);
    assert!(
        out.stderr
            .contains("against the built-in simulator at http://127.0.0.1:")
    );
    assert!(
        out.stderr.contains("run succeeded: 3 of 3 steps"),
        "{}",
        out.stderr
    );
    let report = t.report();
    assert_eq!(report["mode"], "simulate");
    assert_eq!(report["summary"]["succeeded"], 3);
    assert!(
        report["server"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:")
    );
}

#[test]
fn a_live_run_without_a_terminal_needs_yes() {
    let sim = sim(vec![plan(PLAN_A, Z)]);
    let t = live(&sim.base_url(), &one_failover(PLAN_A));
    let out = t.yes(false).run();
    out.assert_code(2);
    assert!(out.stderr.contains("--yes"), "{}", out.stderr);
    assert!(sim.requests().is_empty());
}

#[test]
fn a_live_run_needs_a_server_and_credentials() {
    let t = Drbook::new();
    let rb = t.file("rb.yaml", runbook(&one_failover(PLAN_A)));
    let out = t.args(["run", rb.to_str().unwrap(), "--yes"]).run();
    out.assert_code(2);
    assert!(out.stderr.contains("no server"), "{}", out.stderr);

    let sim = sim(vec![plan(PLAN_A, Z)]);
    let t = live(&sim.base_url(), &one_failover(PLAN_A));
    let out = t.without_credentials().run();
    out.assert_code(2);
    assert!(out.stderr.contains("no credentials"), "{}", out.stderr);
    assert!(sim.requests().is_empty());
}

#[test]
fn an_unreachable_server_fails_with_a_report() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let t = live(&format!("http://127.0.0.1:{port}"), &one_failover(PLAN_A));
    let out = t.run();
    out.assert_code(1);
    assert!(out.stderr.contains("could not connect"), "{}", out.stderr);
    let report = t.report();
    assert_eq!(report["result"], "failed");
    assert_eq!(report["steps"][0]["result"], "skipped");
}

#[test]
fn on_a_terminal_the_operator_must_type_the_runbook_name() {
    let sim = sim(vec![plan(PLAN_A, Z)]);
    let t = live(&sim.base_url(), &one_failover(PLAN_A));
    // Asked on the terminal instead of `--yes`.
    t.yes(false);
    let prompt = "Type the runbook name to continue";

    let Some(terminal) = t.on_a_terminal() else {
        return;
    };
    let refused = terminal.answer(prompt, "y").finish();
    let screen = &refused.stdout;
    assert_eq!(refused.code, 2, "{screen}");
    assert!(screen.contains(prompt), "{screen}");
    assert!(
        screen.contains("not confirmed; nothing was sent"),
        "{screen}"
    );
    assert!(sim.requests().is_empty());

    let Some(terminal) = t.on_a_terminal() else {
        return;
    };
    let confirmed = terminal.answer(prompt, "test-runbook").finish();
    let screen = &confirmed.stdout;
    assert_eq!(confirmed.code, 0, "{screen}");
    assert_eq!(sim.failover_count(PLAN_A), 1);
}
