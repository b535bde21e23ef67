//! From a runbook file and the user's variables to a checked, rendered, typed runbook:
//! read → parse → collect variables → render → build. A runbook that one of these refuses
//! is checked in full, in the order that words its problems best: parse → schema check →
//! collect variables → render → schema check → build.
//!
//! This is what `drbook validate` runs, and the first half of `drbook run`.

use crate::runbook::diagnostic::Problem;
use crate::runbook::{self, Diagnostic, Node, Runbook, Source, SourceError};
use crate::template::{self, Clock, VarInputs, Variables};

/// A runbook ready to be planned and executed.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub source: Source,
    pub variables: Variables,
    /// The instant the date helpers (`now`, `today`, `ago`) were relative to.
    pub clock: Clock,
    /// The rendered document (what was actually validated and built); its JSON form
    /// (`rendered.to_json()`, serialised without the copy) is what a run's `rendered_sha256`
    /// hashes.
    pub rendered: Node,
    pub runbook: Runbook,
    /// Advice on the valid runbook (plain scalars YAML 1.1 tools read differently), each
    /// with its source line.
    pub warnings: Vec<Diagnostic>,
    /// The hash of the rendered document's JSON, made the first time it is asked for.
    rendered_sha256: std::sync::OnceLock<String>,
}

impl Prepared {
    /// The SHA-256 of the rendered document as compact JSON (`rendered_sha256` in reports
    /// and journals, which `resume` compares).
    pub fn rendered_sha256(&self) -> &str {
        self.rendered_sha256.get_or_init(|| {
            use sha2::{Digest, Sha256};
            let mut hasher = HashWriter(Sha256::new());
            serde_json::to_writer(&mut hasher, &runbook::json_view::JsonView(&self.rendered))
                .expect("a tree serialises as JSON");
            crate::runbook::source::hex(&hasher.0.finalize())
        })
    }
}

/// Feeds what is written into the hash, so the JSON is hashed without being kept.
struct HashWriter(sha2::Sha256);

impl std::io::Write for HashWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        sha2::Digest::update(&mut self.0, bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    #[error(transparent)]
    Read(#[from] SourceError),
    #[error("{}", runbook::diagnostic::render_all(.0))]
    Invalid(Vec<Diagnostic>),
}

impl PrepareError {
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            PrepareError::Invalid(d) => d,
            PrepareError::Read(_) => &[],
        }
    }
}

/// Reads and prepares a runbook file.
pub fn prepare_file(path: &std::path::Path, inputs: &VarInputs) -> Result<Prepared, PrepareError> {
    let source = Source::read(path)?;
    prepare(source, inputs)
}

/// Prepares a runbook from its text.
pub fn prepare(source: Source, inputs: &VarInputs) -> Result<Prepared, PrepareError> {
    let file = source.name.clone();
    let with_source = |diagnostics: Vec<Diagnostic>| {
        PrepareError::Invalid(
            diagnostics
                .into_iter()
                .map(|d| {
                    if d.file == file && d.source_line.is_none() {
                        d.with_source(&source.text)
                    } else {
                        d
                    }
                })
                .collect(),
        )
    };
    let clock = inputs.clock.unwrap_or_else(Clock::now);
    let root = runbook::yaml::parse(&file, &source.text).map_err(|d| with_source(vec![*d]))?;
    let (variables, rendered, runbook) = match accepted(&file, &root, inputs, clock) {
        Some(accepted) => accepted,
        None => checked(&file, &root, &source, inputs, clock).map_err(with_source)?,
    };
    let leaks = secrets_on_command_lines(&file, &root, &runbook, &variables);
    if !leaks.is_empty() {
        return Err(with_source(leaks));
    }
    let warnings = mask_secrets(
        &variables,
        runbook::portable::yaml11_warnings(&file, &source.text, &root),
    )
    .into_iter()
    .map(|d| d.with_source(&source.text))
    .collect();
    Ok(Prepared {
        warnings,
        rendered,
        rendered_sha256: std::sync::OnceLock::new(),
        source,
        variables,
        clock,
        runbook,
    })
}

/// The runbook, when the typed read of its rendered tree and the cross-field rules accept
/// it. The typed read refuses whatever the schema refuses (the schema is generated from its
/// types, and `tests::the_typed_read_refuses_whatever_the_schema_refuses` holds it to
/// that), so an accepted runbook needs no schema check: building the validator and running
/// it is most of what checking a small runbook costs. A runbook it refuses is checked in
/// full by [`checked`], so every problem is found and worded as before.
fn accepted(
    file: &str,
    root: &Node,
    inputs: &VarInputs,
    clock: Clock,
) -> Option<(Variables, Node, Runbook)> {
    let variables = Variables::collect(root.get("vars"), inputs).ok()?;
    let rendered = template::render(file, root, &variables, clock).ok()?;
    let runbook = built(file, &rendered, runbook::build::build(file, &rendered)).ok()?;
    Some((variables, rendered, runbook))
}

/// Every check, in the order that words a problem best: the schema on the source tree
/// (beside the variables and the rendering), then the schema on the rendered tree, the
/// typed read and the cross-field rules. Returns the first failing stage's problems.
fn checked(
    file: &str,
    root: &Node,
    source: &Source,
    inputs: &VarInputs,
    clock: Clock,
) -> Result<(Variables, Node, Runbook), Vec<Diagnostic>> {
    let parallel = source.text.len() >= PARALLEL_FROM_BYTES;
    // The schema check, and the variables and the rendering (needed whether the check passes
    // or not: template problems are reported with the schema's), side by side.
    let (mut problems, (variables, rendered)) = both(
        parallel,
        || runbook::schema::check(file, root),
        || {
            let variables = Variables::collect(root.get("vars"), inputs);
            let rendered = variables
                .as_ref()
                .ok()
                .map(|variables| template::render(file, root, variables, clock));
            (variables, rendered)
        },
    );
    if !problems.is_empty() {
        // Report template problems (an undefined variable) in the same pass, so a fix
        // round does not uncover a second list.
        if let Some(Err(mut template_problems)) = rendered {
            problems.append(&mut template_problems);
            problems.sort_by_key(|d| (d.line, d.column));
        }
        return Err(problems);
    }
    let variables = variables?;
    let rendered = rendered.expect("rendered when the variables were collected")?;
    let runbook = build_checked_parallel(file, &rendered, parallel)
        .map_err(|problems| mask_secrets(&variables, explain_templates(root, problems)))?;
    Ok((variables, rendered, runbook))
}

/// A command line shows in `ps`, in logs and in the report: a secret variable may reach a
/// command only through its environment (`env:`). Refused wherever `run:` or `shell:` names
/// a secret-named variable in a template, or holds a secret variable's value.
fn secrets_on_command_lines(
    file: &str,
    source_root: &Node,
    runbook: &Runbook,
    variables: &Variables,
) -> Vec<Diagnostic> {
    let secret_values: Vec<(&str, &str)> = variables
        .iter()
        .filter(|(name, _)| template::is_secret_name(name))
        .filter_map(|(name, var)| Some((name.as_str(), var.value.as_str()?)))
        .filter(|(_, value)| value.len() >= 4)
        .collect();
    let mut diagnostics = Vec::new();
    for step in runbook.steps.iter().chain(&runbook.cleanup) {
        let runbook::Action::Command(command) = &step.action else {
            continue;
        };
        let words: Vec<(Vec<String>, &str)> = match &command.line {
            runbook::CommandLine::Program(argv) => argv
                .iter()
                .enumerate()
                .map(|(i, word)| {
                    (
                        step.field(&["command", "run", &i.to_string()]),
                        word.as_str(),
                    )
                })
                .collect(),
            runbook::CommandLine::Shell(script) => {
                vec![(step.field(&["command", "shell"]), script.as_str())]
            }
        };
        for (segments, rendered) in words {
            let written = source_root.at_path(&segments);
            let named = written
                .and_then(|n| match &n.value {
                    runbook::Value::String(text) => Some(text.as_str()),
                    _ => None,
                })
                .and_then(secret_in_template);
            let held = secret_values
                .iter()
                .find(|(_, value)| rendered.contains(value))
                .map(|(name, _)| (*name).to_owned());
            if let Some(name) = named.or(held) {
                let pos = written.map_or(step.pos, |n| n.pos);
                diagnostics.push(
                    Diagnostic::new(
                        file,
                        pos,
                        runbook::model::display_segments(&segments),
                        format!(
                            "the secret variable `{name}` cannot be on a command line: command lines show in `ps`, in logs and in reports"
                        ),
                    )
                    .with_hint(format!(
                        "pass it in the command's environment instead (`env: {{ {}: \"{{{{{name}}}}}\" }}`) and let the program read it from there",
                        name.to_ascii_uppercase()
                    )),
                );
            }
        }
    }
    diagnostics
}

/// The first secret-named variable a template's expressions name, if any.
fn secret_in_template(text: &str) -> Option<String> {
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let inside = &rest[start + 2..];
        let end = inside.find("}}").unwrap_or(inside.len());
        let names = inside[..end]
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|word| runbook::values::is_variable_name(word));
        if let Some(name) = names
            .into_iter()
            .find(|name| template::is_secret_name(name))
        {
            return Some(name.to_owned());
        }
        rest = &inside[end..];
    }
    None
}

/// A problem in a rendered value quotes it ("got …"): the value of a secret-named variable
/// is masked there, as everywhere else.
fn mask_secrets(variables: &Variables, problems: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let redactor = crate::secret::Redactor::new(
        variables
            .iter()
            .filter(|(name, _)| template::is_secret_name(name))
            .filter_map(|(_, var)| var.value.as_str().map(str::to_owned)),
    );
    problems
        .into_iter()
        .map(|mut d| {
            d.message = redactor.redact(&d.message);
            d.hint = d.hint.map(|h| redactor.redact(&h));
            d
        })
        .collect()
}

/// A problem found after rendering in a value that came from a template says so: the
/// source line shows the template, not the value.
fn explain_templates(source_root: &Node, problems: Vec<Diagnostic>) -> Vec<Diagnostic> {
    problems
        .into_iter()
        .map(|mut d| {
            let template = find_by_pos(source_root, d.line, d.column)
                .filter(|text| runbook::values::is_template(text));
            if let Some(template) = template {
                let origin = format!("the value came from the template `{template}`");
                let mut hint = match d.hint.take() {
                    Some(hint) => format!("{origin}; {hint}"),
                    None => origin,
                };
                if d.problem == Some(Problem::OffsetWithoutTimeZone)
                    && let Some(dates) = template::dates::offset_hint(template)
                {
                    hint = format!("{hint}; {dates}");
                }
                d.hint = Some(hint);
            }
            d
        })
        .collect()
}

/// The string scalar that starts at a position, if any.
fn find_by_pos(node: &Node, line: usize, column: usize) -> Option<&str> {
    match &node.value {
        runbook::Value::String(s) if node.pos.line == line && node.pos.column == column => Some(s),
        runbook::Value::Seq(items) => items.iter().find_map(|n| find_by_pos(n, line, column)),
        runbook::Value::Map(entries) => entries
            .iter()
            .find_map(|(_, n)| find_by_pos(n, line, column)),
        _ => None,
    }
}

/// The checks that run on a rendered tree: the schema again (a variable may have filled a
/// field with something invalid), the typed document read from it and converted, then the
/// cross-field rules.
pub fn build_checked(file: &str, rendered: &Node) -> Result<Runbook, Vec<Diagnostic>> {
    let problems = runbook::schema::check(file, rendered);
    if !problems.is_empty() {
        return Err(problems);
    }
    built(file, rendered, runbook::build::build(file, rendered))
}

/// [`build_checked`], with the schema check and the typed read side by side when
/// `parallel`. The typed read of a tree the schema refuses is discarded, so the problems
/// are the same either way.
fn build_checked_parallel(
    file: &str,
    rendered: &Node,
    parallel: bool,
) -> Result<Runbook, Vec<Diagnostic>> {
    if !parallel {
        // One after the other: nothing is read from a tree the schema refuses.
        return build_checked(file, rendered);
    }
    let (problems, runbook) = both(
        true,
        || runbook::schema::check(file, rendered),
        || runbook::build::build(file, rendered),
    );
    if !problems.is_empty() {
        return Err(problems);
    }
    built(file, rendered, runbook)
}

/// The cross-field rules, on a runbook the reader built.
fn built(
    file: &str,
    rendered: &Node,
    runbook: Result<Runbook, Vec<Diagnostic>>,
) -> Result<Runbook, Vec<Diagnostic>> {
    let runbook = runbook?;
    let problems = runbook::build::check_semantics(file, rendered, &runbook);
    if problems.is_empty() {
        Ok(runbook)
    } else {
        Err(problems)
    }
}

/// From this size on (about 4,500 steps) a runbook's checks run on two threads, where the
/// time saved is larger than a thread's start and hand-off. The schema check borrows the
/// tree and takes about 130 µs at 1,000 steps: measured side by side (2026-12-04), two
/// threads made 1,000 steps 0.4 ms slower (9.3 against 8.9 ms) and 10,000 steps 2 ms faster.
const PARALLEL_FROM_BYTES: usize = 512 * 1024;

/// `a()` and `b()`, on two threads when `parallel` (`a` on the new one), else one after the
/// other. A panic in either is the caller's.
fn both<A: Send, B>(parallel: bool, a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B) -> (A, B) {
    if !parallel {
        let a = a();
        return (a, b());
    }
    std::thread::scope(|scope| {
        let a = scope.spawn(a);
        let b = b();
        let a = a
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (a, b)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values a mutation writes in place of a runbook's own: wrong types, out of range,
    /// malformed durations, ids, URLs and enums, templates, collections.
    const VALUES: &[&str] = &[
        "",
        "0",
        "-1",
        "1",
        "3",
        "1001",
        "99999999999999999999",
        "1.5",
        "true",
        "false",
        "null",
        "~",
        "30s",
        "0s",
        "-5m",
        "1h30m",
        "2 minutes",
        "abc",
        "a b",
        "ABC",
        "x-y_z",
        "Db_1",
        "6f1c0000-0000-4000-8000-0a1b2c3d0000",
        "not-a-uuid",
        "'{{site}}'",
        "\"{{ protect }}\"",
        "'{{undefined}}'",
        "[]",
        "[a]",
        "[1, 2]",
        "[db, db]",
        "{}",
        "{a: 1}",
        "http://x",
        "ftp://x",
        "https://",
        "latest",
        "2026-01-01T00:00:00Z",
        "2026-01-01",
        "abort",
        "continue",
        "rollback",
        "pause",
        "skip",
        "Failover",
        "Ready",
        "ready",
        "GET",
        "FETCH",
        "65536",
        "443",
        "'*'",
        "[\"false\"]",
    ];

    /// Keys a mutation inserts or renames a key to: the format's own, in places they may or
    /// may not belong, and one it does not know.
    const KEYS: &[&str] = &[
        "id",
        "needs",
        "name",
        "timeout",
        "retries",
        "plan_id",
        "on_failure",
        "on_halt",
        "wait_for_completion",
        "poll_interval",
        "expected_duration",
        "max_concurrency",
        "restore_point",
        "state",
        "url",
        "host",
        "port",
        "method",
        "expect_status",
        "expect_body",
        "run",
        "shell",
        "env",
        "cwd",
        "only",
        "description",
        "version",
        "server",
        "api",
        "objectives",
        "rto",
        "rpo",
        "until",
        "times",
        "option",
        "parallel",
        "cleanup",
        "defaults",
        "vars",
        "expect_exit",
        "protect_storage_volumes",
        "execute_chained_plans",
        "unknown_key",
    ];

    /// A small deterministic generator (xorshift): the same mutations on every run.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }

        fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
            from[self.below(from.len())]
        }
    }

    /// `key: value` lines: (line index, length of what stands before the key, key).
    fn entries(lines: &[String]) -> Vec<(usize, usize, String)> {
        lines
            .iter()
            .enumerate()
            .filter_map(|(at, line)| {
                let body = line.trim_start();
                let body = body.strip_prefix("- ").unwrap_or(body);
                let (key, _) = body.split_once(": ")?;
                let ok = !key.is_empty() && key.chars().all(|c| c.is_ascii_lowercase() || c == '_');
                ok.then(|| (at, line.len() - body.len(), key.to_owned()))
            })
            .collect()
    }

    fn mutate(text: &str, rng: &mut Rng) -> String {
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        for _ in 0..1 + usize::from(rng.below(4) == 0) {
            let entries = entries(&lines);
            if entries.is_empty() {
                break;
            }
            let (at, before, key) = entries[rng.below(entries.len())].clone();
            let prefix = lines[at][..before].to_owned();
            let indent = " ".repeat(before);
            match rng.below(3) {
                0 => lines[at] = format!("{prefix}{key}: {}", rng.pick(VALUES)),
                1 => lines.insert(
                    at + 1,
                    format!("{indent}{}: {}", rng.pick(KEYS), rng.pick(VALUES)),
                ),
                _ => {
                    let value = lines[at][prefix.len() + key.len() + 2..].to_owned();
                    lines[at] = format!("{prefix}{}: {value}", rng.pick(KEYS));
                }
            }
        }
        lines.join("\n") + "\n"
    }

    /// What lets `prepare` skip the schema for a runbook the typed read accepts: thousands of
    /// mutated example runbooks, and not one that the typed read and the cross-field rules
    /// accept and the schema refuses (on the source tree or the rendered one). Both kinds
    /// must occur, or the test proves nothing.
    #[test]
    fn the_typed_read_refuses_whatever_the_schema_refuses() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect();
        files.sort();
        let texts: Vec<String> = files
            .iter()
            .map(|f| std::fs::read_to_string(f).unwrap())
            .collect();
        let inputs = VarInputs {
            clock: Some(Clock::at("2026-12-01T00:00:00Z".parse().unwrap())),
            ..VarInputs::default()
        };
        let clock = inputs.clock.unwrap();
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let (mut accepted_count, mut refused_by_schema) = (0, 0);
        for case in 0..4000 {
            let text = mutate(&texts[case % texts.len()], &mut rng);
            let Ok(root) = runbook::yaml::parse("m.yaml", &text) else {
                continue;
            };
            let schema_refuses = !runbook::schema::check("m.yaml", &root).is_empty();
            refused_by_schema += usize::from(schema_refuses);
            if let Some((_, rendered, _)) = accepted("m.yaml", &root, &inputs, clock) {
                accepted_count += 1;
                let after = runbook::schema::check("m.yaml", &rendered);
                assert!(
                    !schema_refuses && after.is_empty(),
                    "the typed read accepts what the schema refuses:\n{text}\n{}",
                    runbook::diagnostic::render_all(&runbook::schema::check("m.yaml", &root))
                );
            }
        }
        eprintln!("accepted {accepted_count}, refused by the schema {refused_by_schema}");
        assert!(
            accepted_count > 250 && refused_by_schema > 250,
            "accepted {accepted_count}, refused by the schema {refused_by_schema}"
        );
    }
}
