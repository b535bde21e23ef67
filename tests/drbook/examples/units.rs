//! The cron and systemd examples: a small reading of each format, and the fields that make a
//! scheduled drill safe. `systemd-analyze` checks the units further where it is installed.

use super::invocation::{flag_values, secret_like};
use super::shell;
use super::{Files, assert_lint_fires, drbook_bin};
use std::process::Command;

/// One `Key=Value` of a unit file, continuation lines joined.
#[derive(Debug)]
pub struct Entry {
    pub section: String,
    pub key: String,
    pub value: String,
    pub line: usize,
}

/// Reads a systemd unit: `[Section]`, `Key=Value`, `#`/`;` comments, `\` continuations.
pub fn ini(text: &str) -> Vec<Entry> {
    let mut entries = Vec::new();
    let mut section = String::new();
    let mut pending: Option<(String, usize)> = None;
    for (n, raw) in text.lines().enumerate() {
        let (mut logical, start) = match pending.take() {
            Some((so_far, start)) => (so_far + " " + raw.trim(), start),
            None => {
                let line = raw.trim();
                if line.is_empty() || line.starts_with(['#', ';']) {
                    continue;
                }
                (line.to_owned(), n + 1)
            }
        };
        if let Some(rest) = logical.strip_suffix('\\') {
            logical = rest.trim_end().to_owned();
            pending = Some((logical, start));
            continue;
        }
        if let Some(name) = logical.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_owned();
        } else if let Some((key, value)) = logical.split_once('=') {
            entries.push(Entry {
                section: section.clone(),
                key: key.trim().to_owned(),
                value: value.trim().to_owned(),
                line: start,
            });
        }
    }
    entries
}

fn value<'a>(entries: &'a [Entry], section: &str, key: &str) -> Option<&'a str> {
    entries
        .iter()
        .rfind(|e| e.section == section && e.key == key)
        .map(|e| e.value.as_str())
}

fn values<'a>(entries: &'a [Entry], section: &str, key: &str) -> Vec<&'a str> {
    entries
        .iter()
        .filter(|e| e.section == section && e.key == key)
        .flat_map(|e| e.value.split_whitespace())
        .collect()
}

/// Whether `path` is `dir` or inside it.
pub fn under(path: &str, dir: &str) -> bool {
    let dir = dir.trim_end_matches('/');
    path == dir || path.starts_with(&format!("{dir}/"))
}

fn service_problems(name: &str, text: &str) -> Vec<String> {
    let entries = ini(text);
    let mut problems = Vec::new();
    let mut expect = |key: &str, wanted: &str| {
        if value(&entries, "Service", key) != Some(wanted) {
            problems.push(format!("{name}: [Service] {key}={wanted} is missing"));
        }
    };
    expect("Type", "oneshot");
    expect("ProtectSystem", "strict");
    expect("NoNewPrivileges", "yes");
    expect("PrivateTmp", "yes");
    if !matches!(value(&entries, "Service", "Restart"), None | Some("no")) {
        problems.push(format!(
            "{name}: a drill is never restarted automatically (Restart=no)"
        ));
    }
    match value(&entries, "Service", "User") {
        None | Some("root" | "0") => problems.push(format!(
            "{name}: run the drill as an account of its own (User=), not root"
        )),
        Some(_) => {}
    }
    match value(&entries, "Service", "EnvironmentFile") {
        Some(file) if file.trim_start_matches('-').starts_with('/') => {}
        _ => problems.push(format!(
            "{name}: the credentials come from EnvironmentFile=/etc/... (mode 0600)"
        )),
    }
    let environment = values(&entries, "Service", "Environment");
    for assignment in &environment {
        let variable = assignment.trim_matches('"').split('=').next().unwrap_or("");
        if variable.starts_with("VAO_") || secret_like(variable) {
            problems.push(format!(
                "{name}: Environment={variable}=... puts a credential in the unit, which every account can read: use the EnvironmentFile"
            ));
        }
    }
    // PrivateTmp= gives the unit its own /tmp, where drbook keeps its locks by default: a
    // manual run outside the unit would not see them.
    let runtime = values(&entries, "Service", "RuntimeDirectory");
    let lock_dir = environment
        .iter()
        .find_map(|a| a.trim_matches('"').strip_prefix("DRBOOK_LOCK_DIR="));
    if !lock_dir.is_some_and(|dir| runtime.iter().any(|r| under(dir, &format!("/run/{r}")))) {
        problems.push(format!(
            "{name}: with PrivateTmp=yes, set Environment=DRBOOK_LOCK_DIR= under the unit's RuntimeDirectory=, so other drbook runs see the locks"
        ));
    }
    let writable = values(&entries, "Service", "ReadWritePaths");
    let mut drills = 0;
    for entry in entries.iter().filter(|e| e.key == "ExecStart") {
        for invocation in shell::invocations(&entry.value, name, entry.line) {
            drills += 1;
            for flag in ["--report-dir", "--state-dir"] {
                let dirs = flag_values(&invocation.words, flag);
                if dirs.is_empty() {
                    problems.push(format!("{}: give {flag} explicitly", invocation.place));
                }
                for dir in dirs {
                    if !writable
                        .iter()
                        .any(|w| under(&dir, w.trim_start_matches('-')))
                    {
                        problems.push(format!(
                            "{}: {flag} {dir} is not in ReadWritePaths= (ProtectSystem=strict makes it read-only)",
                            invocation.place
                        ));
                    }
                }
            }
        }
    }
    if drills == 0 {
        problems.push(format!("{name}: ExecStart= runs no drbook"));
    }
    problems
}

fn timer_problems(name: &str, text: &str, files: &Files) -> Vec<String> {
    let entries = ini(text);
    let mut problems = Vec::new();
    if value(&entries, "Timer", "Persistent") != Some("true") {
        problems.push(format!("{name}: Persistent=true is missing"));
    }
    if value(&entries, "Timer", "OnCalendar").is_none() {
        problems.push(format!("{name}: no OnCalendar="));
    }
    if value(&entries, "Install", "WantedBy") != Some("timers.target") {
        problems.push(format!(
            "{name}: [Install] WantedBy=timers.target is missing"
        ));
    }
    let stem = name.rsplit('/').next().unwrap().trim_end_matches(".timer");
    let default_unit = format!("{stem}.service");
    let unit = value(&entries, "Timer", "Unit").unwrap_or(&default_unit);
    let dir = name.rsplit_once('/').map_or("", |(d, _)| d);
    if !files.contains_key(&format!("{dir}/{unit}")) {
        problems.push(format!("{name}: starts {unit}, which is not beside it"));
    }
    problems
}

/// Runs `systemd-analyze verify` on copies of the units whose drbook is the built binary,
/// and `systemd-analyze calendar` on each `OnCalendar=`; anything it says is a problem.
fn systemd_analyze(files: &Files) -> Vec<String> {
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("systemd-analyze not installed: units checked by the lint only");
        return Vec::new();
    }
    let dir = tempfile::tempdir().unwrap();
    let mut units = Vec::new();
    let mut problems = Vec::new();
    for (name, text) in files {
        if !(name.ends_with(".service") || name.ends_with(".timer")) {
            continue;
        }
        let path = dir.path().join(name.rsplit('/').next().unwrap());
        std::fs::write(&path, text.replace("/usr/local/bin/drbook", drbook_bin())).unwrap();
        units.push(path);
        for calendar in ini(text).iter().filter(|e| e.key == "OnCalendar") {
            let output = Command::new("systemd-analyze")
                .args(["calendar", &calendar.value])
                .output()
                .unwrap();
            if !output.status.success() {
                problems.push(format!(
                    "{name}:{}: systemd-analyze calendar refuses {}",
                    calendar.line, calendar.value
                ));
            }
        }
    }
    let output = Command::new("systemd-analyze")
        .arg("verify")
        .args(&units)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&output.stderr);
    let relevant: Vec<&str> = said
        .lines()
        .filter(|l| l.contains("drbook-drill"))
        .collect();
    if !output.status.success() || !relevant.is_empty() {
        problems.push(format!("systemd-analyze verify:\n{said}"));
    }
    problems
}

pub fn systemd_problems(files: &Files) -> Vec<String> {
    let mut problems = Vec::new();
    for (name, text) in files {
        if name.ends_with(".service") {
            problems.extend(service_problems(name, text));
        } else if name.ends_with(".timer") {
            problems.extend(timer_problems(name, text, files));
        }
    }
    problems.extend(systemd_analyze(files));
    problems
}

const CRON_FIELDS: &[(&str, u32, u32)] = &[
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 0, 7),
];

/// Checks the five time fields of a cron schedule (numbers, `*`, ranges, steps, lists).
pub fn schedule_problems(schedule: &str) -> Vec<String> {
    let fields: Vec<&str> = schedule.split_whitespace().collect();
    if fields.len() != CRON_FIELDS.len() {
        return vec![format!("`{schedule}`: a cron schedule has five fields")];
    }
    let mut problems = Vec::new();
    for (field, (what, low, high)) in fields.iter().zip(CRON_FIELDS) {
        for item in field.split(',') {
            let (range, step) = item.split_once('/').unwrap_or((item, "1"));
            let in_range = |n: &str| n.parse::<u32>().is_ok_and(|n| (*low..=*high).contains(&n));
            let range_ok = range == "*"
                || match range.split_once('-') {
                    Some((a, b)) => in_range(a) && in_range(b),
                    None => in_range(range),
                };
            if !range_ok || step.parse::<u32>().is_err() {
                problems.push(format!(
                    "`{schedule}`: `{item}` is not a valid {what} ({low}-{high})"
                ));
            }
        }
    }
    problems
}

/// The commands of a system crontab's job lines, with their line numbers.
pub fn cron_commands(text: &str) -> Vec<(String, usize)> {
    cron_jobs(text)
        .into_iter()
        .map(|(_, _, command, line)| (command, line))
        .collect()
}

/// (schedule, user, command, line) of each job line of a system crontab (`/etc/cron.d`).
fn cron_jobs(text: &str) -> Vec<(String, String, String, usize)> {
    let mut jobs = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        let first = line.split_whitespace().next().unwrap_or("");
        if line.is_empty() || line.starts_with('#') || first.contains('=') {
            continue;
        }
        let mut parts = line.splitn(7, char::is_whitespace);
        let schedule: Vec<&str> = parts.by_ref().take(5).collect();
        let user = parts.next().unwrap_or("").to_owned();
        let command = parts.next().unwrap_or("").trim().to_owned();
        jobs.push((schedule.join(" "), user, command, n + 1));
    }
    jobs
}

pub fn cron_problems(files: &Files) -> Vec<String> {
    let mut problems = Vec::new();
    for (name, text) in files.iter().filter(|(n, _)| n.ends_with(".cron")) {
        let variables: Vec<(&str, &str)> = text
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .filter_map(|l| l.split_once('='))
            .filter(|(k, _)| !k.trim().contains(char::is_whitespace))
            .collect();
        if !variables
            .iter()
            .any(|(k, v)| k.trim() == "MAILTO" && !v.trim().is_empty())
        {
            problems.push(format!(
                "{name}: MAILTO= is where a failed drill is reported: set it"
            ));
        }
        for (k, _) in &variables {
            if k.trim().starts_with("VAO_") || secret_like(k) {
                problems.push(format!(
                    "{name}: {} in a crontab, which its readers all see: use the credentials file",
                    k.trim()
                ));
            }
        }
        let jobs = cron_jobs(text);
        if jobs.is_empty() {
            problems.push(format!("{name}: no job line"));
        }
        for (schedule, user, command, line) in jobs {
            let place = format!("{name}:{line}");
            problems.extend(
                schedule_problems(&schedule)
                    .into_iter()
                    .map(|p| format!("{place}: {p}")),
            );
            if user.is_empty() || user == "root" || user.starts_with('/') {
                problems.push(format!(
                    "{place}: a system crontab names the user (not root) after the schedule"
                ));
            }
            if command.replace("\\%", "").contains('%') {
                problems.push(format!(
                    "{place}: cron turns an unescaped % into a new line: write \\%"
                ));
            }
            // The job runs the wrapper shipped beside the crontab.
            let program = command.split_whitespace().next().unwrap_or("");
            let script = program.rsplit('/').next().unwrap_or("");
            let dir = name.rsplit_once('/').map_or("", |(d, _)| d);
            if !program.starts_with('/') || !files.contains_key(&format!("{dir}/{script}")) {
                problems.push(format!(
                    "{place}: runs `{program}`, which is not (the installed path of) a script beside the crontab"
                ));
            }
        }
    }
    problems
}

#[test]
fn the_systemd_units_are_safe_for_a_drill() {
    let service = "examples/systemd/drbook-drill.service";
    let timer = "examples/systemd/drbook-drill.timer";
    assert_lint_fires(
        systemd_problems,
        &[
            (service, "Type=oneshot", "Type=simple", "Type=oneshot"),
            (
                service,
                "ProtectSystem=strict",
                "ProtectSystem=full",
                "ProtectSystem=strict",
            ),
            (
                service,
                "NoNewPrivileges=yes",
                "NoNewPrivileges=no",
                "NoNewPrivileges",
            ),
            (service, "PrivateTmp=yes", "PrivateTmp=no", "PrivateTmp"),
            (
                service,
                "Restart=no",
                "Restart=on-failure",
                "never restarted",
            ),
            (service, "\nUser=drbook", "\nUser=root", "not root"),
            (
                service,
                "EnvironmentFile=/etc/drbook/drbook.env\n",
                "",
                "EnvironmentFile",
            ),
            (
                service,
                "Environment=DRBOOK_LOCK_DIR",
                "Environment=VAO_PASSWORD=x\nEnvironment=DRBOOK_LOCK_DIR",
                "VAO_PASSWORD",
            ),
            (
                service,
                "Environment=DRBOOK_LOCK_DIR=/run/drbook/locks",
                "Environment=DRBOOK_LOCK_DIR=/tmp/l",
                "DRBOOK_LOCK_DIR",
            ),
            (
                service,
                "ReadWritePaths=/var/lib/drbook/reports /var/lib/drbook/state",
                "ReadWritePaths=/var/lib/drbook/state",
                "--report-dir /var/lib/drbook/reports is not in ReadWritePaths",
            ),
            (
                service,
                "--state-dir /var/lib/drbook/state",
                "",
                "give --state-dir",
            ),
            (
                timer,
                "\nPersistent=true",
                "\nPersistent=false",
                "Persistent=true",
            ),
            (
                timer,
                "Unit=drbook-drill.service",
                "Unit=drbook-dril.service",
                "not beside it",
            ),
            (
                timer,
                "WantedBy=timers.target",
                "WantedBy=multi-user.target",
                "WantedBy",
            ),
        ],
    );
}

/// Needs systemd-analyze (checked separately so the lint above runs everywhere).
#[test]
fn systemd_analyze_finds_a_misspelt_key() {
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("systemd-analyze not installed: skipped");
        return;
    }
    let files = super::example_files();
    let files = super::broken(
        &files,
        "examples/systemd/drbook-drill.timer",
        "AccuracySec=",
        "AccuracySecs=",
    );
    let problems = systemd_analyze(&files);
    assert!(
        problems.iter().any(|p| p.contains("AccuracySecs")),
        "{problems:#?}"
    );
    let files = super::broken(
        &files,
        "examples/systemd/drbook-drill.timer",
        "OnCalendar=*-*-* 02:00:00",
        "OnCalendar=nightly at two",
    );
    assert!(
        systemd_analyze(&files)
            .iter()
            .any(|p| p.contains("calendar refuses")),
    );
}

#[test]
fn the_crontab_runs_the_wrapper_and_mails_failures() {
    let cron = "examples/cron/drbook-drill.cron";
    assert_lint_fires(
        cron_problems,
        &[
            (cron, "MAILTO=dr-team@example.com", "MAILTO=", "MAILTO"),
            (
                cron,
                "0 2 * * * drbook",
                "0 25 * * * drbook",
                "`25` is not a valid hour",
            ),
            (
                cron,
                "0 2 * * * drbook",
                "0 2 * * drbook",
                "not (the installed path of) a script",
            ),
            (cron, "* drbook /usr", "* root /usr", "not root"),
            (
                cron,
                "nightly-drill.sh\n",
                "nightly-dril.sh\n",
                "not (the installed path of)",
            ),
            (
                cron,
                "nightly-drill.sh\n",
                "nightly-drill.sh --at %H\n",
                "unescaped %",
            ),
            (
                cron,
                "MAILTO=",
                "VAO_PASSWORD=x\nMAILTO=",
                "VAO_PASSWORD in a crontab",
            ),
        ],
    );
}

#[test]
fn cron_schedules_are_read_field_by_field() {
    assert!(schedule_problems("0 2 * * *").is_empty());
    assert!(schedule_problems("*/15 0-6 1,15 * 1-5").is_empty());
    assert_eq!(schedule_problems("0 2 * *").len(), 1);
    assert_eq!(schedule_problems("60 2 * * 8").len(), 2);
    assert_eq!(schedule_problems("0 2 * * */x").len(), 1);
}

#[test]
fn unit_files_are_read_with_continuations() {
    let entries = ini("# c\n[Service]\nExecStart=/bin/a \\\n    --b c\n; c\nType=oneshot\n");
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].value, "/bin/a --b c");
    assert_eq!(entries[0].line, 3);
    assert_eq!(entries[1].section, "Service");
}
