//! The cron wrapper (`examples/cron/nightly-drill.sh`), run for real by bash against the
//! simulator, with a credentials file written the way `examples/drbook.env.example` shows:
//! quiet on success, a mail (its stdout) and drbook's exit code otherwise.

use super::invocation::{PENDING_FLAGS, help};
use super::{drbook_bin, example_files, repo_root};
use crate::support::{PASSWORD, PLAN_A, PLAN_B, USER, plan, plan_with, sim};
use drbook::sim::{SimOutcome, Simulator};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

struct Outcome {
    code: i32,
    stdout: String,
    syslog: String,
    log: String,
}

impl Outcome {
    /// The wrapper's exit code, and what its mail (stdout, which cron mails) says.
    fn assert_mail(&self, code: i32, says: &[&str]) {
        assert_eq!(self.code, code, "{}\n{}", self.stdout, self.log);
        for words in says {
            assert!(
                self.stdout.contains(words),
                "{words:?} not in:\n{}",
                self.stdout
            );
        }
        for text in [&self.stdout, &self.log, &self.syslog] {
            assert!(!text.contains(PASSWORD), "the password leaked:\n{text}");
        }
    }
}

/// A machine for the wrapper: a runbooks checkout whose runbook points at `sim`, the
/// credentials file, a data folder, and a `logger` that writes to a file.
struct Machine {
    dir: tempfile::TempDir,
}

impl Machine {
    fn new(sim: &Simulator) -> Machine {
        let dir = tempfile::tempdir().unwrap();
        let machine = Machine { dir };
        let runbook = std::fs::read_to_string(repo_root().join("runbooks/nightly-drill.yaml"))
            .unwrap()
            .lines()
            .map(|l| {
                if l.starts_with("server:") {
                    format!("server: {}", sim.base_url())
                } else {
                    l.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        machine.write("home/runbooks/nightly-drill.yaml", &runbook, 0o644);
        let example = &example_files()["examples/drbook.env.example"];
        assert!(example.contains("'CORP\\drbook'") && example.contains("=change-me"));
        let credentials = example
            .replace("CORP\\drbook", USER)
            .replace("change-me", PASSWORD);
        machine.write("drbook.env", &credentials, 0o600);
        machine.write(
            "bin/logger",
            "#!/bin/sh\nprintf '%s\\n' \"$*\" >>\"$(dirname \"$0\")/../syslog\"\n",
            0o755,
        );
        machine.write("nightly-drill.sh", &wrapper_script(), 0o755);
        machine
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, text: &str, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        let path = self.path(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    fn run(&self) -> Outcome {
        let path = format!(
            "{}:{}",
            self.path("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let output = Command::new("bash")
            .arg(self.path("nightly-drill.sh"))
            .env_clear()
            .env("PATH", path)
            .env("HOME", self.dir.path())
            .env("DRBOOK", drbook_bin())
            .env("DRBOOK_HOME", self.path("home"))
            .env("DRBOOK_ENV_FILE", self.path("drbook.env"))
            .env("DRBOOK_DATA", self.path("data"))
            .env("DRBOOK_LOCK_DIR", self.path("locks"))
            .output()
            .expect("run bash");
        let logs = self.path("data/logs");
        let log = std::fs::read_dir(&logs)
            .map(|entries| {
                entries
                    .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
                    .collect()
            })
            .unwrap_or_default();
        Outcome {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            syslog: std::fs::read_to_string(self.path("syslog")).unwrap_or_default(),
            log,
        }
    }

    fn files_in(&self, dir: &str) -> Vec<String> {
        files_in(&self.path(dir))
    }
}

fn files_in(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The wrapper as shipped, less the lines of flags another branch adds, while the built
/// binary does not have them yet (see `PENDING_FLAGS`).
fn wrapper_script() -> String {
    let script = example_files()["examples/cron/nightly-drill.sh"].clone();
    let missing: Vec<&str> = PENDING_FLAGS
        .iter()
        .filter(|(command, flag)| !help().commands[*command].long.contains_key(*flag))
        .map(|(_, flag)| *flag)
        .collect();
    script
        .lines()
        .filter(|l| !missing.iter().any(|f| l.trim_start().starts_with(f)))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// The two plans of `runbooks/nightly-drill.yaml`, ready and quick.
fn two_ready_plans() -> Simulator {
    sim(vec![
        plan(PLAN_A, Duration::from_millis(100)),
        plan(PLAN_B, Duration::from_millis(100)),
    ])
}

#[test]
fn a_drill_that_succeeds_is_quiet_and_leaves_its_reports() {
    let sim = two_ready_plans();
    let machine = Machine::new(&sim);
    let outcome = machine.run();
    outcome.assert_mail(0, &[]);
    assert_eq!(outcome.stdout, "", "cron would mail this");
    assert!(
        outcome.syslog.contains("drill succeeded"),
        "{}",
        outcome.syslog
    );
    assert!(outcome.log.contains("drill succeeded"), "{}", outcome.log);
    // Failed over and undone, with the credentials from the file.
    for id in [PLAN_A, PLAN_B] {
        assert_eq!(sim.accepted_failovers(id), 1);
        assert_eq!(sim.accepted_undos(id), 1);
    }
    assert!(
        machine
            .files_in("data/reports")
            .iter()
            .any(|f| f.ends_with(".json"))
    );
    assert!(
        machine
            .files_in("data/state")
            .iter()
            .any(|f| f.ends_with(".journal.jsonl"))
    );
}

#[test]
fn a_failed_drill_is_mailed_with_drbooks_exit_code() {
    let sim = sim(vec![
        plan(PLAN_A, Duration::from_millis(100)),
        plan_with(PLAN_B, Duration::from_millis(100), SimOutcome::Errors),
    ]);
    let machine = Machine::new(&sim);
    let outcome = machine.run();
    // The mail says where the evidence is and shows the end of drbook's output.
    outcome.assert_mail(1, &["drill FAILED (exit 1)", "reports: ", "report: "]);
    assert!(outcome.syslog.contains("FAILED"), "{}", outcome.syslog);
    // The drill still cleaned up what it failed over.
    assert_eq!(sim.accepted_undos(PLAN_A), 1);
}

#[test]
fn a_drill_that_finds_the_lock_taken_is_skipped_and_reported() {
    let sim = two_ready_plans();
    let machine = Machine::new(&sim);
    // Another drbook on this machine (an operator, a drill still running) holds a plan.
    let _held = drbook::cli::lock::acquire(
        &machine.path("locks"),
        &machine.path("elsewhere.yaml"),
        &[PLAN_A.parse().unwrap()],
        "pid 4242, run by an operator",
    )
    .expect("take the lock");
    let outcome = machine.run();
    // It names the holder.
    outcome.assert_mail(3, &["drill SKIPPED (exit 3)", "pid 4242"]);
    assert_eq!(sim.failover_count(PLAN_A) + sim.failover_count(PLAN_B), 0);
}

#[test]
fn a_drill_whose_lock_folder_cannot_be_used_is_not_run_and_reported() {
    let sim = two_ready_plans();
    let machine = Machine::new(&sim);
    // A file where the lock folder should be.
    machine.write("locks", "", 0o600);
    let outcome = machine.run();
    outcome.assert_mail(4, &["drill NOT RUN (exit 4)", "cannot take the lock"]);
    assert_eq!(sim.failover_count(PLAN_A) + sim.failover_count(PLAN_B), 0);
}

#[test]
fn credentials_others_could_read_or_misspelt_stop_the_drill_before_drbook() {
    let sim = two_ready_plans();
    let machine = Machine::new(&sim);
    let credentials = std::fs::read_to_string(machine.path("drbook.env")).unwrap();
    machine.write("drbook.env", &credentials, 0o640);
    let outcome = machine.run();
    outcome.assert_mail(2, &["NOT RUN", "mode 640", "chmod 600"]);

    let misspelt = credentials.replace("VAO_PASSWORD=", "VAO_PASWORD=");
    machine.write("drbook.env", &misspelt, 0o600);
    let outcome = machine.run();
    outcome.assert_mail(2, &["NOT RUN", "drbook.env:", "expected VAO_USERNAME"]);
    assert!(sim.requests().is_empty(), "drbook must not have run");
}
