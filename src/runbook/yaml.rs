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
            let message = error.render_with_options(serde_saphyr::render_options! {
                snippets: serde_saphyr::SnippetMode::Off,
            });
            Err(Box::new(
                Diagnostic::new(file, pos, "", clean_message(&message)).with_source(text),
            ))
        }
    }
}

/// serde-saphyr appends the location to its messages; ours prints it separately.
fn clean_message(message: &str) -> String {
    let first = message.lines().next().unwrap_or(message).trim();
    if first.contains("multiple YAML documents") {
        return "a runbook is one YAML document, but this file holds more than one (a second `---`)".to_owned();
    }
    if first.contains("budget breached: Depth") {
        return "the document is nested too deeply".to_owned();
    }
    if let Some(what) = first.split("budget breached: ").nth(1) {
        return format!("the document is too large or too complex ({what})");
    }
    let cut = first
        .rfind(" at line ")
        .filter(|at| first[at + 1..].chars().any(|c| c.is_ascii_digit()))
        .map_or(first, |at| &first[..at]);
    // Drop advice addressed to serde-saphyr's API users ("set DuplicateKeyPolicy …").
    let cut = cut.split(", set ").next().unwrap_or(cut);
    format!("invalid YAML: {}", cut.trim_end_matches(':'))
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
