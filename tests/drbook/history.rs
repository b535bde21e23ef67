//! `drbook history`: real reports of four runbooks, made by drbook against the simulator
//! (runs, checks, drills, a failed drill), one runbook edited after its last successful
//! drill, two whose drills are made old by rewriting `started_at` in their reports, and
//! files that are not reports. Then the verdicts, the `--max-age` gate, the JSON shape and
//! the HTML page in headless Chromium.

use crate::reports::chromium;
use crate::support::*;
use drbook::sim::SimOutcome;
use std::path::{Path, PathBuf};
use std::time::Duration;

const FAST: Duration = Duration::from_millis(100);

/// A folder of runbooks and the reports drbook wrote about them.
struct Fleet {
    home: Drbook,
}

impl Fleet {
    fn new() -> Fleet {
        Fleet {
            home: Drbook::new(),
        }
    }

    fn runbook(&self, name: &str, text: &str) -> String {
        self.home
            .file(&format!("runbooks/{name}.yaml"), text)
            .to_str()
            .unwrap()
            .to_owned()
    }

    fn reports(&self, sub: &str) -> PathBuf {
        self.home.dir().join("reports").join(sub)
    }

    /// `drbook COMMAND RUNBOOK --server SIM ... --report-dir reports/SUB`: one real report,
    /// live against a simulator on loopback whose plans fail over in `failover_time` (a
    /// `--simulate` drill is not evidence, and the history does not count it as a drill).
    fn record(&self, command: &str, runbook: &str, sub: &str, failover_time: &str) {
        let time = humantime::parse_duration(failover_time).unwrap_or_default();
        let sim = sim(vec![
            plan(PLAN_A, time),
            plan(PLAN_B, time),
            plan(PLAN_C, time),
        ]);
        let t = Drbook::new();
        t.args([command, runbook, "--server", &sim.base_url(), "--yes"])
            .args(["--report-dir", self.reports(sub).to_str().unwrap()])
            .env("VAO_USERNAME", USER)
            .env("VAO_PASSWORD", PASSWORD);
        t.run().assert_code(0);
    }

    /// `drbook history ARGS...` from the fleet's folder.
    fn history(&self, args: &[&str]) -> Outcome {
        let t = Drbook::new();
        t.args(["history"]).args(args.iter().copied());
        t.run()
    }
}

/// The reports in `dir` (not below it), oldest run first (two runs may start within a
/// second, so their names do not tell); files that are not reports are left out.
fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .filter_map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let report: serde_json::Value = serde_json::from_str(&text).ok()?;
            (report["report_version"] == 1)
                .then(|| (report["started_at"].as_str().unwrap().to_owned(), p))
        })
        .collect();
    found.sort();
    found.into_iter().map(|(_, p)| p).collect()
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Moves the report `file` to `reports/archive/`, its run made `days` days older.
fn age_report(fleet: &Fleet, file: &Path, days: i64) {
    let mut report = read_json(file);
    for key in ["started_at", "finished_at"] {
        let at: chrono::DateTime<chrono::Utc> = report[key].as_str().unwrap().parse().unwrap();
        report[key] = (at - chrono::Duration::days(days))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            .into();
    }
    let archive = fleet.reports("archive");
    std::fs::create_dir_all(&archive).unwrap();
    std::fs::write(
        archive.join(file.file_name().unwrap()),
        serde_json::to_string_pretty(&report).unwrap(),
    )
    .unwrap();
    std::fs::remove_file(file).unwrap();
}

fn alpha() -> String {
    format!(
        "version: 1
name: alpha
objectives: {{ rto: 1s }}
defaults: {{ poll_interval: 50ms, timeout: 30s, retry_delay: 50ms, rto: 500ms }}
steps:
  - name: Fail over the <b>database</b>
    failover: {{ plan_id: {PLAN_A} }}
  - name: Fail over the application
    failover: {{ plan_id: {PLAN_B} }}
"
    )
}

fn bravo(extra: &str) -> String {
    format!(
        "version: 1
name: bravo
defaults: {{ poll_interval: 50ms, timeout: 30s, retry_delay: 50ms }}
steps:
  - name: Fail over the file servers
    failover: {{ plan_id: {PLAN_C}, rto: 50ms }}
{extra}"
    )
}

fn one_plan(name: &str, plan: &str) -> String {
    format!(
        "version: 1
name: {name}
defaults: {{ poll_interval: 50ms, timeout: 30s, retry_delay: 50ms, rto: 30s }}
steps:
  - failover: {{ plan_id: {plan} }}
"
    )
}

/// Thirteen reports of four runbooks, and three files that are not reports:
/// - alpha (reports/): check, drill, run, drill, then a drill that fails (plan B ends with
///   errors); fresh.
/// - bravo (reports/site-b/): drill, check, then the file is edited, check, run: changed.
/// - charlie (reports/site-c/): two drills made 150 and 200 days old, a check: stale at 90d.
/// - delta (reports/site-c/): one drill made 80 days old: due (amber) at 90d, not failing.
fn fleet() -> Fleet {
    let fleet = Fleet::new();
    let a = fleet.runbook("alpha", &alpha());
    fleet.record("check", &a, "", "");
    fleet.record("drill", &a, "", "100ms");
    fleet.record("run", &a, "", "100ms");
    fleet.record("drill", &a, "", "200ms");
    let sim = sim(vec![
        plan(PLAN_A, FAST),
        plan_with(PLAN_B, FAST, SimOutcome::Errors),
    ]);
    let failing = Drbook::new();
    failing
        .args(["drill", &a, "--server", &sim.base_url(), "--yes"])
        .args(["--report-dir", fleet.reports("").to_str().unwrap()])
        .env("VAO_USERNAME", USER)
        .env("VAO_PASSWORD", PASSWORD);
    failing.run().assert_code(1);

    let b = fleet.runbook("bravo", &bravo(""));
    fleet.record("drill", &b, "site-b", "100ms");
    fleet.record("check", &b, "site-b", "");
    fleet.runbook("bravo", &bravo("  - wait: 50ms\n"));
    fleet.record("check", &b, "site-b", "");
    fleet.record("run", &b, "site-b", "100ms");

    let c = fleet.runbook("charlie", &one_plan("charlie", PLAN_C));
    fleet.record("drill", &c, "site-c", "100ms");
    fleet.record("drill", &c, "site-c", "300ms");
    let drills = json_files(&fleet.reports("site-c"));
    age_report(&fleet, &drills[0], 200);
    age_report(&fleet, &drills[1], 150);
    fleet.record("check", &c, "site-c", "");

    let d = fleet.runbook("delta", &one_plan("delta", PLAN_A));
    fleet.record("drill", &d, "site-c", "100ms");
    let delta = json_files(&fleet.reports("site-c"))
        .into_iter()
        .find(|f| f.to_str().unwrap().contains("-delta-"))
        .unwrap();
    age_report(&fleet, &delta, 80);

    // Files that are not reports this drbook reads.
    fleet.home.file(
        "reports/other-tool.json",
        r#"{"name": "package", "version": "1.0.0"}"#,
    );
    let real = std::fs::read_to_string(&json_files(&fleet.reports("site-b"))[0]).unwrap();
    fleet.home.file(
        "reports/site-b/torn.json",
        &real.as_bytes()[..real.len() / 2],
    );
    let mut newer: serde_json::Value = serde_json::from_str(&real).unwrap();
    newer["report_version"] = 2.into();
    newer["run_id"] = "from-the-future".into();
    fleet
        .home
        .file("reports/site-b/newer.json", newer.to_string());
    fleet
}

fn names(values: &serde_json::Value, key: &str) -> Vec<String> {
    values
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v[key].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn history_of_a_fleet_names_exactly_the_stale_and_the_changed_runbooks() {
    let fleet = fleet();
    let reports = fleet.reports("");
    let reports = reports.to_str().unwrap();

    // Without --max-age: the facts, exit 0.
    let plain = fleet.history(&[reports]);
    plain.assert_code(0);
    assert!(
        plain
            .stdout
            .starts_with("drbook history: 13 reports of 4 runbooks in "),
        "{}",
        plain.stdout
    );

    let out = fleet.history(&[reports, "--max-age", "90d", "--format", "json"]);
    out.assert_code(1);
    let history: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(history["drbook_history"], 1);
    assert_eq!(history["reports"], 13);
    assert_eq!(history["max_age_ms"], 90 * 86_400_000_u64);
    let runbooks = &history["runbooks"];
    assert_eq!(
        names(runbooks, "name"),
        ["alpha", "bravo", "charlie", "delta"]
    );
    assert_eq!(
        names(runbooks, "freshness"),
        ["fresh", "changed", "stale", "due"]
    );
    let counts: Vec<u64> = (0..4)
        .map(|i| runbooks[i]["reports"].as_u64().unwrap())
        .collect();
    assert_eq!(counts, [5, 4, 3, 1]);

    // Files that are not reports: named, with the reason, and not fatal.
    let skipped: Vec<(String, String)> = history["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let file = s["file"].as_str().unwrap();
            let file = file.strip_prefix(reports).unwrap().to_owned();
            (file, s["reason"].as_str().unwrap().to_owned())
        })
        .collect();
    assert_eq!(skipped.len(), 3, "{skipped:?}");
    assert_eq!(skipped[0].0, "other-tool.json");
    assert_eq!(
        skipped[0].1,
        "not a drbook report: no `report_version` and `drbook_version`"
    );
    assert_eq!(skipped[1].0, "site-b/newer.json");
    assert!(
        skipped[1]
            .1
            .starts_with("a report of format 2 (drbook 0.1.0), newer than this drbook reads (1)"),
        "{}",
        skipped[1].1
    );
    assert_eq!(skipped[2].0, "site-b/torn.json");
    assert!(
        skipped[2].1.starts_with("not JSON: EOF while parsing"),
        "{}",
        skipped[2].1
    );

    // alpha: its last drill failed, the one before it counts; fresh.
    let alpha = &runbooks[0];
    assert_eq!(alpha["last"]["drill"]["result"], "failed");
    assert_eq!(alpha["last"]["run"]["mode"], "live");
    assert_eq!(alpha["last"]["check"]["result"], "succeeded");
    assert_eq!(alpha["last"]["dry_run"], serde_json::Value::Null);
    let drills = alpha["drills"].as_array().unwrap();
    assert_eq!(drills.len(), 3);
    let successful: Vec<bool> = drills
        .iter()
        .map(|d| d["successful"].as_bool().unwrap())
        .collect();
    assert_eq!(successful, [true, true, false]);
    assert_eq!(
        alpha["last_successful_drill"]["run_id"],
        drills[1]["run_id"]
    );
    assert_eq!(alpha["changed"], false);
    for drill in &drills[..2] {
        let took = drill["recovery_time_ms"].as_u64().unwrap();
        assert!(took >= 200, "two failovers of at least 100 ms: {took}");
        assert_eq!(drill["rto_target_ms"], 1_000);
        assert_eq!(drill["rto_met"], took <= 1_000);
        let plans: Vec<String> = names(&drill["plans"], "plan_id");
        assert_eq!(plans, [PLAN_A, PLAN_B]);
        assert_eq!(drill["plans"][0]["rto_target_ms"], 500);
    }
    // The failed drill never recovered plan B: its RTO was missed, the run's is unknown.
    assert_eq!(drills[2]["recovery_time_ms"], serde_json::Value::Null);
    assert_eq!(drills[2]["plans"][1]["rto_met"], false);

    // bravo: drilled, then edited: the check and run after the edit show the change.
    let bravo = &runbooks[1];
    let b_files = json_files(&fleet.reports("site-b"));
    let (drilled, last) = (read_json(&b_files[0]), read_json(&b_files[3]));
    assert_eq!(drilled["mode"], "drill");
    assert_ne!(drilled["runbook"]["sha256"], last["runbook"]["sha256"]);
    assert_eq!(bravo["changed"], true);
    assert_eq!(
        bravo["change"]["drilled_sha256"],
        drilled["runbook"]["sha256"]
    );
    assert_eq!(bravo["change"]["seen_sha256"], last["runbook"]["sha256"]);
    assert_eq!(bravo["change"]["seen_in"], last["run_id"]);
    assert_eq!(bravo["stale"], false);
    // Its plan's RTO of 50 ms cannot be met by a failover of 100 ms.
    assert_eq!(bravo["drills"][0]["plans"][0]["rto_met"], false);

    // charlie: the last successful drill is 150 days old.
    let charlie = &runbooks[2];
    assert_eq!(charlie["stale"], true);
    assert_eq!(charlie["changed"], false);
    let age = charlie["last_successful_drill"]["age_ms"].as_i64().unwrap();
    assert!((150 * 86_400_000..151 * 86_400_000).contains(&age), "{age}");
    assert_eq!(charlie["drills"].as_array().unwrap().len(), 2);

    // delta: 80 of 90 days: due, but within the age.
    assert_eq!(runbooks[3]["due"], true);
    assert_eq!(runbooks[3]["stale"], false);

    // The gate names exactly bravo and charlie, in JSON and on stderr.
    assert_eq!(history["gate"]["passed"], false);
    assert_eq!(
        names(&history["gate"]["failing"], "name"),
        ["bravo", "charlie"]
    );
    out.assert_stderr_contains(
        "history FAILED: 2 of 4 runbooks need a drill (--max-age 90 d 00 h):",
    );
    let gate_lines: Vec<&str> = out.stderr.lines().filter(|l| l.starts_with("  ")).collect();
    assert_eq!(gate_lines.len(), 2, "{}", out.stderr);
    assert!(
        gate_lines[0].starts_with("  bravo (")
            && gate_lines[0].contains("): changed since its last successful drill on "),
        "{}",
        gate_lines[0]
    );
    assert!(
        gate_lines[1].starts_with("  charlie (")
            && gate_lines[1].contains("): no successful drill within 90 d 00 h: the last was on "),
        "{}",
        gate_lines[1]
    );
    for skipped in ["other-tool.json", "torn.json", "newer.json"] {
        out.assert_stderr_contains(skipped);
    }

    // The same in text, for people.
    let text = fleet.history(&[reports, "--max-age", "90d"]);
    text.assert_code(1);
    for expected in [
        "\nalpha (",
        ")  [green: FRESH]\n  last run:      ",
        ")  [red: CHANGED]\n",
        ")  [red: STALE]\n",
        ")  [amber: DUE]\n",
        "  changed since that drill: YES, the runbook file is ",
        "  changed since that drill: no\n",
        "\nnot read (3):\n",
    ] {
        assert!(
            text.stdout.contains(expected),
            "{expected:?} not in\n{}",
            text.stdout
        );
    }

    // A longer age forgives charlie, not the change.
    let year = fleet.history(&[reports, "--max-age", "365d", "--format", "json"]);
    year.assert_code(1);
    let year: serde_json::Value = serde_json::from_str(&year.stdout).unwrap();
    assert_eq!(names(&year["gate"]["failing"], "name"), ["bravo"]);

    // Report files may be named one by one: alpha's alone pass the gate.
    let mut alpha_files: Vec<String> = json_files(&fleet.reports(""))
        .iter()
        .map(|f| f.to_str().unwrap().to_owned())
        .collect();
    assert_eq!(alpha_files.len(), 5);
    alpha_files.push(format!("{reports}other-tool.json"));
    let mut args: Vec<&str> = alpha_files.iter().map(String::as_str).collect();
    args.extend(["--max-age", "90d"]);
    let only_alpha = fleet.history(&args);
    only_alpha.assert_code(0).assert_stderr_contains(
        "history passed: every runbook (1) has a successful drill within 90 d 00 h",
    );

    html_page(&fleet, reports);
}

/// The HTML page: self-contained, opened in headless Chromium without a console message,
/// its chart drawn with a series per plan and the RTO line. `DRBOOK_UPDATE_DOCS=1` saves
/// its screenshot as docs/history.png.
fn html_page(fleet: &Fleet, reports: &str) {
    let out = fleet.history(&[reports, "--max-age", "90d", "--format", "html"]);
    out.assert_code(1);
    let html = out.stdout;
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(!html.contains("<script"), "no script in the page");
    assert!(!html.contains("url(http"), "no remote style asset");
    for link in ["src=", "href=\"http", "href=\"/", "href=\"file"] {
        assert!(!html.contains(link), "{link} in the page");
    }
    // A step name holding markup is text.
    assert!(!html.contains("<b>"), "markup from a report is text");
    assert!(html.contains("Fail over the &lt;b&gt;database&lt;/b&gt;"));
    let page = fleet.home.file("history.html", &html);
    let Some(browser) = tool("chromium") else {
        return;
    };
    let log = fleet.home.dir().join("chromium.log");
    let screenshot = fleet.home.dir().join("history.png");
    let console = |page: &Path, extra: &str| -> (String, String) {
        let _ = std::fs::remove_file(&log);
        let out = chromium(
            &browser,
            page,
            &[
                "--enable-logging".to_owned(),
                format!("--log-file={}", log.display()),
                "--v=0".to_owned(),
                "--window-size=1100,2400".to_owned(),
                extra.to_owned(),
            ],
        );
        let said = std::fs::read_to_string(&log).unwrap_or_default();
        let console: Vec<&str> = said.lines().filter(|l| l.contains(":CONSOLE")).collect();
        (out, console.join("\n"))
    };
    let (dom, said) = console(&page, "--dump-dom");
    assert_eq!(said, "", "the page logs nothing to the console");
    for expected in [
        "data-freshness=\"fresh\"",
        "data-freshness=\"changed\"",
        "data-freshness=\"stale\"",
        "data-freshness=\"due\"",
        "class=\"tile green\"",
        "class=\"tile amber\"",
        "class=\"tile red\"",
        "data-series=\"run\"",
        &format!("data-series=\"{PLAN_A}\""),
        &format!("data-series=\"{PLAN_B}\""),
        &format!("data-series=\"{PLAN_C}\""),
        "<path class=\"rto\" d=\"M",
        "class=\"point missed\"",
        "<polyline",
        "2 of 4 runbooks need a drill",
        "other-tool.json",
    ] {
        assert!(
            dom.contains(expected),
            "{expected:?} not in the page:\n{dom}"
        );
    }
    let charts = dom.matches("<svg class=\"history-chart\"").count();
    assert_eq!(charts, 4, "one chart per runbook");
    // The check of the console can fail: a page that breaks the policy is heard.
    let broken = fleet.home.file(
        "broken.html",
        html.replace(
            "<main>",
            "<main><img src=\"https://example.invalid/x.png\">",
        ),
    );
    let (_, said) = console(&broken, "--dump-dom");
    assert!(said.contains("Content Security Policy"), "{said:?}");

    let (_, said) = console(&page, &format!("--screenshot={}", screenshot.display()));
    assert_eq!(said, "");
    let png = std::fs::read(&screenshot).expect("chromium wrote no screenshot");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(png.len() > 40_000, "screenshot of {} bytes", png.len());
    if std::env::var("DRBOOK_UPDATE_DOCS").as_deref() == Ok("1") {
        std::fs::write(
            concat!(env!("CARGO_MANIFEST_DIR"), "/docs/history.png"),
            png,
        )
        .unwrap();
    }
}

#[test]
fn an_empty_folder_fails_the_gate_and_a_missing_one_is_a_usage_error() {
    let t = Drbook::new();
    t.file("reports/notes.txt", "not a report");
    let empty = t.dir().join("reports");
    let out = Drbook::new();
    out.args(["history", empty.to_str().unwrap(), "--max-age", "30d"]);
    let out = out.run();
    out.assert_code(1)
        .assert_stderr_contains("history FAILED: no drbook report in ");
    let missing = Drbook::new();
    missing.args(["history", "/nonexistent/drbook-reports"]);
    missing
        .run()
        .assert_code(2)
        .assert_stderr_contains("error: cannot read /nonexistent/drbook-reports: ");
    let bad_age = Drbook::new();
    bad_age.args([
        "history",
        empty.to_str().unwrap(),
        "--max-age",
        "ninety days",
    ]);
    bad_age.run().assert_code(2);
}

#[test]
fn a_drill_against_the_simulator_is_not_evidence() {
    let fleet = Fleet::new();
    let d = fleet.runbook("delta", &one_plan("delta", PLAN_A));
    let t = Drbook::new();
    t.args(["drill", &d, "--simulate", "--sim-failover-time", "100ms"])
        .args(["--report-dir", fleet.reports("").to_str().unwrap()]);
    t.run().assert_code(0);
    let report = read_json(&json_files(&fleet.reports(""))[0]);
    assert_eq!(report["mode"], "drill");
    assert_eq!(report["simulated"], true);

    let reports = fleet.reports("");
    let out = fleet.history(&[
        reports.to_str().unwrap(),
        "--max-age",
        "90d",
        "--format",
        "json",
    ]);
    out.assert_code(1);
    let history: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let delta = &history["runbooks"][0];
    assert_eq!(delta["last"]["drill"], serde_json::Value::Null);
    assert_eq!(delta["last"]["run"]["mode"], "simulate");
    assert!(
        delta["notes"][0]
            .as_str()
            .unwrap()
            .contains("1 run(s) against drbook's simulator"),
        "{delta}"
    );
}

/// One runbook file is one runbook in the history, however each command line named it
/// (relative, through `..`, through a link) and in whichever clone of its repository it ran:
/// the reports record its absolute path and its path in git.
#[test]
fn a_runbook_is_one_file_however_it_was_named() {
    let fleet = Fleet::new();
    let echo = fleet.runbook("echo", &one_plan("echo", PLAN_A));
    let home = fleet.home.dir();
    std::os::unix::fs::symlink(&echo, home.join("echo-link.yaml")).unwrap();
    let named = [
        echo.clone(),
        home.join("runbooks/../runbooks/echo.yaml")
            .display()
            .to_string(),
        home.join("echo-link.yaml").display().to_string(),
    ];
    for (i, path) in named.iter().enumerate() {
        fleet.record("run", path, &format!("files/{i}"), "0s");
    }
    // Two clones of one repository: the same file in git.
    let git = |dir: &Path, args: &[&str]| {
        let ok = std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
            .arg("-C")
            .arg(dir)
            .args(args)
            .status()
            .expect("git")
            .success();
        assert!(ok, "git {args:?}");
    };
    let origin = home.join("origin");
    std::fs::create_dir_all(origin.join("dr")).unwrap();
    std::fs::write(origin.join("dr/foxtrot.yaml"), one_plan("foxtrot", PLAN_B)).unwrap();
    git(&origin, &["init", "-q"]);
    git(&origin, &["add", "."]);
    git(&origin, &["commit", "-q", "-m", "runbook"]);
    for clone in ["site-a", "site-b"] {
        let origin = origin.to_str().unwrap();
        git(home, &["clone", "-q", origin, clone]);
        let runbook = home.join(clone).join("dr/foxtrot.yaml");
        fleet.record("run", runbook.to_str().unwrap(), clone, "0s");
    }

    let reports = fleet.reports("");
    let out = fleet.history(&[reports.to_str().unwrap(), "--format", "json"]);
    out.assert_code(0);
    let history: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let counted: Vec<(String, u64)> = history["runbooks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_owned(),
                r["reports"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        counted,
        [("echo".to_owned(), 3), ("foxtrot".to_owned(), 2)],
        "{history:#}"
    );
    let report = read_json(&json_files(&fleet.reports("site-b"))[0]);
    assert_eq!(report["runbook"]["git_path"], "dr/foxtrot.yaml");
    let report = read_json(&json_files(&fleet.reports("files/2"))[0]);
    let canonical = std::fs::canonicalize(&echo).unwrap();
    assert_eq!(
        report["runbook"]["canonical_path"],
        canonical.to_str().unwrap()
    );
    assert_eq!(report["runbook"]["git_path"], serde_json::Value::Null);
}
