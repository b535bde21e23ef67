//! The report formats (`--report-format json,md,junit,html`): which files are written, the
//! JUnit XML against a JUnit schema (`xmllint --schema`), the HTML page in headless
//! Chromium (a screenshot and the DOM), escaping, secrets, a crash, resume, and the git
//! provenance.

use crate::support::*;
use drbook::sim::{Fault, FaultEndpoint, FaultKind, SimOutcome};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const Z: Duration = Duration::ZERO;
const XSD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/junit.xsd");

/// The files in `dir` whose names end with `suffix`, sorted.
fn files(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    found.retain(|p| p.to_str().unwrap().ends_with(suffix));
    found.sort();
    found
}

/// The one file of the run in `reports/` ending with `suffix`.
fn one(t: &Drbook, suffix: &str) -> PathBuf {
    let found = files(&t.dir().join("reports"), suffix);
    assert_eq!(found.len(), 1, "expected one {suffix} file: {found:?}");
    found[0].clone()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

/// `xmllint --schema junit.xsd FILE`: whether the file is valid, and what xmllint said.
fn xmllint(xmllint: &Path, file: &Path) -> (bool, String) {
    let out = Command::new(xmllint)
        .args(["--noout", "--nonet", "--schema", XSD])
        .arg(file)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_valid_junit(file: &Path) {
    if let Some(xmllint_path) = tool("xmllint") {
        let (valid, said) = xmllint(&xmllint_path, file);
        assert!(valid, "{} is not valid JUnit XML: {said}", file.display());
    }
}

/// Runs headless Chromium on a local file with `extra` arguments; returns its stdout. It
/// gets its own profile folder and no network features, and is killed after a minute.
pub(crate) fn chromium(chromium: &Path, page: &Path, extra: &[String]) -> String {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut text).unwrap();
        text
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish within a minute");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    reader.join().unwrap()
}

/// Screenshots the page and returns its DOM as Chromium built it (`None` without Chromium).
fn open_in_chromium(page: &Path, screenshot: &Path) -> Option<String> {
    let browser = tool("chromium")?;
    chromium(
        &browser,
        page,
        &[
            format!("--screenshot={}", screenshot.display()),
            "--window-size=1100,1500".to_owned(),
        ],
    );
    let png = std::fs::read(screenshot).expect("chromium wrote no screenshot");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    // A blank 1100×1500 page compresses to a few kB; the report is text, tables and a chart.
    assert!(png.len() > 40_000, "screenshot of {} bytes", png.len());
    Some(chromium(&browser, page, &["--dump-dom".to_owned()]))
}

/// Every `src` and `href` attribute value in an HTML text.
fn links(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attribute in ["src=\"", "href=\"", "src='", "href='"] {
        let quote = attribute.chars().last().unwrap();
        for (at, _) in html.match_indices(attribute) {
            let rest = &html[at + attribute.len()..];
            found.push(rest[..rest.find(quote).unwrap_or(rest.len())].to_owned());
        }
    }
    found
}

#[test]
fn an_unknown_report_format_is_a_usage_error_naming_the_valid_ones() {
    let t = Drbook::new();
    let rb = t.file("rb.yaml", runbook(&one_failover(PLAN_A)));
    let out = t
        .args(["run", rb.to_str().unwrap(), "--dry-run"])
        .args(["--report-format", "json,xml"])
        .run();
    out.assert_code(2)
        .assert_stderr_contains("unknown report format `xml`")
        .assert_stderr_contains("json, md, junit, html");
    assert!(!t.dir().join("reports").exists(), "nothing may be written");
    let resumed = Drbook::new();
    resumed
        .args(["resume", "some-run", "--report-format", "pdf"])
        .run()
        .assert_code(2)
        .assert_stderr_contains("unknown report format `pdf`");
}

#[test]
fn json_and_markdown_by_default_and_json_whatever_the_list_says() {
    let t = Drbook::new();
    let rb = t.file("rb.yaml", runbook(&one_failover(PLAN_A)));
    let out = t.args(["run", rb.to_str().unwrap(), "--dry-run"]).run();
    out.assert_code(0);
    let json = one(&t, ".json");
    let md = one(&t, ".md");
    assert!(files(&t.dir().join("reports"), ".html").is_empty());
    assert!(files(&t.dir().join("reports"), ".xml").is_empty());
    out.assert_stderr_contains(&format!(
        "report: reports/{}\n        reports/{}",
        json.file_name().unwrap().to_str().unwrap(),
        md.file_name().unwrap().to_str().unwrap()
    ));

    let html_only = Drbook::new();
    let rb = html_only.file("rb.yaml", runbook(&one_failover(PLAN_A)));
    let out = html_only
        .args(["run", rb.to_str().unwrap(), "--dry-run"])
        .args(["--report-format", "html"])
        .run();
    out.assert_code(0);
    assert_valid_report(&serde_json::from_str(&read(&one(&html_only, ".json"))).unwrap());
    one(&html_only, ".html");
    assert!(files(&html_only.dir().join("reports"), ".md").is_empty());
    out.assert_stderr_contains(".json\n        reports/");
}

#[test]
fn junit_has_a_test_case_per_step_and_validates_against_the_junit_schema() {
    let sim = sim(vec![
        plan(PLAN_A, Z),
        plan_with(PLAN_B, Duration::from_millis(50), SimOutcome::Halt),
        plan(PLAN_C, Z),
    ]);
    let steps = format!(
        "{}{}{}",
        one_failover(PLAN_A),
        one_failover(PLAN_B),
        one_failover(PLAN_C)
    );
    // Repeated and comma-separated forms both work.
    let (t, out) = run_live(
        &sim,
        &steps,
        &["--report-format", "md,junit", "--report-format", "junit"],
    );
    out.assert_code(1);
    let file = one(&t, ".junit.xml");
    out.assert_stderr_contains(file.file_name().unwrap().to_str().unwrap());
    assert_valid_junit(&file);
    let report = t.report();
    let junit = quick_junit::Report::deserialize_from_str(&read(&file)).unwrap();
    assert_eq!(junit.test_suites.len(), 1);
    let suite = &junit.test_suites[0];
    assert_eq!(suite.name.as_str(), "test-runbook");
    assert_eq!(
        (suite.tests, suite.failures, suite.errors, suite.skipped),
        (3, 1, 0, 1)
    );
    assert!(suite.timestamp.is_some() && suite.time.is_some());
    let names: Vec<&str> = suite.test_cases.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            // Named as VAO names them where the guard read them; step 3 never ran.
            format!("1. Fail over plan \"Plan 6f1c2d9e\" ({PLAN_A})"),
            format!("2. Fail over plan \"Plan 0b8a3c1d\" ({PLAN_B})"),
            format!("3. Fail over plan {PLAN_C}")
        ]
    );
    let case = &suite.test_cases[1];
    assert_eq!(case.classname.as_deref(), Some("drbook.failover"));
    match &case.status {
        quick_junit::TestCaseStatus::NonSuccess {
            kind: quick_junit::NonSuccessKind::Failure,
            message,
            ..
        } => assert_eq!(
            message.as_deref(),
            report["steps"][1]["error"].as_str(),
            "the failure message is the step's error"
        ),
        other => panic!("step 2 should have failed: {other:?}"),
    }
    let out2 = case.system_out.as_ref().unwrap().as_str();
    assert!(out2.contains(&format!("POST /api/v3/Plans/{PLAN_B}/Failover")));
    assert!(out2.contains("→ 200"), "{out2}");
    assert!(matches!(
        suite.test_cases[2].status,
        quick_junit::TestCaseStatus::Skipped { .. }
    ));
    let property = |name: &str| {
        suite
            .properties
            .iter()
            .find(|p| p.name.as_str() == name)
            .map(|p| p.value.as_str().to_owned())
    };
    assert_eq!(property("run.id").as_deref(), report["run_id"].as_str());
    assert_eq!(property("run.mode").as_deref(), Some("live"));
    assert_eq!(
        property("runbook.sha256").as_deref(),
        report["runbook"]["sha256"].as_str()
    );
    assert_eq!(property("operator").as_deref(), Some("test-operator"));
    assert_eq!(property("server"), Some(sim.base_url()));
    // Outside git there is no commit to name.
    assert_eq!(property("runbook.git_commit"), None);
}

#[test]
fn the_junit_schema_rejects_what_ci_systems_would_not_read() {
    let Some(xmllint_path) = tool("xmllint") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let check = |name: &str, xml: &str| {
        let file = dir.path().join(name);
        std::fs::write(&file, xml).unwrap();
        xmllint(&xmllint_path, &file).0
    };
    let good = r#"<testsuites><testsuite name="s" tests="1" time="0.5"><testcase name="a" classname="c"><failure message="m" type="t">text</failure><system-out>out</system-out></testcase></testsuite></testsuites>"#;
    assert!(check("good.xml", good));
    // A test case without a name, a count that is no number, an element CI does not know.
    assert!(!check("noname.xml", &good.replace(r#"name="a" "#, "")));
    assert!(!check(
        "count.xml",
        &good.replace(r#"tests="1""#, r#"tests="one""#)
    ));
    assert!(!check("element.xml", &good.replace("system-out", "stdout")));
}

/// A drill of four steps against `sim`: failovers of A and B around a wait and an
/// approved pause, then a state check of A; RTO and RPO set.
fn drill(sim: &drbook::sim::Simulator, name_of_a: &str, formats: &str) -> (Drbook, Outcome) {
    let t = Drbook::new();
    t.runbook_file(
        "drill.yaml",
        format!(
            "version: 1
name: quarterly-drill
description: 'A drill of <b>two</b> plans'
server_time_zone: UTC
defaults:
  poll_interval: 50ms
  timeout: 30s
  retry_delay: 50ms
  rto: 10m
objectives:
  rto: 1h
  rpo: 24h
steps:
  - name: '{name_of_a}'
    failover: {{ plan_id: {PLAN_A} }}
  - name: Let replication settle
    wait: 300ms
  - name: DBA approves
    pause: {{ message: Check the database }}
  - name: Fail over B
    failover: {{ plan_id: {PLAN_B}, restore_point: '2026-11-25T22:00:00Z' }}
  - name: A is failed over
    expect_state: {{ plan_id: {PLAN_A}, state: Failover }}
"
        ),
    );
    t.live("drill", &sim.base_url())
        .args(["--approve", "all", "--report-format", formats]);
    let out = t.run();
    (t, out)
}

#[test]
fn a_drill_whose_clean_up_fails_is_loud_in_html_and_junit_and_the_page_renders_offline() {
    // Plan A's undo is refused every time: the drill cannot clean up.
    let sim = faulty_sim(
        vec![
            plan(PLAN_A, Duration::from_millis(100)),
            plan(PLAN_B, Duration::from_millis(100)),
        ],
        vec![Fault {
            count: 0,
            ..Fault::new(FaultEndpoint::Undo, FaultKind::Status(500)).for_plan(PLAN_A)
        }],
    );
    let (t, out) = drill(&sim, "Fail over A", "json,md,junit,html");
    out.assert_code(1);
    let report = t.report();
    assert_eq!(report["drill"]["cleanup"], "failed");
    let html_file = one(&t, ".html");
    let html = read(&html_file);
    assert!(html.starts_with("<!DOCTYPE html>"));
    // Self-contained: nothing to fetch, no script.
    assert_eq!(links(&html), Vec::<String>::new());
    assert!(!html.contains("<script"), "no script in the page");
    assert!(!html.contains("url(http"), "no remote style asset");
    assert!(html.contains("<svg"), "the timeline is inline SVG");

    let junit_file = one(&t, ".junit.xml");
    assert_valid_junit(&junit_file);
    let junit = quick_junit::Report::deserialize_from_str(&read(&junit_file)).unwrap();
    let suite = &junit.test_suites[0];
    let cleanup_undos = suite
        .test_cases
        .iter()
        .filter(|c| c.classname.as_deref() == Some("drbook.cleanup.undo"))
        .count();
    assert_eq!(
        cleanup_undos, 2,
        "both failovers are undone in the clean-up"
    );
    let verdict = suite
        .test_cases
        .iter()
        .find(|c| c.name.as_str() == "drill clean-up")
        .expect("a test case for the clean-up");
    match &verdict.status {
        quick_junit::TestCaseStatus::NonSuccess { message, .. } => {
            assert!(message.as_deref().unwrap().contains(PLAN_A), "{message:?}")
        }
        other => panic!("the clean-up should have failed: {other:?}"),
    }
    assert!(
        suite
            .test_cases
            .iter()
            .any(|c| c.name.as_str() == "recovery objectives (RTO/RPO)"),
        "objectives are a test case"
    );

    let screenshot = t.dir().join("drill.png");
    let Some(dom) = open_in_chromium(&html_file, &screenshot) else {
        return;
    };
    for text in [
        "drill run failed",
        "Drill clean-up FAILED: plans are still failed over",
        "Left failed over: ",
        "1. Fail over A",
        "DBA approves",
        "approved by test-operator (--approve)",
        "Recovery objectives",
        "A drill of &lt;b&gt;two&lt;/b&gt; plans",
        "Provenance",
    ] {
        assert!(dom.contains(text), "{text:?} not in the page:\n{dom}");
    }
    assert!(dom.contains(&format!("<code>{PLAN_A}</code>")));
    assert!(dom.contains("class=\"bar pause\""), "the pause has its bar");
    assert!(dom.contains("class=\"bar wait\""), "the wait has its bar");
    assert!(
        dom.contains("class=\"cleanup-band\""),
        "the clean-up has its band"
    );
    assert_eq!(links(&dom), Vec::<String>::new(), "no external reference");
    assert!(!dom.contains("<b>"), "the runbook's markup is text");
}

#[test]
fn markup_from_the_runbook_or_the_server_is_shown_as_text() {
    let evil = "<script>document.title='pwned'</script><img src=x onerror=alert(1)>";
    let server = Scripted::start(move |method, path, _| match (method, path) {
        (_, "/token") => token_reply(),
        (m, p) if is_plan_read(m, p) => ready_reply(),
        _ => Reply::Json(
            400,
            serde_json::json!({ "message": evil }).to_string(),
            vec![],
        ),
    });
    let steps = format!(
        "  - name: \"fail over <script>alert('step')</script>\"\n    failover: {{ plan_id: {PLAN_A} }}\n"
    );
    let t = live(&server.url(), &steps);
    let out = t.args(["--report-format", "html,junit"]).run();
    out.assert_code(1);
    let html_file = one(&t, ".html");
    let html = read(&html_file);
    assert!(!html.contains("<script"), "a script got into the page");
    assert!(!html.contains("<img"), "an element got into the page");
    assert!(html.contains("fail over &lt;script&gt;alert('step')&lt;/script&gt;"));
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert_valid_junit(&one(&t, ".junit.xml"));

    let Some(dom) = open_in_chromium(&html_file, &t.dir().join("xss.png")) else {
        return;
    };
    assert!(!dom.contains("<script"), "{dom}");
    assert!(!dom.contains("<img"), "{dom}");
    // The injected script would have renamed the page.
    assert!(dom.contains("<title>drbook report: test-runbook</title>"));
    assert!(dom.contains("fail over &lt;script&gt;alert('step')&lt;/script&gt;"));
}

#[test]
fn secrets_are_masked_in_html_and_junit_before_any_escaping() {
    let sim = sim(vec![plan(PLAN_A, Z)]);
    let t = Drbook::new();
    t.runbook_text(
        format!(
            "version: 1\nname: secrets\nvars:\n  api_token: \"a<&>'SECRETVALUE\\\"b\"\ndefaults:\n  poll_interval: 50ms\nsteps:\n  - name: 'uses {{{{api_token}}}}'\n    failover: {{ plan_id: {PLAN_A} }}\n"
        ),
    );
    t.live("run", &sim.base_url())
        .args(["--report-format", "json,md,junit,html"])
        .run()
        .assert_code(0);
    let everything = t.report_texts();
    assert!(everything.contains("uses ***"), "the step name is masked");
    for secret in ["SECRETVALUE", PASSWORD] {
        assert!(!everything.contains(secret), "{secret} leaked");
    }
    assert_valid_junit(&one(&t, ".junit.xml"));
}

#[test]
fn a_killed_run_leaves_every_format_and_resume_writes_them_again() {
    let sim = sim(vec![plan(PLAN_A, Z), plan(PLAN_B, Z)]);
    let steps = format!(
        "{}  - name: Settle\n    wait: 1500ms\n{}",
        one_failover(PLAN_A),
        one_failover(PLAN_B)
    );
    let t = live(&sim.base_url(), &steps);
    t.args(["--report-format", "json,md,junit,html"]);
    let mut child = t.spawn();
    // Every file is written when the wait begins, the HTML last: once it shows the wait
    // (the timeline's label), the others do too.
    let waiting = eventually(Duration::from_secs(20), || {
        files(&t.dir().join("reports"), ".html")
            .first()
            .is_some_and(|f| read(f).contains("2. Settle"))
    });
    let _ = child.kill();
    let _ = child.wait();
    assert!(waiting, "the run never reached its wait");
    let report = t.report();
    assert_eq!(report["steps"][0]["result"], "succeeded");
    assert!(report["steps"][1]["started_at"].is_string());
    assert!(read(&one(&t, ".md")).contains("| 2 | Settle | wait |"));
    let junit = one(&t, ".junit.xml");
    assert_valid_junit(&junit);
    assert!(read(&junit).contains(r#"name="2. Settle""#));
    let html = read(&one(&t, ".html"));
    assert!(html.trim_end().ends_with("</html>"), "the page is whole");
    assert!(html.contains("2. Settle"));

    let journal = files(&t.dir().join("reports"), ".journal.jsonl").remove(0);
    t.resume(journal.to_str().unwrap())
        .args(["--report-dir", &t.reports_dir()])
        .args(["--report-format", "junit,html"])
        .run()
        .assert_code(0);
    let report = t.report();
    assert_eq!(report["result"], "succeeded");
    let junit = read(&one(&t, ".junit.xml"));
    assert!(junit.contains(r#"<property name="run.result" value="succeeded"/>"#));
    assert!(read(&one(&t, ".html")).contains("live run succeeded"));
}

/// `git` in `dir`, with an identity of its own.
fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=drbook tests",
            "-c",
            "user.email=tests@drbook.invalid",
        ])
        .args(["-c", "commit.gpgsign=false"])
        .args(args)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn reports_name_the_git_commit_and_whether_the_work_tree_was_dirty() {
    let t = Drbook::new();
    let rb = t.file("ops/rb.yaml", runbook(&one_failover(PLAN_A)));
    git(t.dir(), &["init", "-q"]);
    git(t.dir(), &["add", "ops/rb.yaml"]);
    git(t.dir(), &["commit", "-q", "-m", "runbook"]);
    let head = git(t.dir(), &["rev-parse", "HEAD"]);
    let run = |dir: &str| {
        let t2 = Drbook::new();
        let out = t2
            .args(["run", rb.to_str().unwrap(), "--dry-run"])
            .args(["--report-dir", t.dir().join(dir).to_str().unwrap()])
            .args(["--report-format", "json,md,junit,html"])
            .run();
        out.assert_code(0);
        let dir = t.dir().join(dir);
        let json: serde_json::Value =
            serde_json::from_str(&read(&files(&dir, ".json")[0])).unwrap();
        assert_valid_report(&json);
        let texts: Vec<String> = [".md", ".junit.xml", ".html"]
            .iter()
            .map(|suffix| read(&files(&dir, suffix)[0]))
            .collect();
        (json, texts)
    };
    // The first run's reports land in the repository untracked: they do not make it dirty.
    for dir in ["reports/1", "reports/2"] {
        let (json, texts) = run(dir);
        assert_eq!(json["runbook"]["git_commit"], head.as_str());
        assert_eq!(json["runbook"]["git_dirty"], false);
        for text in &texts {
            assert!(text.contains(&head), "the commit is in every format");
        }
    }
    std::fs::write(&rb, runbook(&one_failover(PLAN_B))).unwrap();
    let (json, texts) = run("reports/3");
    assert_eq!(json["runbook"]["git_commit"], head.as_str());
    assert_eq!(json["runbook"]["git_dirty"], true);
    assert!(texts[0].contains("(dirty: the work tree differed from this commit)"));
    assert!(texts[1].contains(r#"<property name="runbook.git_dirty" value="true"/>"#));
    assert!(texts[2].contains("dirty: the work tree differed from this commit"));

    // Outside git: null, and the run goes on.
    let plain = Drbook::new();
    let rb = plain.file("rb.yaml", runbook(&one_failover(PLAN_A)));
    plain
        .args(["run", rb.to_str().unwrap(), "--dry-run"])
        .run()
        .assert_code(0);
    let report = plain.report();
    assert_eq!(report["runbook"]["git_commit"], serde_json::Value::Null);
    assert_eq!(report["runbook"]["git_dirty"], serde_json::Value::Null);
}

#[test]
fn the_drill_behind_the_readme_picture_stays_valid() {
    let t = Drbook::new();
    t.args([
        "validate",
        concat!(env!("CARGO_MANIFEST_DIR"), "/docs/html-report-drill.yaml"),
    ])
    .run()
    .assert_code(0);
}
