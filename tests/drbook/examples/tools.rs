//! The examples checked by the tools that own each format, on copies of the files: shellcheck
//! for the scripts, `systemd-analyze verify` for the units, kubernetes-validate (its bundled
//! schemas, strict) for the manifests, check-jsonschema's vendored schemas for the GitHub and
//! GitLab pipelines. `.ci/run` installs them all; under `CI=true` a missing one fails its
//! test. Each test also breaks an example on purpose and sees the tool refuse it, so a tool
//! that checks nothing (a wrong flag, a schema it did not load) cannot pass for one that does.

use super::{Files, argo, assert_lint_fires, drbook_bin, repo_root};
use crate::support::tool;
use std::path::Path;
use std::process::Command;

/// Writes `files` into a fresh folder (same paths), runs `program` there with `args` and the
/// example files whose names pass `pick`; returns whether it accepted them, and what it said.
fn run_on_copies(
    program: &Path,
    args: &[&str],
    files: &Files,
    pick: impl Fn(&str) -> bool,
) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut picked = Vec::new();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        if pick(name) {
            picked.push(name.clone());
        }
    }
    assert!(!picked.is_empty(), "no example for {}", program.display());
    let output = Command::new(program)
        .args(args)
        .args(&picked)
        .current_dir(dir.path())
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", program.display()));
    let said = format!(
        "{} {}:\n{}{}",
        program.display(),
        picked.join(" "),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), said)
}

/// What `program` said when it refused the picked examples (nothing when it accepted them).
fn refusals(
    program: &Path,
    args: &[&str],
    files: &Files,
    pick: impl Fn(&str) -> bool,
) -> Vec<String> {
    let (accepted, said) = run_on_copies(program, args, files, pick);
    if accepted { Vec::new() } else { vec![said] }
}

#[test]
fn the_scripts_pass_shellcheck() {
    let Some(shellcheck) = tool("shellcheck") else {
        return;
    };
    let script = "examples/cron/nightly-drill.sh";
    assert_lint_fires(
        |files| refusals(&shellcheck, &[], files, |n| n.ends_with(".sh")),
        &[(script, "tail -n 40 \"$log\"", "tail -n 40 $log", "SC2086")],
    );
}

/// `systemd-analyze verify` of the units as installed, drbook being the built binary
/// (verify refuses an `ExecStart=` whose program does not exist). It only warns about a
/// setting it cannot read and goes on, so a warning about the units is a refusal too.
fn systemd_refusals(systemd_analyze: &Path, files: &Files) -> Vec<String> {
    let mut units = files.clone();
    for (name, text) in units.iter_mut() {
        if name.ends_with(".service") {
            *text = text.replace("/usr/local/bin/drbook", drbook_bin());
        }
    }
    let (accepted, said) = run_on_copies(systemd_analyze, &["verify"], &units, |n| {
        n.ends_with(".service") || n.ends_with(".timer")
    });
    let warned = said.lines().skip(1).any(|l| l.contains("drbook-drill"));
    if accepted && !warned {
        Vec::new()
    } else {
        vec![said]
    }
}

#[test]
fn the_units_pass_systemd_analyze_verify() {
    let Some(systemd_analyze) = tool("systemd-analyze") else {
        return;
    };
    let timer = "examples/systemd/drbook-drill.timer";
    let service = "examples/systemd/drbook-drill.service";
    assert_lint_fires(
        |files| systemd_refusals(&systemd_analyze, files),
        &[
            (
                timer,
                "AccuracySec=",
                "AccuracySecs=",
                "Unknown key 'AccuracySecs'",
            ),
            (
                timer,
                "OnCalendar=*-*-* 02:00:00",
                "OnCalendar=nightly at two",
                "calendar specification",
            ),
            (service, "Type=oneshot", "Type=one-shot", "one-shot"),
        ],
    );
}

#[test]
fn the_manifests_pass_kubernetes_validate() {
    let Some(kubernetes_validate) = tool("kubernetes-validate") else {
        return;
    };
    let cronjob = "examples/kubernetes/cronjob.yaml";
    // The Argo workflow is not one of its kinds (it would only warn that it has no schema
    // and pass): `the_argo_workflow_passes_its_schema` checks it.
    assert_lint_fires(
        |files| {
            refusals(&kubernetes_validate, &["--strict", "--quiet"], files, |n| {
                n.starts_with("examples/kubernetes/")
                    || (n.starts_with("examples/argo/") && n != argo::WORKFLOW)
            })
        },
        &[
            // A misspelt field, which the API server would drop without a word.
            (
                cronjob,
                "concurrencyPolicy:",
                "concurrencyPolicyy:",
                "'concurrencyPolicyy' was unexpected",
            ),
            (
                cronjob,
                "activeDeadlineSeconds: 14400",
                "activeDeadlineSeconds: 4h",
                "'4h' is not of type 'integer'",
            ),
            // The Argo example's Kubernetes objects are checked too.
            (
                "examples/argo/pvc.yaml",
                "accessModes:",
                "accessMode:",
                "'accessMode' was unexpected",
            ),
            (
                "examples/argo/role.yaml",
                "verbs:",
                "verb:",
                "'verbs' is a required property",
            ),
        ],
    );
}

#[test]
fn the_pipelines_pass_their_schemas() {
    let Some(check_jsonschema) = tool("check-jsonschema") else {
        return;
    };
    let github = "examples/ci/github-actions.yml";
    let gitlab = "examples/ci/gitlab-ci.yml";
    assert_lint_fires(
        |files| {
            let mut problems = refusals(
                &check_jsonschema,
                &["--builtin-schema", "vendor.github-workflows"],
                files,
                |n| n == github,
            );
            problems.extend(refusals(
                &check_jsonschema,
                &["--builtin-schema", "vendor.gitlab-ci"],
                files,
                |n| n == gitlab,
            ));
            problems
        },
        &[
            (
                github,
                "    runs-on: ubuntu-latest",
                "    run-on: ubuntu-latest",
                "'runs-on' is a required property",
            ),
            (
                gitlab,
                "    when: always",
                "    when: allways",
                "'allways' is not one of",
            ),
        ],
    );
}

/// The Argo workflow against a strict JSON Schema of its kind, derived from hera's models
/// (Argo's Python SDK, generated from Argo's OpenAPI specification) with every object closed
/// to unknown keys (`argo_schema.py`), by check-jsonschema. Under `CI=true` a missing
/// python3, hera or check-jsonschema fails (`.ci/run` installs them).
#[test]
fn the_argo_workflow_passes_its_schema() {
    let (Some(python), Some(check_jsonschema)) = (tool("python3"), tool("check-jsonschema")) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let schema = dir.path().join("cron-workflow.schema.json");
    let output = Command::new(python)
        .arg(repo_root().join("tests/drbook/examples/argo_schema.py"))
        .arg("CronWorkflow")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&output.stdout);
    if output.status.code() == Some(3) {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "hera is required in CI (.ci/run installs it): {said}"
        );
        eprintln!("\n*** SKIPPED: {said}; the Argo workflow's schema check did not run ***\n");
        return;
    }
    assert!(
        output.status.success(),
        "argo_schema.py: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::write(&schema, &output.stdout).unwrap();
    let schema = schema.display().to_string();
    let workflow = argo::WORKFLOW;
    assert_lint_fires(
        |files| {
            refusals(&check_jsonschema, &["--schemafile", &schema], files, |n| {
                n == workflow
            })
        },
        &[
            // A misspelt field at the top, deep in a template, in a Kubernetes type inside.
            (
                workflow,
                "concurrencyPolicy: Forbid",
                "concurencyPolicy: Forbid",
                "'concurencyPolicy' was unexpected",
            ),
            (
                workflow,
                "failFast: false",
                "failfast: false",
                "'failfast' was unexpected",
            ),
            (
                workflow,
                "readOnlyRootFilesystem: true",
                "readOnlyRootFileSystem: true",
                "'readOnlyRootFileSystem' was unexpected",
            ),
            // A wrong type, and the wrong kind.
            (
                workflow,
                "parallelism: 4",
                "parallelism: four",
                "'four' is not of type 'integer'",
            ),
            (
                workflow,
                "kind: CronWorkflow",
                "kind: CronJob",
                "'CronWorkflow' was expected",
            ),
        ],
    );
}
