//! `drbook simulator` as a server, driven by `drbook run`.

use crate::support::*;
use drbook::sim::SimApi;
use std::io::{BufRead, BufReader};

#[test]
fn the_simulator_command_serves_a_runbook() {
    for api in SimApi::ALL {
        the_simulator_command_serves_a_runbook_in(api);
    }
}

/// VRO 7 is asked for with `--api`, VRO 13 in the plans file (`api:`).
fn the_simulator_command_serves_a_runbook_in(api: SimApi) {
    let t = Drbook::new();
    let in_file = if api == SimApi::Vro13 {
        "api: vro13\n"
    } else {
        ""
    };
    let plans = t.file(
        "plans.yaml",
        format!("{in_file}username: ops\npassword: ops-password\nplans:\n  - id: {PLAN_A}\n    name: Database\n    failover_time: 100ms\n"),
    );
    let flag: &[&str] = if api == SimApi::Vro7 {
        &["--api", "vro7"]
    } else {
        &[]
    };
    let mut server = Drbook::new()
        .args([
            "simulator",
            "--listen",
            "127.0.0.1:0",
            "--plans",
            plans.to_str().unwrap(),
        ])
        .args(flag.iter().copied())
        .spawn();
    let mut first_line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut first_line)
        .unwrap();
    let url = first_line
        .trim()
        .strip_prefix("drbook simulator listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {first_line}"))
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:"));

    t.runbook_text(runbook_in(api, &one_failover(PLAN_A)));
    let out = t
        .live("run", &url)
        .without_credentials()
        .env("VAO_USERNAME", "ops")
        .env("VAO_PASSWORD", "ops-password")
        .run();
    let _ = server.kill();
    let _ = server.wait();
    out.assert_code(0);
    assert!(
        out.stderr
            .contains("Failover (Complete, no errors, no warnings) 100%"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_bad_plans_file_exits_2() {
    let t = Drbook::new();
    let plans = t.file("plans.yaml", "plans:\n  - id: nope\n    colour: red\n");
    let out = Drbook::new()
        .args([
            "simulator",
            "--listen",
            "127.0.0.1:0",
            "--plans",
            plans.to_str().unwrap(),
        ])
        .run();
    out.assert_code(2);
    assert!(out.stderr.contains("plans.yaml"), "{}", out.stderr);
}
