//! The CI examples (GitHub Actions, GitLab CI): runbooks validated on changes, a pre-flight
//! check before the drill, reports published also when the drill fails, one drill at a time,
//! and secrets only in the environment of the steps that run drbook.

use super::invocation::{flag_values, secret_like};
use super::shell::{self, Invocation};
use super::units::{schedule_problems, under};
use super::{Files, assert_lint_fires, parse_yaml};
use drbook::runbook::{Node, Value as NodeValue};
use serde_json::Value;

/// The shell text of a CI file: GitHub's `run:` and GitLab's `script:` (and before/after),
/// with the line each starts on.
pub fn scripts(node: &Node) -> Vec<(String, usize)> {
    let mut found = Vec::new();
    collect_scripts(node, &mut found);
    found
}

fn collect_scripts(node: &Node, found: &mut Vec<(String, usize)>) {
    let script_at = |node: &Node| {
        node.as_str().map(|text| {
            // A block scalar (`run: |`) starts on the line after its indicator.
            let line = node.pos.line + usize::from(text.contains('\n'));
            (text.to_owned(), line)
        })
    };
    match &node.value {
        NodeValue::Map(entries) => {
            for (key, value) in entries {
                match (key.name.as_str(), &value.value) {
                    (
                        "run" | "script" | "before_script" | "after_script",
                        NodeValue::Seq(items),
                    ) => {
                        found.extend(items.iter().filter_map(script_at));
                    }
                    ("run" | "script" | "before_script" | "after_script", _) => {
                        found.extend(script_at(value));
                    }
                    _ => collect_scripts(value, found),
                }
            }
        }
        NodeValue::Seq(items) => items.iter().for_each(|item| collect_scripts(item, found)),
        _ => {}
    }
}

/// The drbook command lines of one shell text (a step's `run`, a script line).
fn drbook_lines(text: &Value) -> Vec<Invocation> {
    let texts: Vec<&str> = match text {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    texts
        .into_iter()
        .flat_map(|t| shell::invocations(t, "", 1))
        .collect()
}

fn command(invocation: &Invocation) -> &str {
    invocation.words.first().map_or("", String::as_str)
}

fn patterns(value: &Value) -> Vec<&str> {
    match value {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Whether a path pattern (`reports/drill/*.xml`, `reports/`) lies in or over `dir`.
fn covers(pattern: &str, dir: &str) -> bool {
    let fixed = pattern
        .split('*')
        .next()
        .unwrap_or("")
        .trim_end_matches('/');
    under(fixed, dir) || under(dir, fixed)
}

/// Drill command lines must follow a `drbook check` of the same runbook.
fn check_before_drill(place: &str, lines: &[Invocation], problems: &mut Vec<String>) -> bool {
    let mut checked: Vec<&String> = Vec::new();
    let mut drills = false;
    for line in lines {
        match command(line) {
            "check" => checked.extend(line.words.get(1)),
            "drill" => {
                drills = true;
                if !line.words.get(1).is_some_and(|r| checked.contains(&r)) {
                    problems.push(format!(
                        "{place}: `drbook drill` without a `drbook check` of its runbook before it"
                    ));
                }
            }
            _ => {}
        }
    }
    drills
}

fn github_problems(name: &str, workflow: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let on = &workflow["on"];
    if !patterns(&on["pull_request"]["paths"])
        .iter()
        .any(|p| p.starts_with("runbooks/"))
    {
        problems.push(format!(
            "{name}: validate on pull requests whose paths include runbooks/"
        ));
    }
    let schedules = on["schedule"].as_array().cloned().unwrap_or_default();
    if schedules.is_empty() {
        problems.push(format!("{name}: no `on: schedule` for the nightly drill"));
    }
    for schedule in &schedules {
        problems.extend(
            schedule_problems(schedule["cron"].as_str().unwrap_or(""))
                .into_iter()
                .map(|p| format!("{name}: {p}")),
        );
    }
    let jobs = workflow["jobs"].as_object().cloned().unwrap_or_default();
    let mut validates = false;
    let mut drills = false;
    for (job_name, job) in &jobs {
        let place = format!("{name}: job {job_name}");
        let steps = job["steps"].as_array().cloned().unwrap_or_default();
        let lines: Vec<Invocation> = steps.iter().flat_map(|s| drbook_lines(&s["run"])).collect();
        if lines.iter().any(|l| command(l) == "validate") {
            validates = true;
            if !job["if"].as_str().unwrap_or("").contains("pull_request") {
                problems.push(format!(
                    "{place}: validate runs on pull requests (if: ...pull_request)"
                ));
            }
        }
        if !check_before_drill(&place, &lines, &mut problems) {
            continue;
        }
        drills = true;
        if job["concurrency"]["group"].as_str().is_none()
            || job["concurrency"]["cancel-in-progress"] != false
        {
            problems.push(format!(
                "{place}: one drill at a time across runners: concurrency.group, with cancel-in-progress: false"
            ));
        }
        let report_dirs: Vec<String> = lines
            .iter()
            .filter(|l| command(l) == "drill")
            .flat_map(|l| flag_values(&l.words, "--report-dir"))
            .collect();
        let drill_step = steps
            .iter()
            .position(|s| {
                drbook_lines(&s["run"])
                    .iter()
                    .any(|l| command(l) == "drill")
            })
            .unwrap_or(0);
        for (what, action, input) in [
            ("keeps the reports", "actions/upload-artifact", "path"),
            ("shows the JUnit report", "junit", "report_paths"),
        ] {
            let publishes = steps[drill_step..].iter().any(|s| {
                s["uses"].as_str().is_some_and(|u| u.contains(action))
                    && s["if"].as_str().is_some_and(|c| c.contains("always()"))
                    && report_dirs
                        .iter()
                        .all(|dir| patterns(&s["with"][input]).iter().any(|p| covers(p, dir)))
            });
            if !publishes {
                problems.push(format!(
                    "{place}: no step after the drill that {what} of its --report-dir with `if: always()` (a failed drill needs them most)"
                ));
            }
        }
    }
    if !validates {
        problems.push(format!("{name}: no job runs drbook validate"));
    }
    if !drills {
        problems.push(format!("{name}: no job runs drbook drill"));
    }
    secret_places(name, workflow, &mut Vec::new(), &mut problems);
    problems
}

/// A secret may appear only as an `env:` value of a step that runs drbook: not in a job's or
/// the workflow's env (every action would get it), not in `with:`, not in a command line.
fn secret_places(name: &str, value: &Value, path: &mut Vec<String>, problems: &mut Vec<String>) {
    match value {
        Value::String(s) if s.contains("secrets.") => {
            let allowed =
                path.len() == 6 && path[0] == "jobs" && path[2] == "steps" && path[4] == "env";
            if !allowed {
                problems.push(format!(
                    "{name}: {} uses a secret outside the env of a step that runs drbook",
                    path.join(".")
                ));
            }
        }
        Value::Object(map) => {
            if path.len() == 4 && path[2] == "steps" && map.contains_key("env") {
                let runs_drbook = !drbook_lines(&map["run"]).is_empty();
                let has_secret = map["env"].to_string().contains("secrets.");
                if has_secret && !runs_drbook {
                    problems.push(format!(
                        "{name}: {} hands a secret to a step that does not run drbook",
                        path.join(".")
                    ));
                }
            }
            for (key, child) in map {
                path.push(key.clone());
                secret_places(name, child, path, problems);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                path.push(i.to_string());
                secret_places(name, child, path, problems);
                path.pop();
            }
        }
        _ => {}
    }
}

fn gitlab_problems(name: &str, pipeline: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let mut validates = false;
    let mut drills = false;
    let empty = serde_json::Map::new();
    let keys = pipeline.as_object().unwrap_or(&empty);
    for (key, variable) in keys
        .get("variables")
        .and_then(Value::as_object)
        .unwrap_or(&empty)
    {
        if key.starts_with("VAO_") || secret_like(key) {
            problems.push(format!(
                "{name}: variables.{key}: {variable} in the file; define it as a masked CI/CD variable"
            ));
        }
    }
    for (job_name, job) in keys.iter().filter(|(_, j)| j.get("script").is_some()) {
        let place = format!("{name}: job {job_name}");
        for key in job["variables"]
            .as_object()
            .into_iter()
            .flat_map(|v| v.keys())
        {
            if key.starts_with("VAO_") || secret_like(key) {
                problems.push(format!(
                    "{place}: variables.{key} in the file; define it as a masked CI/CD variable"
                ));
            }
        }
        let lines = drbook_lines(&job["script"]);
        if lines.iter().any(|l| command(l) == "validate") {
            validates = true;
            let on_changes = job["rules"].as_array().into_iter().flatten().any(|rule| {
                patterns(&rule["changes"])
                    .iter()
                    .any(|p| p.starts_with("runbooks/"))
            });
            if !on_changes {
                problems.push(format!(
                    "{place}: validate on changes to runbooks/ (rules: changes:)"
                ));
            }
        }
        if !check_before_drill(&place, &lines, &mut problems) {
            continue;
        }
        drills = true;
        if job["resource_group"].as_str().is_none() {
            problems.push(format!(
                "{place}: one drill at a time across runners: resource_group"
            ));
        }
        if !matches!(job.get("retry"), None | Some(Value::Number(_)))
            || job["retry"].as_u64().unwrap_or(0) != 0
        {
            problems.push(format!(
                "{place}: a failed drill is never retried (retry: 0)"
            ));
        }
        let artifacts = &job["artifacts"];
        if artifacts["when"] != "always" {
            problems.push(format!(
                "{place}: artifacts: when: always (a failed drill needs its reports most)"
            ));
        }
        for dir in lines
            .iter()
            .filter(|l| command(l) == "drill")
            .flat_map(|l| flag_values(&l.words, "--report-dir"))
        {
            for (what, value) in [
                ("artifacts.paths", &artifacts["paths"]),
                ("artifacts.reports.junit", &artifacts["reports"]["junit"]),
            ] {
                if !patterns(value).iter().any(|p| covers(p, &dir)) {
                    problems.push(format!("{place}: {what} does not cover --report-dir {dir}"));
                }
            }
        }
    }
    if !validates {
        problems.push(format!("{name}: no job runs drbook validate"));
    }
    if !drills {
        problems.push(format!("{name}: no job runs drbook drill"));
    }
    problems
}

pub fn ci_problems(files: &Files) -> Vec<String> {
    let mut problems = Vec::new();
    let mut kinds = 0;
    for (name, text) in files.iter().filter(|(n, _)| n.contains("examples/ci/")) {
        let document = match parse_yaml(name, text) {
            Ok(root) => root.to_json(),
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        if name.contains("github") {
            kinds += 1;
            problems.extend(github_problems(name, &document));
        } else if name.contains("gitlab") {
            kinds += 1;
            problems.extend(gitlab_problems(name, &document));
        }
    }
    if kinds < 2 {
        problems.push("examples/ci: expected a GitHub Actions and a GitLab CI example".to_owned());
    }
    problems
}

#[test]
fn the_ci_pipelines_check_before_the_drill_and_keep_the_reports() {
    let github = "examples/ci/github-actions.yml";
    let gitlab = "examples/ci/gitlab-ci.yml";
    assert_lint_fires(
        ci_problems,
        &[
            (
                github,
                "      - \"runbooks/**\"",
                "      - \"src/**\"",
                "paths include runbooks/",
            ),
            (
                github,
                "cron: \"0 2 * * *\"",
                "cron: \"0 2 * *\"",
                "five fields",
            ),
            (
                github,
                "run: drbook check",
                "run: drbook validate",
                "without a `drbook check`",
            ),
            (
                github,
                "cancel-in-progress: false",
                "cancel-in-progress: true",
                "concurrency.group",
            ),
            (
                github,
                "if: always()\n        uses: actions/upload-artifact",
                "uses: actions/upload-artifact",
                "keeps the reports",
            ),
            (
                github,
                "path: reports/\n",
                "path: reports/check/\n",
                "keeps the reports",
            ),
            (
                github,
                "report_paths: reports/drill/*.xml",
                "report_paths: reports/check/*.xml",
                "shows the JUnit report",
            ),
            (
                github,
                "if: github.event_name == 'pull_request'",
                "if: always()",
                "validate runs on pull requests",
            ),
            (
                github,
                "permissions:\n  contents: read\n",
                "permissions:\n  contents: read\nenv:\n  VAO_PASSWORD: ${{ secrets.VAO_PASSWORD }}\n",
                "env.VAO_PASSWORD uses a secret outside",
            ),
            (
                github,
                "check_name: DR drill",
                "check_name: DR drill\n          token: ${{ secrets.VAO_PASSWORD }}",
                "uses a secret outside",
            ),
            (
                github,
                "      - name: Install drbook\n        run: cargo install --locked --path .\n      - name: Pre-flight",
                "      - name: Install drbook\n        env:\n          X: ${{ secrets.VAO_PASSWORD }}\n        run: cargo install --locked --path .\n      - name: Pre-flight",
                "does not run drbook",
            ),
            (
                gitlab,
                "        - runbooks/**/*",
                "        - src/**/*",
                "changes to runbooks/",
            ),
            (
                gitlab,
                "    - drbook check runbooks/nightly-drill.yaml",
                "    - echo skipped",
                "without a `drbook check`",
            ),
            (
                gitlab,
                "  resource_group: vao-drill\n",
                "",
                "resource_group",
            ),
            (gitlab, "  retry: 0", "  retry: 2", "never retried"),
            (gitlab, "when: always", "when: on_success", "when: always"),
            (
                gitlab,
                "junit: reports/drill/*.xml",
                "junit: reports/check/*.xml",
                "artifacts.reports.junit",
            ),
            (
                gitlab,
                "stages:",
                "variables:\n  VAO_PASSWORD: hunter2\nstages:",
                "variables.VAO_PASSWORD",
            ),
        ],
    );
}
