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
    let t = Drbook::new();
    t.credentials();
    let rb = t.file("rb.yaml", runbook(&one_failover(PLAN_A)));
    let out = t
        .args([
            "run",
            rb.to_str().unwrap(),
            "--server",
            &server.url(),
            "--yes",
        ])
        .run();
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
        _ => Reply::Json(
            302,
            "{}".to_owned(),
            vec![("Location".to_owned(), "/elsewhere".to_owned())],
        ),
    });
    let t = Drbook::new();
    t.credentials();
    let rb = t.file("rb.yaml", runbook(&one_failover(PLAN_A)));
    t.args([
        "run",
        rb.to_str().unwrap(),
        "--server",
        &server.url(),
        "--yes",
    ])
    .run()
    .assert_code(1);
    let failover = format!("POST /api/v3/Plans/{PLAN_A}/Failover");
    assert_eq!(server.hits(), vec!["POST /token".to_owned(), failover]);
    assert_eq!(t.report()["steps"][0]["response"]["status"], 302);
}

#[test]
fn a_401_is_answered_by_renewing_the_token_and_the_report_says_so() {
    let server = Scripted::start(|method, path, seen| match (method, path) {
        ("POST", "/token") => token_reply(),
        ("POST", _) if seen == 0 => {
            Reply::Json(401, r#"{"message":"token expired"}"#.to_owned(), vec![])
        }
        ("POST", _) => Reply::Json(200, String::new(), vec![]),
        _ => done_reply(),
    });
    let t = Drbook::new();
    t.credentials();
    let rb = t.file("rb.yaml", runbook(&one_failover(PLAN_A)));
    let out = t
        .args([
            "run",
            rb.to_str().unwrap(),
            "--server",
            &server.url(),
            "--yes",
        ])
        .run();
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
        _ => Reply::Hang,
    });
    let t = Drbook::new();
    t.credentials();
    let rb = t.file("rb.yaml", runbook(&one_failover(PLAN_A)));
    t.args([
        "run",
        rb.to_str().unwrap(),
        "--server",
        &server.url(),
        "--yes",
    ]);
    let child = t.spawn();
    assert!(eventually(Duration::from_secs(20), || server.hits().len() == 2));
    let pid = child.id().to_string();
    let kill = |signal: &str| {
        assert!(
            std::process::Command::new("kill")
                .args([signal, &pid])
                .status()
                .unwrap()
                .success()
        );
    };
    kill("-INT");
    std::thread::sleep(Duration::from_millis(300));
    kill("-TERM");
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
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
}

#[test]
fn sigterm_stops_a_run_cleanly_like_ctrl_c() {
    let sim = sim(vec![plan(PLAN_A, Duration::ZERO)]);
    let t = Drbook::new();
    t.credentials();
    let rb = t.file(
        "rb.yaml",
        runbook(&format!("{}  - wait: 1h\n", one_failover(PLAN_A))),
    );
    t.args([
        "run",
        rb.to_str().unwrap(),
        "--server",
        &sim.base_url(),
        "--yes",
    ]);
    let started = Instant::now();
    let child = t.spawn();
    assert!(eventually(Duration::from_secs(20), || {
        sim.plan_state(PLAN_A).as_deref() == Some("Failover")
            && sim.requests().iter().any(|r| r.method == "GET")
    }));
    std::thread::sleep(Duration::from_millis(300));
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
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
    let t = Drbook::new();
    t.credentials();
    t.file("not-a-dir", "a file where the report directory should be");
    let rb = t.file("rb.yaml", runbook(&one_failover(PLAN_A)));
    let out = t
        .args([
            "run",
            rb.to_str().unwrap(),
            "--server",
            &sim.base_url(),
            "--yes",
            "--report-dir",
            "not-a-dir/reports",
        ])
        .run();
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
