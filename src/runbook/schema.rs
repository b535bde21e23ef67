//! The JSON Schema check of a runbook (`schemas/runbook.schema.json`, embedded at build time).
//!
//! The schema is the contract editors see, so the loader checks every file against the same
//! document. Its errors speak in JSON pointers; this module turns each into a [`Diagnostic`]
//! at the line and column of the offending key or value, in the user's vocabulary.

use super::diagnostic::Diagnostic;
use super::node::{Node, Pos, Value};
use super::values;
use jsonschema::error::ValidationErrorKind;
use jsonschema::{ValidationError, Validator};
use std::sync::OnceLock;

/// The runbook schema, as shipped in `schemas/`.
pub const RUNBOOK_SCHEMA: &str = include_str!("../../schemas/runbook.schema.json");

fn schema_document() -> &'static serde_json::Value {
    static DOCUMENT: OnceLock<serde_json::Value> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        serde_json::from_str(RUNBOOK_SCHEMA).expect("the embedded runbook schema is valid JSON")
    })
}

fn validator() -> &'static Validator {
    static VALIDATOR: OnceLock<Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        jsonschema::options()
            .should_validate_formats(true)
            .with_format("drbook-date-time", |s| {
                values::parse_restore_point(s).is_some()
            })
            .with_format("drbook-server-url", values::is_server_url)
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
    let instance = root.to_json();
    let mut diagnostics: Vec<Diagnostic> = validator()
        .iter_errors(&instance)
        .flat_map(|error| to_diagnostics(file, root, &error))
        .collect();
    diagnostics.sort_by_key(|d| (d.line, d.column));
    diagnostics.dedup();
    diagnostics
}

/// `steps[2].failover.plan_id` from pointer segments: a segment is an index where the tree
/// has a list there, a key otherwise (a key may be `1`).
pub fn display_path(root: &Node, segments: &[String]) -> String {
    let mut path = String::new();
    let mut node = Some(root);
    for segment in segments {
        match node.map(|n| &n.value) {
            Some(Value::Seq(items)) => {
                path.push_str(&format!("[{segment}]"));
                node = segment.parse::<usize>().ok().and_then(|i| items.get(i));
            }
            _ => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(segment);
                node = node.and_then(|n| n.get(segment));
            }
        }
    }
    path
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

/// A short rendering of the value a user wrote. A URL with credentials in it is not shown:
/// messages end up in CI logs.
pub fn show_value(node: &Node) -> String {
    match &node.value {
        Value::String(s) if s.contains("://") && s.contains('@') => {
            "a URL with a user name or password in it (not shown)".to_owned()
        }
        Value::String(s) => {
            let shown: String = s.chars().take(60).collect();
            let ellipsis = if s.chars().count() > 60 { "…" } else { "" };
            format!("{:?}", format!("{shown}{ellipsis}"))
        }
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Seq(_) => "a list".to_owned(),
        Value::Map(_) => "a mapping".to_owned(),
    }
}

/// The closest of `candidates` to `word`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    // camelCase and kebab-case spellings of a snake_case key are the commonest slip (the VAO
    // API itself is camelCase), so compare without case and separators.
    let fold = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    };
    let word = fold(word);
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&word, &fold(c)), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// The hint for an unknown key: the likely intended key, or the list of keys allowed there.
pub fn unknown_key_hint(key: &str, allowed: &[&str]) -> String {
    match did_you_mean(key, allowed.iter().copied()) {
        Some(suggestion) => format!("did you mean `{suggestion}`?"),
        None => format!("expected one of: {}", allowed.join(", ")),
    }
}

fn to_diagnostics(file: &str, root: &Node, error: &ValidationError) -> Vec<Diagnostic> {
    let segments = pointer_segments(error.instance_path().as_str());
    let path = display_path(root, &segments);
    let node = root.at_path(&segments);
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
                .map(|key| {
                    let key_pos = node.and_then(|n| n.entry(key)).map_or(pos, |(k, _)| k.pos);
                    let mut key_path = segments.clone();
                    key_path.push(key.clone());
                    if is_step(&segments)
                        && segments.len() == 5
                        && super::build::NOT_IN_GROUP.contains(&key.as_str())
                    {
                        return super::build::in_group_error(
                            file,
                            key_pos,
                            &display_path(root, &key_path),
                            key,
                        );
                    }
                    let mut d = Diagnostic::new(
                        file,
                        key_pos,
                        display_path(root, &key_path),
                        format!("unknown key `{key}`"),
                    );
                    d.hint = Some(unknown_key_hint(key, &allowed));
                    d
                })
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
            let present: Vec<&str> = super::build::ACTIONS
                .iter()
                .copied()
                .filter(|key| node.and_then(|n| n.get(key)).is_some())
                .collect();
            // A pause or a group inside a group is reported as such (an unknown key there).
            if segments.len() == 5
                && present
                    .iter()
                    .any(|a| super::build::NOT_IN_GROUP.contains(a))
            {
                return Vec::new();
            }
            at(if present.len() > 1 {
                super::build::two_actions_message(&present)
            } else {
                super::build::no_action_message()
            })
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
                    .filter(|(k, _)| !crate::template::is_variable_name(&k.name))
                    .map(|(k, _)| k.pos)
                    .collect(),
                _ => vec![pos],
            };
            bad_keys
                .into_iter()
                .map(|key_pos| Diagnostic::new(file, key_pos, path.clone(), message))
                .collect()
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
    (segments.len() == 2 && segments[0] == "steps")
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

    #[test]
    fn paths_read_like_field_accessors() {
        let root = crate::runbook::yaml::parse(
            "t",
            "steps: [a, b, {failover: {plan_id: x}}]\nvars: {1: one}\n",
        )
        .unwrap();
        let segs = pointer_segments("/steps/2/failover/plan_id");
        assert_eq!(display_path(&root, &segs), "steps[2].failover.plan_id");
        assert_eq!(display_path(&root, &pointer_segments("/vars/1")), "vars.1");
        assert_eq!(display_path(&root, &[]), "");
    }

    #[test]
    fn suggestions_only_for_near_misses() {
        let keys = [
            "execute_chained_plans",
            "protect_storage_volumes",
            "plan_id",
        ];
        assert_eq!(
            did_you_mean("protectStorageVolumes", keys),
            Some("protect_storage_volumes")
        );
        assert_eq!(
            did_you_mean("execute-chained-plans", keys),
            Some("execute_chained_plans")
        );
        assert_eq!(did_you_mean("plan_di", keys), Some("plan_id"));
        assert_eq!(did_you_mean("zzz", keys), None);
    }
}
