//! How progress looks: colour on a terminal (and never in a pipe, with NO_COLOR or
//! `--color never`), and `-q`, which keeps only failures and the verdict for cron logs.

use crate::support::*;
use std::time::Duration;

const ESC: &str = "\u{1b}[";
const Z: Duration = Duration::ZERO;

#[test]
fn colour_follows_the_terminal_no_color_and_the_flag() {
    // Each run fails the plan over: a fresh simulator for each.
    let fresh = || sim(vec![plan(PLAN_A, Z)]);
    // A pipe: no colour unless asked for.
    let sim = fresh();
    let t = live(&sim.base_url(), &one_failover(PLAN_A));
    let piped = t.run();
    piped.assert_code(0);
    assert!(!piped.stderr.contains(ESC), "{}", piped.stderr);

    let sim = fresh();
    let t = live(&sim.base_url(), &one_failover(PLAN_A));
    t.global_args(["--color", "always"]);
    let forced = t.run();
    forced.assert_code(0);
    assert!(
        forced
            .stderr
            .contains(&format!("{ESC}32m      ✓ succeeded in")),
        "{}",
        forced.stderr
    );
    assert!(
        forced
            .stderr
            .contains(&format!("{ESC}1m{ESC}32mrun succeeded")),
        "{}",
        forced.stderr
    );

    // A terminal: colour by default, none with NO_COLOR or --color never.
    let on_terminal = |extra: &[(&str, &str)], args: &[&str]| {
        let sim = fresh();
        let t = live(&sim.base_url(), &one_failover(PLAN_A));
        t.env("TERM", "xterm-256color");
        for (key, value) in extra {
            t.env(key, value);
        }
        t.global_args(args.iter().copied());
        let terminal = t.on_a_terminal()?;
        let out = terminal.finish();
        assert_eq!(out.code, 0, "{}", out.stdout);
        Some(out.stdout)
    };
    let Some(coloured) = on_terminal(&[], &[]) else {
        return;
    };
    assert!(coloured.contains(&format!("{ESC}32m")), "{coloured}");
    let plain = on_terminal(&[("NO_COLOR", "1")], &[]).unwrap();
    assert!(!plain.contains(ESC), "{plain}");
    assert!(plain.contains("run succeeded"), "{plain}");
    let never = on_terminal(&[], &["--color", "never"]).unwrap();
    assert!(!never.contains(ESC), "{never}");
}

#[test]
fn quiet_keeps_failures_and_the_verdict_only() {
    let sim = sim(vec![plan(PLAN_A, Z)]);
    let t = live(&sim.base_url(), &one_failover(PLAN_A));
    t.global_args(["-q"]);
    let out = t.run();
    out.assert_code(0);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert!(
        lines[0].starts_with("run succeeded: 1 of 1 steps"),
        "{}",
        out.stderr
    );
    // Then only where the report is.
    assert!(
        lines[1..]
            .iter()
            .all(|l| l.starts_with("report: ") || l.starts_with("        ")),
        "{}",
        out.stderr
    );

    // A failure is kept, named by its step, with the verdict.
    let failing = crate::support::sim(vec![plan_with(PLAN_A, Z, drbook::sim::SimOutcome::Errors)]);
    let t = live(&failing.base_url(), &one_failover(PLAN_A));
    t.global_args(["--quiet"]);
    let out = t.run();
    out.assert_code(1);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert!(lines[0].starts_with("[1] ✗ failed after"), "{}", out.stderr);
    assert!(out.stderr.contains("\nrun FAILED after"), "{}", out.stderr);
    assert!(!out.stderr.contains("POST "), "{}", out.stderr);

    // validate -q prints problems only.
    let t = Drbook::new();
    let file = t.file("ok.yaml", runbook(&one_failover(PLAN_A)));
    t.global_args(["-q"]);
    t.args(["validate", file.to_str().unwrap()]);
    let out = t.run();
    out.assert_code(0);
    assert_eq!((out.stdout.as_str(), out.stderr.as_str()), ("", ""));
}

/// Operators think in plan names: the name the state guard read from VAO stands next to the
/// id in the progress, in a default step name and in every report; a dry run, which reads
/// nothing, shows ids and says so.
#[test]
fn plans_are_named_as_vao_names_them_where_they_were_read() {
    let mut db = plan(PLAN_A, Z);
    db.name = "DB tier".to_owned();
    let sim = sim(vec![db]);
    let t = live(&sim.base_url(), &one_failover(PLAN_A));
    t.args(["--report-format", "json,md,junit,html"]);
    let out = t.run();
    out.assert_code(0);
    out.assert_stderr_contains("guard: plan \"DB tier\" is ");
    let report = t.report();
    let step = &report["steps"][0];
    assert_eq!(step["plan_name"], "DB tier");
    let named = format!("Fail over plan \"DB tier\" ({PLAN_A})");
    assert_eq!(step["name"], named.as_str());
    let texts = t.report_texts();
    assert!(texts.contains(&format!("1. {named}")), "{texts}");
    // The Markdown, HTML (escaped quotes) and JUnit name it too.
    for needle in ["\"DB tier\"", "&quot;DB tier&quot;"] {
        assert!(texts.contains(needle), "{needle} not in the reports");
    }

    let t = Drbook::new();
    let file = t.runbook(&one_failover(PLAN_A));
    t.args(["run", file.to_str().unwrap(), "--dry-run"]);
    let dry = t.run();
    dry.assert_code(0);
    assert!(
        dry.stdout
            .contains("nothing is read either: plans are shown by id"),
        "{}",
        dry.stdout
    );
    assert!(!dry.stdout.contains("DB tier"));
}

/// Every step on a plan the run has read is named as VAO names it: a later `expect_state`
/// and `undo_failover` of the plan, and a drill's clean-up undo.
#[test]
fn every_step_on_a_plan_read_once_is_named() {
    let mut db = plan(PLAN_A, Z);
    db.name = "DB tier".to_owned();
    let sim = sim(vec![db]);
    let steps = format!(
        "{}  - expect_state: {{ plan_id: {PLAN_A}, state: Failover }}\n",
        one_failover(PLAN_A)
    );
    let t = Drbook::new();
    t.runbook(&steps);
    let out = t.live("drill", &sim.base_url()).run();
    out.assert_code(0);
    // The progress names it too, from the step's first line.
    out.assert_stderr_contains(&format!(
        "[clean-up] Clean up step 1: undo the failover of plan \"DB tier\" ({PLAN_A})"
    ));
    let report = t.report();
    let steps = report["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 3, "{report:#}");
    for step in steps {
        assert_eq!(step["plan_name"], "DB tier", "{step:#}");
    }
    // The clean-up's undo, named by drbook with the plan's id, names it by VAO's name too.
    let undo = steps[2]["name"].as_str().unwrap();
    assert!(
        undo.contains(&format!("plan \"DB tier\" ({PLAN_A})")),
        "{undo}"
    );
}
