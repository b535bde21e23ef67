//! Holds every drbook command line of the examples against the real binary: (i) the
//! subcommand exists, (ii) each flag is in that subcommand's `--help`, (iii) each runbook it
//! names exists in the repository and passes `drbook validate` with the variables it passes,
//! (iv) no secret is an argument value, (v) an unattended live run says `--yes`, and
//! `--approve` when its runbook has a pause.

use super::shell::Invocation;
use super::{drbook_bin, repo_root};
use drbook::runbook::Value as NodeValue;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Flags the examples use that a branch not merged yet adds, as (subcommand, flag). Each is
/// taken to exist and to take a value while `--help` does not list it. Once `--help` lists
/// one, the test `pending_flags_have_not_landed_yet` fails on purpose: delete its entry, and
/// the examples are checked against the real flag from then on. (`--report-format` was one,
/// until the `reports` branch landed.)
pub const PENDING_FLAGS: &[(&str, &str)] = &[];

/// Subcommands whose arguments are runbook files.
const TAKES_RUNBOOKS: &[&str] = &["validate", "run", "check", "drill"];

/// Subcommands that change plans, and the flags that make them send nothing that does.
const LIVE: &[&str] = &["run", "drill", "resume"];

/// Whether a name (a flag, a variable) says it holds a secret: drbook's own rule for masking
/// variables, with `-` read as `_` so it applies to flags too.
pub fn secret_like(name: &str) -> bool {
    drbook::template::is_secret_name(&name.replace('-', "_"))
}

/// The flags of one subcommand, read from its `--help`.
#[derive(Debug, Default)]
pub struct Flags {
    /// Long flag → whether it takes a value.
    pub long: BTreeMap<String, bool>,
    /// Short flag → its long form.
    pub short: BTreeMap<char, String>,
}

/// What the built binary says about itself.
#[derive(Debug)]
pub struct Help {
    pub global: Flags,
    pub commands: BTreeMap<String, Flags>,
}

fn help_text(args: &[&str]) -> String {
    let output = Command::new(drbook_bin())
        .args(args)
        .arg("--help")
        .env_clear()
        .output()
        .expect("run drbook --help");
    assert!(output.status.success(), "drbook {args:?} --help failed");
    String::from_utf8(output.stdout).expect("help is UTF-8")
}

/// Option lines (`  -y, --yes  ...`, `      --var <NAME=VALUE>  ...`); description lines
/// that wrap are indented much deeper and never count.
fn parse_flags(help: &str) -> Flags {
    let mut flags = Flags::default();
    for line in help.lines() {
        let text = line.trim_start();
        if !text.starts_with('-') || line.len() - text.len() > 10 {
            continue;
        }
        let spec = text.split("  ").next().unwrap_or(text);
        let (mut short, mut long, mut takes_value) = (None, None, false);
        for token in spec.split_whitespace() {
            let token = token.trim_end_matches(',').trim_end_matches("...");
            if token.starts_with("--") {
                long = Some(token.to_owned());
            } else if let Some(c) = token.strip_prefix('-').and_then(|s| s.chars().next()) {
                short = Some(c);
            } else if token.starts_with('<') {
                takes_value = true;
            }
        }
        if let Some(long) = long {
            if let Some(short) = short {
                flags.short.insert(short, long.clone());
            }
            flags.long.insert(long, takes_value);
        }
    }
    flags
}

/// The subcommands listed under `Commands:`.
fn parse_commands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.len() - l.trim_start().len() <= 4)
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect()
}

pub fn help() -> &'static Help {
    static HELP: OnceLock<Help> = OnceLock::new();
    HELP.get_or_init(|| {
        let top = help_text(&[]);
        let commands = parse_commands(&top)
            .into_iter()
            .filter(|c| c != "help")
            .map(|c| {
                let flags = parse_flags(&help_text(&[&c]));
                (c, flags)
            })
            .collect();
        Help {
            global: parse_flags(&top),
            commands,
        }
    })
}

/// An invocation split into its parts, as clap would see it.
#[derive(Debug, Default)]
struct Parsed {
    command: String,
    /// (long flag, value) in order.
    flags: Vec<(String, Option<String>)>,
    positionals: Vec<String>,
}

impl Parsed {
    fn has(&self, flag: &str) -> bool {
        self.flags.iter().any(|(f, _)| f == flag)
    }

    fn values<'a>(&'a self, flag: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.flags
            .iter()
            .filter(move |(f, _)| f == flag)
            .filter_map(|(_, v)| v.as_deref())
    }
}

/// Splits the words; unknown subcommands and flags are problems (checks i and ii).
fn parse(words: &[String], help: &Help, problems: &mut Vec<String>) -> Option<Parsed> {
    let mut rest = words.iter();
    let command = loop {
        match rest.next() {
            Some(w) if w.starts_with('-') => {
                let known = help.global.long.contains_key(w.as_str())
                    || w[1..].chars().all(|c| help.global.short.contains_key(&c));
                if !known {
                    problems.push(format!("(ii) `{w}` is not an option of drbook"));
                }
            }
            Some(w) => break w.clone(),
            // `drbook --version`, `drbook --help`: they need none (and their flags were
            // checked above).
            None if words
                .iter()
                .any(|w| matches!(w.as_str(), "--version" | "-V" | "--help" | "-h")) =>
            {
                return None;
            }
            None => {
                problems.push("(i) no subcommand".to_owned());
                return None;
            }
        }
    };
    let Some(flags) = help.commands.get(&command) else {
        problems.push(format!(
            "(i) `drbook {command}`: there is no such subcommand (drbook --help lists {})",
            help.commands.keys().cloned().collect::<Vec<_>>().join(", ")
        ));
        return None;
    };
    let mut parsed = Parsed {
        command: command.clone(),
        ..Parsed::default()
    };
    let mut only_positionals = false;
    while let Some(word) = rest.next() {
        if only_positionals || !word.starts_with('-') || word == "-" {
            parsed.positionals.push(word.clone());
        } else if word == "--" {
            only_positionals = true;
        } else if word.starts_with("--") {
            let (name, inline) = match word.split_once('=') {
                Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
                None => (word.clone(), None),
            };
            let takes_value = match flags.long.get(&name) {
                Some(takes_value) => *takes_value,
                None if PENDING_FLAGS.contains(&(command.as_str(), name.as_str())) => true,
                None => {
                    problems.push(format!("(ii) `{name}` is not in `drbook {command} --help`"));
                    false
                }
            };
            let value = if takes_value && inline.is_none() {
                rest.next().cloned()
            } else {
                inline
            };
            parsed.flags.push((name, value));
        } else {
            for c in word[1..].chars() {
                match flags.short.get(&c) {
                    Some(long) => parsed.flags.push((long.clone(), None)),
                    None => {
                        problems.push(format!("(ii) `-{c}` is not in `drbook {command} --help`"))
                    }
                }
            }
        }
    }
    Some(parsed)
}

/// A runbook argument as files of the repository: a literal path, or a `*` pattern in the
/// file name.
fn expand(pattern: &str) -> Result<Vec<PathBuf>, String> {
    if pattern.contains(['$', '`']) {
        return Err(format!(
            "`{pattern}` is not a literal path, so no test can check it: name the runbook as it is in the repository"
        ));
    }
    if pattern.starts_with('/') {
        return Err(format!(
            "`{pattern}` is absolute: name runbooks relative to the checkout of the runbooks repository"
        ));
    }
    let root = repo_root();
    let Some((prefix, suffix)) = pattern.rsplit('/').next().and_then(|n| n.split_once('*')) else {
        let path = root.join(pattern);
        return if path.is_file() {
            Ok(vec![path])
        } else {
            Err(format!("`{pattern}` does not exist in the repository"))
        };
    };
    let dir = root.join(pattern.rsplit_once('/').map_or("", |(d, _)| d));
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("`{pattern}`: cannot list {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix) && n.ends_with(suffix))
        })
        .collect();
    found.sort();
    if found.is_empty() {
        return Err(format!("`{pattern}` matches no file in the repository"));
    }
    Ok(found)
}

/// Check iii: the runbooks exist and pass `drbook validate` with the invocation's variables.
/// Returns the runbook files.
fn check_runbooks(parsed: &Parsed, problems: &mut Vec<String>) -> Vec<PathBuf> {
    if !TAKES_RUNBOOKS.contains(&parsed.command.as_str()) {
        return Vec::new();
    }
    if parsed.positionals.is_empty() {
        problems.push("(iii) names no runbook".to_owned());
        return Vec::new();
    }
    let mut files = Vec::new();
    for pattern in &parsed.positionals {
        match expand(pattern) {
            Ok(found) => files.extend(found),
            Err(problem) => problems.push(format!("(iii) {problem}")),
        }
    }
    if files.is_empty() {
        return files;
    }
    let mut args: Vec<String> = Vec::new();
    for flag in ["--var", "--now"] {
        for value in parsed.values(flag) {
            args.extend([flag.to_owned(), value.to_owned()]);
        }
    }
    for file in parsed.values("--vars-file") {
        match expand(file) {
            Ok(found) => {
                args.push("--vars-file".to_owned());
                args.push(found[0].display().to_string());
            }
            Err(problem) => problems.push(format!("(iii) --vars-file {problem}")),
        }
    }
    let output = Command::new(drbook_bin())
        .arg("validate")
        .args(&files)
        .args(&args)
        .current_dir(repo_root())
        .env_clear()
        .output()
        .expect("run drbook validate");
    if !output.status.success() {
        problems.push(format!(
            "(iii) `drbook validate` refuses {}:\n{}",
            parsed.positionals.join(" "),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    files
}

/// Check iv: a secret is never an argument: no secret-named flag (but a file or a path of
/// one), no secret-named `--var`, no expansion of a secret.
fn check_secrets(parsed: &Parsed, words: &[String], problems: &mut Vec<String>) {
    for (flag, _) in &parsed.flags {
        if secret_like(flag) && !flag.ends_with("-file") && !flag.ends_with("-path") {
            problems.push(format!(
                "(iv) `{flag}` passes a secret as an argument, visible in `ps`: use the environment (VAO_PASSWORD, VAO_TOKEN) or --password-file"
            ));
        }
    }
    for value in parsed.values("--var") {
        let name = value.split('=').next().unwrap_or(value);
        if secret_like(name) {
            problems.push(format!(
                "(iv) `--var {name}=...` passes a secret as an argument: set DRBOOK_VAR_{name} in the environment instead"
            ));
        }
    }
    for word in words {
        let Some(at) = word.find('$') else { continue };
        let expanded = &word[at..];
        let mut names = expanded.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'));
        if expanded.contains("secrets.") || names.any(secret_like) {
            problems.push(format!(
                "(iv) `{word}` expands a secret into an argument: hand it to drbook in the environment"
            ));
        }
    }
}

/// Whether a runbook has a `pause` step, which nobody answers in an unattended run.
fn has_pause(file: &Path) -> bool {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    let Ok(root) = drbook::runbook::yaml::parse(&file.display().to_string(), &text) else {
        return false;
    };
    match root.get("steps").map(|s| &s.value) {
        Some(NodeValue::Seq(steps)) => steps.iter().any(|step| step.get("pause").is_some()),
        _ => false,
    }
}

/// Check v: nobody answers the confirmation of an unattended live run, nor its pauses.
fn check_unattended(parsed: &Parsed, runbooks: &[PathBuf], problems: &mut Vec<String>) {
    let sends = !parsed.has("--dry-run");
    let live = LIVE.contains(&parsed.command.as_str()) && sends && !parsed.has("--simulate");
    if live && !parsed.has("--yes") {
        problems.push(format!(
            "(v) `drbook {}` without --yes waits for a confirmation nobody can type (it refuses without a terminal)",
            parsed.command
        ));
    }
    if sends && !parsed.has("--approve") {
        for runbook in runbooks.iter().filter(|r| has_pause(r)) {
            problems.push(format!(
                "(v) {} has a pause step: without a terminal it fails unless --approve names it (or all)",
                runbook.strip_prefix(repo_root()).unwrap_or(runbook).display()
            ));
        }
    }
}

/// Every problem of one invocation, each starting with where it is.
pub fn problems(invocation: &Invocation) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(parsed) = parse(&invocation.words, help(), &mut problems) {
        let runbooks = check_runbooks(&parsed, &mut problems);
        check_secrets(&parsed, &invocation.words, &mut problems);
        if parsed.command != "validate" {
            check_unattended(&parsed, &runbooks, &mut problems);
        }
    }
    problems
        .into_iter()
        .map(|p| {
            format!(
                "{}: drbook {}: {p}",
                invocation.place,
                invocation.words.join(" ")
            )
        })
        .collect()
}
