//! YAML parsing with serde-saphyr: YAML 1.2 scalars, no duplicate keys, bounded aliases.

use super::diagnostic::Diagnostic;
use super::node::{Node, Pos, Value};

/// The largest runbook or variables file drbook reads. Real runbooks are kilobytes; a
/// 10,000-step generated one is about 1 MiB. Anything bigger is refused before parsing.
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;

fn options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        // YAML 1.2 core schema: `yes`, `no`, `on`, `off` stay strings.
        strict_booleans: true,
        // `012` stays the string "012" instead of becoming 12 (or octal 10).
        leading_zero_numbers_as_strings: true,
        // `1_000` is YAML 1.1's number; in YAML 1.2 it is the string "1_000".
        underscored_numbers_as_strings: true,
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::Error,
        // A runbook has no use for application tags (`!foo`): refuse them rather than
        // silently ignore them.
        reject_unsupported_tags: true,
    }
}

/// Parses one YAML document into a [`Node`] tree. `file` names the source in errors.
pub fn parse(file: &str, text: &str) -> Result<Node, Box<Diagnostic>> {
    if text.len() > MAX_FILE_BYTES {
        return Err(Box::new(Diagnostic::new(
            file,
            Pos::default(),
            "",
            format!(
                "the file is {} bytes, more than the {} bytes drbook reads",
                text.len(),
                MAX_FILE_BYTES
            ),
        )));
    }
    if text.trim().is_empty()
        || text.lines().all(|l| {
            let l = l.trim();
            l.is_empty() || l.starts_with('#') || l == "---" || l == "..."
        })
    {
        return Err(Box::new(Diagnostic::new(
            file,
            Pos::default(),
            "",
            "the file is empty",
        )));
    }
    match serde_saphyr::from_str_with_options::<Node>(text, options()) {
        Ok(node) if node.value == Value::Null => Err(Box::new(Diagnostic::new(
            file,
            node.pos,
            "",
            "the document is empty (null)",
        ))),
        Ok(node) => Ok(node),
        Err(error) => {
            let pos = error.location().map_or(Pos::default(), |l| Pos {
                line: l.line() as usize,
                column: l.column() as usize,
            });
            Err(Box::new(
                Diagnostic::new(file, pos, "", message(&error)).with_source(text),
            ))
        }
    }
}

/// What went wrong, decided on serde-saphyr's error variants; the wording of the rest is
/// serde-saphyr's own (its formatter leaves the location out: ours prints it separately).
fn message(error: &serde_saphyr::Error) -> String {
    use serde_saphyr::budget::BudgetBreach;
    use serde_saphyr::{DefaultMessageFormatter, Error, MessageFormatter};
    let mut error = error;
    while let Error::WithSnippet { error: inner, .. } | Error::AliasError { error: inner, .. } =
        error
    {
        error = inner;
    }
    match error {
        Error::MultipleDocuments { .. } => {
            "a runbook is one YAML document, but this file holds more than one (a second `---`)"
                .to_owned()
        }
        Error::Budget {
            breach: BudgetBreach::Depth { .. },
            ..
        } => "the document is nested too deeply".to_owned(),
        Error::Budget { breach, .. } => {
            format!("the document is too large or too complex ({breach:?})")
        }
        // serde-saphyr's text adds advice for its API's users ("set DuplicateKeyPolicy").
        Error::DuplicateMappingKey { key: Some(key), .. } => {
            format!("invalid YAML: duplicate mapping key: {key}")
        }
        Error::DuplicateMappingKey { key: None, .. } => {
            "invalid YAML: duplicate mapping key".to_owned()
        }
        other => {
            let text = DefaultMessageFormatter.format_message(other);
            let first = text.lines().next().unwrap_or_default().trim();
            format!("invalid YAML: {}", first.trim_end_matches(':'))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(text: &str) -> Node {
        parse("t.yaml", text).unwrap()
    }

    #[test]
    fn yaml_1_2_scalars_stay_strings() {
        let root = node("a: no\nb: on\nc: '012'\nd: 012\ne: true\nf: 12\ng: 1_000\n");
        let s = |k: &str| root.get(k).unwrap().value.clone();
        assert_eq!(s("a"), Value::String("no".into()));
        assert_eq!(s("b"), Value::String("on".into()));
        assert_eq!(s("c"), Value::String("012".into()));
        assert_eq!(s("d"), Value::String("012".into()));
        assert_eq!(s("e"), Value::Bool(true));
        assert_eq!(s("f"), Value::Number(12.into()));
        assert_eq!(s("g"), Value::String("1_000".into()));
    }

    #[test]
    fn positions_are_one_based_lines_and_columns() {
        let root = node("version: 1\nsteps:\n  - wait: 5m\n");
        let wait = root
            .at_path(&["steps".into(), "0".into(), "wait".into()])
            .unwrap();
        assert_eq!(
            wait.pos,
            Pos {
                line: 3,
                column: 11
            }
        );
        let (key, _) = root.entry("steps").unwrap();
        assert_eq!(key.pos, Pos { line: 2, column: 1 });
    }

    #[test]
    fn duplicate_keys_are_errors_with_a_position() {
        let err = parse("t.yaml", "name: a\nname: b\n").unwrap_err();
        assert_eq!(err.line, 2, "{err}");
        assert!(err.message.contains("uplicate"), "{}", err.message);
    }

    #[test]
    fn malformed_yaml_points_at_the_problem() {
        let err = parse("t.yaml", "steps:\n  - wait: [5m\n").unwrap_err();
        assert!(err.line >= 2, "{err}");
        assert!(err.message.starts_with("invalid YAML"), "{}", err.message);
    }

    #[test]
    fn empty_documents_are_refused() {
        for text in ["", "   \n", "# only a comment\n", "---\n", "~\n", "null\n"] {
            let err = parse("t.yaml", text).unwrap_err();
            assert!(err.message.contains("empty"), "{text:?}: {}", err.message);
        }
    }

    #[test]
    fn what_went_wrong_is_decided_on_the_error_variant() {
        let message = |text: &str| parse("t.yaml", text).unwrap_err().message;
        assert_eq!(
            message("a: 1\n---\nb: 2\n"),
            "a runbook is one YAML document, but this file holds more than one (a second `---`)"
        );
        // Deep nesting needs more stack than a test thread has (before the limit stops it).
        let deep = std::thread::Builder::new()
            .stack_size(16 << 20)
            .spawn(move || message(&format!("a: {}1{}\n", "[".repeat(70), "]".repeat(70))))
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(deep, "the document is nested too deeply");
        assert_eq!(
            message("name: a\nname: b\n"),
            "invalid YAML: duplicate mapping key: name"
        );
        let malformed = message("steps:\n  - wait: [5m\n");
        assert!(!malformed.contains(" at line "), "{malformed}");
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        assert!(parse("t.yaml", &text).is_err());
    }
}
