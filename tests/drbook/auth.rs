//! Authentication: password grant, bad passwords, VAO_TOKEN, token renewal.

use crate::support::*;
use std::io::{Read, Write};
use std::time::Duration;

const Z: Duration = Duration::ZERO;

#[test]
fn password_grant_from_the_environment() {
    let sim = sim(vec![plan(PLAN_A, Z)]);
    let (_, out) = run_live(&sim, &one_failover(PLAN_A), &[]);
    out.assert_code(0);
    let token = &sim.requests()[0];
    assert_eq!(
        (token.method.as_str(), token.path.as_str()),
        ("POST", "/token")
    );
    assert_eq!(
        token.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    let form: Vec<(String, String)> = url::form_urlencoded::parse(token.body.as_bytes())
        .into_owned()
        .collect();
    assert!(form.contains(&("grant_type".into(), "password".into())));
    assert!(form.contains(&("username".into(), USER.into())));
    assert!(form.contains(&("password".into(), PASSWORD.into())));
}

#[test]
fn password_file_and_username_flag() {
    let sim = sim(vec![plan(PLAN_A, Z)]);
    let t = live(&sim.base_url(), &one_failover(PLAN_A));
    let password = t.file("vao-password", format!("{PASSWORD}\n"));
    t.without_credentials()
        .args(["--username", USER])
        .args(["--password-file", password.to_str().unwrap()])
        .run()
        .assert_code(0);
    assert_eq!(sim.failover_count(PLAN_A), 1);
}

#[test]
fn a_wrong_password_fails_before_any_failover() {
    let sim = sim(vec![plan(PLAN_A, Z)]);
    let t = live(&sim.base_url(), &one_failover(PLAN_A));
    let out = t.env("VAO_PASSWORD", "not-the-password").run();
    out.assert_code(1);
    assert!(
        out.stderr.contains("authentication failed"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("400"), "{}", out.stderr);
    assert_eq!(sim.failover_count(PLAN_A), 0);
    let report = t.report();
    assert_eq!(report["result"], "failed");
    assert!(
        report["error"]
            .as_str()
            .unwrap()
            .contains("authentication failed")
    );
    assert!(!t.report_texts().contains("not-the-password"));
}

/// Logs in to the simulator with a hand-written HTTP request, as another tool would.
fn token_from(sim: &drbook::sim::Simulator) -> String {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "password")
        .append_pair("username", USER)
        .append_pair("password", PASSWORD)
        .finish();
    let mut stream = std::net::TcpStream::connect(sim.addr()).unwrap();
    write!(
        stream,
        "POST /token HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        sim.addr(),
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let json = &answer[answer.find('{').unwrap()..=answer.rfind('}').unwrap()];
    let value: serde_json::Value = serde_json::from_str(json).unwrap();
    value["access_token"].as_str().unwrap().to_owned()
}

#[test]
fn vao_token_is_used_as_the_bearer_token() {
    let sim = sim(vec![plan(PLAN_A, Z)]);
    let token = token_from(&sim);
    let t = live(&sim.base_url(), &one_failover(PLAN_A));
    let out = t.without_credentials().env("VAO_TOKEN", &token).run();
    out.assert_code(0);
    let requests = sim.requests();
    assert_eq!(
        requests.iter().filter(|r| r.path == "/token").count(),
        1,
        "only the test logged in"
    );
    let post = requests
        .iter()
        .find(|r| r.path.ends_with("/Failover"))
        .unwrap();
    assert_eq!(
        post.authorization.as_deref(),
        Some(format!("Bearer {token}").as_str())
    );
    assert!(!out.stderr.contains(&token) && !t.report_texts().contains(&token));
}

#[test]
fn a_refused_vao_token_fails_with_a_clear_message() {
    let sim = sim(vec![plan(PLAN_A, Z)]);
    let t = live(&sim.base_url(), &one_failover(PLAN_A));
    let out = t
        .without_credentials()
        .env("VAO_TOKEN", "expired-or-forged-token")
        .run();
    out.assert_code(1);
    assert!(out.stderr.contains("401"), "{}", out.stderr);
    assert!(out.stderr.contains("VAO_TOKEN"), "{}", out.stderr);
    assert!(!out.stderr.contains("expired-or-forged-token"));
}

#[test]
fn short_lived_tokens_are_renewed_without_the_operator_noticing() {
    let mut config = drbook::sim::SimConfig::with_plans(
        [PLAN_A.to_owned(), PLAN_B.to_owned()],
        Duration::from_millis(1500),
    );
    config.username = USER.to_owned();
    config.password = PASSWORD.to_owned();
    config.token_lifetime = Duration::from_secs(1);
    let sim = drbook::sim::Simulator::spawn_in_thread(config).unwrap();
    let (_, out) = run_live(
        &sim,
        &format!("  - failover: {{ plan_id: {PLAN_A} }}\n  - failover: {{ plan_id: {PLAN_B} }}\n"),
        &[],
    );
    out.assert_code(0);
    let refreshes = sim
        .requests()
        .iter()
        .filter(|r| r.path == "/token" && r.body.contains("grant_type=refresh_token"))
        .count();
    assert!(
        refreshes >= 2,
        "{refreshes} refreshes over a 3 s run with 1 s tokens"
    );
    assert_eq!(sim.failover_count(PLAN_A), 1);
    assert_eq!(sim.failover_count(PLAN_B), 1);
}
