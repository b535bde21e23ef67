//! `drbook validate`: the examples are valid; every invalid fixture is reported at the right
//! file, line, column and field, with exit code 2.

use crate::support::*;
use std::path::PathBuf;

fn files_in(dir: &str) -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

pub fn examples() -> Vec<PathBuf> {
    files_in("runbooks")
}

pub fn invalid_fixtures() -> Vec<PathBuf> {
    files_in("tests/fixtures/invalid")
}

/// The `# expect: LINE:COL PATH: MESSAGE` lines of a fixture.
fn expectations(path: &PathBuf) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("# expect: "))
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_example_runbook_is_valid() {
    let examples = examples();
    assert!(examples.len() >= 3);
    let out = Drbook::new()
        .args(
            std::iter::once("validate".to_owned())
                .chain(examples.iter().map(|p| p.display().to_string())),
        )
        .run();
    out.assert_code(0);
    assert_eq!(
        out.stdout.lines().filter(|l| l.starts_with("ok: ")).count(),
        examples.len()
    );
}

#[test]
fn every_invalid_fixture_is_reported_where_it_is_wrong() {
    let fixtures = invalid_fixtures();
    assert!(fixtures.len() >= 15);
    for fixture in fixtures {
        let expected = expectations(&fixture);
        assert!(
            !expected.is_empty(),
            "{} has no `# expect:` line",
            fixture.display()
        );
        let out = Drbook::new()
            .args(["validate", "--format", "json", fixture.to_str().unwrap()])
            .run();
        out.assert_code(2);
        let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(json["valid"], false);
        let got: Vec<String> = json["runbooks"][0]["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                format!(
                    "{}:{} {}: {}",
                    d["line"],
                    d["column"],
                    d["path"].as_str().unwrap(),
                    d["message"].as_str().unwrap()
                )
            })
            .collect();
        assert_eq!(got, expected, "{}", fixture.display());

        // The text form names file:line:col for people.
        let text = Drbook::new()
            .args(["validate", fixture.to_str().unwrap()])
            .run();
        text.assert_code(2);
        let first = &expected[0];
        let position = first.split(' ').next().unwrap();
        let located = if position == "0:0" {
            fixture.display().to_string()
        } else {
            format!("{}:{position}", fixture.display())
        };
        assert!(
            text.stderr.contains(&located),
            "{located} not in\n{}",
            text.stderr
        );
        assert!(text.stderr.contains("error: "), "{}", text.stderr);
    }
}

#[test]
fn unknown_keys_get_a_did_you_mean_hint() {
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/invalid/camel-case-key.yaml");
    let out = Drbook::new()
        .args(["validate", fixture.to_str().unwrap()])
        .run();
    out.assert_code(2);
    assert!(
        out.stderr
            .contains("hint: did you mean `protect_storage_volumes`?"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("8 |       protectStorageVolumes: true"),
        "{}",
        out.stderr
    );
}

#[test]
fn one_invalid_file_fails_the_batch_and_the_rest_are_still_checked() {
    let good = examples()[0].clone();
    let bad = invalid_fixtures()[0].clone();
    let out = Drbook::new()
        .args(["validate", bad.to_str().unwrap(), good.to_str().unwrap()])
        .run();
    out.assert_code(2);
    assert!(out.stdout.contains(&format!("ok: {}", good.display())));
    assert!(out.stderr.contains(&format!("invalid: {}", bad.display())));
}

#[test]
fn unreadable_and_hostile_inputs_exit_2_without_a_panic() {
    let t = Drbook::new();
    let binary = t.file("binary.yaml", [0xff_u8, 0xfe, 0x00, 0x41]);
    let huge = t.file("huge.yaml", "# x\n".repeat(4_300_000));
    let deep = t.file(
        "deep.yaml",
        format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000)),
    );
    let bomb = t.file(
        "bomb.yaml",
        "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\nh: [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n",
    );
    for (file, needle) in [
        (binary, "not UTF-8"),
        (huge, "larger than"),
        (deep, "error"),
        (bomb, "error"),
        (t.dir().join("missing.yaml"), "cannot open"),
        (t.dir().to_path_buf(), "directory"),
    ] {
        let out = Drbook::new()
            .args(["validate", file.to_str().unwrap()])
            .run();
        out.assert_code(2);
        assert!(
            out.stderr.contains(needle),
            "{}: {}",
            file.display(),
            out.stderr
        );
        assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    }
}

#[test]
fn usage_errors_exit_2() {
    Drbook::new().args(["validate"]).run().assert_code(2);
    Drbook::new().args(["run"]).run().assert_code(2);
    Drbook::new().args(["frobnicate"]).run().assert_code(2);
    Drbook::new()
        .args(["run", "x.yaml", "--dry-run", "--simulate"])
        .run()
        .assert_code(2);
}

/// The generated schema is what editors use: an independent validator must take every
/// example runbook and refuse the structurally broken fixtures, as drbook does.
#[test]
fn an_independent_validator_agrees_with_the_generated_schema() {
    let Some(check_jsonschema) = tool("check-jsonschema") else {
        return;
    };
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let schema = root.join("schemas/runbook.schema.json");
    let check = |files: &[std::path::PathBuf]| {
        std::process::Command::new(&check_jsonschema)
            .arg("--schemafile")
            .arg(&schema)
            .args(files)
            .output()
            .unwrap()
    };
    let runbooks = files_in("runbooks");
    assert!(runbooks.len() >= 3, "{runbooks:?}");
    let out = check(&runbooks);
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for fixture in [
        "both-actions.yaml",
        "camel-case-key.yaml",
        "bad-uuid.yaml",
        "bad-version.yaml",
        "check-port-out-of-range.yaml",
        "check-url-not-http.yaml",
        "check-expect-status-out-of-range.yaml",
        "command-empty-run.yaml",
        "only-unknown.yaml",
        "cleanup-misplaced.yaml",
    ] {
        let path = root.join("tests/fixtures/invalid").join(fixture);
        let out = check(std::slice::from_ref(&path));
        assert!(!out.status.success(), "{fixture} passed the schema");
        // drbook refuses it too.
        let t = Drbook::new();
        t.args(["validate", path.to_str().unwrap()]);
        t.run().assert_code(2);
    }
}

/// Plain scalars that YAML 1.1 tools read as something else are warned about, with their
/// position; the file stays valid unless `--deny-warnings` is given.
#[test]
fn yaml_1_1_readings_are_warnings() {
    let text = "version: 1\nname: portable\nserver_time_zone: UTC\nvars:\n  restore_point: 2026-11-25T22:00:00Z\n  quoted: '2026-11-25T22:00:00Z'\n  flag: on\nsteps:\n  - failover:\n      plan_id: 6f1c2d9e-3b4a-4c5d-8e7f-0a1b2c3d4e5f\n      restore_point: \"{{restore_point}}\"\n";
    let t = Drbook::new();
    let file = t.file("portable.yaml", text);
    t.args(["validate", file.to_str().unwrap()]);
    let out = t.run();
    out.assert_code(0);
    assert!(
        out.stdout.contains("ok: ") && out.stdout.contains("(portable, 1 step, 2 warnings)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("warning: vars.restore_point: `2026-11-25T22:00:00Z` is a string to drbook (YAML 1.2) but a timestamp to YAML 1.1 readers\n --> ")
            && out.stderr.contains("portable.yaml:5:18\n"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(
            "warning: vars.flag: `on` is a string to drbook (YAML 1.2) but the boolean true"
        ),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("vars.quoted"), "{}", out.stderr);

    let t = Drbook::new();
    let file = t.file("portable.yaml", text);
    t.args(["validate", "--deny-warnings", file.to_str().unwrap()]);
    let out = t.run();
    out.assert_code(2);
    assert!(
        out.stderr
            .contains("(2 warnings, denied by --deny-warnings)"),
        "{}",
        out.stderr
    );

    let t = Drbook::new();
    let file = t.file("portable.yaml", text);
    t.args(["validate", "--format", "json", file.to_str().unwrap()]);
    let out = t.run();
    out.assert_code(0);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let warnings = &json["runbooks"][0]["warnings"];
    assert_eq!(warnings[0]["line"], 5, "{json}");
    assert_eq!(warnings[0]["column"], 18, "{json}");
    assert_eq!(warnings[0]["path"], "vars.restore_point", "{json}");
    assert_eq!(warnings[1]["path"], "vars.flag", "{json}");
}

/// Every example runbook means the same to a YAML 1.1 reader: PyYAML loads it, and the
/// result passes the published schema (an unquoted date would be a timestamp there, and
/// `yes` a boolean). drbook has no warning for any of them either.
#[test]
fn examples_read_the_same_in_yaml_1_1() {
    let runbooks = files_in("runbooks");
    let t = Drbook::new();
    t.args(["validate", "--deny-warnings"])
        .args(runbooks.iter().map(|p| p.display().to_string()));
    t.run().assert_code(0);

    let Some(python) = tool("python3") else {
        return;
    };
    let script = r#"
import json, sys
try:
    import yaml, jsonschema
except ImportError as error:
    print(f"missing: {error}")
    sys.exit(3)
schema = json.load(open(sys.argv[1]))
validator = jsonschema.Draft202012Validator(schema)
bad = 0
for path in sys.argv[2:]:
    document = yaml.safe_load(open(path))
    for error in validator.iter_errors(document):
        bad += 1
        print(f"{path}: {error.json_path}: {error.message}")
sys.exit(1 if bad else 0)
"#;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = std::process::Command::new(python)
        .arg("-c")
        .arg(script)
        .arg(root.join("schemas/runbook.schema.json"))
        .args(&runbooks)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    if out.status.code() == Some(3) {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "PyYAML and jsonschema are required in CI (.ci/run installs them): {stdout}"
        );
        eprintln!("\n*** SKIPPED: {stdout} ***\n");
        return;
    }
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
