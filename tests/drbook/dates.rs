//! The date helpers (`now`, `today`, `ago`, `format_date`) and the template clock: `--now`
//! pins it, the report records it, and `resume` renders at the run's own clock.

use crate::support::*;
use serde_json::json;
use std::time::Duration;

const CLOCK: &str = "2026-11-28T02:00:00Z";

/// Two failovers whose restore points come from the clock: `ago` (an instant, converted
/// through `server_time_zone`) and yesterday's 22:00 by the Berlin calendar (no offset).
fn dated_steps() -> String {
    format!(
        "  - failover:
      plan_id: {PLAN_A}
      restore_point: '{{{{ago \"24h\"}}}}'
  - wait: 100ms
  - failover:
      plan_id: {PLAN_B}
      restore_point: '{{{{today days=-1 tz=\"Europe/Berlin\"}}}}T22:00'
"
    )
}

fn dated_runbook() -> String {
    runbook(&dated_steps()).replace(
        "name: test-runbook\n",
        "name: 'drill {{format_date (now) \"%d.%m.%Y\"}}'\nserver_time_zone: Europe/Berlin\n",
    )
}

/// A live run of [`dated_runbook`] against `sim` at the clock `now`, with a `wait` between
/// the failovers; ready to `run()` or `spawn()`.
fn dated_live_run(sim: &drbook::sim::Simulator, wait: &str, now: &str) -> Drbook {
    let t = Drbook::new();
    t.runbook_text(dated_runbook().replace("wait: 100ms", &format!("wait: {wait}")));
    t.live("run", &sim.base_url()).args(["--now", now]);
    t
}

fn expected_failovers() -> Vec<(String, serde_json::Value)> {
    vec![
        (
            PLAN_A.to_owned(),
            // 2026-11-27T02:00:00Z is 03:00 in Berlin (CET, +01:00).
            json!({"executeChainedPlans": false, "restorePointDate": "2026-11-27T03:00:00", "protectStorageVolumes": false}),
        ),
        (
            PLAN_B.to_owned(),
            json!({"executeChainedPlans": false, "restorePointDate": "2026-11-27T22:00:00", "protectStorageVolumes": false}),
        ),
    ]
}

#[test]
fn a_run_with_now_sends_the_restore_points_of_that_clock_and_reports_it() {
    let sim = sim(vec![
        plan(PLAN_A, Duration::ZERO),
        plan(PLAN_B, Duration::ZERO),
    ]);
    let t = dated_live_run(&sim, "100ms", "2026-11-28T03:00:00.900+01:00");
    t.run().assert_code(0);
    assert_eq!(failovers(&sim), expected_failovers());
    let report = t.report();
    assert_eq!(report["template_clock"], CLOCK, "UTC, whole seconds");
    assert_eq!(report["runbook"]["name"], "drill 28.11.2026");
    let markdown = t.report_texts();
    assert!(
        markdown.contains(&format!("| Template clock | `{CLOCK}` |")),
        "{markdown}"
    );

    // The report's clock reproduces the run: the same rendered runbook, byte for byte.
    let again = Drbook::new();
    let rb = again.file("rb.yaml", dated_runbook());
    let out = again
        .args(["run", rb.to_str().unwrap(), "--dry-run", "--now", CLOCK])
        .run();
    out.assert_code(0);
    assert!(
        out.stdout
            .contains(r#""restorePointDate":"2026-11-27T22:00:00""#),
        "{}",
        out.stdout
    );
    assert_eq!(
        again.report()["runbook"]["rendered_sha256"],
        report["runbook"]["rendered_sha256"]
    );
}

#[test]
fn without_now_the_clock_is_the_time_of_the_run() {
    let before = chrono::Utc::now().timestamp();
    let t = Drbook::new();
    let rb = t.file("rb.yaml", dated_runbook());
    t.args(["run", rb.to_str().unwrap(), "--dry-run"])
        .run()
        .assert_code(0);
    let after = chrono::Utc::now().timestamp();
    let report = t.report();
    let clock = chrono::DateTime::parse_from_rfc3339(report["template_clock"].as_str().unwrap())
        .unwrap()
        .timestamp();
    assert!(
        (before..=after).contains(&clock),
        "{before} ≤ {clock} ≤ {after}"
    );
    let today = chrono::DateTime::from_timestamp(clock, 0)
        .unwrap()
        .format("%d.%m.%Y")
        .to_string();
    assert_eq!(report["runbook"]["name"], format!("drill {today}"));
}

/// A runbook of one failover to `restore_point`, which is on line 6, column 22.
fn restoring_to(restore_point: &str) -> String {
    format!(
        "version: 1\nname: x\nsteps:\n  - failover:\n      plan_id: {PLAN_A}\n      restore_point: '{restore_point}'\n"
    )
}

#[test]
fn validate_points_at_a_bad_helper_call() {
    let t = Drbook::new();
    let rb = t.file(
        "rb.yaml",
        restoring_to(r#"{{format_date (ago "1 fortnight") "%Y-%m-%dT22:00" tz="Europe/Berlin"}}"#),
    );
    let out = t
        .args(["validate", rb.to_str().unwrap(), "--now", CLOCK])
        .run();
    out.assert_code(2);
    out.assert_stderr_contains(&format!("--> {}:6:22", rb.display()));
    out.assert_stderr_contains(
        "error: steps[0].failover.restore_point: `ago`: expected a duration such as \"24h\"",
    );
    out.assert_stderr_contains(r#"got "1 fortnight""#);
}

#[test]
fn a_utc_restore_point_from_ago_still_needs_the_servers_time_zone() {
    let t = Drbook::new();
    let rb = t.file("rb.yaml", restoring_to(r#"{{ago "24h"}}"#));
    let out = t.args(["validate", rb.to_str().unwrap()]).run();
    out.assert_code(2);
    out.assert_stderr_contains("this restore point has a UTC offset");
    out.assert_stderr_contains("the value came from the template `{{ago \"24h\"}}`");
    out.assert_stderr_contains(r#"`now` and `ago` give UTC; for the server's local time, format in its zone: {{format_date (ago "24h") "%Y-%m-%dT%H:%M:%S" tz="Europe/Berlin"}}"#);
}

#[test]
fn a_bad_now_is_a_usage_error() {
    let t = Drbook::new();
    let rb = t.file("rb.yaml", dated_runbook());
    let out = t
        .args([
            "validate",
            rb.to_str().unwrap(),
            "--now",
            "2026-11-28 02:00",
        ])
        .run();
    out.assert_code(2);
    out.assert_stderr_contains("is not an RFC 3339 date-time");
}

#[test]
fn an_interrupted_run_is_resumed_at_its_own_clock() {
    let sim = sim(vec![
        plan(PLAN_A, Duration::ZERO),
        plan(PLAN_B, Duration::ZERO),
    ]);
    let t = dated_live_run(&sim, "5s", CLOCK);
    let child = t.spawn();
    // Interrupted after the first failover (while it is polled, or during the wait).
    assert!(eventually(Duration::from_secs(15), || sim
        .accepted_failovers(PLAN_A)
        == 1));
    signal(&child, "-INT");
    assert_eq!(child.wait_with_output().unwrap().status.code(), Some(130));
    assert_eq!(sim.accepted_failovers(PLAN_B), 0);
    let run_id = t.report()["run_id"].as_str().unwrap().to_owned();

    // The resumed process renders `{{ago "24h"}}` at the run's clock (not today's), so the
    // rendered runbook's hash matches and the remaining failover gets the same restore point.
    let out = t
        .resume(&run_id)
        .args(["--report-dir", &t.reports_dir()])
        .run();
    out.assert_code(0);
    assert_eq!(failovers(&sim), expected_failovers());
    let report = t.report();
    assert_eq!(report["result"], "succeeded");
    assert_eq!(report["template_clock"], CLOCK);

    // A clock of its own is refused: it could only break the run's hash.
    let out = Drbook::new()
        .args(["resume", &run_id, "--now", CLOCK])
        .run();
    out.assert_code(2);
    out.assert_stderr_contains("leave out --now");
}
