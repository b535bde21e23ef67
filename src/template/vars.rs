//! Template variables and where they come from.
//!
//! Precedence, lowest first: the runbook's `vars`, `DRBOOK_VAR_<NAME>` environment
//! variables, `--vars-file` files (in the order given), `--var NAME=VALUE` flags.

use crate::runbook::{Diagnostic, Node, Pos, Value};
use serde::Serialize;
use std::collections::BTreeMap;

/// The prefix of environment variables that set template variables.
pub const ENV_PREFIX: &str = "DRBOOK_VAR_";

/// Where a variable's value came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum VarSource {
    Runbook,
    Env(String),
    File(String),
    Cli,
    /// A value an earlier process of the same run used (from its journal), with the source
    /// it had then.
    Resumed(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Variable {
    pub value: serde_json::Value,
    pub source: VarSource,
}

/// The variables a runbook is rendered with.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Variables {
    values: BTreeMap<String, Variable>,
}

/// What the user supplied besides the runbook.
#[derive(Debug, Clone, Default)]
pub struct VarInputs {
    /// `NAME=VALUE` from `--var`, in order.
    pub cli: Vec<String>,
    /// `(file name, text)` of each `--vars-file`, in order.
    pub files: Vec<(String, String)>,
    /// `(NAME, VALUE)` from `DRBOOK_VAR_NAME=VALUE` environment variables.
    pub env: Vec<(String, String)>,
    /// Values that win over every other source: `(name, value, original source)` of a
    /// resumed run.
    pub fixed: Vec<(String, serde_json::Value, String)>,
    /// The template clock (`--now`, or a resumed run's); `None` takes the current time,
    /// once, when the runbook is prepared.
    pub clock: Option<super::Clock>,
}

impl VarInputs {
    /// The `DRBOOK_VAR_*` variables of this process's environment.
    pub fn env_from_process() -> Vec<(String, String)> {
        std::env::vars_os()
            .filter_map(|(k, v)| {
                let name = k.to_str()?.strip_prefix(ENV_PREFIX)?.to_owned();
                Some((name, v.into_string().ok()?))
            })
            .collect()
    }
}

pub use crate::runbook::values::is_variable_name;

/// Whether a variable's name says it holds a secret; such values are masked in reports.
pub fn is_secret_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [
        "password",
        "passwd",
        "secret",
        "token",
        "apikey",
        "api_key",
        "credential",
        "private_key",
    ]
    .iter()
    .any(|word| lower.contains(word))
}

/// A value given as text (command line, environment): `true` and `false` are booleans
/// (so `"{{flag}}"` can fill a boolean field), everything else is a string.
fn text_value(text: &str) -> serde_json::Value {
    match text {
        "true" => serde_json::Value::Bool(true),
        "false" => serde_json::Value::Bool(false),
        _ => serde_json::Value::String(text.to_owned()),
    }
}

impl Variables {
    pub fn get(&self, name: &str) -> Option<&Variable> {
        self.values.get(name)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Variable)> {
        self.values.iter()
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    pub fn insert(&mut self, name: &str, value: serde_json::Value, source: VarSource) {
        self.values
            .insert(name.to_owned(), Variable { value, source });
    }

    /// The values as a JSON object, the handlebars context.
    pub fn to_context(&self) -> serde_json::Value {
        self.values
            .iter()
            .map(|(k, v)| (k.clone(), v.value.clone()))
            .collect::<serde_json::Map<_, _>>()
            .into()
    }

    /// Collects variables from every source. `runbook_vars` is the runbook's `vars` mapping
    /// (already checked by the schema), `file` the runbook's name for messages.
    pub fn collect(
        runbook_vars: Option<&Node>,
        inputs: &VarInputs,
    ) -> Result<Variables, Vec<Diagnostic>> {
        let mut vars = Variables::default();
        let mut problems = Vec::new();
        if let Some(Node {
            value: Value::Map(entries),
            ..
        }) = runbook_vars
        {
            for (key, value) in entries {
                vars.insert(&key.name, value.to_json(), VarSource::Runbook);
            }
        }
        for (name, value) in &inputs.env {
            if is_variable_name(name) {
                vars.insert(
                    name,
                    text_value(value),
                    VarSource::Env(format!("{ENV_PREFIX}{name}")),
                );
            } else {
                problems.push(Diagnostic::new(
                    &format!("environment variable {ENV_PREFIX}{name}"),
                    Pos::default(),
                    "",
                    format!("`{name}` is not a valid variable name (letters, digits and underscores, not starting with a digit)"),
                ));
            }
        }
        for (file, text) in &inputs.files {
            match vars_file(file, text) {
                Ok(values) => {
                    for (name, value) in values {
                        vars.insert(&name, value, VarSource::File(file.clone()));
                    }
                }
                Err(mut diagnostics) => problems.append(&mut diagnostics),
            }
        }
        for assignment in &inputs.cli {
            match assignment.split_once('=') {
                Some((name, value)) if is_variable_name(name) => {
                    vars.insert(name, text_value(value), VarSource::Cli)
                }
                _ => problems.push(
                    Diagnostic::new(
                        "--var",
                        Pos::default(),
                        "",
                        format!("`{assignment}` is not NAME=VALUE with a valid variable name"),
                    )
                    .with_hint("write --var restore_point=latest"),
                ),
            }
        }
        for (name, value, source) in &inputs.fixed {
            vars.insert(name, value.clone(), VarSource::Resumed(source.clone()));
        }
        if problems.is_empty() {
            Ok(vars)
        } else {
            Err(problems)
        }
    }
}

/// Parses a variables file: a YAML (or JSON) mapping of names to scalar values.
fn vars_file(file: &str, text: &str) -> Result<Vec<(String, serde_json::Value)>, Vec<Diagnostic>> {
    let root = crate::runbook::yaml::parse(file, text).map_err(|d| vec![*d])?;
    let Value::Map(entries) = &root.value else {
        return Err(vec![
            Diagnostic::new(
                file,
                root.pos,
                "",
                format!(
                    "a variables file is a mapping of names to values, got {}",
                    root.value.type_name()
                ),
            )
            .with_source(text),
        ]);
    };
    let mut values = Vec::new();
    let mut problems = Vec::new();
    for (key, value) in entries {
        if !is_variable_name(&key.name) {
            problems.push(
                Diagnostic::new(
                    file,
                    key.pos,
                    key.name.clone(),
                    "variable names are letters, digits and underscores, not starting with a digit",
                )
                .with_source(text),
            );
        } else if matches!(value.value, Value::Seq(_) | Value::Map(_)) {
            problems.push(
                Diagnostic::new(
                    file,
                    value.pos,
                    key.name.clone(),
                    format!(
                        "a variable is a string, boolean, number or null, got a {}",
                        value.value.type_name()
                    ),
                )
                .with_source(text),
            );
        } else {
            values.push((key.name.clone(), value.to_json()));
        }
    }
    if problems.is_empty() {
        Ok(values)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn later_sources_override_earlier_ones() {
        let runbook =
            crate::runbook::yaml::parse("rb", "a: runbook\nb: runbook\nc: runbook\nd: runbook\n")
                .unwrap();
        let inputs = VarInputs {
            env: vec![
                ("b".into(), "env".into()),
                ("c".into(), "env".into()),
                ("d".into(), "env".into()),
            ],
            files: vec![("f.yaml".into(), "c: file\nd: file\n".into())],
            cli: vec!["d=cli".into(), "e=cli".into()],
            fixed: vec![("e".into(), json!("journal"), "--var".into())],
            clock: None,
        };
        let vars = Variables::collect(Some(&runbook), &inputs).unwrap();
        let v = |k: &str| vars.get(k).unwrap().clone();
        assert_eq!(v("a").value, json!("runbook"));
        assert_eq!(v("b").value, json!("env"));
        assert_eq!(v("b").source, VarSource::Env("DRBOOK_VAR_b".into()));
        assert_eq!(v("c").value, json!("file"));
        assert_eq!(v("d").value, json!("cli"));
        assert_eq!(v("d").source, VarSource::Cli);
        assert_eq!(v("e").value, json!("journal"));
        assert_eq!(v("e").source, VarSource::Resumed("--var".into()));
    }

    #[test]
    fn text_values_are_strings_except_booleans() {
        let inputs = VarInputs {
            cli: vec![
                "f=false".into(),
                "n=012".into(),
                "e=".into(),
                "kv=a=b".into(),
            ],
            ..Default::default()
        };
        let vars = Variables::collect(None, &inputs).unwrap();
        assert_eq!(vars.get("f").unwrap().value, json!(false));
        assert_eq!(vars.get("n").unwrap().value, json!("012"));
        assert_eq!(vars.get("e").unwrap().value, json!(""));
        assert_eq!(vars.get("kv").unwrap().value, json!("a=b"));
    }

    #[test]
    fn bad_inputs_are_reported_with_positions() {
        let inputs = VarInputs {
            cli: vec!["no-equals".into(), "1x=2".into()],
            files: vec![("v.yaml".into(), "ok: 1\nlist: [1, 2]\n".into())],
            env: vec![("bad-name".into(), "x".into())],
            fixed: vec![],
            clock: None,
        };
        let problems = Variables::collect(None, &inputs).unwrap_err();
        assert_eq!(problems.len(), 4, "{problems:#?}");
        let file_problem = problems.iter().find(|d| d.file == "v.yaml").unwrap();
        assert_eq!((file_problem.line, file_problem.column), (2, 7));
        assert_eq!(file_problem.path, "list");
    }

    #[test]
    fn secret_names() {
        assert!(is_secret_name("vao_password"));
        assert!(is_secret_name("API_TOKEN"));
        assert!(!is_secret_name("restore_point"));
    }
}
