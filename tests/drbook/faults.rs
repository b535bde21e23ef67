//! Misbehaving servers and hostile circumstances: redirects, 401s, hung requests, signals,
//! an unwritable report directory.

use crate::support::*;
use std::time::{Duration, Instant};

#[test]
fn redirects_are_never_followed() {
    let elsewhere = Scripted::start(|_, _, _| token_reply());
    let target = format!("{}/token", elsewhere.url());
    let server = Scripted::start(move |_, _, _| {
        Reply::Json(
            307,
            "{}".to_owned(),
            vec![("Location".to_owned(), target.clone())],
        )
    });
    let t = live(&server.url(), &one_failover(PLAN_A));
    let out = t.run();
    out.assert_code(1);
    assert!(out.stderr.contains("307"), "{}", out.stderr);
    assert!(
        elsewhere.hits().is_empty(),
        "the password went to {:?}",
        elsewhere.hits()
    );
    assert_eq!(server.hits(), vec!["POST /token"]);
}

#[test]
fn a_redirected_failover_fails_the_step_and_is_not_resent() {
    let server = Scripted::start(|method, path, _| match (method, path) {
        ("POST", "/token") => token_reply(),
        _ if is_plan_read(method, path) => ready_reply(),
        _ => Reply::Json(
            302,
            "{}".to_owned(),
            vec![("Location".to_owned(), "/elsewhere".to_owned())],
        ),
    });
    let t = live(&server.url(), &one_failover(PLAN_A));
    t.run().assert_code(1);
    let guard = format!("GET /api/v3/Plans/{PLAN_A}");
    let failover = format!("POST /api/v3/Plans/{PLAN_A}/Failover");
    assert_eq!(
        server.hits(),
        vec!["POST /token".to_owned(), guard, failover]
    );
    assert_eq!(t.report()["steps"][0]["response"]["status"], 302);
}

#[test]
fn a_401_is_answered_by_renewing_the_token_and_the_report_says_so() {
    let server = Scripted::start(|method, path, seen| match (method, path) {
        ("POST", "/token") => token_reply(),
        _ if is_plan_read(method, path) => ready_reply(),
        ("POST", _) if seen == 0 => {
            Reply::Json(401, r#"{"message":"token expired"}"#.to_owned(), vec![])
        }
        ("POST", _) => Reply::Json(200, String::new(), vec![]),
        _ => done_reply(),
    });
    let t = live(&server.url(), &one_failover(PLAN_A));
    let out = t.run();
    out.assert_code(0);
    let hits = server.hits();
    let posts = hits.iter().filter(|h| h.ends_with("/Failover")).count();
    assert_eq!(posts, 2);
    // The token was renewed (refresh grant) between the two tries.
    assert_eq!(hits.iter().filter(|h| *h == "POST /token").count(), 2);
    assert!(out.stderr.contains("sent twice"), "{}", out.stderr);
    assert_eq!(t.report()["steps"][0]["response"]["attempts"], 2);
}

#[test]
fn a_second_signal_during_a_hung_request_still_leaves_a_report() {
    let server = Scripted::start(|method, path, _| match (method, path) {
        ("POST", "/token") => token_reply(),
        _ if is_plan_read(method, path) => ready_reply(),
        _ => Reply::Hang,
    });
    let t = live(&server.url(), &one_failover(PLAN_A));
    let running = t.start();
    assert!(eventually(Duration::from_secs(20), || server.hits().len() == 3));
    running
        .signal("-INT")
        .await_stderr("finishing the request in flight")
        .signal("-TERM");
    let output = running.finish();
    let stderr = &output.stderr;
    assert_eq!(output.code, 130, "{stderr}");
    assert!(stderr.contains("SIGTERM again"), "{stderr}");
    let report = t.report();
    assert_eq!(report["result"], "interrupted");
    assert!(report["error"].as_str().unwrap().contains("second SIGTERM"));
    assert!(
        report["steps"][0]["request"]["path"]
            .as_str()
            .unwrap()
            .ends_with("/Failover")
    );
    // The request was on the wire: the step is not "not run".
    assert_eq!(report["steps"][0]["result"], "interrupted");
    assert!(
        report["steps"][0]["error"]
            .as_str()
            .unwrap()
            .contains("in flight")
    );
}

#[test]
fn sigterm_stops_a_run_cleanly_like_ctrl_c() {
    let sim = sim(vec![plan(PLAN_A, Duration::ZERO)]);
    let t = live(
        &sim.base_url(),
        &format!("{}  - wait: 1h\n", one_failover(PLAN_A)),
    );
    let started = Instant::now();
    let child = t.spawn();
    assert!(eventually(Duration::from_secs(20), || {
        sim.plan_state(PLAN_A).as_deref() == Some("Failover")
            && sim.requests().iter().any(|r| r.method == "GET")
    }));
    t.await_waiting(2);
    signal(&child, "-TERM");
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130));
    assert!(started.elapsed() < Duration::from_secs(20));
    let report = t.report();
    assert_eq!(report["result"], "interrupted");
    assert_eq!(report["steps"][1]["result"], "interrupted");
}

#[test]
fn an_unwritable_report_directory_stops_the_run_before_anything_is_sent() {
    let sim = sim(vec![plan(PLAN_A, Duration::ZERO)]);
    let t = live(&sim.base_url(), &one_failover(PLAN_A));
    t.file("not-a-dir", "a file where the report directory should be");
    let out = t.args(["--report-dir", "not-a-dir/reports"]).run();
    out.assert_code(2);
    assert!(
        out.stderr.contains("cannot write the report"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("nothing was sent"));
    assert!(sim.requests().is_empty());
}

#[test]
fn bad_paths_and_urls_are_usage_errors() {
    let t = Drbook::new();
    let rb = t.file("rb.yaml", runbook(&one_failover(PLAN_A)));
    let rb = rb.to_str().unwrap();
    for args in [
        vec!["run", rb, "--dry-run", "--api-prefix", "api/v3"],
        vec![
            "run",
            rb,
            "--dry-run",
            "--server",
            "https://admin:hunter2@vao.example:9899",
        ],
        vec!["run", rb, "--dry-run", "--sim-failover-time", "1s"],
    ] {
        let out = Drbook::new().args(args.clone()).run();
        out.assert_code(2);
        assert!(!out.stderr.contains("hunter2"), "{}", out.stderr);
        assert!(!out.stdout.contains("/Failover"), "{args:?}");
    }
}

#[test]
fn a_bad_ca_certificate_refuses_the_run_before_a_report_or_a_request() {
    let sim = sim(vec![plan(PLAN_A, Duration::ZERO)]);
    let probe = Drbook::new();
    let not_pem = probe.file("ca.pem", "this is not a certificate\n");
    let (t, out) = run_live(
        &sim,
        &one_failover(PLAN_A),
        &["--ca-cert", not_pem.to_str().unwrap()],
    );
    out.assert_code(2);
    assert!(out.stderr.contains("--ca-cert"), "{}", out.stderr);
    assert!(sim.requests().is_empty());
    assert!(
        t.reports().is_empty(),
        "a run that never started left a report"
    );
}

#[test]
fn a_killed_run_leaves_a_report_of_what_it_had_sent() {
    let sim = sim(vec![plan(PLAN_A, Duration::ZERO)]);
    let t = live(
        &sim.base_url(),
        &format!(
            "  - failover:\n      plan_id: {PLAN_A}\n      wait_for_completion: false\n  - wait: 1h\n"
        ),
    );
    let mut child = t.spawn();
    // Once the long wait has begun, SIGKILL: no chance to clean up.
    assert!(eventually(Duration::from_secs(20), || {
        t.reports()
            .first()
            .is_some_and(|r| r["steps"][1]["started_at"].is_string())
    }));
    child.kill().unwrap();
    child.wait().unwrap();
    let report = t.report();
    assert_eq!(sim.failover_count(PLAN_A), 1);
    assert_eq!(report["steps"][0]["result"], "succeeded");
    assert!(
        report["steps"][0]["request"]["path"]
            .as_str()
            .unwrap()
            .ends_with("/Failover")
    );
    assert_eq!(report["steps"][0]["response"]["status"], 200);
    assert!(report["finished_at"].is_null(), "the run never finished");
}

#[test]
fn a_closed_stderr_does_not_stop_a_run_or_lose_its_report() {
    let sim = sim(vec![plan(PLAN_A, Duration::ZERO)]);
    let t = live(&sim.base_url(), &one_failover(PLAN_A));
    let mut child = t.spawn();
    drop(child.stderr.take());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    assert_eq!(t.report()["result"], "succeeded");
}

#[test]
fn an_absurd_token_lifetime_is_survived() {
    let server = Scripted::start(|method, path, _| {
        match (method, path) {
        ("POST", "/token") => Reply::Json(
            200,
            r#"{"access_token":"scripted-access-token","token_type":"bearer","expires_in":18446744073709551615}"#.to_owned(),
            vec![],
        ),
        _ if is_plan_read(method, path) => ready_reply(),
        ("POST", _) => Reply::Json(200, String::new(), vec![]),
        _ => done_reply(),
    }
    });
    let t = live(&server.url(), &one_failover(PLAN_A));
    t.run().assert_code(0);
}

#[test]
fn a_token_echoed_by_the_server_is_masked_in_logs_progress_and_reports() {
    let server = Scripted::start(|method, path, seen| match (method, path) {
        ("POST", "/token") => token_reply(),
        _ if is_plan_read(method, path) => ready_reply(),
        ("POST", _) => Reply::Json(200, String::new(), vec![]),
        _ if seen == 0 => Reply::Json(
            500,
            r#"{"message":"bad header: Authorization: Bearer scripted-access-token"}"#.to_owned(),
            vec![],
        ),
        _ => done_reply(),
    });
    let t = live(&server.url(), &one_failover(PLAN_A));
    let out = t.global_args(["-vv"]).run();
    out.assert_code(0);
    assert!(
        out.stderr.contains("bad header"),
        "the poll error was shown: {}",
        out.stderr
    );
    let everything = format!("{}{}{}", out.stdout, out.stderr, t.report_texts());
    assert!(!everything.contains("scripted-access-token"));
    assert!(!everything.contains("scripted-refresh-token"));
}

#[test]
fn a_password_that_is_an_ordinary_word_does_not_break_the_report() {
    let mut config = drbook::sim::SimConfig::with_plans([PLAN_A.to_owned()], Duration::ZERO);
    config.username = USER.to_owned();
    config.password = "succeeded".to_owned();
    let sim = drbook::sim::Simulator::spawn_in_thread(config).unwrap();
    let t = live(&sim.base_url(), &one_failover(PLAN_A));
    t.env("VAO_PASSWORD", "succeeded").run().assert_code(0);
    assert_eq!(t.report()["result"], "succeeded");
}

#[test]
fn secrets_in_names_and_rendered_values_stay_out_of_messages_and_file_names() {
    let t = Drbook::new();
    let rb = t.file(
        "rb.yaml",
        "version: 1\nname: 'drill {{db_password}}'\nsteps:\n  - failover:\n      plan_id: '{{db_password}}'\n",
    );
    let out = Drbook::new()
        .args([
            "validate",
            rb.to_str().unwrap(),
            "--var",
            "db_password=hunter2-from-cli",
        ])
        .run();
    out.assert_code(2);
    assert!(
        out.stderr.contains("expected a plan UUID"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("hunter2-from-cli"), "{}", out.stderr);

    let rb = t.file(
        "named.yaml",
        runbook("  - wait: 1ms\n").replace("test-runbook", "'drill {{db_password}}'"),
    );
    let out = t
        .args([
            "run",
            rb.to_str().unwrap(),
            "--dry-run",
            "--var",
            "db_password=hunter2-from-cli",
        ])
        .run();
    out.assert_code(0);
    assert!(!out.stderr.contains("hunter2-from-cli"), "{}", out.stderr);
    for entry in std::fs::read_dir(t.dir().join("reports")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(!name.contains("hunter2"), "{name}");
    }
    assert!(!t.report_texts().contains("hunter2-from-cli"));
}

#[test]
fn a_server_url_with_credentials_is_refused_before_it_is_printed() {
    let t = live("http://admin:hunter2@127.0.0.1:9", &one_failover(PLAN_A));
    let out = t.run();
    out.assert_code(2);
    assert!(!out.stderr.contains("hunter2"), "{}", out.stderr);
    assert!(t.reports().is_empty());
}
