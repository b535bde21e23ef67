//! The journal and `drbook resume`: a run killed at any point is taken over, every plan is
//! failed over exactly once, and one report covers the whole run.

use crate::support::*;
use drbook::sim::{SimConfig, Simulator};
use std::time::{Duration, Instant};

fn sim_of(ids: &[&str], duration: Duration) -> Simulator {
    let mut config = SimConfig::with_plans(ids.iter().map(|s| s.to_string()), duration);
    config.username = USER.to_owned();
    config.password = PASSWORD.to_owned();
    Simulator::spawn_in_thread(config).unwrap()
}

fn journal_of(t: &Drbook) -> std::path::PathBuf {
    find_journal(t).expect("a journal")
}

/// The run's journal, if the run got as far as creating it.
fn find_journal(t: &Drbook) -> Option<std::path::PathBuf> {
    std::fs::read_dir(t.dir().join("reports"))
        .ok()?
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".journal.jsonl"))
}

#[test]
fn runs_are_journalled_with_intents_before_requests() {
    let sim = sim_of(&[PLAN_A], Duration::ZERO);
    let (t, out) = run_live(&sim, &one_failover(PLAN_A), &[]);
    out.assert_code(0);
    let text = std::fs::read_to_string(journal_of(&t)).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["drbook_journal"], 1);
    assert_eq!(lines[0]["run_id"], t.report()["run_id"]);
    let kinds: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l["event"].as_str().unwrap())
        .collect();
    let request = kinds.iter().position(|k| *k == "request").unwrap();
    let answer = kinds.iter().position(|k| *k == "answer").unwrap();
    assert!(request < answer);
    assert_eq!(kinds.last(), Some(&"run_finished"));
    assert!(!text.contains(PASSWORD));
}

#[test]
fn a_run_killed_at_random_points_is_resumed_and_every_plan_fails_over_exactly_once() {
    let deadline = Instant::now() + Duration::from_secs(40);
    let delays = [50u64, 250, 450, 700, 950, 1300];
    let mut rounds = 0;
    for delay in delays {
        if Instant::now() > deadline {
            break;
        }
        rounds += 1;
        let sim = sim_of(&[PLAN_A, PLAN_B, PLAN_C], Duration::from_millis(300));
        let steps = format!(
            "{}  - wait: 200ms\n{}{}",
            one_failover(PLAN_A),
            one_failover(PLAN_B),
            one_failover(PLAN_C)
        );
        let t = live(&sim.base_url(), &steps);
        let mut child = t.spawn();
        std::thread::sleep(Duration::from_millis(delay));
        let _ = child.kill();
        let _ = child.wait();
        // Killed before the journal existed: nothing was sent.
        let Some(journal) = find_journal(&t) else {
            assert_eq!(
                sim.requests()
                    .iter()
                    .filter(|r| r.method == "POST" && r.path != "/token")
                    .count(),
                0
            );
            continue;
        };
        let out = t
            .resume(journal.to_str().unwrap())
            .args(["--report-dir", &t.reports_dir()])
            .run();
        let finished = out.code == 0;
        let already = out.stderr.contains("already finished");
        assert!(finished || already, "delay {delay}: {}", out.stderr);
        for plan in [PLAN_A, PLAN_B, PLAN_C] {
            assert_eq!(
                sim.accepted_failovers(plan),
                1,
                "delay {delay}, plan {plan}: {}",
                out.stderr
            );
            assert_eq!(
                sim.failover_count(plan),
                1,
                "delay {delay}, plan {plan} was asked twice"
            );
        }
        let report = t.report();
        assert_eq!(report["result"], "succeeded", "delay {delay}");
        assert_eq!(
            report["summary"]["succeeded"], 4,
            "delay {delay}: {report:#}"
        );
    }
    assert!(rounds >= 3);
}

#[test]
fn resume_refuses_a_changed_runbook_and_foreign_files() {
    let sim = sim_of(&[PLAN_A, PLAN_B], Duration::ZERO);
    let t = live(
        &sim.base_url(),
        &format!(
            "{}  - wait: 1h\n{}",
            one_failover(PLAN_A),
            one_failover(PLAN_B)
        ),
    );
    let rb = t.dir().join("rb.yaml");
    let mut child = t.spawn();
    assert!(eventually(Duration::from_secs(10), || sim
        .accepted_failovers(PLAN_A)
        == 1));
    t.await_waiting(2);
    child.kill().unwrap();
    child.wait().unwrap();
    let journal = journal_of(&t);
    std::fs::write(
        &rb,
        std::fs::read_to_string(&rb)
            .unwrap()
            .replace("wait: 1h", "wait: 10ms"),
    )
    .unwrap();
    let out = t.resume(journal.to_str().unwrap()).run();
    out.assert_code(2);
    assert!(
        out.stderr
            .contains("the runbook changed since the run started"),
        "{}",
        out.stderr
    );
    assert_eq!(sim.accepted_failovers(PLAN_B), 0);

    let out = t
        .resume(journal.to_str().unwrap())
        .args(["--force", "--report-dir", &t.reports_dir()])
        .run();
    out.assert_code(0);
    assert_eq!(sim.accepted_failovers(PLAN_A), 1);
    assert_eq!(sim.accepted_failovers(PLAN_B), 1);

    let foreign = t.file("notes.txt", "hello\n");
    let out = t
        .resume(foreign.to_str().unwrap())
        .without_credentials()
        .run();
    out.assert_code(2);
    assert!(
        out.stderr.contains("not a drbook journal"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_second_process_is_refused_while_the_first_holds_the_lock() {
    let sim = sim_of(&[PLAN_A], Duration::from_secs(30));
    let t = live(&sim.base_url(), &one_failover(PLAN_A));
    let mut first = t.spawn();
    assert!(eventually(Duration::from_secs(10), || sim
        .accepted_failovers(PLAN_A)
        == 1));
    // The same runbook, in the same lock folder.
    let second = t.run();
    let _ = first.kill();
    let _ = first.wait();
    second.assert_code(3);
    assert!(
        second.stderr.contains("another drbook is running runbook"),
        "{}",
        second.stderr
    );
    assert!(second.stderr.contains("pid "), "{}", second.stderr);
    assert_eq!(sim.failover_count(PLAN_A), 1);
}

mod hostile {
    use super::*;
    use proptest::prelude::*;

    /// A real journal of a finished two-step run, to mutate.
    fn sample() -> (String, drbook::runbook::Runbook) {
        let sim = sim_of(&[PLAN_A, PLAN_B], Duration::ZERO);
        let steps = format!("{}{}", one_failover(PLAN_A), one_failover(PLAN_B));
        let (t, out) = run_live(&sim, &steps, &[]);
        out.assert_code(0);
        let text = std::fs::read_to_string(journal_of(&t)).unwrap();
        let prepared = drbook::prepare::prepare(
            drbook::runbook::Source::from_text("rb.yaml", &runbook(&steps)),
            &drbook::template::VarInputs::default(),
        )
        .unwrap();
        (text, prepared.runbook)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

        #[test]
        fn damaged_journals_never_panic_the_reader_or_resume(
            cut in any::<prop::sample::Index>(),
            garbage in "[\\x00-\\x7f]{0,40}",
            at in any::<prop::sample::Index>(),
            drop_line in any::<prop::sample::Index>(),
        ) {
            static SAMPLE: std::sync::OnceLock<(String, drbook::runbook::Runbook)> = std::sync::OnceLock::new();
            let (text, runbook) = SAMPLE.get_or_init(sample);
            let mut lines: Vec<&str> = text.lines().collect();
            let dropped = drop_line.index(lines.len());
            lines.remove(dropped);
            let mut mutated = lines.join("\n");
            let insert = at.index(mutated.len() + 1);
            if mutated.is_char_boundary(insert) {
                mutated.insert_str(insert, &garbage);
            }
            let keep = cut.index(mutated.len() + 1);
            if mutated.is_char_boundary(keep) {
                mutated.truncate(keep);
            }
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("j.jsonl");
            std::fs::write(&path, &mutated).unwrap();
            if let Ok(read) = drbook::exec::journal::read(&path) {
                let _ = drbook::exec::resume_from(runbook, &read.events, false);
            }
        }
    }
}

#[test]
fn resume_is_refused_while_the_run_is_still_going() {
    let sim = sim_of(&[PLAN_A], Duration::from_secs(30));
    let t = live(&sim.base_url(), &one_failover(PLAN_A));
    let mut first = t.spawn();
    assert!(eventually(Duration::from_secs(10), || sim
        .accepted_failovers(PLAN_A)
        == 1));
    let journal = journal_of(&t);
    // The same machine, so the same lock folder as the run. A decision about the run is
    // refused for the same reason (not judged against a journal still being written).
    let decided = t
        .resume(journal.to_str().unwrap())
        .args(["--skip", "1", "--reason", "x"])
        .run();
    let out = t.resume(journal.to_str().unwrap()).run();
    let _ = first.kill();
    let _ = first.wait();
    out.assert_code(3);
    assert!(
        out.stderr.contains("another drbook is running"),
        "{}",
        out.stderr
    );
    decided
        .assert_code(3)
        .assert_stderr_contains("another drbook is running");
    assert_eq!(sim.failover_count(PLAN_A), 1);
}

/// A run stopped after its journal recorded the end and before its report was written keeps
/// a report that does not say how it ended: `resume` writes it again from the journal,
/// sends nothing, and exits as the run ended.
#[test]
fn a_finished_run_whose_report_was_not_written_gets_it_from_the_journal() {
    let sim = sim_of(&[PLAN_A], Duration::ZERO);
    let t = live(&sim.base_url(), &one_failover(PLAN_A));
    t.args(["--report-format", "json,md,junit"]);
    t.run().assert_code(0);
    let run = t.report()["run_id"].as_str().unwrap().to_owned();
    // The report as the last checkpoint before the end left it.
    let path = std::path::Path::new(&t.reports_dir()).join(format!("{run}.json"));
    let mut stale: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    stale["result"] = "interrupted".into();
    std::fs::write(&path, serde_json::to_string_pretty(&stale).unwrap()).unwrap();
    let markdown = path.with_extension("md");
    std::fs::remove_file(&markdown).unwrap();
    let requests = sim.requests().len();

    let resume = || {
        let r = t.resume(&run);
        r.args(["--report-dir", &t.reports_dir()]);
        r
    };
    let out = resume().run();
    out.assert_code(0)
        .assert_stderr_contains("the report is written again from the journal");
    assert_eq!(sim.requests().len(), requests, "nothing is sent");
    let report = t.report();
    assert_eq!(report["result"], "succeeded");
    assert_eq!(report["summary"]["succeeded"], 1);
    assert_valid_report(&report);
    assert!(markdown.exists(), "every format asked for is written again");
    // Now the report says how the run ended: resume refuses as for any finished run.
    resume()
        .run()
        .assert_code(2)
        .assert_stderr_contains("already finished (Succeeded)");
}

#[test]
fn a_resumed_run_writes_its_report_where_the_run_left_it_unless_told_otherwise() {
    let sim = sim(vec![plan(PLAN_A, Duration::from_millis(1500))]);
    let t = Drbook::new();
    t.runbook(&one_failover(PLAN_A));
    let kept = t.dir().join("kept-reports");
    t.live("run", &sim.base_url())
        .args(["--report-dir", kept.to_str().unwrap()]);
    let child = t.spawn();
    kill_when(child, || sim.accepted_failovers(PLAN_A) == 1);
    let journal = std::fs::read_dir(&kept)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".journal.jsonl"))
        .expect("the run's journal");
    // Resumed from another folder, by the journal's path, without --report-dir.
    let other = t.resume(journal.to_str().unwrap());
    other.run().assert_code(0);
    assert_eq!(sim.failover_count(PLAN_A), 1);
    let report = journal.to_string_lossy().replace(".journal.jsonl", ".json");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
    assert_eq!(report["result"], "succeeded");
    assert!(!other.dir().join("reports").exists());
}
