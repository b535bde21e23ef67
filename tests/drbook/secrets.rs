//! No secret reaches stdout, stderr, logs or reports, whatever happens.

use crate::support::*;
use drbook::sim::SimOutcome;
use std::time::Duration;

#[test]
fn no_secret_reaches_output_logs_or_reports() {
    let sim = sim(vec![
        plan(PLAN_A, Duration::ZERO),
        plan_with(PLAN_B, Duration::from_millis(50), SimOutcome::Halt),
    ]);
    let t = Drbook::new();
    let password = t.file("pw", PASSWORD);
    t.runbook_text(
        format!(
            "version: 1\nname: secrets\nvars:\n  api_token: tok-SECRET-vars-value\n  note: plain\ndefaults:\n  poll_interval: 50ms\nsteps:\n  - name: 'uses {{{{note}}}}, {{{{api_token}}}} and {{{{vault_secret}}}}'\n    failover: {{ plan_id: {PLAN_A} }}\n  - failover: {{ plan_id: {PLAN_B} }}\n"
        ),
    );
    let out = t
        .global_args(["-vvv"])
        .live("run", &sim.base_url())
        .without_credentials()
        .args(["--username", USER])
        .args(["--password-file", password.to_str().unwrap()])
        .args(["--var", "db_password=hunter2-from-cli"])
        .args(["--var", r#"vault_secret=pa"ss\wo|rd"#])
        .run();
    out.assert_code(1);
    let tokens: Vec<String> = sim
        .requests()
        .iter()
        .filter_map(|r| r.authorization.clone())
        .map(|a| a.trim_start_matches("Bearer ").to_owned())
        .collect();
    assert!(!tokens.is_empty());
    let everything = format!("{}\n{}\n{}", out.stdout, out.stderr, t.report_texts());
    // A secret with quotes, a backslash and a pipe must be masked before JSON or Markdown
    // escaping could disguise it.
    for secret in [
        PASSWORD,
        "tok-SECRET-vars-value",
        "hunter2-from-cli",
        r#"pa"ss\wo|rd"#,
        r#"pa\"ss\\wo|rd"#,
        r#"pa"ss\wo\|rd"#,
    ]
    .into_iter()
    .chain(tokens.iter().map(String::as_str))
    {
        assert!(!everything.contains(secret), "`{secret}` leaked");
    }
    let report = t.report();
    let vars = report["variables"].as_array().unwrap();
    let value = |name: &str| vars.iter().find(|v| v["name"] == name).unwrap()["value"].clone();
    assert_eq!(value("api_token"), "***");
    assert_eq!(value("db_password"), "***");
    assert_eq!(value("note"), "plain");
    // The debug log was on: the run really logged, it just never logged a secret.
    assert!(
        out.stderr.contains("DEBUG") || out.stderr.contains("TRACE"),
        "{}",
        out.stderr
    );
}

#[test]
fn passwords_are_never_taken_as_arguments() {
    let t = Drbook::new();
    let rb = t.file("rb.yaml", runbook(&one_failover(PLAN_A)));
    let out = t
        .args(["run", rb.to_str().unwrap(), "--password", "x", "--dry-run"])
        .run();
    out.assert_code(2);
    assert!(out.stderr.contains("unexpected argument"), "{}", out.stderr);
}
