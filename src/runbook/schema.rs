//! The check of a runbook against its JSON Schema, and the one place where problems in the
//! document's structure become [`Diagnostic`]s.
//!
//! The schema is generated from the typed document ([`document::json_schema`]); the committed
//! `schemas/runbook.schema.json`, which a test holds to the generated text, is embedded and is the
//! contract editors see, so the loader checks every file against it. Its errors speak in
//! JSON pointers; this module turns each into a [`Diagnostic`] at the line and column of the
//! offending key or value, in the user's vocabulary, quoting the schema's descriptions.
//! Errors of the typed reader ([`de::Error`], which only a tree the schema accepted reaches)
//! are translated here too, with the same wording ([`from_de_error`]).

use super::de::{self, ErrorKind};
use super::diagnostic::Diagnostic;
use super::document::{self, ACTIONS, NOT_IN_CLEANUP, NOT_IN_GROUP};
use super::json_view::NodeJson;
use super::node::{Node, Pos, Value};
use super::text::{display_path, show_value, unknown_key_hint};
use super::values;
use jsonschema::error::ValidationErrorKind;
use jsonschema::{ValidationError, ValidationOptions, Validator};
use std::sync::OnceLock;

/// The committed schema (`schemas/runbook.schema.json`), embedded: the text a test holds to
/// what [`document::json_schema`] generates, so nothing is generated at run time.
fn schema_document() -> &'static serde_json::Value {
    static DOCUMENT: OnceLock<serde_json::Value> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        serde_json::from_str(include_str!("../../schemas/runbook.schema.json"))
            .expect("the embedded runbook schema is JSON")
    })
}

/// The validator of [`Node`] trees: it reads the parsed tree in place ([`NodeJson`]). Built
/// at the first check, which only a runbook with a problem reaches (see `prepare`).
fn validator() -> &'static Validator<NodeJson> {
    static VALIDATOR: OnceLock<Validator<NodeJson>> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        ValidationOptions::<_, NodeJson>::default()
            .should_validate_formats(true)
            .with_format("drbook-date-time", |s| {
                values::parse_restore_point(s).is_some()
            })
            .with_format("drbook-server-url", values::is_server_url)
            .with_format("drbook-check-url", values::is_check_url)
            .with_format("drbook-time-zone", |s| values::parse_time_zone(s).is_some())
            .with_format("drbook-duration", |s| values::parse_duration(s).is_some())
            .with_format("drbook-positive-duration", |s| {
                values::parse_positive_duration(s).is_some()
            })
            .build(schema_document())
            .expect("the embedded runbook schema compiles")
    })
}

/// Checks a parsed runbook against the schema; returns every problem, in source order.
pub fn check(file: &str, root: &Node) -> Vec<Diagnostic> {
    let mut diagnostics: Vec<Diagnostic> = validator()
        .iter_errors(root)
        .flat_map(|error| to_diagnostics(file, root, &error))
        .collect();
    diagnostics.sort_by_key(|d| (d.line, d.column));
    diagnostics.dedup();
    diagnostics
}

fn pointer_segments(pointer: &str) -> Vec<String> {
    pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// The schema object that holds the keyword which failed (the keyword location minus the
/// keyword itself).
fn failing_subschema(error: &ValidationError) -> Option<&'static serde_json::Value> {
    let pointer = error.schema_path().as_str();
    let parent = pointer.rsplit_once('/').map_or("", |(parent, _)| parent);
    schema_document().pointer(parent)
}

fn describe(error: &ValidationError) -> Option<&'static str> {
    failing_subschema(error)?.get("description")?.as_str()
}

/// The node at `segments`, where a message about it points, and its path.
pub(super) fn locate<'n>(root: &'n Node, segments: &[String]) -> (Option<&'n Node>, Pos, String) {
    let node = root.at_path(segments);
    // A mapping or list is located at its first entry; the key that holds it reads better.
    let holder_key = segments
        .split_last()
        .and_then(|(last, parent)| root.at_path(parent)?.entry(last))
        .map(|(key, _)| key.pos);
    let pos = match node {
        Some(n) if matches!(n.value, Value::Map(_) | Value::Seq(_)) => holder_key.unwrap_or(n.pos),
        Some(n) => n.pos,
        None => Pos::default(),
    };
    (node, pos, display_path(root, segments))
}

/// An unknown `key` in the mapping at `segments`, with a did-you-mean hint from `allowed`;
/// a key that a step of a parallel group may not have says why.
fn unknown_key(
    file: &str,
    root: &Node,
    segments: &[String],
    key: &str,
    allowed: &[&str],
) -> Diagnostic {
    let (node, pos, _) = locate(root, segments);
    let key_pos = node.and_then(|n| n.entry(key)).map_or(pos, |(k, _)| k.pos);
    let mut key_path = segments.to_vec();
    key_path.push(key.to_owned());
    let path = display_path(root, &key_path);
    if is_step(segments) && segments.len() == 5 && NOT_IN_GROUP.contains(&key) {
        return document::in_group_error(file, key_pos, &path, key);
    }
    if is_step(segments) && segments[0] == "cleanup" && NOT_IN_CLEANUP.contains(&key) {
        return document::in_cleanup_error(file, key_pos, &path, key);
    }
    if key == "cleanup" && !segments.is_empty() {
        return document::cleanup_misplaced(file, key_pos, &path);
    }
    Diagnostic::new(file, key_pos, path, format!("unknown key `{key}`"))
        .with_hint(unknown_key_hint(key, allowed))
}

/// A problem the typed reader found, in the schema check's words.
pub fn from_de_error(file: &str, root: &Node, error: &de::Error) -> Diagnostic {
    let segments = &error.segments;
    let (node, pos, path) = locate(root, segments);
    let message = match &error.kind {
        ErrorKind::UnknownKey { key, expected } => {
            let parent = &segments[..segments.len().saturating_sub(1)];
            return unknown_key(file, root, parent, key, expected);
        }
        ErrorKind::MissingKey(key) => format!("missing required key `{key}`"),
        ErrorKind::Expected(what) => match node {
            Some(node) => format!("expected {what}, got {}", show_value(node)),
            None => format!("expected {what}"),
        },
        ErrorKind::Other(message) => message.clone(),
    };
    Diagnostic::new(file, pos, path, message)
}

fn to_diagnostics(file: &str, root: &Node, error: &ValidationError) -> Vec<Diagnostic> {
    let segments = pointer_segments(error.instance_path().as_str());
    let (node, pos, path) = locate(root, &segments);
    let got = node.map(show_value).unwrap_or_default();
    let at = |message: String| vec![Diagnostic::new(file, pos, path.clone(), message)];

    match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let allowed: Vec<&str> = failing_subschema(error)
                .and_then(|s| s.get("properties"))
                .and_then(|p| p.as_object())
                .map(|p| p.keys().map(String::as_str).collect())
                .unwrap_or_default();
            unexpected
                .iter()
                .map(|key| unknown_key(file, root, &segments, key, &allowed))
                .collect()
        }
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            at(format!("missing required key `{name}`"))
        }
        ValidationErrorKind::OneOfNotValid { .. }
        | ValidationErrorKind::OneOfMultipleValid { .. }
            if is_step(&segments) =>
        {
            let present: Vec<&str> = ACTIONS
                .iter()
                .copied()
                .filter(|key| node.and_then(|n| n.get(key)).is_some())
                .collect();
            // A pause or a group inside a group is reported as such (an unknown key there).
            if segments.len() == 5 && present.iter().any(|a| NOT_IN_GROUP.contains(a)) {
                return Vec::new();
            }
            // So is a plan action among a drill's clean-up steps.
            if segments[0] == "cleanup" && present.iter().any(|a| NOT_IN_CLEANUP.contains(a)) {
                return Vec::new();
            }
            at(if present.len() > 1 {
                document::two_actions_message(&present)
            } else {
                document::no_action_message()
            })
        }
        ValidationErrorKind::OneOfNotValid { .. }
        | ValidationErrorKind::OneOfMultipleValid { .. }
            if segments.last().is_some_and(|s| s == "command") =>
        {
            at(document::run_or_shell_message())
        }
        ValidationErrorKind::Constant { expected_value } if segments == ["version"] => at(format!(
            "unsupported runbook version {got}; this drbook reads version {expected_value}"
        )),
        ValidationErrorKind::MinItems { .. } if segments == ["steps"] => {
            at("a runbook needs at least one step".to_owned())
        }
        ValidationErrorKind::MinItems { .. } => at("the list must not be empty".to_owned()),
        ValidationErrorKind::MinLength { .. } => at("must not be empty".to_owned()),
        ValidationErrorKind::PropertyNames { .. } => {
            let message =
                "variable names are letters, digits and underscores, not starting with a digit";
            let bad_keys: Vec<Pos> = match node.map(|n| &n.value) {
                Some(Value::Map(entries)) => entries
                    .iter()
                    .filter(|(k, _)| !values::is_variable_name(&k.name))
                    .map(|(k, _)| k.pos)
                    .collect(),
                _ => vec![pos],
            };
            bad_keys
                .into_iter()
                .map(|key_pos| Diagnostic::new(file, key_pos, path.clone(), message))
                .collect()
        }
        // A word that is not one of the listed ones: its likely intended word, or the list.
        ValidationErrorKind::Enum { options } => {
            let expected = describe(error).unwrap_or("one of the listed values");
            let words: Vec<&str> = options
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|o| o.as_str())
                .collect();
            let mut diagnostic = Diagnostic::new(
                file,
                pos,
                path.clone(),
                format!("expected {expected}, got {got}"),
            );
            if let Some(Value::String(word)) = node.map(|n| &n.value) {
                diagnostic = diagnostic.with_hint(unknown_key_hint(word, &words));
            }
            vec![diagnostic]
        }
        ValidationErrorKind::Type { .. } => {
            let expected = schema_type_name(failing_subschema(error));
            at(format!("expected {expected}, got {got}"))
        }
        _ => {
            let expected = describe(error)
                .map(str::to_owned)
                .unwrap_or_else(|| error.masked().to_string());
            at(format!("expected {expected}, got {got}"))
        }
    }
}

fn is_step(segments: &[String]) -> bool {
    (segments.len() == 2 && (segments[0] == "steps" || segments[0] == "cleanup"))
        || (segments.len() == 5 && segments[0] == "steps" && segments[2] == "parallel")
}

fn schema_type_name(schema: Option<&serde_json::Value>) -> String {
    let Some(ty) = schema.and_then(|s| s.get("type")) else {
        return "a different value".to_owned();
    };
    let names: Vec<&str> = match ty {
        serde_json::Value::String(s) => vec![s.as_str()],
        serde_json::Value::Array(items) => items.iter().filter_map(|i| i.as_str()).collect(),
        _ => vec![],
    };
    names
        .iter()
        .map(|n| match *n {
            "object" => "a mapping",
            "array" => "a list",
            "string" => "a string",
            "boolean" => "a boolean",
            "number" | "integer" => "a number",
            "null" => "null",
            other => other,
        })
        .collect::<Vec<_>>()
        .join(" or ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The typed reader's errors, on trees that skipped the schema check, read like the
    /// schema check's: placed, with the path, the value and a did-you-mean hint.
    #[test]
    fn reader_errors_are_worded_like_the_schema_checks() {
        let read = |text: &str| {
            let root = crate::runbook::yaml::parse("t.yaml", text).unwrap();
            crate::runbook::build::build("t.yaml", &root).unwrap_err()
        };
        let head = "version: 1\nname: n\nsteps:\n  - failover:\n";
        let d = &read(&format!(
            "{head}      plan_id: 6f1c2d9e-3b4a-4c5d-8e7f-0a1b2c3d4e5f\n      retires: 2\n"
        ))[0];
        assert_eq!((d.line, d.column), (6, 7));
        assert_eq!(d.path, "steps[0].failover.retires");
        assert_eq!(d.message, "unknown key `retires`");
        assert_eq!(d.hint.as_deref(), Some("did you mean `retries`?"));

        let d = &read(&format!("{head}      plan_id: db\n"))[0];
        assert_eq!((d.line, d.column), (5, 16));
        assert_eq!(d.path, "steps[0].failover.plan_id");
        assert_eq!(
            d.message,
            "expected a plan UUID such as 6f1c2d9e-3b4a-4c5d-8e7f-0a1b2c3d4e5f, or a template, got \"db\""
        );

        let d = &read(&format!("{head}      timeout: 5m\n"))[0];
        assert_eq!(d.path, "steps[0].failover");
        assert_eq!(d.message, "missing required key `plan_id`");

        let d = &read("version: 1\nname: n\nsteps:\n  - wait: null\n")[0];
        assert_eq!(
            d.message,
            "expected a duration such as 30s, 5m or 1h30m, or a template, got null"
        );

        let d = &read(
            "version: 1\nname: n\nsteps:\n  - parallel:\n      steps:\n        - pause: {message: m}\n",
        )[0];
        assert_eq!(d.path, "steps[0].parallel.steps[0].pause");
        assert_eq!(d.message, "a `pause` cannot run inside a parallel group");
    }

    #[test]
    fn pointers_become_segments() {
        assert_eq!(
            pointer_segments("/steps/2/a~1b~0c"),
            ["steps", "2", "a/b~c"]
        );
        assert!(pointer_segments("").is_empty());
    }
}
