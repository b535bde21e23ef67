//! Ctrl-C: a clean stop, exit 130, and a report that says what happened.

use crate::support::*;
use std::time::{Duration, Instant};

#[test]
fn sigint_stops_the_run_and_still_writes_the_report() {
    let sim = sim(vec![
        plan(PLAN_A, Duration::ZERO),
        plan(PLAN_B, Duration::ZERO),
    ]);
    let t = live(
        &sim.base_url(),
        &format!(
            "  - failover: {{ plan_id: {PLAN_A} }}\n  - name: long settle\n    wait: 1h\n  - failover: {{ plan_id: {PLAN_B} }}\n"
        ),
    );
    let started = Instant::now();
    let child = t.spawn();
    // Once the first plan is done and the wait has begun, interrupt.
    assert!(eventually(Duration::from_secs(20), || {
        sim.plan_state(PLAN_A).as_deref() == Some("Failover")
            && sim.requests().iter().filter(|r| r.method == "GET").count() >= 1
    }));
    t.await_waiting(2);
    signal(&child, "-INT");
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the 1 h wait was not cut short"
    );
    assert!(stderr.contains("INTERRUPTED"), "{stderr}");
    assert_eq!(sim.failover_count(PLAN_B), 0);
    let report = t.report();
    assert_eq!(report["result"], "interrupted");
    assert_eq!(report["steps"][0]["result"], "succeeded");
    assert_eq!(report["steps"][1]["result"], "interrupted");
    assert_eq!(report["steps"][2]["result"], "skipped");
    assert!(report["finished_at"].is_string());
}
