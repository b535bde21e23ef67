//! Fault classes from the simulator against the real binary: every plan is failed over at
//! most once, whatever the server does.

use crate::support::*;
use drbook::sim::{Fault, FaultEndpoint, FaultKind, SimConfig, SimPlan, Simulator};

use std::time::Duration;

fn fast_plan(id: &str) -> SimPlan {
    plan(id, Duration::from_millis(100))
}

#[test]
fn a_burst_of_5xx_on_the_failover_is_retried_only_after_reading_the_plan() {
    let sim = faulty_sim(
        vec![fast_plan(PLAN_A)],
        vec![Fault::new(FaultEndpoint::Failover, FaultKind::Status(503)).times(2)],
    );
    let (t, out) = run_live(&sim, &one_failover(PLAN_A), &[]);
    out.assert_code(0);
    assert_eq!(sim.accepted_failovers(PLAN_A), 1);
    let report = t.report();
    let attempts = report["steps"][0]["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 3, "{attempts:?}");
    assert_eq!(attempts[0]["status"], 503);
    assert_eq!(attempts[2]["status"], 200);
    let reconciliations = report["steps"][0]["reconciliations"].as_array().unwrap();
    assert_eq!(reconciliations.len(), 2);
    assert!(reconciliations.iter().all(|r| r["accepted"] == false));
}

#[test]
fn a_lost_answer_after_the_server_acted_is_never_resent() {
    let sim = faulty_sim(
        vec![fast_plan(PLAN_A), fast_plan(PLAN_B)],
        vec![Fault::new(FaultEndpoint::Failover, FaultKind::DropAfterAction).for_plan(PLAN_A)],
    );
    let steps = format!("{}{}", one_failover(PLAN_A), one_failover(PLAN_B));
    let (t, out) = run_live(&sim, &steps, &[]);
    out.assert_code(0);
    assert_eq!(
        sim.failover_count(PLAN_A),
        1,
        "the dangerous case: sent exactly once"
    );
    assert_eq!(sim.accepted_failovers(PLAN_A), 1);
    assert_eq!(sim.accepted_failovers(PLAN_B), 1);
    assert!(
        out.stderr
            .contains("the failover was accepted; waiting for it"),
        "{}",
        out.stderr
    );
    let report = t.report();
    assert_eq!(report["steps"][0]["result"], "succeeded");
    assert_eq!(report["steps"][0]["reconciliations"][0]["accepted"], true);
    assert_eq!(report["steps"][0]["attempts"].as_array().unwrap().len(), 1);
}

#[test]
fn a_429_is_honoured_with_its_retry_after() {
    let sim = faulty_sim(
        vec![fast_plan(PLAN_A)],
        vec![Fault::new(
            FaultEndpoint::Failover,
            FaultKind::RetryAfter(1),
        )],
    );
    let (_, out) = run_live(&sim, &one_failover(PLAN_A), &[]);
    out.assert_code(0);
    let posts: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/Failover"))
        .collect();
    assert_eq!(posts.len(), 2);
    let gap = posts[1]
        .received_at
        .duration_since(posts[0].received_at)
        .unwrap();
    assert!(gap >= Duration::from_secs(1), "{gap:?}");
    assert_eq!(sim.accepted_failovers(PLAN_A), 1);
}

#[test]
fn failing_reads_are_retried_and_counted() {
    let sim = faulty_sim(
        vec![fast_plan(PLAN_A)],
        vec![
            Fault::new(FaultEndpoint::Plan, FaultKind::Status(500)).times(2),
            Fault::new(FaultEndpoint::RuntimeDetails, FaultKind::Status(502)).times(3),
        ],
    );
    let (t, out) = run_live(&sim, &one_failover(PLAN_A), &[]);
    out.assert_code(0);
    let report = t.report();
    assert!(report["steps"][0]["read_retries"].as_u64().unwrap() >= 2);
    assert_eq!(report["steps"][0]["guard"]["verdict"], "passed");
}

#[test]
fn slow_answers_beyond_the_request_timeout_are_survived() {
    let sim = faulty_sim(
        vec![fast_plan(PLAN_A)],
        vec![
            Fault::new(
                FaultEndpoint::RuntimeDetails,
                FaultKind::Latency(Duration::from_millis(900)),
            )
            .times(2),
        ],
    );
    let (_, out) = run_live(&sim, &one_failover(PLAN_A), &["--request-timeout", "300ms"]);
    out.assert_code(0);
    assert_eq!(sim.accepted_failovers(PLAN_A), 1);
}

#[test]
fn a_401_on_the_failover_renews_the_token_and_sends_once_more() {
    let sim = faulty_sim(
        vec![fast_plan(PLAN_A)],
        vec![Fault::new(FaultEndpoint::Failover, FaultKind::Unauthorized)],
    );
    let (t, out) = run_live(&sim, &one_failover(PLAN_A), &[]);
    out.assert_code(0);
    assert_eq!(sim.accepted_failovers(PLAN_A), 1);
    assert_eq!(t.report()["steps"][0]["response"]["attempts"], 2);
}

#[test]
fn a_token_that_expires_three_times_mid_run_does_not_fail_a_step() {
    let mut config = SimConfig::with_plans(
        [PLAN_A.to_owned(), PLAN_B.to_owned(), PLAN_C.to_owned()],
        Duration::from_millis(1300),
    );
    config.username = USER.to_owned();
    config.password = PASSWORD.to_owned();
    config.token_lifetime = Duration::from_secs(1);
    let sim = Simulator::spawn_in_thread(config).unwrap();
    let steps = format!(
        "{}{}{}",
        one_failover(PLAN_A),
        one_failover(PLAN_B),
        one_failover(PLAN_C)
    );
    let (t, out) = run_live(&sim, &steps, &[]);
    out.assert_code(0);
    let renewals = sim
        .requests()
        .iter()
        .filter(|r| r.path == "/token" && !r.body.contains("grant_type=password"))
        .count();
    assert!(
        renewals >= 3,
        "{renewals} renewals over a ~4 s run with 1 s tokens"
    );
    assert_eq!(t.report()["summary"]["succeeded"], 3);
}

#[test]
fn a_vao_restart_mid_run_wipes_runtime_details_and_tokens_and_the_run_goes_on() {
    let sim = faulty_sim(
        vec![plan(PLAN_A, Duration::from_millis(1500)), fast_plan(PLAN_B)],
        vec![],
    );
    let t = live(
        &sim.base_url(),
        &format!("{}{}", one_failover(PLAN_A), one_failover(PLAN_B)),
    );
    let child = t.spawn();
    assert!(eventually(Duration::from_secs(10), || sim
        .accepted_failovers(PLAN_A)
        == 1));
    // Restarted while drbook polls A's runtime details (A takes 1.5 s).
    assert!(eventually(Duration::from_secs(10), || {
        sim.requests().iter().any(|r| {
            r.method == "GET" && r.path == format!("/api/v3/RuntimeDetails/Plans/{PLAN_A}")
        })
    }));
    sim.restart();
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(sim.accepted_failovers(PLAN_A), 1);
    assert_eq!(sim.accepted_failovers(PLAN_B), 1);
    // After the restart the plan itself was read (runtime details were gone).
    let report = t.report();
    assert_eq!(report["steps"][0]["final_state"]["source"], "plan");
}

#[test]
fn two_hundred_steps_against_random_faults_fail_over_every_plan_exactly_once() {
    let ids: Vec<String> = (0..200)
        .map(|i| format!("00000000-0000-4000-8000-{i:012}"))
        .collect();
    let plans = ids.iter().map(|id| plan(id, Duration::ZERO)).collect();
    let sim = faulty_sim(
        plans,
        vec![
            Fault::new(FaultEndpoint::Failover, FaultKind::DropAfterAction)
                .times(0)
                .with_probability(0.05),
            Fault::new(FaultEndpoint::Failover, FaultKind::Status(503))
                .times(0)
                .with_probability(0.1),
            Fault::new(FaultEndpoint::Failover, FaultKind::RetryAfter(0))
                .times(0)
                .with_probability(0.05),
            Fault::new(FaultEndpoint::Plan, FaultKind::Status(500))
                .times(0)
                .with_probability(0.1),
            Fault::new(FaultEndpoint::RuntimeDetails, FaultKind::Status(502))
                .times(0)
                .with_probability(0.1),
            Fault::new(FaultEndpoint::Any, FaultKind::Unauthorized)
                .times(0)
                .with_probability(0.02),
        ],
    );
    let steps: String = ids
        .iter()
        .map(|id| {
            format!(
                "  - failover:\n      plan_id: {id}\n      retries: 8\n      retry_delay: 5ms\n"
            )
        })
        .collect();
    let t = live(&sim.base_url(), &steps);
    let (out, rss) = t.run_sampling_memory();
    out.assert_code(0);
    for id in &ids {
        assert_eq!(sim.accepted_failovers(id), 1, "plan {id}");
        // Sent once: faults that answer without acting are not counted, and a lost answer
        // is followed by a read of the plan, never by a second POST.
        assert_eq!(sim.failover_count(id), 1, "plan {id} was asked twice");
    }
    // Memory stays flat: the last quarter of the run uses no more than the second quarter
    // (plus slack for the allocator), so nothing grows with each step.
    if rss.len() >= 8 {
        let quarter = rss.len() / 4;
        let early = *rss[quarter..2 * quarter].iter().max().unwrap();
        let late = *rss[3 * quarter..].iter().max().unwrap();
        assert!(
            late <= early + early / 4 + 4096,
            "RSS grew from {early} kB to {late} kB"
        );
    }
    let report = t.report();
    assert_eq!(report["summary"]["succeeded"], 200);
    let faulted = sim.requests().iter().filter(|r| r.fault.is_some()).count();
    assert!(faulted > 50, "only {faulted} faults were injected");
}
