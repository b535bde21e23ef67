//! From a runbook file and the user's variables to a checked, rendered, typed runbook:
//! read → parse → schema check → collect variables → render → schema check → build.
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
    /// The rendered document, as JSON (what was actually validated and built).
    pub rendered: serde_json::Value,
    pub runbook: Runbook,
    /// Advice on the valid runbook (plain scalars YAML 1.1 tools read differently), each
    /// with its source line.
    pub warnings: Vec<Diagnostic>,
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
    let mut problems = runbook::schema::check(&file, &root);
    if !problems.is_empty() {
        // Report template problems (an undefined variable) in the same pass, so a fix
        // round does not uncover a second list.
        if let Ok(variables) = Variables::collect(root.get("vars"), inputs)
            && let Err(mut template_problems) = template::render(&file, &root, &variables, clock)
        {
            problems.append(&mut template_problems);
            problems.sort_by_key(|d| (d.line, d.column));
        }
        return Err(with_source(problems));
    }
    let variables = Variables::collect(root.get("vars"), inputs).map_err(with_source)?;
    let rendered = template::render(&file, &root, &variables, clock).map_err(with_source)?;
    let rendered_json = rendered.to_json();
    let runbook = build_checked_json(&file, &rendered, &rendered_json).map_err(|problems| {
        with_source(mask_secrets(&variables, explain_templates(&root, problems)))
    })?;
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
        rendered: rendered_json,
        source,
        variables,
        clock,
        runbook,
    })
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
    build_checked_json(file, rendered, &rendered.to_json())
}

/// [`build_checked`], with the rendered tree as JSON already made (`rendered.to_json()`).
fn build_checked_json(
    file: &str,
    rendered: &Node,
    json: &serde_json::Value,
) -> Result<Runbook, Vec<Diagnostic>> {
    let problems = runbook::schema::check_json(file, rendered, json);
    if !problems.is_empty() {
        return Err(problems);
    }
    let runbook = runbook::build::build(file, rendered)?;
    let problems = runbook::build::check_semantics(file, rendered, &runbook);
    if problems.is_empty() {
        Ok(runbook)
    } else {
        Err(problems)
    }
}
