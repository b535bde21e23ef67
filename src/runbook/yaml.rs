//! YAML parsing: YAML 1.2 scalars, no duplicate keys, bounded aliases.
//!
//! serde-saphyr's rules and messages are the loader's. A runbook it would accept as it is
//! written (no anchors, tags or duplicate keys) is built straight from the parser's events
//! ([`super::events`]), several times faster; every other document, and every invalid one,
//! goes through serde-saphyr.

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
    if let Some(node) = super::events::load(text) {
        return Ok(node);
    }
    with_serde_saphyr(file, text)
}

/// The document through serde-saphyr, with its verdict and its position on what is wrong.
fn with_serde_saphyr(file: &str, text: &str) -> Result<Node, Box<Diagnostic>> {
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

    /// Scalars whose type or spelling matters, for [`the_fast_path_agrees_with_serde_saphyr`].
    const SCALARS: &[&str] = &[
        "x",
        "no",
        "on",
        "y",
        "true",
        "True",
        "TRUE",
        "tRue",
        "false",
        "FALSE",
        "null",
        "Null",
        "NULL",
        "nULL",
        "~",
        "''",
        "\"\"",
        "0",
        "-0",
        "+0",
        "00",
        "012",
        "-012",
        "+12",
        "12",
        "-12",
        "0x1F",
        "0X1F",
        "0x",
        "0xg",
        "0o17",
        "0O17",
        "0o8",
        "0b101",
        "0B101",
        "0b102",
        "0b1c2d",
        "1_000",
        "_1",
        "1__0",
        "1.5",
        "-1.5",
        "1.",
        ".5",
        "1e5",
        "1E+5",
        "1e400",
        "-1e400",
        "1e-400",
        "1e",
        "e5",
        ".inf",
        "-.Inf",
        "+.inf",
        ".NaN",
        "-.nan",
        "inf",
        "-inf",
        "nan",
        "NaN",
        "infinity",
        "-",
        "--",
        "-x",
        "-1x",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775808",
        "-9223372036854775809",
        "18446744073709551615",
        "18446744073709551616",
        "340282366920938463463374607431768211457",
        "3.14159265358979323846264338327950288419716939937510",
        "2026-11-20",
        "2026-11-20T03:00:00Z",
        "12:30:00",
        "1:2",
        "6f1c2d9e-3b4a-4c5d-8e7f-0a1b2c3d4e5f",
        "0b1c2d9e-3b4a-4c5d-8e7f-0a1b2c3d4e5f",
        "0e1c2d9e",
        "1e1c2d9e",
        "30s",
        "1h30m",
        "'012'",
        "\"12\"",
        "!!str 12",
        "!!int \"3\"",
        "!!binary aGVsbG8=",
        "!foo bar",
        "! x",
        "&a x",
        "*a",
        "<<",
        "'<<'",
        "{}",
        "[]",
        "[a, b]",
        "{a: 1}",
        "{a: 1, a: 2}",
        "? a",
        "a b",
        "a: b",
        "'it''s'",
        "\"\\u263A\"",
        "é",
        "\u{feff}x",
        "{{a}}",
        "\"{{a}}\"",
        "|\n  x",
        ">-\n  x\n  y",
    ];

    /// Where the fast path builds a tree, serde-saphyr builds the same one, positions
    /// included; everything else it leaves to serde-saphyr.
    fn same_as_serde_saphyr(text: &str) {
        if let Some(fast) = super::super::events::load(text) {
            match with_serde_saphyr("t.yaml", text) {
                Ok(slow) => assert_eq!(fast, slow, "{text:?}"),
                Err(e) => panic!("the fast path accepted what serde-saphyr refuses: {text:?}: {e}"),
            }
        }
    }

    #[test]
    fn the_fast_path_agrees_with_serde_saphyr() {
        for s in SCALARS {
            for text in [
                format!("k: {s}\n"),
                format!("{s}: v\n"),
                format!("- {s}\n"),
                format!("k: [{s}]\n"),
                format!("k: {{a: {s}}}\n"),
                format!("a: 1\nk:\n  - {s}\n  - {s}\n"),
                format!("{s}\n"),
                format!("a: 1\n{s}: 2\n"),
            ] {
                same_as_serde_saphyr(&text);
            }
        }
        let mut many = String::new();
        for i in 0..40 {
            many.push_str(&format!("k{i}: {i}\n"));
        }
        same_as_serde_saphyr(&many);
        many.push_str("k7: again\n");
        assert!(super::super::events::load(&many).is_none());
        let root = env!("CARGO_MANIFEST_DIR");
        let mut files = 0;
        for dir in ["runbooks", "tests/fixtures/invalid", "examples"] {
            for entry in walk(&std::path::Path::new(root).join(dir)) {
                if entry.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                    same_as_serde_saphyr(&std::fs::read_to_string(&entry).unwrap());
                    files += 1;
                }
            }
        }
        assert!(files > 20, "{files} files");
    }

    fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(walk(&path));
            } else {
                out.push(path);
            }
        }
        out
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 2000, ..Default::default() })]

        /// Mutations of a real runbook (a character inserted, a range deleted or repeated).
        #[test]
        fn mutated_runbooks_load_the_same_either_way(
            which in 0..8usize,
            edits in proptest::collection::vec((0..3usize, proptest::prelude::any::<usize>(), 0..30usize, proptest::sample::select(&[':', '-', ' ', '\n', '\'', '"', '{', '}', '[', ']', '&', '*', '!', '#', '|', '>', ',', '?', 'a', '0', '.', '_', '~'][..])), 1..5),
        ) {
            let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks");
            let mut files: Vec<_> = walk(&root);
            files.sort();
            let mut text: Vec<char> = std::fs::read_to_string(&files[which % files.len()]).unwrap().chars().collect();
            for (kind, at, n, c) in edits {
                let at = at % (text.len() + 1);
                match kind {
                    0 => text.insert(at, c),
                    1 => { text.drain(at..(at + n).min(text.len())); }
                    _ => {
                        let copy: Vec<char> = text[at..(at + n).min(text.len())].to_vec();
                        text.splice(at..at, copy);
                    }
                }
            }
            same_as_serde_saphyr(&text.into_iter().collect::<String>());
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
