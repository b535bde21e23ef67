//! Template variables from each source, and their precedence.

use crate::support::*;
use serde_json::json;
use std::time::Duration;

#[test]
fn variables_come_from_every_source_in_order_of_precedence() {
    let sim = sim(vec![
        plan(PLAN_A, Duration::ZERO),
        plan(PLAN_B, Duration::ZERO),
    ]);
    let t = Drbook::new();
    // Runbook defaults, overridden by the environment, a file and the command line.
    t.runbook_text(format!(
        "version: 1
name: 'drill {{{{site}}}}'
vars:
  site: site-a
  first_plan: {PLAN_B}
  second_plan: {PLAN_B}
  chained: false
  restore_point: latest
defaults:
  poll_interval: 50ms
steps:
  - failover:
      plan_id: '{{{{first_plan}}}}'
      restore_point: '{{{{restore_point}}}}'
      execute_chained_plans: '{{{{chained}}}}'
  - failover:
      plan_id: '{{{{second_plan}}}}'
      protect_storage_volumes: '{{{{protect}}}}'
"
    ));
    let vars = t.file(
        "vars.yaml",
        format!("first_plan: {PLAN_A}\nprotect: true\nsite: from-file\n"),
    );
    let out = t
        .env("DRBOOK_VAR_restore_point", "2026-11-20T03:00:00")
        .env("DRBOOK_VAR_site", "from-env")
        .live("run", &sim.base_url())
        .args(["--vars-file", vars.to_str().unwrap()])
        .args(["--var", "chained=true", "--var", "site=from-cli"])
        .run();
    out.assert_code(0);
    assert_eq!(
        failovers(&sim),
        vec![
            (
                PLAN_A.to_owned(),
                json!({"executeChainedPlans": true, "restorePointDate": "2026-11-20T03:00:00", "protectStorageVolumes": false})
            ),
            (
                PLAN_B.to_owned(),
                json!({"executeChainedPlans": false, "restorePointDate": null, "protectStorageVolumes": true})
            ),
        ]
    );
    let report = t.report();
    assert_eq!(report["runbook"]["name"], "drill from-cli");
    let vars = report["variables"].as_array().unwrap();
    let source = |name: &str| vars.iter().find(|v| v["name"] == name).unwrap()["source"].clone();
    assert_eq!(source("site"), "--var");
    assert_eq!(source("chained"), "--var");
    assert_eq!(
        source("first_plan"),
        format!("file {}", t.dir().join("vars.yaml").display())
    );
    assert_eq!(
        source("restore_point"),
        "environment (DRBOOK_VAR_restore_point)"
    );
    assert_eq!(source("second_plan"), "runbook");
}

#[test]
fn a_variable_cannot_change_the_runbooks_structure() {
    let t = Drbook::new();
    let rb = t.file("rb.yaml", runbook("  - name: '{{evil}}'\n    wait: 1s\n"));
    let evil = format!("x\n  - failover:\n      plan_id: {PLAN_A}");
    let out = t
        .args([
            "run",
            rb.to_str().unwrap(),
            "--dry-run",
            "--var",
            &format!("evil={evil}"),
        ])
        .run();
    out.assert_code(0);
    assert!(!out.stdout.contains("/Failover"), "{}", out.stdout);
    let report = t.report();
    assert_eq!(report["steps"].as_array().unwrap().len(), 1);
    assert_eq!(report["steps"][0]["name"], evil.as_str());
}

#[test]
fn bad_variable_inputs_exit_2() {
    let t = Drbook::new();
    let rb = t.file("rb.yaml", runbook("  - wait: '{{pause}}'\n"));
    let vars = t.file("vars.yaml", "pause: [1, 2]\n");
    let out = t
        .args([
            "validate",
            rb.to_str().unwrap(),
            "--vars-file",
            vars.to_str().unwrap(),
        ])
        .run();
    out.assert_code(2);
    assert!(out.stderr.contains("vars.yaml:1:8"), "{}", out.stderr);

    let out = Drbook::new()
        .args(["validate", rb.to_str().unwrap(), "--var", "oops"])
        .run();
    out.assert_code(2);
    assert!(out.stderr.contains("NAME=VALUE"), "{}", out.stderr);

    let out = Drbook::new()
        .args([
            "validate",
            rb.to_str().unwrap(),
            "--vars-file",
            "does-not-exist.yaml",
        ])
        .run();
    out.assert_code(2);
    assert!(out.stderr.contains("does-not-exist.yaml"), "{}", out.stderr);
}
