//! Exit codes that are not a run's verdict: an unusable lock folder, and `--help`'s list.

use crate::support::*;
use std::time::Duration;

#[test]
fn a_lock_folder_that_cannot_be_made_is_exit_4_not_a_held_lock() {
    let sim = sim(vec![plan(PLAN_A, Duration::ZERO)]);
    let t = live(&sim.base_url(), &one_failover(PLAN_A));
    // A plain file where the lock folder's parent should be: the folder cannot be created.
    let blocker = t.file("blocker", "");
    t.env("DRBOOK_LOCK_DIR", blocker.join("locks").to_str().unwrap());
    let out = t.run();
    out.assert_code(4)
        .assert_stderr_contains("error: cannot take the lock of runbook ")
        .assert_stderr_contains("nothing was sent");
    assert!(
        !out.stderr.contains("another drbook is running"),
        "{}",
        out.stderr
    );
    assert_eq!(sim.failover_count(PLAN_A), 0);
}

#[test]
fn help_names_every_exit_code() {
    let t = Drbook::new();
    t.args(["--help"]);
    let out = t.run();
    out.assert_code(0);
    // Help text is wrapped to the terminal's width.
    let text = out.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    for code in [
        "0 success",
        "1 a step failed",
        "2 invalid",
        "3 another drbook",
        "4 the lock folder",
        "130 interrupted",
    ] {
        assert!(text.contains(code), "{code:?} not in:\n{}", out.stdout);
    }
}
