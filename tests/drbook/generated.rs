//! What the benchmarks rely on, checked without timing: the generated runbooks are valid and
//! name distinct plans, and a run uses one connection (TCP and TLS) and sends exactly the
//! token, the guard's read, the failover and one poll per step (against the benchmark's
//! own server, `benches/e2e/server.rs`).

#[allow(dead_code)]
#[path = "../../benches/support/generate.rs"]
mod generate;

#[allow(dead_code)]
#[path = "../../benches/e2e/server.rs"]
mod bench_server;

use crate::support::Drbook;
use generate::Spec;

#[test]
fn generated_runbooks_are_valid_and_their_plans_distinct() {
    let ids = generate::plan_ids(10_000);
    let distinct: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(distinct.len(), ids.len());
    for id in [&ids[0], &ids[9_999]] {
        assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    }
    let t = Drbook::new();
    let mut spec = Spec::new(300);
    spec.poll_interval = Some("1s".to_owned());
    spec.server = Some("https://vao.example.internal:9899".to_owned());
    let waiting = t.file("waiting.yaml", generate::runbook(&spec));
    spec.wait_for_completion = false;
    let fire = t.file("fire.yaml", generate::runbook(&spec));
    t.args(["validate", "--format", "json"])
        .args([waiting.to_str().unwrap(), fire.to_str().unwrap()]);
    let out = t.run();
    out.assert_code(0);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["runbooks"][0]["steps"], 300);
    assert_eq!(json["runbooks"][1]["steps"], 300);
}

fn run_against(
    server: &bench_server::Server,
    ca_cert: Option<&str>,
    steps: usize,
) -> bench_server::Counts {
    let t = Drbook::new();
    t.runbook_text(generate::runbook(&Spec::new(steps)));
    t.live("run", &server.url())
        .without_credentials()
        .env("VAO_USERNAME", bench_server::USERNAME)
        .env("VAO_PASSWORD", bench_server::PASSWORD);
    if let Some(pem) = ca_cert {
        let ca = t.file("ca.pem", pem);
        t.args(["--ca-cert", ca.to_str().unwrap()]);
    }
    server.reset();
    t.run().assert_code(0);
    server.reset().0
}

#[test]
fn a_run_uses_one_connection_and_the_expected_requests() {
    let server = bench_server::Server::start(None);
    let counts = run_against(&server, None, 25);
    assert_eq!(counts.connections, 1, "{counts:?}");
    assert_eq!(counts.token, 1);
    assert_eq!(counts.plan_gets, 25);
    assert_eq!(counts.failovers, 25);
    assert_eq!(counts.details_gets, 25);
    assert_eq!(counts.refused, 0);
}

#[test]
fn a_tls_run_uses_one_connection_and_one_handshake() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (cert, key) = bench_server::self_signed();
    let server = bench_server::Server::start(Some((&cert, &key)));
    let counts = run_against(&server, Some(&cert), 10);
    assert_eq!(
        (counts.connections, counts.handshakes),
        (1, 1),
        "{counts:?}"
    );
    assert_eq!(counts.requests(), 1 + 3 * 10);
}
