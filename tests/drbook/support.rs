//! A builder around the real binary, in the style of just's `Test`: files in a fresh
//! directory, arguments, environment; then the exit code, stdout, stderr and the reports.

use drbook::sim::{SimApi, SimConfig, SimOutcome, SimPlan, Simulator};
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const USER: &str = "CORP\\dr-automation";
pub const PASSWORD: &str = "S3cret-Passw0rd-for-tests!";

pub const PLAN_A: &str = "6f1c2d9e-3b4a-4c5d-8e7f-0a1b2c3d4e5f";
pub const PLAN_B: &str = "0b8a3c1d-2e4f-4a6b-9c8d-7e6f5a4b3c2d";
pub const PLAN_C: &str = "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a";

pub struct Drbook {
    dir: tempfile::TempDir,
    /// Arguments before the subcommand (`-vv`).
    global: RefCell<Vec<String>>,
    /// The subcommand and its target, put together when drbook starts (see [`Drbook::live`]).
    invocation: RefCell<Option<Invocation>>,
    args: RefCell<Vec<String>>,
    env: RefCell<Vec<(String, String)>>,
    /// The runbook [`Drbook::live`] runs: `rb.yaml` unless [`Drbook::runbook_file`] said.
    runbook: RefCell<String>,
}

/// `COMMAND TARGET [--server URL] [--yes]` with or without the test credentials: the words a
/// live run (or its resumption) starts with, before the test's own [`Drbook::args`].
struct Invocation {
    command: String,
    target: String,
    server: Option<String>,
    yes: bool,
    credentials: bool,
}

pub struct Outcome {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "unexpected exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Fails, showing stderr, unless stderr contains `needle`.
    pub fn assert_stderr_contains(&self, needle: &str) -> &Self {
        assert!(
            self.stderr.contains(needle),
            "{needle:?} not in stderr:\n{}",
            self.stderr
        );
        self
    }
}

impl Drbook {
    pub fn new() -> Drbook {
        Drbook {
            dir: tempfile::tempdir().expect("temp dir"),
            global: RefCell::default(),
            invocation: RefCell::default(),
            args: RefCell::default(),
            env: RefCell::default(),
            runbook: RefCell::new("rb.yaml".to_owned()),
        }
    }

    /// A new test in its own folder that shares this one's lock folder (the same machine).
    fn on_the_same_machine(&self) -> Drbook {
        let other = Drbook::new();
        other.env(
            "DRBOOK_LOCK_DIR",
            self.dir.path().join("locks").to_str().unwrap(),
        );
        other
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file in the test's directory and returns its path.
    pub fn file(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, contents).unwrap();
        path
    }

    pub fn args<I, S>(&self, args: I) -> &Drbook
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args
            .borrow_mut()
            .extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(&self, key: &str, value: &str) -> &Drbook {
        self.env
            .borrow_mut()
            .push((key.to_owned(), value.to_owned()));
        self
    }

    /// Writes `rb.yaml`, a runbook made of `steps` (see [`runbook`]), and returns its path.
    pub fn runbook(&self, steps: &str) -> PathBuf {
        self.runbook_text(runbook(steps))
    }

    /// Writes `rb.yaml` with exactly `text` (a runbook [`runbook`] cannot make).
    pub fn runbook_text(&self, text: impl AsRef<[u8]>) -> PathBuf {
        self.runbook_file("rb.yaml", text)
    }

    /// Writes the runbook `name` with exactly `text`; [`Drbook::live`] runs it.
    pub fn runbook_file(&self, name: &str, text: impl AsRef<[u8]>) -> PathBuf {
        name.clone_into(&mut self.runbook.borrow_mut());
        self.file(name, text)
    }

    /// `COMMAND rb.yaml --server URL --yes` with the test credentials: a live run, the
    /// setup of most tests. [`Drbook::yes`], [`Drbook::without_credentials`] and
    /// [`Drbook::global_args`] change it; [`Drbook::args`] follow it. Then `run()`,
    /// `spawn()` or `start()` it.
    pub fn live(&self, command: &str, url: &str) -> &Drbook {
        let runbook = self.dir.path().join(self.runbook.borrow().as_str());
        self.invoke(command, runbook.to_str().unwrap(), Some(url))
    }

    /// A new test on the same machine (this one's lock folder) that resumes `what` (a
    /// journal or a run id): `resume WHAT --yes` with the test credentials.
    pub fn resume(&self, what: &str) -> Drbook {
        let other = self.on_the_same_machine();
        other.invoke("resume", what, None);
        other
    }

    /// A new test on the same machine (this one's lock folder) that asks
    /// `drbook status ARGS... --state-dir <this test's reports/>`, without credentials.
    pub fn status<I, S>(&self, args: I) -> Drbook
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let other = self.on_the_same_machine();
        other
            .args(["status"])
            .args(args)
            .args(["--state-dir", &self.reports_dir()]);
        other
    }

    fn invoke(&self, command: &str, target: &str, server: Option<&str>) -> &Drbook {
        *self.invocation.borrow_mut() = Some(Invocation {
            command: command.to_owned(),
            target: target.to_owned(),
            server: server.map(str::to_owned),
            yes: true,
            credentials: true,
        });
        self
    }

    /// Whether the live run says `--yes` (it does unless told otherwise).
    pub fn yes(&self, yes: bool) -> &Drbook {
        self.invocation_mut(|i| i.yes = yes)
    }

    /// The live run without the test credentials: the test gives its own, or none.
    pub fn without_credentials(&self) -> &Drbook {
        self.invocation_mut(|i| i.credentials = false)
    }

    fn invocation_mut(&self, change: impl FnOnce(&mut Invocation)) -> &Drbook {
        change(
            self.invocation
                .borrow_mut()
                .as_mut()
                .expect("live() or resume() first"),
        );
        self
    }

    /// Arguments before the subcommand, such as `-vv`.
    pub fn global_args<I, S>(&self, args: I) -> &Drbook
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.global
            .borrow_mut()
            .extend(args.into_iter().map(Into::into));
        self
    }

    /// The test's `reports/` folder, where drbook writes unless told otherwise.
    pub fn reports_dir(&self) -> String {
        self.dir.path().join("reports").to_str().unwrap().to_owned()
    }

    /// drbook's arguments: the global ones, the invocation, the test's own.
    fn argv(&self) -> Vec<String> {
        let mut argv = self.global.borrow().clone();
        if let Some(i) = self.invocation.borrow().as_ref() {
            argv.extend([i.command.clone(), i.target.clone()]);
            if let Some(url) = &i.server {
                argv.extend(["--server".to_owned(), url.clone()]);
            }
            if i.yes {
                argv.push("--yes".to_owned());
            }
        }
        argv.extend(self.args.borrow().iter().cloned());
        argv
    }

    /// The password-grant credentials of [`sim`] where the invocation wants them; the
    /// test's own environment, set after them, wins.
    fn invocation_env(&self) -> Vec<(String, String)> {
        let wanted = self
            .invocation
            .borrow()
            .as_ref()
            .is_some_and(|i| i.credentials);
        let mut env = Vec::new();
        if wanted {
            env.push(("VAO_USERNAME".to_owned(), USER.to_owned()));
            env.push(("VAO_PASSWORD".to_owned(), PASSWORD.to_owned()));
        }
        env.extend(self.env.borrow().iter().cloned());
        env
    }

    fn command(&self) -> Command {
        let mut command = self.hermetic(env!("CARGO_BIN_EXE_drbook"));
        command.args(self.argv());
        command
    }

    /// `program` in the test's folder with the test's environment and nothing else.
    fn hermetic(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new(program);
        command
            .current_dir(self.dir.path())
            // Hermetic: nothing from the developer's environment (VAO_*, DRBOOK_VAR_*,
            // proxies) leaks into a test.
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("USER", "test-operator")
            // Each test its own lock folder: tests run in parallel with the same plan IDs.
            .env("DRBOOK_LOCK_DIR", self.dir.path().join("locks"))
            .envs(self.invocation_env())
            .stdin(Stdio::null());
        command
    }

    /// Starts drbook on a terminal (util-linux `script` gives it one), so that what the test
    /// types reaches it as keystrokes. `None` where `script` is not installed (see [`tool`]).
    pub fn on_a_terminal(&self) -> Option<Terminal> {
        let script = tool("script")?;
        let line: Vec<String> = std::iter::once(env!("CARGO_BIN_EXE_drbook").to_owned())
            .chain(self.argv())
            .map(|word| format!("'{}'", word.replace('\'', "'\\''")))
            .collect();
        let mut child = self
            .hermetic(script)
            .args(["-qec", &line.join(" "), "/dev/null"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn script");
        let (screen, reader) = collect(child.stdout.take().unwrap());
        Some(Terminal {
            child,
            screen,
            reader,
        })
    }

    pub fn run(&self) -> Outcome {
        let output = self.command().output().expect("run drbook");
        Outcome {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    pub fn spawn(&self) -> Child {
        self.command()
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn drbook")
    }

    /// Starts drbook in the background (see [`Running`]).
    pub fn start(&self) -> Running {
        let mut child = self.spawn();
        let (stderr, reader) = collect(child.stderr.take().unwrap());
        Running {
            child,
            stderr,
            reader,
        }
    }

    /// Waits (at most 20 s) until the run's journal (in `reports/`) has an event for which
    /// `wanted` holds: the way to know where a run in the background has got to.
    pub fn await_event(&self, wanted: impl Fn(&serde_json::Value) -> bool) {
        let journal = || -> String {
            let Ok(entries) = std::fs::read_dir(self.dir.path().join("reports")) else {
                return String::new();
            };
            entries
                .flatten()
                .map(|e| e.path())
                .find(|p| p.to_string_lossy().ends_with(".journal.jsonl"))
                .and_then(|p| std::fs::read_to_string(p).ok())
                .unwrap_or_default()
        };
        let found = eventually(Duration::from_secs(20), || {
            journal()
                .lines()
                .filter_map(|l| serde_json::from_str(l).ok())
                .any(|event| wanted(&event))
        });
        assert!(found, "the event never came; the journal:\n{}", journal());
    }

    /// Waits until step `step` (counted from 1) has begun waiting (a `wait:` step).
    pub fn await_waiting(&self, step: u64) {
        self.await_event(|e| e["event"] == "waiting" && e["step"] == step);
    }

    /// Runs drbook and samples its resident memory (kB, from /proc) every 20 ms until it
    /// ends. Output is drained on threads so a chatty run cannot block on a full pipe.
    pub fn run_sampling_memory(&self) -> (Outcome, Vec<u64>) {
        use std::io::Read;
        let mut child = self.spawn();
        let drain = |mut pipe: Box<dyn Read + Send>| {
            std::thread::spawn(move || {
                let mut text = String::new();
                let _ = pipe.read_to_string(&mut text);
                text
            })
        };
        let stdout = drain(Box::new(child.stdout.take().unwrap()));
        let stderr = drain(Box::new(child.stderr.take().unwrap()));
        let status_file = format!("/proc/{}/status", child.id());
        let mut samples = Vec::new();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if let Ok(text) = std::fs::read_to_string(&status_file)
                && let Some(kb) = text
                    .lines()
                    .find_map(|l| l.strip_prefix("VmRSS:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            {
                samples.push(kb);
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let outcome = Outcome {
            code: status.code().unwrap_or(-1),
            stdout: stdout.join().unwrap(),
            stderr: stderr.join().unwrap(),
        };
        (outcome, samples)
    }

    /// Every JSON report in `reports/`, each checked against `schemas/report.schema.json`.
    pub fn reports(&self) -> Vec<serde_json::Value> {
        let dir = self.dir.path().join("reports");
        let mut reports = Vec::new();
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return reports;
        };
        let mut paths: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
        paths.sort();
        for path in paths {
            if path.extension().is_some_and(|e| e == "json") {
                let text = std::fs::read_to_string(&path).unwrap();
                let report: serde_json::Value = serde_json::from_str(&text).unwrap();
                assert_valid_report(&report);
                let markdown = path.with_extension("md");
                // A run still going may be between writing its JSON and its Markdown.
                let beside = eventually(Duration::from_secs(5), || markdown.exists());
                assert!(beside, "no Markdown beside {}", path.display());
                reports.push(report);
            }
        }
        reports
    }

    /// The one report a run wrote.
    pub fn report(&self) -> serde_json::Value {
        let mut reports = self.reports();
        assert_eq!(reports.len(), 1, "expected exactly one report");
        reports.remove(0)
    }

    /// Everything drbook wrote into its report directory, as text (while a run is going,
    /// what is there now: the folder may not exist yet, and a file may be renamed away).
    pub fn report_texts(&self) -> String {
        let mut all = String::new();
        let Ok(entries) = std::fs::read_dir(self.dir.path().join("reports")) else {
            return all;
        };
        for entry in entries.flatten() {
            if let Ok(text) = std::fs::read_to_string(entry.path()) {
                all.push_str(&text);
            }
        }
        all
    }
}

/// drbook running on a terminal: what it shows, and a keyboard.
pub struct Terminal {
    child: Child,
    screen: Collected,
    reader: std::thread::JoinHandle<()>,
}

/// What a pipe has said so far, gathered on a thread.
type Collected = std::sync::Arc<std::sync::Mutex<String>>;

fn collect(
    mut pipe: impl std::io::Read + Send + 'static,
) -> (Collected, std::thread::JoinHandle<()>) {
    let text = Collected::default();
    let seen = text.clone();
    let reader = std::thread::spawn(move || {
        let mut chunk = [0; 4096];
        while let Ok(n) = pipe.read(&mut chunk) {
            if n == 0 {
                break;
            }
            seen.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&chunk[..n]));
        }
    });
    (text, reader)
}

/// Waits (at most 20 s) until `text` holds `wanted`; panics with what it holds otherwise.
fn await_text(text: &Collected, wanted: &str, what: &str) {
    let seen = eventually(Duration::from_secs(20), || {
        text.lock().unwrap().contains(wanted)
    });
    assert!(
        seen,
        "{wanted:?} never appeared on {what}:\n{}",
        text.lock().unwrap()
    );
}

/// drbook running in the background, its stderr read as it comes.
pub struct Running {
    child: Child,
    stderr: Collected,
    reader: std::thread::JoinHandle<()>,
}

impl Running {
    pub fn signal(&self, name: &str) -> &Running {
        signal(&self.child, name);
        self
    }

    /// Waits (at most 20 s) until drbook has written `text` to stderr.
    pub fn await_stderr(&self, text: &str) -> &Running {
        await_text(&self.stderr, text, "stderr");
        self
    }

    pub fn finish(self) -> Outcome {
        let output = self.child.wait_with_output().expect("wait for drbook");
        self.reader.join().unwrap();
        let stderr = self.stderr.lock().unwrap().clone();
        Outcome {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr,
        }
    }
}

impl Terminal {
    /// Waits (at most 20 s) until the screen shows `text`, then types `line` and Enter.
    pub fn answer(mut self, text: &str, line: &str) -> Terminal {
        await_text(&self.screen, text, "the terminal");
        use std::io::Write;
        let keyboard = self.child.stdin.as_mut().expect("the terminal's input");
        writeln!(keyboard, "{line}").unwrap();
        keyboard.flush().unwrap();
        self
    }

    /// Waits (at most 20 s) until the screen shows `text`.
    pub fn shows(self, text: &str) -> Terminal {
        await_text(&self.screen, text, "the terminal");
        self
    }

    /// Waits for drbook to end; `stdout` is the whole screen.
    pub fn finish(mut self) -> Outcome {
        drop(self.child.stdin.take());
        let output = self.child.wait_with_output().expect("wait for script");
        self.reader.join().unwrap();
        let screen = self.screen.lock().unwrap().clone();
        Outcome {
            code: output.status.code().unwrap_or(-1),
            stdout: screen,
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// An external program a test needs, found on `PATH`. On a developer's machine without it
/// the test is skipped with a loud message; in CI (`CI=true`, where `.ci/run` installs it)
/// its absence fails the test: a check that did not run never passes there.
pub fn tool(name: &str) -> Option<PathBuf> {
    let found = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|dir| dir.join(name))
        .find(|path| path.is_file());
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "`{name}` is required in CI: .ci/run installs it"
        );
        eprintln!("\n*** SKIPPED: `{name}` is not installed; this check did not run ***\n");
    }
    found
}

pub fn assert_valid_report(report: &serde_json::Value) {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/schemas/report.schema.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let errors: Vec<String> = validator
        .iter_errors(report)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "report does not match its schema: {errors:#?}"
    );
}

/// A ready, enabled replica plan that fails over in `duration`.
pub fn plan(id: &str, duration: Duration) -> SimPlan {
    let mut plan = SimPlan::new(id);
    plan.failover_duration = duration;
    plan
}

pub fn plan_with(id: &str, duration: Duration, outcome: SimOutcome) -> SimPlan {
    let mut plan = plan(id, duration);
    plan.outcome = outcome;
    plan
}

/// The simulator with these plans and the test credentials.
pub fn sim(plans: Vec<SimPlan>) -> Simulator {
    sim_in(SimApi::Vao3, plans)
}

/// The simulator of an API edition with these plans and the test credentials.
pub fn sim_in(api: SimApi, plans: Vec<SimPlan>) -> Simulator {
    sim_with(plans, |config| config.api = api)
}

/// The simulator with these plans and the test credentials, as `configure` changes it.
pub fn sim_with(plans: Vec<SimPlan>, configure: impl FnOnce(&mut SimConfig)) -> Simulator {
    let mut config = SimConfig::with_plans(Vec::<String>::new(), Duration::ZERO);
    config.plans = plans;
    config.username = USER.to_owned();
    config.password = PASSWORD.to_owned();
    configure(&mut config);
    Simulator::spawn_in_thread(config).expect("start the simulator")
}

/// The simulator with these plans, these faults (seed 7) and the test credentials.
pub fn faulty_sim(plans: Vec<SimPlan>, faults: Vec<drbook::sim::Fault>) -> Simulator {
    let mut config = SimConfig::with_plans(Vec::<String>::new(), Duration::ZERO);
    config.plans = plans;
    config.username = USER.to_owned();
    config.password = PASSWORD.to_owned();
    config.faults = faults;
    config.seed = 7;
    Simulator::spawn_in_thread(config).expect("start the simulator")
}

/// A runbook with a fast poll interval around the given steps (YAML, indented by 2).
pub fn runbook(steps: &str) -> String {
    format!(
        "version: 1\nname: test-runbook\ndefaults:\n  poll_interval: 50ms\n  timeout: 30s\n  retry_delay: 50ms\nsteps:\n{steps}"
    )
}

/// [`runbook`] for a server of an API edition (`api:`).
pub fn runbook_in(api: SimApi, steps: &str) -> String {
    runbook(steps).replacen(
        "name: test-runbook\n",
        &format!("name: test-runbook\napi: {}\n", api.name()),
        1,
    )
}

/// One failover step of `plan`, as runbook YAML.
pub fn one_failover(plan: &str) -> String {
    format!("  - failover: {{ plan_id: {plan} }}\n")
}

/// The failover requests the simulator received, as (plan id, body).
pub fn failovers(sim: &Simulator) -> Vec<(String, serde_json::Value)> {
    sim.requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/Failover"))
        .map(|r| {
            let id = r.path.split('/').nth(4).unwrap_or_default().to_owned();
            (
                id,
                serde_json::from_str(&r.body).unwrap_or(serde_json::Value::Null),
            )
        })
        .collect()
}

/// Kills a running drbook as a crash would (SIGKILL) once `condition` holds, and reaps it.
pub fn kill_when(child: Child, condition: impl FnMut() -> bool) {
    assert!(
        eventually(Duration::from_secs(10), condition),
        "the run never reached the point to kill it at"
    );
    signal(&child, "-KILL");
    let _ = child.wait_with_output();
}

/// Runs `steps` live, kills drbook as a crash would once a step has failed while the
/// failover of `under_way` was accepted and still running, and resumes the run. The
/// resumed run must wait for that plan, not send it again, and start nothing new.
pub fn crash_after_a_failure_and_resume(
    sim: &Simulator,
    steps: &str,
    under_way: &str,
) -> (Drbook, Outcome) {
    let (t, child) = spawn_live(sim, "run", steps);
    kill_when(child, || {
        sim.accepted_failovers(under_way) == 1
            && t.report_texts().contains("\"result\": \"failed\"")
    });
    let out = resume_run(&t);
    assert_eq!(sim.failover_count(under_way), 1, "sent again");
    assert_eq!(sim.plan_state(under_way).as_deref(), Some("Failover"));
    (t, out)
}

/// Sends a signal (`-INT`, `-TERM`, …) to a running drbook.
pub fn signal(child: &Child, signal: &str) {
    let sent = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success(), "kill {signal} failed");
}

/// Waits (at most `limit`) until `condition` holds.
pub fn eventually(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + limit;
    while std::time::Instant::now() < deadline {
        if condition() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    condition()
}

/// A live run of a runbook made of `steps` against `url`, with the test credentials and
/// `--yes`, ready to `run()` or `spawn()`.
pub fn live(url: &str, steps: &str) -> Drbook {
    let t = Drbook::new();
    t.runbook(steps);
    t.live("run", url);
    t
}

/// Runs a runbook made of `steps` live against `sim`, with the test credentials, `--yes` and
/// `extra` arguments. Returns the test (for its reports) and the outcome.
pub fn run_live(sim: &Simulator, steps: &str, extra: &[&str]) -> (Drbook, Outcome) {
    let t = live(&sim.base_url(), steps);
    t.args(extra.iter().copied());
    let out = t.run();
    (t, out)
}

/// What a [`Scripted`] server answers.
pub enum Reply {
    /// Status, JSON body, extra headers.
    Json(u16, String, Vec<(String, String)>),
    /// Never answer (the connection stays open).
    Hang,
}

/// A tiny HTTP server on 127.0.0.1 that answers as a test scripts it, for the misbehaviour
/// the simulator does not (yet) offer. Each request gets its own connection, closed after
/// the answer.
pub struct Scripted {
    pub addr: std::net::SocketAddr,
    hits: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Scripted {
    /// `answer(method, path, how many times this method+path was seen before)`.
    pub fn start(answer: impl Fn(&str, &str, usize) -> Reply + Send + Sync + 'static) -> Scripted {
        use std::io::{BufRead, BufReader, Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let answer = std::sync::Arc::new(answer);
        let seen = hits.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let answer = answer.clone();
                let seen = seen.clone();
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let mut parts = line.split_whitespace();
                    let method = parts.next().unwrap_or_default().to_owned();
                    let path = parts.next().unwrap_or_default().to_owned();
                    let mut length = 0;
                    loop {
                        let mut header = String::new();
                        if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                            break;
                        }
                        if let Some((k, v)) = header.split_once(':')
                            && k.eq_ignore_ascii_case("content-length")
                        {
                            length = v.trim().parse().unwrap_or(0);
                        }
                    }
                    let mut body = vec![0; length];
                    let _ = reader.read_exact(&mut body);
                    let key = format!("{method} {path}");
                    let count = {
                        let mut seen = seen.lock().unwrap();
                        let count = seen.iter().filter(|k| **k == key).count();
                        seen.push(key);
                        count
                    };
                    match answer(&method, &path, count) {
                        Reply::Hang => std::thread::sleep(Duration::from_secs(120)),
                        Reply::Json(status, body, headers) => {
                            let mut stream = stream;
                            let extra: String = headers
                                .iter()
                                .map(|(k, v)| format!("{k}: {v}\r\n"))
                                .collect();
                            let _ = write!(
                                stream,
                                "HTTP/1.1 {status} Scripted\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n{body}",
                                body.len()
                            );
                        }
                    }
                });
            }
        });
        Scripted { addr, hits }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `METHOD /path` of every request received, in order.
    pub fn hits(&self) -> Vec<String> {
        self.hits.lock().unwrap().clone()
    }
}

/// The token answer of a scripted VAO.
pub fn token_reply() -> Reply {
    Reply::Json(
        200,
        r#"{"access_token":"scripted-access-token","token_type":"bearer","expires_in":899,"refresh_token":"scripted-refresh-token"}"#.to_owned(),
        vec![],
    )
}

/// A plan ready for failover (what the state guard wants to read).
pub fn ready_reply() -> Reply {
    Reply::Json(
        200,
        r#"{"id":"x","name":"Scripted","planType":"Replica","state":"Verified","lastStableState":"Verified","resultName":"Ready"}"#.to_owned(),
        vec![],
    )
}

/// Whether a request is the state guard's read of a plan.
pub fn is_plan_read(method: &str, path: &str) -> bool {
    method == "GET" && path.starts_with("/api/v3/Plans/")
}

/// Runtime details of a plan that has failed over.
pub fn done_reply() -> Reply {
    Reply::Json(
        200,
        r#"{"state":"Failover","lastStableState":"Failover","totalProgress":100,"resultName":"Complete, no errors, no warnings"}"#.to_owned(),
        vec![],
    )
}

/// Starts `command` (`run`, `drill`) of a runbook made of `steps` against `sim` in the
/// background, with the test credentials and `--yes`.
pub fn spawn_live(sim: &Simulator, command: &str, steps: &str) -> (Drbook, Child) {
    let t = Drbook::new();
    t.runbook(steps);
    t.live(command, &sim.base_url());
    let child = t.spawn();
    (t, child)
}

/// `drbook resume` of the run `t` started (its report names the run), on the same machine:
/// the same report folder and lock folder.
pub fn resume_run(t: &Drbook) -> Outcome {
    let run_id = t.report()["run_id"].as_str().unwrap().to_owned();
    t.resume(&run_id)
        .args(["--report-dir", &t.reports_dir()])
        .run()
}

#[test]
fn the_builder_puts_each_argument_where_drbook_wants_it() {
    let t = Drbook::new();
    let rb = t.runbook_file("drill.yaml", "");
    t.args(["--force"])
        .global_args(["-vv"])
        .live("check", "http://vao:9899")
        .yes(false);
    let rb = rb.to_str().unwrap();
    let argv = ["-vv", "check", rb, "--server", "http://vao:9899", "--force"];
    assert_eq!(t.argv(), argv);
    assert_eq!(t.invocation_env()[0], ("VAO_USERNAME".into(), USER.into()));

    let resumed = t.resume("run-1");
    resumed.without_credentials().env("VAO_TOKEN", "t");
    assert_eq!(resumed.argv(), ["resume", "run-1", "--yes"]);
    let locks = t.dir().join("locks").to_str().unwrap().to_owned();
    let env = [
        ("DRBOOK_LOCK_DIR".into(), locks),
        ("VAO_TOKEN".into(), "t".into()),
    ];
    assert_eq!(resumed.invocation_env(), env);
}
