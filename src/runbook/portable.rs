//! Plain scalars that YAML 1.1 reads differently from YAML 1.2.
//!
//! drbook reads YAML 1.2, where `yes`, `on`, `2026-11-25T22:00:00Z` and `22:00` are
//! strings. Many tools that people also run over runbooks (PyYAML, Ansible, yamllint's
//! defaults, Ruby's Psych) read YAML 1.1, where the same plain scalars are a boolean, a
//! timestamp or a base-60 number; those tools then see another document, and a check against
//! the published schema fails there while `drbook validate` passes. Quoting the value means
//! the same to every reader.
//!
//! These are warnings: the runbook is valid, only less portable.

use super::diagnostic::Diagnostic;
use super::node::{Node, Pos, Value};
use super::text::display_path;
use std::sync::LazyLock;

/// What YAML 1.1 would read a plain scalar as, where YAML 1.2 reads a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Yaml11Reading {
    /// `yes`, `no`, `on`, `off`, `y`, `n` in their spellings.
    Boolean(bool),
    /// `2026-11-25` or `2026-11-25T22:00:00Z`.
    Timestamp,
    /// `22:00` or `1:30:00`: a base-60 number.
    Sexagesimal,
}

/// YAML 1.1's timestamp (yaml.org/type/timestamp) and base-60 integer and float forms
/// (yaml.org/type/int, yaml.org/type/float).
static TIMESTAMP: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(
        r"^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$",
    )
    .expect("the YAML 1.1 timestamp pattern compiles")
});
static SEXAGESIMAL: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"^[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")
        .expect("the YAML 1.1 base-60 pattern compiles")
});

/// How YAML 1.1 reads `text` written as a plain scalar, when that differs from YAML 1.2's
/// string.
pub fn yaml11_reading(text: &str) -> Option<Yaml11Reading> {
    match text {
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => {
            Some(Yaml11Reading::Boolean(true))
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => {
            Some(Yaml11Reading::Boolean(false))
        }
        // Both forms start with a digit or a sign: most words skip the patterns.
        _ if !text.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '+') => None,
        _ if TIMESTAMP.is_match(text) => Some(Yaml11Reading::Timestamp),
        _ if SEXAGESIMAL.is_match(text) => Some(Yaml11Reading::Sexagesimal),
        _ => None,
    }
}

/// A warning for every plain (unquoted) string scalar of `root`, key or value, that a YAML 1.1
/// reader would take for something else. `text` is the source the tree was parsed from: a
/// scalar is plain when its first character there is not a quote or a block indicator.
pub fn yaml11_warnings(file: &str, text: &str, root: &Node) -> Vec<Diagnostic> {
    let lines: Vec<&str> = super::diagnostic::yaml_lines(text).collect();
    let plain = |pos: Pos| {
        let first = pos
            .line
            .checked_sub(1)
            .and_then(|index| lines.get(index))
            .and_then(|line| line.chars().nth(pos.column.saturating_sub(1)));
        !matches!(first, None | Some('"' | '\'' | '|' | '>'))
    };
    let mut warnings = Vec::new();
    let mut path = Vec::new();
    walk(root, &mut path, &mut |path, scalar, pos, is_key| {
        if !plain(pos) {
            return;
        }
        if let Some(reading) = yaml11_reading(scalar) {
            warnings.push(warning(
                file,
                pos,
                &display_path(root, path),
                scalar,
                reading,
                is_key,
            ));
        }
    });
    warnings
}

fn walk(node: &Node, path: &mut Vec<String>, visit: &mut impl FnMut(&[String], &str, Pos, bool)) {
    match &node.value {
        Value::String(scalar) => visit(path, scalar, node.pos, false),
        Value::Seq(items) => {
            for (index, item) in items.iter().enumerate() {
                path.push(index.to_string());
                walk(item, path, visit);
                path.pop();
            }
        }
        Value::Map(entries) => {
            for (key, value) in entries {
                path.push(key.name.clone());
                visit(path, &key.name, key.pos, true);
                walk(value, path, visit);
                path.pop();
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

fn warning(
    file: &str,
    pos: Pos,
    path: &str,
    scalar: &str,
    reading: Yaml11Reading,
    is_key: bool,
) -> Diagnostic {
    let what = if is_key { "the key" } else { "" };
    let (as_what, why) = match reading {
        Yaml11Reading::Boolean(value) => (
            format!("the boolean {value}"),
            "YAML 1.1 tools (PyYAML, Ansible, many linters) read yes/no/on/off as booleans",
        ),
        Yaml11Reading::Timestamp => (
            "a timestamp".to_owned(),
            "YAML 1.1 tools (PyYAML, Ansible, many linters) read an unquoted date as a timestamp, and then reject the file against the schema, which wants a string",
        ),
        Yaml11Reading::Sexagesimal => (
            "a base-60 number".to_owned(),
            "YAML 1.1 tools (PyYAML, Ansible, many linters) read 22:00 as the number 1320",
        ),
    };
    let subject = if what.is_empty() {
        format!("`{scalar}`")
    } else {
        format!("{what} `{scalar}`")
    };
    Diagnostic::new(
        file,
        pos,
        path,
        format!("{subject} is a string to drbook (YAML 1.2) but {as_what} to YAML 1.1 readers"),
    )
    .warning()
    .with_hint(format!(
        "quote it (\"{scalar}\") so every tool reads the same value; {why}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warnings(text: &str) -> Vec<String> {
        let root = super::super::yaml::parse("rb.yaml", text).unwrap();
        yaml11_warnings("rb.yaml", text, &root)
            .into_iter()
            .map(|d| d.with_source(text).to_string())
            .collect()
    }

    #[test]
    fn readings_follow_the_yaml_1_1_types() {
        use Yaml11Reading::*;
        for (text, reading) in [
            ("yes", Some(Boolean(true))),
            ("Off", Some(Boolean(false))),
            ("y", Some(Boolean(true))),
            ("true", None),
            ("yesterday", None),
            ("2026-11-25", Some(Timestamp)),
            ("2026-11-25T22:00:00Z", Some(Timestamp)),
            ("2026-11-25 22:00:00.5 +01:00", Some(Timestamp)),
            ("2026-1-5t2:00:00", Some(Timestamp)),
            ("2026-11-25T22:00", None),
            ("2026-11", None),
            ("22:00", Some(Sexagesimal)),
            ("1:30:00", Some(Sexagesimal)),
            ("190:20:30.15", Some(Sexagesimal)),
            ("0:30", None),
            ("12:60", None),
            ("5m", None),
            ("db-{{site}}", None),
        ] {
            assert_eq!(yaml11_reading(text), reading, "{text}");
        }
    }

    #[test]
    fn only_plain_scalars_are_warned_about() {
        let text = "name: a\nvars:\n  at: 2026-11-25T22:00:00Z\n  q: '2026-11-25T22:00:00Z'\n  d: \"yes\"\n  on: 1\n  list: [off, 'on']\n  block: |\n    yes\n";
        let found = warnings(text);
        assert_eq!(found.len(), 3, "{found:#?}");
        assert_eq!(
            found[0],
            "warning: vars.at: `2026-11-25T22:00:00Z` is a string to drbook (YAML 1.2) but a timestamp to YAML 1.1 readers\n --> rb.yaml:3:7\n  |\n3 |   at: 2026-11-25T22:00:00Z\n  |       ^^^^^^^^^^^^^^^^^^^^\n  = hint: quote it (\"2026-11-25T22:00:00Z\") so every tool reads the same value; YAML 1.1 tools (PyYAML, Ansible, many linters) read an unquoted date as a timestamp, and then reject the file against the schema, which wants a string"
        );
        assert!(
            found[1].starts_with("warning: vars.on: the key `on` is a string to drbook (YAML 1.2) but the boolean true to YAML 1.1 readers\n --> rb.yaml:6:3"),
            "{}",
            found[1]
        );
        assert!(
            found[2].starts_with("warning: vars.list[0]: `off` is a string to drbook (YAML 1.2) but the boolean false"),
            "{}",
            found[2]
        );
    }

    #[test]
    fn a_portable_document_has_no_warnings() {
        assert!(warnings("name: a\nsteps:\n  - wait: 5m\n    name: 'yes'\n").is_empty());
    }
}
