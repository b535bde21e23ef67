//! The examples in `examples/` (cron, systemd, CI, Kubernetes, Argo Workflows) and the
//! `Containerfile` cannot rot: every file passes the tool that owns its format (`tools`,
//! `image`), the wrapper script runs against the simulator, the image's entrypoint runs the
//! manifests' runbooks (`image`), and every `drbook ...` command line in them is held against
//! the real binary's `--help` and `drbook validate`. Each check also has a test that breaks
//! an example on purpose and sees the check fire.

mod argo;
mod image;
mod invocation;
mod shell;
mod tools;
mod wrapper;

use drbook::runbook::{Node, Value as NodeValue, yaml};
use shell::Invocation;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn drbook_bin() -> &'static str {
    env!("CARGO_BIN_EXE_drbook")
}

/// Every file under `examples/`, by its path from the repository root.
pub type Files = BTreeMap<String, String>;

pub fn example_files() -> Files {
    fn walk(dir: &Path, files: &mut Files) {
        for entry in std::fs::read_dir(dir).expect("list examples/") {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, files);
            } else {
                let name = path
                    .strip_prefix(repo_root())
                    .unwrap()
                    .display()
                    .to_string();
                files.insert(
                    name,
                    std::fs::read_to_string(&path).expect("read an example"),
                );
            }
        }
    }
    let mut files = Files::new();
    walk(&repo_root().join("examples"), &mut files);
    files
}

/// Parses an example with drbook's own YAML loader (YAML 1.2, duplicate keys refused).
pub fn parse_yaml(name: &str, text: &str) -> Result<Node, String> {
    yaml::parse(name, text).map_err(|d| d.to_string())
}

/// A copy of the examples with `from` replaced by `to` in `file`: an example broken on
/// purpose.
pub fn broken(files: &Files, file: &str, from: &str, to: &str) -> Files {
    let mut files = files.clone();
    let text = files.get_mut(file).unwrap_or_else(|| panic!("no {file}"));
    // Exactly once, so a breakage cannot land in a comment instead of the setting.
    assert_eq!(
        text.matches(from).count(),
        1,
        "{file} must contain {from:?} once"
    );
    *text = text.replace(from, to);
    files
}

/// Asserts that `lint` passes the real examples and, on each breakage (file, from, to), finds
/// a problem containing the expected words.
pub fn assert_lint_fires(
    lint: impl Fn(&Files) -> Vec<String>,
    breakages: &[(&str, &str, &str, &str)],
) {
    assert_lint_fires_on(&example_files(), lint, breakages);
}

/// [`assert_lint_fires`] on other files than the examples (the `Containerfile`).
pub fn assert_lint_fires_on(
    files: &Files,
    lint: impl Fn(&Files) -> Vec<String>,
    breakages: &[(&str, &str, &str, &str)],
) {
    let clean = lint(files);
    assert!(
        clean.is_empty(),
        "the examples have problems:\n{}",
        clean.join("\n")
    );
    for (file, from, to, expected) in breakages {
        let problems = lint(&broken(files, file, from, to));
        assert!(
            problems.iter().any(|p| p.contains(expected)),
            "changing {from:?} to {to:?} in {file} should give a problem with {expected:?}, got {problems:#?}"
        );
    }
}

/// The `sh`/`bash` code blocks of a Markdown file, with the line each starts on.
fn shell_blocks(markdown: &str) -> Vec<(String, usize)> {
    let mut blocks = Vec::new();
    let mut current: Option<(String, usize)> = None;
    for (n, line) in markdown.lines().enumerate() {
        let fence = line.trim_start().strip_prefix("```");
        match (&mut current, fence) {
            (None, Some(lang)) if matches!(lang.trim(), "sh" | "bash" | "shell") => {
                current = Some((String::new(), n + 2));
            }
            (Some(_), Some(_)) => blocks.extend(current.take()),
            (Some((text, _)), None) => {
                text.push_str(line);
                text.push('\n');
            }
            _ => {}
        }
    }
    blocks
}

/// The commands of a system crontab's job lines (`/etc/cron.d`: five schedule fields, the
/// user, the command), with their line numbers.
fn cron_commands(text: &str) -> Vec<(String, usize)> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| {
            let first = line.split_whitespace().next().unwrap_or("#");
            !first.starts_with('#') && !first.contains('=')
        })
        .map(|(n, line)| {
            let command = line
                .split_whitespace()
                .skip(6)
                .collect::<Vec<_>>()
                .join(" ");
            (command, n + 1)
        })
        .collect()
}

/// The `Exec…=` command lines of a systemd unit (`\` continuations joined), with their lines.
fn unit_commands(text: &str) -> Vec<(String, usize)> {
    let mut found = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((n, line)) = lines.next() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        if !key.starts_with("Exec") {
            continue;
        }
        let mut command = value
            .trim_start_matches(['-', '@', ':', '+', '!'])
            .to_owned();
        while let Some(rest) = command.strip_suffix('\\') {
            command = format!("{rest} {}", lines.next().map_or("", |(_, l)| l.trim()));
        }
        found.push((command, n + 1));
    }
    found
}

/// The shell text of a CI file: GitHub's `run:` and GitLab's `script:` (and before/after),
/// with the line each starts on.
fn ci_scripts(node: &Node, found: &mut Vec<(String, usize)>) {
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
                    ) => found.extend(items.iter().filter_map(script_at)),
                    ("run" | "script" | "before_script" | "after_script", _) => {
                        found.extend(script_at(value))
                    }
                    _ => ci_scripts(value, found),
                }
            }
        }
        NodeValue::Seq(items) => items.iter().for_each(|item| ci_scripts(item, found)),
        _ => {}
    }
}

/// The drbook command lines of the containers of a Kubernetes manifest (`command` + `args`).
fn container_invocations(name: &str, node: &Node, found: &mut Vec<Invocation>) {
    let words = |value: &serde_json::Value| -> Vec<String> {
        let items = value.as_array().cloned().unwrap_or_default();
        items
            .iter()
            .map(|v| v.as_str().unwrap_or_default().to_owned())
            .collect()
    };
    match &node.value {
        NodeValue::Map(entries) => {
            for (key, value) in entries {
                match (key.name.as_str(), &value.value) {
                    ("containers" | "initContainers", NodeValue::Seq(containers)) => {
                        for container in containers {
                            let json = container.to_json();
                            let mut line = words(&json["command"]);
                            line.extend(words(&json["args"]));
                            if line.first().is_some_and(|w| shell::is_drbook(w)) {
                                found.push(Invocation {
                                    place: format!("{name}:{}", container.pos.line),
                                    words: line[1..].to_vec(),
                                });
                            }
                        }
                    }
                    _ => container_invocations(name, value, found),
                }
            }
        }
        NodeValue::Seq(items) => items
            .iter()
            .for_each(|item| container_invocations(name, item, found)),
        _ => {}
    }
}

/// The drbook command lines of an Argo workflow: each container it would start, per item,
/// with the parameters substituted as Argo does. What cannot be expanded is a command line
/// that fails the lint, so it cannot go unchecked.
fn argo_invocations(name: &str, root: &Node) -> Vec<Invocation> {
    if root
        .get("kind")
        .and_then(Node::as_str)
        .is_none_or(|k| !k.contains("Workflow"))
    {
        return Vec::new();
    }
    match argo::expand(name, root) {
        Ok(pods) => pods
            .into_iter()
            .filter_map(|pod| {
                let json = &pod.container;
                let mut line: Vec<String> = [&json["command"], &json["args"]]
                    .iter()
                    .flat_map(|v| v.as_array().cloned().unwrap_or_default())
                    .map(|v| v.as_str().unwrap_or_default().to_owned())
                    .collect();
                line.first()
                    .is_some_and(|w| shell::is_drbook(w))
                    .then(|| Invocation {
                        place: pod.place,
                        words: line.split_off(1),
                    })
            })
            .collect(),
        Err(problem) => vec![Invocation {
            place: format!("{name}:1"),
            words: vec![format!("(the workflow cannot be expanded: {problem})")],
        }],
    }
}

/// Every drbook command line in the examples, from wherever each kind of file keeps them.
pub fn invocations(files: &Files) -> Vec<Invocation> {
    let mut found = Vec::new();
    for (name, text) in files {
        let extension = name.rsplit('.').next().unwrap_or_default();
        let shell_texts = match extension {
            "sh" => vec![(text.clone(), 1)],
            "cron" => cron_commands(text),
            "service" => unit_commands(text),
            "md" => shell_blocks(text),
            "yml" | "yaml" => {
                let Ok(root) = parse_yaml(name, text) else {
                    continue;
                };
                let mut scripts = Vec::new();
                if name.contains("kubernetes/") {
                    container_invocations(name, &root, &mut found);
                } else if name.contains("argo/") {
                    found.extend(argo_invocations(name, &root));
                } else {
                    ci_scripts(&root, &mut scripts);
                }
                scripts
            }
            _ => Vec::new(),
        };
        for (script, line) in shell_texts {
            found.extend(shell::invocations(&script, name, line));
        }
    }
    found
}

#[test]
fn every_yaml_example_parses() {
    let files = example_files();
    let mut parsed = 0;
    for (name, text) in &files {
        if name.ends_with(".yml") || name.ends_with(".yaml") {
            if let Err(e) = parse_yaml(name, text) {
                panic!("{e}");
            }
            parsed += 1;
        }
    }
    assert!(parsed >= 6, "only {parsed} YAML examples");
}

#[test]
fn every_drbook_command_line_in_the_examples_passes_the_lint() {
    let files = example_files();
    let found = invocations(&files);
    // Each kind of example runs drbook somewhere: a file the scanner reads nothing from
    // means the scanner (or the example) broke, not that all is well.
    for file in [
        "examples/cron/nightly-drill.sh",
        "examples/systemd/drbook-drill.service",
        "examples/ci/github-actions.yml",
        "examples/ci/gitlab-ci.yml",
        "examples/kubernetes/cronjob.yaml",
        argo::WORKFLOW,
        "examples/README.md",
    ] {
        assert!(
            found
                .iter()
                .any(|i| i.place.starts_with(&format!("{file}:"))),
            "no drbook command line found in {file}"
        );
    }
    for command in ["validate", "check", "drill"] {
        assert!(
            found
                .iter()
                .any(|i| i.words.first().is_some_and(|w| w == command)),
            "no example runs drbook {command}"
        );
    }
    let problems: Vec<String> = found.iter().flat_map(invocation::problems).collect();
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// Each check of a command line fires on a line broken for it.
#[test]
fn each_check_of_a_command_line_fires() {
    let cases = [
        ("drbook drils runbooks/nightly-drill.yaml --yes", "(i)"),
        ("drbook -v", "(i) no subcommand"),
        ("drbook --version", ""),
        ("drbook --verison", "(ii) `--verison`"),
        (
            "drbook drill runbooks/nightly-drill.yaml --yes --repot-dir r",
            "(ii) `--repot-dir`",
        ),
        (
            "drbook drill -x runbooks/nightly-drill.yaml --yes",
            "(ii) `-x`",
        ),
        (
            "drbook validate runbooks/no-such.yaml",
            "(iii) `runbooks/no-such.yaml` does not exist",
        ),
        (
            "drbook validate runbooks/*.yml",
            "(iii) `runbooks/*.yml` matches no file",
        ),
        (
            "drbook validate \"$RUNBOOK\"",
            "(iii) `$RUNBOOK` is not a literal path",
        ),
        (
            "drbook validate tests/fixtures/invalid/unknown-key.yaml",
            "(iii) `drbook validate` refuses",
        ),
        // The variables the example passes are the ones validated with.
        (
            "drbook validate runbooks/nightly-drill.yaml --var db_plan=not-a-plan",
            "(iii) `drbook validate` refuses",
        ),
        ("drbook check runbooks/nightly-drill.yaml", ""),
        (
            "drbook check runbooks/nightly-drill.yaml --password hunter2",
            "(iv) `--password`",
        ),
        (
            "drbook check runbooks/nightly-drill.yaml --var vao_token=x",
            "(iv) `--var vao_token",
        ),
        (
            "drbook check runbooks/nightly-drill.yaml --username \"$VAO_PASSWORD\"",
            "(iv) `$VAO_PASSWORD`",
        ),
        (
            "drbook check runbooks/nightly-drill.yaml --server ${{ secrets.VAO_URL }}",
            "(iv)",
        ),
        ("drbook drill runbooks/nightly-drill.yaml", "(v)"),
        ("drbook run runbooks/nightly-drill.yaml --var x=1", "(v)"),
        ("drbook resume 20261126T225440Z-x-9533bf", "(v)"),
        ("drbook run runbooks/nightly-drill.yaml --dry-run", ""),
        ("drbook drill runbooks/nightly-drill.yaml -y", ""),
        (
            "drbook drill runbooks/drill.yaml --yes",
            "(v) runbooks/drill.yaml has a pause step",
        ),
        (
            "drbook check runbooks/drill.yaml",
            "(v) runbooks/drill.yaml has a pause step",
        ),
        ("drbook drill runbooks/drill.yaml --yes --approve all", ""),
        ("drbook run runbooks/drill.yaml --dry-run", ""),
    ];
    assert!(
        repo_root()
            .join("tests/fixtures/invalid/unknown-key.yaml")
            .is_file(),
        "the invalid fixture this test uses is gone"
    );
    for (line, expected) in cases {
        let found = shell::invocations(line, "t.sh", 1);
        assert_eq!(found.len(), 1, "{line}");
        let problems = invocation::problems(&found[0]);
        if expected.is_empty() {
            assert!(problems.is_empty(), "{line}: {problems:#?}");
        } else {
            assert!(
                problems.iter().any(|p| p.contains(expected)),
                "{line}: expected a problem with {expected:?}, got {problems:#?}"
            );
        }
    }
}

/// See [`invocation::PENDING_FLAGS`]: fails once the flag exists, so its entry is removed
/// and the examples are checked against the real flag.
#[test]
fn pending_flags_have_not_landed_yet() {
    let help = invocation::help();
    for (command, flag) in invocation::PENDING_FLAGS {
        assert!(
            !help.commands[*command].long.contains_key(*flag),
            "`drbook {command} --help` now lists {flag}: remove it from PENDING_FLAGS in tests/drbook/examples/invocation.rs"
        );
    }
}

#[test]
fn the_help_parser_reads_flags_and_their_values() {
    let help = invocation::help();
    let drill = &help.commands["drill"];
    assert_eq!(drill.long.get("--yes"), Some(&false));
    assert_eq!(drill.long.get("--report-dir"), Some(&true));
    assert_eq!(drill.short.get(&'y').map(String::as_str), Some("--yes"));
    for command in ["validate", "run", "check", "drill", "resume", "simulator"] {
        assert!(help.commands.contains_key(command), "{command}");
    }
}

/// bash reads them, and they stop at the first error (shellcheck: `tools`).
#[test]
fn shell_scripts_are_valid_bash() {
    let files = example_files();
    let scripts: Vec<&String> = files.keys().filter(|n| n.ends_with(".sh")).collect();
    assert!(!scripts.is_empty());
    for script in scripts {
        let path = repo_root().join(script);
        let output = Command::new("bash").arg("-n").arg(&path).output().unwrap();
        assert!(
            output.status.success(),
            "bash -n {script}:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let text = &files[script];
        assert!(
            text.starts_with("#!/usr/bin/env bash\n"),
            "{script}: shebang"
        );
        assert!(
            text.contains("\nset -euo pipefail\n"),
            "{script}: set -euo pipefail"
        );
    }
}

#[test]
fn the_readme_of_the_examples_names_every_file() {
    let files = example_files();
    let readme = &files["examples/README.md"];
    for name in files.keys() {
        let relative = name.strip_prefix("examples/").unwrap();
        if relative != "README.md" {
            assert!(
                readme.contains(relative),
                "examples/README.md does not mention {relative}"
            );
        }
    }
}

#[test]
fn shell_blocks_of_markdown_are_found() {
    let blocks = shell_blocks("text\n```sh\ndrbook validate a.yaml\n```\n```yaml\nx: 1\n```\n");
    assert_eq!(blocks, [("drbook validate a.yaml\n".to_owned(), 3)]);
}

#[test]
fn command_lines_of_crontabs_units_and_manifests_are_found() {
    assert_eq!(
        cron_commands("# c\nMAILTO=x\n0 2 * * * drbook /usr/bin/drbook validate a.yaml\n"),
        [("/usr/bin/drbook validate a.yaml".to_owned(), 3)]
    );
    assert_eq!(
        unit_commands(
            "[Service]\nExecStart=-/bin/drbook drill a.yaml \\\n    --yes\nType=oneshot\n"
        ),
        [("/bin/drbook drill a.yaml  --yes".to_owned(), 2)]
    );
    let manifest = "spec:\n  containers:\n    - name: x\n      command: [drbook]\n      args: [check, a.yaml]\n";
    let mut found = Vec::new();
    container_invocations(
        "m.yaml",
        &parse_yaml("m.yaml", manifest).unwrap(),
        &mut found,
    );
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].words, ["check", "a.yaml"]);
    assert_eq!(found[0].place, "m.yaml:3");
}
