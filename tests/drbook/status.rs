//! `drbook status`: where a run stands, read from its journal by the real binary, for runs
//! that finished, failed, were killed mid-failover or are still going; the list of a state
//! folder; `--live` (reads only); JSON for tools; damaged journals.

use crate::support::*;
use drbook::sim::{SimOutcome, Simulator};
use std::time::Duration;

/// The run id of the one run `t` made.
fn run_id(t: &Drbook) -> String {
    t.report()["run_id"].as_str().unwrap().to_owned()
}

fn journal_of(t: &Drbook, run: &str) -> std::path::PathBuf {
    t.dir().join("reports").join(format!("{run}.journal.jsonl"))
}

/// `text` with what changes from run to run masked: the test's folder, the run id, the
/// server's address and every RFC 3339 time.
fn masked(text: &str, t: &Drbook, run: &str, server: &str) -> String {
    let mut text = text.replace(run, "[RUN]").replace(server, "[SERVER]");
    let dir = t.dir().to_str().unwrap().to_owned();
    if let Ok(canonical) = std::fs::canonicalize(t.dir()) {
        text = text.replace(canonical.to_str().unwrap(), "[DIR]");
    }
    text = text.replace(&dir, "[DIR]");
    // YYYY-MM-DDTHH:MM:SSZ
    let shape = b"dddd-dd-ddTdd:dd:ddZ";
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let fits = bytes.len() - i >= shape.len()
            && shape.iter().zip(&bytes[i..]).all(|(want, got)| match want {
                b'd' => got.is_ascii_digit(),
                other => other == got,
            });
        if fits {
            out.extend_from_slice(b"[TIME]");
            i += shape.len();
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// Waits (at most 20 s) until one of the journals in `reports/` has an event for which
/// `wanted` holds (`Drbook::await_event` reads the first journal only).
fn await_in_any_journal(t: &Drbook, wanted: impl Fn(&serde_json::Value) -> bool) {
    let found = eventually(Duration::from_secs(20), || {
        std::fs::read_dir(t.dir().join("reports"))
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.path().to_string_lossy().ends_with(".journal.jsonl"))
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .any(|text| {
                text.lines()
                    .filter_map(|l| serde_json::from_str(l).ok())
                    .any(|e| wanted(&e))
            })
    });
    assert!(found, "the event never came");
}

fn json(out: &Outcome) -> serde_json::Value {
    serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", out.stdout, out.stderr))
}

#[test]
fn a_finished_run_says_what_it_did_and_that_there_is_nothing_to_resume() {
    let sim = sim(vec![plan(PLAN_A, Duration::ZERO)]);
    let (t, out) = run_live(&sim, &one_failover(PLAN_A), &[]);
    out.assert_code(0);
    let run = run_id(&t);
    let out = t.status([run.as_str()]).run();
    out.assert_code(0);
    assert_eq!(
        masked(&out.stdout, &t, &run, &sim.base_url()),
        format!(
            "\
run [RUN]: test-runbook (live)
  runbook:    [DIR]/rb.yaml
  journal:    [DIR]/reports/[RUN].journal.jsonl
  server:     [SERVER]
  started:    [TIME]
  state:      succeeded at [TIME]
  last event: run_finished at [TIME]
  lock:       not held
steps:
  1. succeeded  Fail over plan {PLAN_A}
failed over and not undone:
  plan {PLAN_A} (step 1): accepted by VAO
resume: not possible: run [RUN] already finished (Succeeded); there is nothing to resume (a new run: drbook run RUNBOOK)
"
        )
    );
    // The journal path names the run too.
    let journal = journal_of(&t, &run);
    let by_path = t.status([journal.to_str().unwrap()]).run();
    by_path.assert_code(0);
    assert_eq!(by_path.stdout, out.stdout);
}

#[test]
fn a_failed_run_names_the_failure_and_the_plans_left_failed_over() {
    let sim = sim(vec![
        plan(PLAN_A, Duration::ZERO),
        plan_with(PLAN_B, Duration::from_millis(50), SimOutcome::Halt),
        plan(PLAN_C, Duration::ZERO),
    ]);
    let steps = format!(
        "{}{}{}",
        one_failover(PLAN_A),
        one_failover(PLAN_B),
        one_failover(PLAN_C)
    );
    let (t, out) = run_live(&sim, &steps, &[]);
    out.assert_code(1);
    let run = run_id(&t);
    let out = t.status([run.as_str(), "--format", "json"]).run();
    out.assert_code(0);
    let status = json(&out);
    assert_eq!(status["drbook_status"], 1);
    assert_eq!(status["state"], "failed");
    assert!(
        status["error"].as_str().unwrap().contains("step 2"),
        "{status:#}"
    );
    let states: Vec<&str> = status["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["succeeded", "failed", "not_run"]);
    assert!(
        status["steps"][1]["error"]
            .as_str()
            .unwrap()
            .contains("Halted")
    );
    // The halted plan was failed over too (VAO accepted it): both are left to undo.
    let plans: Vec<(&str, u64, bool)> = status["failed_over"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["plan_id"].as_str().unwrap(),
                p["step"].as_u64().unwrap(),
                p["accepted"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(plans, [(PLAN_B, 2, true), (PLAN_A, 1, true)]);
    assert_eq!(status["resume"]["possible"], false);
    assert!(
        status["resume"]["reason"]
            .as_str()
            .unwrap()
            .contains(&format!("failed at step 2 \"Fail over plan {PLAN_B}\"; take it forward with `drbook resume {run} --retry --continue OPTION` (its plan was last seen HALTED: VAO's Continue, OPTION one of ProceedToNextVm, ")),
        "{status:#}"
    );
    // Not as it stands, but on the operator's word.
    assert_eq!(status["resume"]["on_decision"], true);
    assert!(
        status["resume"]["reason"]
            .as_str()
            .unwrap()
            .contains(&format!("`drbook resume {run} --skip 2 --reason TEXT`")),
        "{status:#}"
    );
    assert_eq!(status["lock"]["held"], false);
    let text = t.status([run.as_str()]).run();
    text.assert_code(0);
    assert!(
        text.stdout.contains("  2. failed     Fail over plan"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("  3. not run    Fail over plan"),
        "{}",
        text.stdout
    );
}

#[test]
fn a_run_killed_mid_failover_is_in_flight_with_its_request_sent_and_resumable() {
    let sim = sim(vec![
        plan(PLAN_A, Duration::from_millis(1500)),
        plan(PLAN_B, Duration::ZERO),
    ]);
    let (t, child) = spawn_live(
        &sim,
        "run",
        &format!("{}{}", one_failover(PLAN_A), one_failover(PLAN_B)),
    );
    // VAO answered and the plan is being polled: the failover is under way.
    t.await_event(|e| e["event"] == "polled" && e["step"] == 1);
    signal(&child, "-KILL");
    let _ = child.wait_with_output();
    let run = run_id(&t);

    let out = t.status([run.as_str(), "--format", "json"]).run();
    out.assert_code(0);
    let status = json(&out);
    assert_eq!(status["run_id"], run.as_str());
    assert_eq!(status["state"], "stopped");
    assert_eq!(status["finished_at"], serde_json::Value::Null);
    assert_eq!(status["steps"][0]["state"], "in_flight");
    assert_eq!(status["steps"][0]["request_sent"], true);
    assert_eq!(status["steps"][0]["plan_id"], PLAN_A);
    assert_eq!(status["steps"][0]["kind"], "failover");
    assert_eq!(status["steps"][1]["state"], "not_run");
    assert_eq!(status["failed_over"][0]["plan_id"], PLAN_A);
    assert_eq!(status["failed_over"][0]["accepted"], true);
    assert_eq!(status["failed_over"][0]["live"], serde_json::Value::Null);
    assert_eq!(status["lock"]["held"], false);
    assert_eq!(status["resume"]["possible"], true);
    let command = format!("drbook resume {run} --state-dir {}", t.reports_dir());
    assert_eq!(status["resume"]["command"], command.as_str());
    assert!(status["last_event"]["at"].is_string());
    assert!(
        status["problems"].as_array().unwrap().is_empty() || {
            // Killed mid-write: the torn last line is said, never a panic.
            status["problems"][0].as_str().unwrap().contains("torn")
        }
    );

    let text = t.status([run.as_str()]).run();
    text.assert_code(0);
    let text = masked(&text.stdout, &t, &run, &sim.base_url());
    for line in [
        "  state:      stopped before it finished; no drbook process holds it (killed, crashed, or its machine stopped)",
        &format!("  1. in flight, request sent  Fail over plan {PLAN_A}"),
        &format!("  2. not run                  Fail over plan {PLAN_B}"),
        &format!("  plan {PLAN_A} (step 1): accepted by VAO"),
        "resume: drbook resume [RUN] --state-dir [DIR]/reports (finished steps are kept; a step in flight is checked with VAO before anything is sent)",
    ] {
        assert!(text.lines().any(|l| l == line), "{line:?} not in:\n{text}");
    }

    // What status said holds: resume takes it over without sending the failover again.
    resume_run(&t).assert_code(0);
    assert_eq!(sim.failover_count(PLAN_A), 1);
    let after = json(&t.status([run.as_str(), "--format", "json"]).run());
    assert_eq!(after["state"], "succeeded");
    assert_eq!(after["steps"][0]["state"], "succeeded");
    assert_eq!(after["steps"][1]["state"], "succeeded");
    assert_eq!(after["resume"]["possible"], false);
}

#[test]
fn a_run_still_going_is_running_and_its_lock_is_left_held() {
    let sim = sim(vec![plan(PLAN_A, Duration::ZERO)]);
    let t = live(
        &sim.base_url(),
        &format!("{}  - wait: 1h\n", one_failover(PLAN_A)),
    );
    let running = t.start();
    t.await_waiting(2);
    let run = run_id(&t);
    let out = t.status([run.as_str(), "--format", "json"]).run();
    out.assert_code(0);
    let status = json(&out);
    assert_eq!(status["state"], "running");
    assert_eq!(status["lock"]["held"], true);
    assert!(
        status["lock"]["what"]
            .as_str()
            .unwrap()
            .starts_with("runbook "),
        "{status:#}"
    );
    let holder = status["lock"]["holder"].as_str().unwrap();
    assert!(holder.starts_with("pid "), "{holder}");
    assert_eq!(status["steps"][0]["state"], "succeeded");
    assert_eq!(status["steps"][1]["state"], "in_flight");
    // A wait sends nothing: whether a request left is no question for it.
    assert_eq!(status["steps"][1]["request_sent"], serde_json::Value::Null);
    assert_eq!(status["resume"]["possible"], false);
    assert!(
        status["resume"]["reason"]
            .as_str()
            .unwrap()
            .contains("resume is refused (exit 3) while it runs"),
        "{status:#}"
    );
    let text = t.status([run.as_str()]).run();
    assert!(
        text.stdout
            .contains("2. in flight (it only reads or waits: resume runs it again)"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout
            .contains("  state:      running: a drbook process holds its lock"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("  lock:       held: runbook "),
        "{}",
        text.stdout
    );
    // Status took nothing from the run: a second run of the runbook is still refused.
    let second = Drbook::new();
    second.env("DRBOOK_LOCK_DIR", t.dir().join("locks").to_str().unwrap());
    let runbook = t.dir().join("rb.yaml");
    second
        .args([
            "run",
            runbook.to_str().unwrap(),
            "--server",
            &sim.base_url(),
            "--yes",
        ])
        .env("VAO_USERNAME", USER)
        .env("VAO_PASSWORD", PASSWORD)
        .run()
        .assert_code(3);

    running.signal("-INT");
    running.finish().assert_code(130);
    let after = json(&t.status([run.as_str(), "--format", "json"]).run());
    assert_eq!(after["state"], "interrupted");
    assert_eq!(after["lock"]["held"], false);
    assert_eq!(after["resume"]["possible"], true);
}

#[test]
fn the_list_shows_every_run_of_a_state_folder_newest_first() {
    let sim = sim(vec![
        plan(PLAN_A, Duration::ZERO),
        plan_with(PLAN_B, Duration::from_millis(50), SimOutcome::Halt),
        plan(PLAN_C, Duration::ZERO),
    ]);
    let t = Drbook::new();
    t.runbook_file("ok.yaml", runbook(&one_failover(PLAN_A)));
    t.live("run", &sim.base_url()).run().assert_code(0);
    t.runbook_file("halts.yaml", runbook(&one_failover(PLAN_B)));
    t.live("run", &sim.base_url()).run().assert_code(1);
    t.runbook_file(
        "killed.yaml",
        runbook(&format!("{}  - wait: 1h\n", one_failover(PLAN_C))),
    );
    let child = t.live("run", &sim.base_url()).spawn();
    await_in_any_journal(&t, |e| e["event"] == "waiting" && e["step"] == 2);
    signal(&child, "-KILL");
    let _ = child.wait_with_output();
    t.file("reports/broken.journal.jsonl", "not a journal\n");
    t.file(
        "reports/notes.txt",
        "not a journal either, and not listed\n",
    );

    let out = t
        .status(Vec::<String>::new())
        .args(["--format", "json"])
        .run();
    out.assert_code(0);
    let list = json(&out);
    let runs = list["runs"].as_array().unwrap();
    let seen: Vec<(&str, &str, bool, bool)> = runs
        .iter()
        .map(|r| {
            (
                r["runbook"].as_str().unwrap_or("-"),
                r["state"].as_str().unwrap_or("-"),
                r["resume"]["possible"].as_bool().unwrap(),
                r["resume"]["on_decision"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("test-runbook", "stopped", true, false),
            ("test-runbook", "failed", false, true),
            ("test-runbook", "succeeded", false, false),
            ("-", "-", false, false),
        ]
    );
    assert_eq!(runs[3]["run_id"], "broken");
    assert!(
        runs[3]["error"]
            .as_str()
            .unwrap()
            .contains("not a drbook journal")
    );

    let text = t.status(Vec::<String>::new()).run();
    text.assert_code(0);
    let lines: Vec<&str> = text.stdout.lines().collect();
    assert_eq!(lines.len(), 6, "{}", text.stdout);
    assert!(
        lines[0].ends_with("/reports, newest first:"),
        "{}",
        lines[0]
    );
    assert!(lines[1].trim_start().starts_with("RUN "), "{}", lines[1]);
    let killed = runs[0]["run_id"].as_str().unwrap();
    assert!(lines[2].contains(killed) && lines[2].contains("  stopped  "));
    assert!(lines[2].contains("yes: drbook resume "), "{}", lines[2]);
    assert!(
        lines[3].contains("  failed  ") && lines[3].contains("on the operator's word: run "),
        "{}",
        lines[3]
    );
    assert!(lines[5].contains("broken") && lines[5].contains("unreadable"));

    let empty = Drbook::new();
    empty.file("reports/.keep", "");
    let out = empty.status(Vec::<String>::new()).run();
    out.assert_code(0);
    assert!(out.stdout.starts_with("no runs in "), "{}", out.stdout);
}

/// An access token from the simulator, fetched by hand (one POST before the test counts).
fn token_of(sim: &Simulator) -> String {
    use std::io::{Read, Write};
    let form = |text: &str| text.replace('\\', "%5C").replace('!', "%21");
    let body = format!(
        "grant_type=password&username={}&password={}",
        form(USER),
        form(PASSWORD)
    );
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
    let json = &answer[answer.find("\r\n\r\n").expect("an HTTP answer") + 4..];
    let value: serde_json::Value = serde_json::from_str(json).expect("a token answer");
    value["access_token"].as_str().unwrap().to_owned()
}

#[test]
fn live_reads_the_plans_from_vao_and_sends_no_post() {
    let sim = sim(vec![
        plan(PLAN_A, Duration::ZERO),
        plan_with(PLAN_B, Duration::from_millis(50), SimOutcome::Halt),
    ]);
    let steps = format!("{}{}", one_failover(PLAN_A), one_failover(PLAN_B));
    let (t, out) = run_live(&sim, &steps, &[]);
    out.assert_code(1);
    let run = run_id(&t);
    let token = token_of(&sim);
    let before = sim.requests().len();
    let out = t
        .status([run.as_str(), "--live", "--format", "json"])
        .env("VAO_TOKEN", &token)
        .run();
    out.assert_code(0);
    let during = sim.requests()[before..].to_vec();
    let posts: Vec<&str> = during
        .iter()
        .filter(|r| r.method != "GET")
        .map(|r| r.path.as_str())
        .collect();
    assert_eq!(
        posts,
        Vec::<&str>::new(),
        "status --live sent more than reads"
    );
    for plan in [PLAN_A, PLAN_B] {
        assert!(
            during
                .iter()
                .any(|r| r.path == format!("/api/v3/Plans/{plan}")),
            "plan {plan} was not read"
        );
    }
    let status = json(&out);
    assert!(!out.stdout.contains(&token), "the token is never shown");
    let live = |i: usize| &status["failed_over"][i]["live"];
    assert_eq!(status["failed_over"][0]["plan_id"], PLAN_B);
    assert_eq!(live(0)["status"]["state"], "Halted");
    assert_eq!(live(0)["phase"], "failed");
    assert_eq!(status["failed_over"][1]["plan_id"], PLAN_A);
    assert_eq!(live(1)["status"]["state"], "Failover");
    assert_eq!(live(1)["phase"], "succeeded");
    assert!(live(1)["read_at"].is_string());

    let text = t
        .status([run.as_str(), "--live"])
        .env("VAO_USERNAME", USER)
        .env("VAO_PASSWORD", PASSWORD)
        .run();
    text.assert_code(0);
    assert!(
        text.stdout
            .contains("    VAO now: Failover (Complete, no errors, no warnings) (failed over)"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("(halted or failed)"),
        "{}",
        text.stdout
    );
    assert!(!text.stdout.contains(PASSWORD) && !text.stderr.contains(PASSWORD));

    // A server that cannot be read: the journal's status is still printed, exit 1.
    let down = t
        .status([run.as_str(), "--live", "--server", "http://127.0.0.1:9"])
        .env("VAO_TOKEN", "t0ken-that-goes-nowhere")
        .run();
    down.assert_code(1);
    assert!(
        down.stdout.contains("    VAO: cannot read it: "),
        "{}",
        down.stdout
    );
    // --live needs credentials, and the server flags need --live.
    t.status([run.as_str(), "--live"])
        .run()
        .assert_code(2)
        .assert_stderr_contains("--live: no credentials");
    t.status([run.as_str(), "--server", &sim.base_url()])
        .run()
        .assert_code(2)
        .assert_stderr_contains("go with --live");
}

#[test]
fn a_damaged_journal_is_shown_as_far_as_it_can_be_read() {
    let sim = sim(vec![
        plan(PLAN_A, Duration::ZERO),
        plan(PLAN_B, Duration::ZERO),
    ]);
    let steps = format!("{}{}", one_failover(PLAN_A), one_failover(PLAN_B));
    let (t, out) = run_live(&sim, &steps, &[]);
    out.assert_code(0);
    let run = run_id(&t);
    let journal = journal_of(&t, &run);
    let text = std::fs::read_to_string(&journal).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    // Garbage in the middle, and a last line torn by a crash mid-write.
    lines.insert(3, "{\"event\":\"step_fin\u{0}".to_owned());
    let last = lines.pop().unwrap();
    lines.push(last[..last.len() / 2].to_owned());
    std::fs::write(&journal, lines.join("\n")).unwrap();

    let out = t.status([run.as_str(), "--format", "json"]).run();
    out.assert_code(0);
    let status = json(&out);
    assert_eq!(status["steps"][0]["state"], "succeeded");
    assert_eq!(status["steps"][1]["state"], "succeeded");
    // The torn run_finished line is gone: the run did not finish, as far as can be read.
    assert_eq!(status["state"], "stopped");
    let problems: Vec<&str> = status["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems[0].contains(":4: the line is damaged"),
        "{problems:?}"
    );
    assert!(
        problems[1].contains("the last line is torn"),
        "{problems:?}"
    );
    assert_eq!(status["resume"]["possible"], false);
    assert!(
        status["resume"]["reason"]
            .as_str()
            .unwrap()
            .starts_with("resume refuses a damaged journal"),
        "{status:#}"
    );
    let text = t.status([run.as_str()]).run();
    text.assert_code(0);
    assert!(text.stdout.contains("\nnote: "), "{}", text.stdout);

    // A file that is not a journal, and a run that does not exist: exit 2, no panic.
    let foreign = t.file("reports/foreign.journal.jsonl", "\u{0}\u{1}garbage");
    t.status([foreign.to_str().unwrap()])
        .run()
        .assert_code(2)
        .assert_stderr_contains("not a drbook journal");
    t.status(["20990101T000000Z-nothing-000000"])
        .run()
        .assert_code(2)
        .assert_stderr_contains("no run 20990101T000000Z-nothing-000000");
}
