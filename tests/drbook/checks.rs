//! The steps around the plans: `http_check`, `tcp_check` and `command`, `only:` scoping, a
//! drill's `cleanup:` steps and recovery time measured to healthy. Every server and program
//! these tests talk to is one the test starts itself, on 127.0.0.1.

use crate::support::*;
use std::io::{BufRead, BufReader, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A tiny HTTP server on 127.0.0.1 playing an application's health endpoint: it answers
/// the n-th request (from 0) with `answer(n)` and keeps every request's head.
struct Health {
    addr: std::net::SocketAddr,
    heads: Arc<Mutex<Vec<String>>>,
}

impl Health {
    fn start(answer: impl Fn(usize) -> (u16, &'static str) + Send + Sync + 'static) -> Health {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let heads = Arc::new(Mutex::new(Vec::new()));
        let seen = heads.clone();
        let answer = Arc::new(answer);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let (seen, answer) = (seen.clone(), answer.clone());
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut head = String::new();
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                            break;
                        }
                        head.push_str(&line);
                    }
                    let n = {
                        let mut seen = seen.lock().unwrap();
                        seen.push(head);
                        seen.len() - 1
                    };
                    let (status, body) = answer(n);
                    let _ = write!(
                        stream,
                        "HTTP/1.1 {status} Test\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                });
            }
        });
        Health { addr, heads }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}

/// Every file the run left in the report folder (reports of each format, the journal).
fn all_files(t: &Drbook) -> Vec<(String, String)> {
    let dir = t.dir().join("reports");
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| {
            let path = e.path();
            (
                path.display().to_string(),
                std::fs::read_to_string(&path).unwrap_or_default(),
            )
        })
        .collect();
    files.sort();
    files
}

/// The report's step `n` (from 1).
fn step(report: &serde_json::Value, n: usize) -> &serde_json::Value {
    &report["steps"][n - 1]
}

fn no_plans() -> drbook::sim::Simulator {
    sim(vec![])
}

#[test]
fn an_http_check_succeeds_at_the_first_answer_that_matches_its_status_and_regex() {
    let app = Health::start(|n| match n {
        0 => (503, "starting"),
        1 => (200, "status: starting"),
        _ => (200, "status: up, db: ok"),
    });
    let sim = no_plans();
    let steps = format!(
        "  - http_check:\n      url: {}\n      expect_body: \"/status: (up|ok)/\"\n      interval: 20ms\n      timeout: 20s\n",
        app.url("/health")
    );
    let (t, out) = run_live(&sim, &steps, &["--report-format", "json,md,junit,html"]);
    out.assert_code(0);
    out.assert_stderr_contains("check: 503 Service Unavailable, expected 200 (try 1, not yet)")
        .assert_stderr_contains(
            "check: 200 OK, but the body does not match /status: (up|ok)/ (try 2, not yet)",
        )
        .assert_stderr_contains("check: 200 OK (try 3, healthy)");
    assert_eq!(app.heads().len(), 3);
    assert!(app.heads()[0].starts_with("GET /health HTTP/1.1"));
    let report = t.report();
    let check = &step(&report, 1)["check"];
    assert_eq!(step(&report, 1)["result"], "succeeded");
    assert_eq!(step(&report, 1)["kind"], "http_check");
    assert_eq!(check["attempts"], 3);
    assert_eq!(check["last_status"], 200);
    assert_eq!(check["body_excerpt"], "status: up, db: ok");
    assert!(check["healthy_at"].is_string());
    let md = t.report_texts();
    assert!(md.contains("## Checks and commands"), "{md}");
}

#[test]
fn an_http_check_that_never_matches_fails_at_its_timeout_with_the_last_answer() {
    let app = Health::start(|_| (503, "down for maintenance"));
    let sim = no_plans();
    let steps = format!(
        "  - http_check: {{ url: \"{}\", expect_status: [200, 204], interval: 50ms, timeout: 300ms }}\n  - wait: 0s\n",
        app.url("/")
    );
    let (t, out) = run_live(&sim, &steps, &["--report-format", "json,md,junit"]);
    out.assert_code(1);
    out.assert_stderr_contains("was not healthy within 300ms")
        .assert_stderr_contains("the last answer was: 503 Service Unavailable, expected 200 or 204")
        .assert_stderr_contains("(body: down for maintenance)");
    let report = t.report();
    assert_eq!(step(&report, 1)["result"], "failed");
    assert!(step(&report, 1)["check"]["attempts"].as_u64().unwrap() >= 2);
    assert_eq!(step(&report, 1)["check"]["last_status"], 503);
    assert_eq!(step(&report, 2)["result"], "skipped");
    let junit = all_files(&t)
        .into_iter()
        .find(|(p, _)| p.ends_with(".junit.xml"))
        .unwrap()
        .1;
    let case = junit
        .split("<testcase")
        .find(|c| c.contains("drbook.http_check"))
        .unwrap();
    assert!(case.contains("<failure"), "{case}");
    assert!(case.contains("down for maintenance"), "{case}");
}

#[test]
fn a_header_from_a_secret_variable_is_sent_and_masked_in_every_output() {
    const SECRET: &str = "hx-9Qm2-health-key";
    let app = Health::start(|_| (200, "ok"));
    let sim = no_plans();
    let steps = format!(
        "  - name: Health of the app\n    http_check:\n      url: {}\n      headers: {{ X-Api-Key: \"{{{{health_token}}}}\", Accept: text/plain }}\n  - command:\n      shell: 'echo \"key is $KEY\"; echo \"$KEY\" >&2'\n      env: {{ KEY: \"{{{{health_token}}}}\" }}\n",
        app.url("/health")
    );
    let (t, out) = run_live(
        &sim,
        &steps,
        &[
            "--var",
            &format!("health_token={SECRET}"),
            "--report-format",
            "json,md,junit,html",
        ],
    );
    out.assert_code(0);
    let head = &app.heads()[0];
    assert!(
        head.to_ascii_lowercase()
            .contains(&format!("x-api-key: {}", SECRET.to_ascii_lowercase())),
        "{head}"
    );
    assert!(!out.stderr.contains(SECRET) && !out.stdout.contains(SECRET));
    out.assert_stderr_contains("│ key is ***");
    let files = all_files(&t);
    for kind in [".json", ".md", ".junit.xml", ".html", ".journal.jsonl"] {
        assert!(
            files.iter().any(|(p, _)| p.ends_with(kind)),
            "no {kind}: {files:?}"
        );
    }
    for (path, text) in &files {
        assert!(!text.contains(SECRET), "the secret is in {path}");
    }
    // The timeline draws both steps, each in its kind's colour.
    let html = &files.iter().find(|(p, _)| p.ends_with(".html")).unwrap().1;
    assert!(html.contains("class=\"bar health\""), "no health-check bar");
    assert!(html.contains("class=\"bar command\""), "no command bar");
    assert!(html.contains("Checks and commands"));
    let report = t.report();
    assert_eq!(step(&report, 2)["command"]["stdout_tail"], "key is ***\n");
    assert_eq!(step(&report, 2)["command"]["stderr_tail"], "***\n");

    // The dry run shows the header, masked.
    let dry = Drbook::new();
    dry.runbook(&steps);
    let listed = dry
        .args(["run", "rb.yaml", "--dry-run", "--var"])
        .args([format!("health_token={SECRET}")])
        .run();
    listed.assert_code(0);
    assert!(
        listed.stdout.contains("X-Api-Key: ***"),
        "{}",
        listed.stdout
    );
    assert!(!listed.stdout.contains(SECRET));
    assert!(
        listed.stdout.contains(&format!(
            "GET {} every 5s until the answer is 200 (at most 5m; each try at most 10s; redirects are not followed)",
            app.url("/health")
        )),
        "{}",
        listed.stdout
    );
    assert!(listed.stdout.contains("env: KEY=***"), "{}", listed.stdout);
    assert_eq!(app.heads().len(), 1, "a dry run requests nothing");
}

#[test]
fn a_tcp_check_passes_on_an_open_port_and_fails_on_a_closed_one() {
    let open = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let sim = no_plans();
    let steps = format!(
        "  - tcp_check: {{ host: 127.0.0.1, port: {} }}\n  - on_failure: continue\n    tcp_check: {{ host: 127.0.0.1, port: {closed}, timeout: 200ms, interval: 50ms }}\n",
        open.local_addr().unwrap().port()
    );
    let (t, out) = run_live(&sim, &steps, &[]);
    out.assert_code(1);
    let report = t.report();
    assert_eq!(step(&report, 1)["result"], "succeeded");
    assert_eq!(step(&report, 1)["check"]["last_answer"], "connected");
    assert_eq!(step(&report, 2)["result"], "failed");
    let error = step(&report, 2)["error"].as_str().unwrap();
    assert!(
        error.contains(&format!("127.0.0.1:{closed} was not healthy within 200ms"))
            && error.to_ascii_lowercase().contains("refused"),
        "{error}"
    );
}

#[test]
fn a_command_runs_without_a_shell_and_its_exit_status_decides() {
    let sim = no_plans();
    let steps = "  - command: { run: [echo, '$HOME', '*'] }\n  - command: { run: ['false'], expect_exit: 1 }\n  - command: { run: [sh, -c, 'echo oops >&2; exit 3'] }\n";
    let (t, out) = run_live(&sim, steps, &["--report-format", "json,md,junit"]);
    out.assert_code(1);
    out.assert_stderr_contains("│ $HOME *");
    let report = t.report();
    assert_eq!(step(&report, 1)["command"]["stdout_tail"], "$HOME *\n");
    assert_eq!(step(&report, 1)["command"]["command"], "echo '$HOME' '*'");
    assert_eq!(step(&report, 2)["result"], "succeeded");
    assert_eq!(step(&report, 2)["command"]["exit_code"], 1);
    assert_eq!(step(&report, 3)["result"], "failed");
    assert_eq!(
        step(&report, 3)["error"],
        "the command exited with status 3, expected 0: oops"
    );
    let junit = all_files(&t)
        .into_iter()
        .find(|(p, _)| p.ends_with(".junit.xml"))
        .unwrap()
        .1;
    let case = junit.split("<testcase").last().unwrap();
    assert!(
        case.contains("<failure") && case.contains("stderr:\noops"),
        "{case}"
    );
}

#[test]
fn a_long_output_keeps_its_tail_and_masks_secrets() {
    let sim = no_plans();
    let steps = "  - command:\n      shell: 'i=0; while [ $i -lt 3000 ]; do echo \"line $i of the output\"; i=$((i+1)); done; echo \"token $TOKEN\"'\n      env: { TOKEN: '{{api_token}}' }\n";
    let (t, out) = run_live(&sim, steps, &["--var", "api_token=tk-771-secret"]);
    out.assert_code(0);
    let report = t.report();
    let command = &step(&report, 1)["command"];
    let tail = command["stdout_tail"].as_str().unwrap();
    assert_eq!(command["output_truncated"], true);
    assert!(tail.len() <= 8 * 1024, "{}", tail.len());
    assert!(
        tail.starts_with("line "),
        "the tail starts at a line: {tail:?}"
    );
    assert!(
        tail.ends_with("line 2999 of the output\ntoken ***\n"),
        "{tail}"
    );
    for (path, text) in all_files(&t) {
        assert!(!text.contains("tk-771-secret"), "{path}");
    }
}

#[test]
fn a_command_past_its_timeout_is_killed_with_everything_it_started() {
    let sim = no_plans();
    let t = Drbook::new();
    let pid_file = t.dir().join("child.pid");
    t.runbook(&format!(
        "  - command:\n      shell: 'sleep 600 & echo $! > {}; wait'\n      timeout: 300ms\n",
        pid_file.display()
    ));
    t.live("run", &sim.base_url());
    let out = t.run();
    out.assert_code(1);
    out.assert_stderr_contains(
        "the command did not finish within 300ms: its process group was killed",
    );
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    let pid = pid.trim();
    // The grandchild (the sleep the shell left running) went with its group.
    let gone = eventually(Duration::from_secs(5), || {
        !std::path::Path::new(&format!("/proc/{pid}")).exists()
            || std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .is_ok_and(|s| s.contains(") Z "))
    });
    assert!(gone, "process {pid} outlived the command's timeout");
    let report = t.report();
    assert_eq!(step(&report, 1)["command"]["timed_out"], true);
}

/// A command that records each start in `runs.log`, and on its first start waits forever
/// (its pid in `cmd.pid`), so that the test can kill drbook while it runs.
fn blocking_command(t: &Drbook, idempotent: bool) -> String {
    let dir = t.dir().display();
    format!(
        "  - name: Switch DNS\n    command:\n      cwd: {dir}\n      idempotent: {idempotent}\n      shell: 'echo run >> runs.log; if [ $(wc -l < runs.log) -lt 2 ]; then echo $$ > cmd.pid; exec sleep 600; fi'\n  - wait: 0s\n"
    )
}

/// Starts the run, waits until its command is running, then kills drbook (SIGKILL) and
/// the command it left behind.
fn kill_during_the_command(t: &Drbook, sim: &drbook::sim::Simulator) {
    t.live("run", &sim.base_url());
    let child = t.spawn();
    t.await_event(|e| e["event"] == "spawning");
    let pid_file = t.dir().join("cmd.pid");
    assert!(eventually(Duration::from_secs(20), || pid_file.exists()));
    signal(&child, "-KILL");
    let mut child = child;
    let _ = child.wait();
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    let _ = std::process::Command::new("kill")
        .args(["-KILL", pid.trim()])
        .status();
}

#[test]
fn resume_does_not_start_again_a_command_that_was_in_flight() {
    let sim = no_plans();
    let t = Drbook::new();
    t.runbook(&blocking_command(&t, false));
    kill_during_the_command(&t, &sim);
    let run_id = t.report()["run_id"].as_str().unwrap().to_owned();
    let out = resume_run(&t);
    out.assert_code(1);
    out.assert_stderr_contains(
        "drbook does not start a command twice unless it is `idempotent: true`",
    )
    .assert_stderr_contains(&format!("`drbook resume {run_id} --retry`"))
    .assert_stderr_contains(&format!("`drbook resume {run_id} --skip 1 --reason TEXT`"));
    let runs = std::fs::read_to_string(t.dir().join("runs.log")).unwrap();
    assert_eq!(runs.lines().count(), 1, "the command ran again");
    // The operator found out and decided: `--retry` runs it once more, and the run goes on.
    t.resume(&run_id)
        .args(["--report-dir", &t.reports_dir(), "--retry"])
        .run()
        .assert_code(0)
        .assert_stderr_contains("operator decision: step 1: retry");
    let runs = std::fs::read_to_string(t.dir().join("runs.log")).unwrap();
    assert_eq!(runs.lines().count(), 2, "run once more, exactly");
    let report = t.report();
    assert_eq!(report["result"], "succeeded");
    assert_eq!(step(&report, 1)["decisions"][0]["decision"], "retry");
}

#[test]
fn resume_starts_again_an_idempotent_command_that_was_in_flight() {
    let sim = no_plans();
    let t = Drbook::new();
    t.runbook(&blocking_command(&t, true));
    kill_during_the_command(&t, &sim);
    let out = resume_run(&t);
    out.assert_code(0);
    out.assert_stderr_contains("it is idempotent, so it runs again");
    let runs = std::fs::read_to_string(t.dir().join("runs.log")).unwrap();
    assert_eq!(runs.lines().count(), 2);
    let report = t.report();
    assert_eq!(report["result"], "succeeded");
    assert_eq!(step(&report, 1)["command"]["exit_code"], 0);
}

/// A crash after a command ended and before its step's end was journalled: the journal
/// says how the command ended, so resume judges the step from that and does not start the
/// command again (even one that is not idempotent), then goes on with the next step.
#[test]
fn resume_judges_a_command_the_earlier_process_saw_end() {
    let sim = no_plans();
    let t = Drbook::new();
    let dir = t.dir().display();
    t.runbook(&format!(
        "  - name: Switch DNS\n    command:\n      cwd: {dir}\n      shell: 'echo run >> runs.log; echo switched >&2'\n  - command: {{ run: [touch, {dir}/next.marker] }}\n"
    ));
    t.live("run", &sim.base_url()).run().assert_code(0);
    std::fs::remove_file(t.dir().join("next.marker")).unwrap();
    let run_id = t.report()["run_id"].as_str().unwrap().to_owned();
    // The journal as a SIGKILL right after the command's end would have left it.
    let journal = t
        .dir()
        .join("reports")
        .join(format!("{run_id}.journal.jsonl"));
    let text = std::fs::read_to_string(&journal).unwrap();
    let cut = text.find(r#""event":"exited""#).expect("an exited event");
    let end = cut + text[cut..].find('\n').unwrap() + 1;
    std::fs::write(&journal, &text[..end]).unwrap();
    let out = resume_run(&t);
    out.assert_code(0).assert_stderr_contains(
        "the earlier process saw this command end (exit status 0) before it stopped; the step is judged from that, not run again",
    );
    let runs = std::fs::read_to_string(t.dir().join("runs.log")).unwrap();
    assert_eq!(runs.lines().count(), 1, "the command ran again");
    assert!(t.dir().join("next.marker").exists(), "the next step ran");
    let report = t.report();
    assert_eq!(report["result"], "succeeded");
    assert_eq!(step(&report, 1)["result"], "succeeded");
    assert_eq!(step(&report, 1)["command"]["exit_code"], 0, "{report:#}");
}

/// A runbook that fails over plan A and runs one command per scope, each leaving a file.
fn scoped(t: &Drbook) -> String {
    let dir = t.dir().display();
    format!(
        "{}  - name: DNS switch\n    only: [run]\n    command: {{ run: [touch, {dir}/run.marker] }}\n  - name: Drill note\n    only: [drill]\n    command: {{ run: [touch, {dir}/drill.marker] }}\n  - name: Smoke test\n    command: {{ run: [touch, {dir}/both.marker] }}\n",
        one_failover(PLAN_A)
    )
}

#[test]
fn only_scopes_a_step_to_real_runs_or_to_drills() {
    for (command, ran, left_out) in [("run", "run", "drill"), ("drill", "drill", "run")] {
        let sim = sim(vec![plan(PLAN_A, Duration::from_millis(100))]);
        let t = Drbook::new();
        t.runbook(&scoped(&t));
        t.live(command, &sim.base_url());
        let out = t.run();
        out.assert_code(0);
        assert!(t.dir().join(format!("{ran}.marker")).exists(), "{command}");
        assert!(t.dir().join("both.marker").exists(), "{command}");
        assert!(
            !t.dir().join(format!("{left_out}.marker")).exists(),
            "{command} ran a step scoped to {left_out}"
        );
        let report = t.report();
        let skipped = if command == "run" { 3 } else { 2 };
        assert_eq!(step(&report, skipped)["result"], "skipped");
        let why = step(&report, skipped)["error"].as_str().unwrap();
        assert!(why.starts_with("skipped by scope: `only: ["), "{why}");
        out.assert_stderr_contains(&format!("– {why}"));
    }
}

#[test]
fn a_drill_runs_its_cleanup_steps_after_the_undos_and_they_count_in_its_verdict() {
    let sim = sim(vec![plan(PLAN_A, Duration::from_millis(100))]);
    let t = Drbook::new();
    let dir = t.dir().display();
    t.runbook_text(format!(
        "{}cleanup:\n  - name: Remove the test data\n    command: {{ run: [touch, {dir}/cleaned] }}\n  - name: The test app is gone\n    command: {{ run: ['false'] }}\n  - command: {{ run: [touch, {dir}/after-a-failure] }}\n",
        runbook(&one_failover(PLAN_A))
    ));
    t.live("drill", &sim.base_url());
    let out = t.run();
    out.assert_code(1);
    assert!(t.dir().join("cleaned").exists());
    assert!(
        t.dir().join("after-a-failure").exists(),
        "the clean-up goes on"
    );
    let report = t.report();
    let undo = step(&report, 5);
    assert_eq!(undo["kind"], "undo");
    assert_eq!(undo["result"], "succeeded");
    for n in 2..=4 {
        assert_eq!(step(&report, n)["phase"], "cleanup");
        assert!(
            step(&report, n)["started_at"].as_str() >= undo["finished_at"].as_str(),
            "clean-up step {n} ran before the undos"
        );
    }
    assert_eq!(report["drill"]["cleanup"], "failed");
    assert_eq!(report["drill"]["failed_steps"], serde_json::json!([3]));
    assert_eq!(report["drill"]["left_failed_over"], serde_json::json!([]));
    let error = report["error"].as_str().unwrap();
    assert!(
        error.contains("the drill's clean-up: step 3 \"The test app is gone\" failed"),
        "{error}"
    );

    // A real run never runs a drill's clean-up.
    let sim = sim_with_a();
    let run = Drbook::new();
    run.runbook_text(format!(
        "{}cleanup:\n  - command: {{ run: [touch, {}/cleaned] }}\n",
        runbook(&one_failover(PLAN_A)),
        run.dir().display()
    ));
    run.live("run", &sim.base_url());
    run.run().assert_code(0);
    assert!(!run.dir().join("cleaned").exists());
    let report = run.report();
    assert_eq!(step(&report, 2)["result"], "skipped");
}

fn sim_with_a() -> drbook::sim::Simulator {
    sim(vec![plan(PLAN_A, Duration::from_millis(100))])
}

#[test]
fn recovery_time_is_measured_to_the_service_answering_healthy() {
    let app = Health::start(|n| if n < 3 { (502, "") } else { (200, "ok") });
    let sim = sim(vec![
        plan(PLAN_A, Duration::from_millis(200)),
        plan(PLAN_B, Duration::from_millis(200)),
    ]);
    let t = Drbook::new();
    t.runbook_text(format!(
        "version: 1\nname: to-healthy\nobjectives: {{ rto: 30m, until: healthy }}\ndefaults: {{ poll_interval: 50ms }}\nsteps:\n{}{}  - http_check: {{ url: \"{}\", interval: 100ms, timeout: 20s }}\n",
        one_failover(PLAN_A),
        one_failover(PLAN_B),
        app.url("/")
    ));
    t.live("drill", &sim.base_url());
    t.args(["--report-format", "json,md,html"]);
    let out = t.run();
    out.assert_code(0);
    let report = t.report();
    let o = &report["objectives"];
    assert_eq!(o["recovery_until"], "healthy");
    assert_eq!(o["rto_met"], true);
    let healthy_at = step(&report, 3)["check"]["healthy_at"].as_str().unwrap();
    assert_eq!(o["healthy_at"].as_str(), Some(healthy_at));
    let first_request: chrono::DateTime<chrono::Utc> = step(&report, 1)["request"]["sent_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let healthy: chrono::DateTime<chrono::Utc> = healthy_at.parse().unwrap();
    let measured = o["recovery_time_ms"].as_i64().unwrap();
    assert!(
        (measured - (healthy - first_request).num_milliseconds()).abs() <= 1,
        "{measured} ms, from {first_request} to {healthy}"
    );
    let plans_done = step(&report, 2)["recovery"]["failed_over_at"]
        .as_str()
        .unwrap();
    assert!(
        healthy_at > plans_done,
        "the check answered after the plans"
    );
    let texts = t.report_texts();
    assert!(
        texts.contains("to the service answering healthy"),
        "the report says which end was used"
    );
}

#[test]
fn check_says_whether_a_commands_program_exists_and_leaves_network_checks_alone() {
    let sim = no_plans();
    let steps = "  - command: { run: [sh, -c, 'touch ran'] }\n  - command: { run: [no-such-program-drbook-test] }\n  - http_check: { url: 'http://127.0.0.1:9/health' }\n  - tcp_check: { host: 127.0.0.1, port: 9 }\n";
    let t = Drbook::new();
    t.runbook(steps);
    t.live("check", &sim.base_url());
    let out = t.run();
    out.assert_code(1);
    out.assert_stderr_contains("the program sh exists and is executable")
        .assert_stderr_contains(
            "the program no-such-program-drbook-test is not found or not executable (searched in PATH)",
        )
        .assert_stderr_contains("not checked: a health check's target is usually down before a failover");
    assert!(!t.dir().join("ran").exists(), "check runs nothing");
    let report = t.report();
    assert_eq!(step(&report, 1)["result"], "check_passed");
    assert_eq!(step(&report, 2)["result"], "check_failed");
    // A network check is not looked at: the report does not say it would pass.
    for n in [3, 4] {
        assert_eq!(step(&report, n)["result"], "skipped");
        assert!(
            step(&report, n)["error"]
                .as_str()
                .unwrap()
                .starts_with("not checked: "),
            "{report:#}"
        );
    }
    out.assert_stderr_contains(
        "check FAILED: 1 of 4 steps would fail now, 1 would run, 2 not checked",
    );
}

#[test]
fn checks_and_commands_run_in_a_parallel_group() {
    let app = Health::start(|_| (200, "ok"));
    let sim = sim_with_a();
    let dir = tempfile::tempdir().unwrap();
    let steps = format!(
        "  - parallel:\n      steps:\n        - failover: {{ plan_id: {PLAN_A} }}\n        - http_check: {{ url: \"{}\" }}\n        - command: {{ run: [touch, {}/ran] }}\n",
        app.url("/"),
        dir.path().display()
    );
    let (t, out) = run_live(&sim, &steps, &[]);
    out.assert_code(0);
    assert!(dir.path().join("ran").exists());
    let report = t.report();
    for n in 1..=3 {
        assert_eq!(step(&report, n)["result"], "succeeded");
        assert!(step(&report, n)["group"].is_string());
    }
}

/// Commands and checks take part in the dependency graph like any step: a check waits for
/// the command it needs, a failover for the check; a failed command (`on_failure:
/// continue`) leaves what needs it not run, naming it, while the other branch goes on.
#[test]
fn checks_and_commands_need_and_are_needed() {
    let app = Health::start(|_| (200, "ok"));
    let sim = sim_with_a();
    let dir = tempfile::tempdir().unwrap();
    let at = dir.path().display();
    let steps = format!(
        "  - {{ id: start-app, needs: [], command: {{ run: [touch, {at}/started] }} }}\n  - {{ id: app-up, needs: [start-app], http_check: {{ url: \"{}\" }} }}\n  - {{ needs: [app-up], failover: {{ plan_id: {PLAN_A} }} }}\n  - {{ id: broken, needs: [], on_failure: continue, command: {{ run: [sh, -c, 'exit 3'] }} }}\n  - {{ needs: [broken], command: {{ run: [touch, {at}/after-broken] }} }}\n",
        app.url("/")
    );
    let (t, out) = run_live(&sim, &steps, &[]);
    out.assert_code(1);
    assert!(dir.path().join("started").exists());
    assert!(!dir.path().join("after-broken").exists(), "it ran");
    assert_eq!(sim.accepted_failovers(PLAN_A), 1);
    let report = t.report();
    let results: Vec<&str> = (1..=5)
        .map(|n| step(&report, n)["result"].as_str().unwrap())
        .collect();
    assert_eq!(
        results,
        ["succeeded", "succeeded", "succeeded", "failed", "skipped"]
    );
    // The check started only after the command it needs had ended, the failover after it.
    let time = |n: usize, key: &str| step(&report, n)[key].as_str().unwrap().to_owned();
    assert!(
        time(2, "started_at") >= time(1, "finished_at"),
        "{report:#}"
    );
    assert!(
        time(3, "started_at") >= time(2, "finished_at"),
        "{report:#}"
    );
    let why = step(&report, 5)["error"].as_str().unwrap();
    assert!(why.contains("it needs step 4"), "{why}");
}

#[test]
fn a_secret_on_a_command_line_stops_the_run_before_anything_runs() {
    let sim = no_plans();
    let t = Drbook::new();
    t.runbook(&format!(
        "  - command: {{ run: [touch, {}/ran] }}\n  - command: {{ run: [curl, '-u', 'ops:{{{{ops_password}}}}', 'http://127.0.0.1:9'] }}\n",
        t.dir().display()
    ));
    t.live("run", &sim.base_url());
    t.args(["--var", "ops_password=pw-4471-xyz"]);
    let out = t.run();
    out.assert_code(2);
    out.assert_stderr_contains(
        "steps[1].command.run[2]: the secret variable `ops_password` cannot be on a command line",
    );
    assert!(!out.stderr.contains("pw-4471-xyz"));
    assert!(!t.dir().join("ran").exists());
    assert!(
        !t.dir().join("reports").exists(),
        "no report: the run never started"
    );
}

#[test]
fn the_example_drill_fails_over_two_plans_waits_for_healthy_and_measures_to_it() {
    let Some(_curl) = tool("curl") else {
        return;
    };
    // The application the example waits for, on loopback.
    let app = Health::start(|_| (200, "ok"));
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/runbooks/failover-to-healthy.yaml"
    );
    let t = Drbook::new();
    let out = t
        .args([
            "drill",
            example,
            "--simulate",
            "--sim-failover-time",
            "200ms",
        ])
        .args(["--var", &format!("health_url={}", app.url("/health"))])
        .args(["--report-format", "json,md,junit,html"])
        .run();
    out.assert_code(0);
    out.assert_stderr_contains("– skipped by scope: `only: [run]`, and this is a drill");
    let report = t.report();
    assert_eq!(report["drill"]["cleanup"], "clean");
    assert_eq!(report["drill"]["undone"].as_array().unwrap().len(), 2);
    assert_eq!(step(&report, 3)["result"], "succeeded");
    assert_eq!(step(&report, 4)["result"], "skipped");
    assert_eq!(step(&report, 5)["result"], "succeeded");
    assert_eq!(step(&report, 5)["command"]["stdout_tail"], "ok");
    let o = &report["objectives"];
    assert_eq!(o["recovery_until"], "healthy");
    assert_eq!(o["rto_met"], true);
    assert_eq!(o["healthy_at"], step(&report, 3)["check"]["healthy_at"]);
    // From the first failover request to the health check that answered, not to the
    // last plan failed over.
    let first: chrono::DateTime<chrono::Utc> = step(&report, 1)["request"]["sent_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let healthy: chrono::DateTime<chrono::Utc> = o["healthy_at"].as_str().unwrap().parse().unwrap();
    let plans_done: chrono::DateTime<chrono::Utc> = step(&report, 2)["recovery"]["failed_over_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(healthy > plans_done);
    let measured = o["recovery_time_ms"].as_i64().unwrap();
    assert!(
        (measured - (healthy - first).num_milliseconds()).abs() <= 1,
        "{measured}"
    );
    assert!(
        t.report_texts()
            .contains("to the service answering healthy")
    );
}

#[test]
fn a_drill_dry_run_lists_what_would_run_in_scope_and_the_clean_up_after_the_undos() {
    let t = Drbook::new();
    t.runbook_text(format!(
        "{}  - name: DNS switch\n    only: [run]\n    command: {{ run: [/opt/dr/switch-dns, --to, b] }}\n  - tcp_check: {{ host: db.dr.example, port: 5432, timeout: 1m }}\ncleanup:\n  - name: Drop test data\n    command: {{ shell: 'psql -c \"delete from t\"', cwd: /srv }}\n",
        runbook(&one_failover(PLAN_A))
    ));
    let out = t.args(["drill", "rb.yaml", "--dry-run"]).run();
    out.assert_code(0);
    let listing = &out.stdout;
    let order = [
        "2. DNS switch\n   skipped by scope: `only: [run]`, and this is a drill: nothing would run",
        "3. Check that db.dr.example:5432 accepts connections\n   connect to db.dr.example:5432 every 5s until a connection opens (at most 1m; each try at most 5s)",
        "undo the failover of plan",
        "4. Drop test data\n   run: sh -c 'psql -c \"delete from t\"' (with a shell)\n   in: /srv",
    ];
    let mut from = 0;
    for text in order {
        let at = listing[from..]
            .find(text)
            .unwrap_or_else(|| panic!("{text:?} not in order in:\n{listing}"));
        from += at + text.len();
    }
    assert!(!listing.contains("run: /opt/dr/switch-dns"), "{listing}");
}

/// An HTTPS health endpoint on 127.0.0.1 with a self-signed certificate made now: its
/// address and the certificate (PEM), which is its own CA.
fn https_health() -> (std::net::SocketAddr, String) {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let (cert_pem, key_pem) = (certified.cert.pem(), certified.signing_key.serialize_pem());
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let mut buf = vec![0u8; 4096];
                    let _ = tls.read(&mut buf).await;
                    let _ = tls
                        .write_all(
                            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                        )
                        .await;
                    let _ = tls.shutdown().await;
                });
            }
        });
    });
    (addr, cert_pem)
}

#[test]
fn an_https_check_has_its_own_tls_options() {
    let (addr, cert) = https_health();
    let sim = no_plans();
    let t = Drbook::new();
    let ca = t.file("app-ca.pem", cert);
    t.runbook(&format!(
        "  - name: trusted through ca_cert\n    http_check: {{ url: 'https://{addr}/health', ca_cert: {} }}\n  - name: insecure\n    http_check: {{ url: 'https://{addr}/health', insecure: true }}\n  - name: unknown issuer\n    on_failure: continue\n    http_check: {{ url: 'https://{addr}/health', timeout: 0s }}\n",
        ca.display()
    ));
    t.live("run", &sim.base_url());
    let out = t.run();
    out.assert_code(1);
    let report = t.report();
    assert_eq!(step(&report, 1)["result"], "succeeded");
    assert_eq!(step(&report, 2)["result"], "succeeded");
    assert_eq!(step(&report, 3)["result"], "failed");
    assert_eq!(step(&report, 3)["check"]["attempts"], 1);
    let answer = step(&report, 3)["check"]["last_answer"].as_str().unwrap();
    assert!(answer.contains("certificate"), "{answer}");
}

#[test]
fn an_interrupt_lets_a_running_command_finish_and_starts_nothing_after_it() {
    let sim = no_plans();
    let t = Drbook::new();
    let dir = t.dir().display();
    t.runbook(&format!(
        "  - command:\n      cwd: {dir}\n      shell: 'echo waiting; while [ ! -e release ]; do sleep 0.05; done; echo released'\n  - command: {{ run: [touch, {dir}/second] }}\n"
    ));
    t.live("run", &sim.base_url());
    let running = t.start();
    running.await_stderr("│ waiting");
    running
        .signal("-INT")
        .await_stderr("finishing the request in flight, then stopping");
    // The command was not stopped by the interrupt (it runs in its own process group).
    std::fs::write(t.dir().join("release"), "").unwrap();
    let out = running.finish();
    out.assert_code(130);
    out.assert_stderr_contains("│ released");
    assert!(!t.dir().join("second").exists());
    let report = t.report();
    assert_eq!(step(&report, 1)["result"], "succeeded");
    assert_eq!(
        step(&report, 1)["command"]["stdout_tail"],
        "waiting\nreleased\n"
    );
    assert_eq!(step(&report, 2)["result"], "skipped");
}
