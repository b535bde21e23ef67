//! Nothing panics or hangs on any input: generated mutations of the example runbooks go
//! through the whole loader (parse, schema, variables, templates, build); generated and
//! mutated variables files, `--var` flags and `DRBOOK_VAR_*` values go through variable
//! collection and through rendering a runbook that uses them. Every error has a position
//! inside the file it names (or none, for sources that are not files) and a message.

use crate::validate::examples;
use drbook::prepare::{PrepareError, prepare};
use drbook::runbook::{Diagnostic, Source};
use drbook::template::{VarInputs, Variables, is_variable_name};
use proptest::prelude::*;

/// Characters that matter to YAML and to templates.
const ALPHABET: &[char] = &[
    ':', '-', ' ', '\n', '\t', '\'', '"', '{', '}', '[', ']', '&', '*', '!', '#', '|', '>', '%',
    '@', '`', ',', '?', 'a', '0', '\u{feff}', 'é', '\r',
];

#[derive(Debug, Clone)]
enum Edit {
    Truncate(usize),
    Insert(usize, char),
    Delete(usize, usize),
    Duplicate(usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<usize>().prop_map(Edit::Truncate),
        (any::<usize>(), prop::sample::select(ALPHABET)).prop_map(|(at, c)| Edit::Insert(at, c)),
        (any::<usize>(), 1..40usize).prop_map(|(at, n)| Edit::Delete(at, n)),
        (any::<usize>(), 1..80usize).prop_map(|(at, n)| Edit::Duplicate(at, n)),
    ]
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for edit in edits {
        let len = chars.len().max(1);
        match *edit {
            Edit::Truncate(at) => chars.truncate(at % len),
            Edit::Insert(at, c) => chars.insert(at % (chars.len() + 1), c),
            Edit::Delete(at, n) => {
                let at = at % len;
                let end = (at + n).min(chars.len());
                if at < end {
                    chars.drain(at..end);
                }
            }
            Edit::Duplicate(at, n) => {
                let at = at % len;
                let end = (at + n).min(chars.len());
                if at < end {
                    let copy: Vec<char> = chars[at..end].to_vec();
                    chars.splice(at..at, copy);
                }
            }
        }
    }
    chars.into_iter().collect()
}

/// The number of lines as YAML counts them: a lone `\r` (old Mac line end) is a line break
/// too, where `str::lines` sees one line. (So a diagnostic after a lone `\r` has a line
/// number past `text.lines().count()`, and no source line: see `Diagnostic::with_source`.)
fn yaml_lines(text: &str) -> usize {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .lines()
        .count()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn mutated_runbooks_never_panic_and_errors_have_positions(
        which in 0..3usize,
        edits in prop::collection::vec(edit(), 1..6),
    ) {
        let examples = examples();
        let original = std::fs::read_to_string(&examples[which % examples.len()]).unwrap();
        let text = apply(&original, &edits);
        let lines = yaml_lines(&text) + 1;
        match prepare(Source::from_text("mutant.yaml", &text), &VarInputs::default()) {
            Ok(prepared) => prop_assert!(!prepared.runbook.steps.is_empty()),
            Err(PrepareError::Invalid(diagnostics)) => {
                prop_assert!(!diagnostics.is_empty());
                for d in &diagnostics {
                    prop_assert!(d.line <= lines, "line {} of {lines}: {d}", d.line);
                    prop_assert!(!d.message.is_empty());
                }
            }
            Err(PrepareError::Read(e)) => prop_assert!(false, "no file was read: {e}"),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Variables files and `--var` values: generated and mutated, through `Variables::collect`
// and through rendering a small runbook that uses them.
// ---------------------------------------------------------------------------------------

/// A runbook whose templates use the variables `a`, `b`, `c` and `d` (all with defaults in
/// `vars`, so a variables file or a `--var` can override them with anything) and `e` only
/// inside a block helper (undefined is false there).
const USES_VARS: &str = r#"version: 1
name: "drill {{a}}"
vars:
  a: default
  b: 6f1c2d9e-3b4a-4c5d-8e7f-0a1b2c3d4e5f
  c: false
  d: 5m
steps:
  - name: "step {{#if e}}{{e}}{{/if}}{{c}}"
    failover:
      plan_id: "{{b}}"
      execute_chained_plans: "{{c}}"
      timeout: "{{d}}"
  - wait: " {{ d }} "
"#;

/// The bound every diagnostic's line must respect: within the file it names (plus one, for
/// "at the end of the file"), or 0 for sources without lines (`--var`, the environment).
fn check_diagnostics(
    diagnostics: &[Diagnostic],
    files: &[(&str, &str)],
) -> Result<(), TestCaseError> {
    prop_assert!(!diagnostics.is_empty());
    for d in diagnostics {
        prop_assert!(!d.message.trim().is_empty(), "empty message: {d:?}");
        match files.iter().find(|(name, _)| *name == d.file) {
            Some((_, text)) => {
                let lines = yaml_lines(text) + 1;
                prop_assert!(d.line <= lines, "line {} of {lines}: {d}", d.line);
            }
            None => prop_assert_eq!(d.line, 0, "a position in a file that has none: {}", d),
        }
    }
    Ok(())
}

/// Collecting must give only valid names bound to scalars, or errors with positions.
fn check_collect(inputs: &VarInputs, files: &[(&str, &str)]) -> Result<(), TestCaseError> {
    match Variables::collect(None, inputs) {
        Ok(vars) => {
            for (name, var) in vars.iter() {
                prop_assert!(is_variable_name(name), "invalid name {name:?} accepted");
                prop_assert!(
                    !var.value.is_array() && !var.value.is_object(),
                    "{name} holds a {}",
                    var.value
                );
            }
        }
        Err(diagnostics) => check_diagnostics(&diagnostics, files)?,
    }
    Ok(())
}

/// Rendering [`USES_VARS`] with these inputs: a runbook, or errors with positions.
fn check_render(inputs: &VarInputs, files: &[(&str, &str)]) -> Result<(), TestCaseError> {
    let mut files = files.to_vec();
    files.push(("uses-vars.yaml", USES_VARS));
    match prepare(Source::from_text("uses-vars.yaml", USES_VARS), inputs) {
        Ok(prepared) => {
            prop_assert_eq!(prepared.runbook.steps.len(), 2);
            prop_assert!(prepared.runbook.name.starts_with("drill "));
        }
        Err(PrepareError::Invalid(diagnostics)) => check_diagnostics(&diagnostics, &files)?,
        Err(PrepareError::Read(e)) => prop_assert!(false, "no file was read: {e}"),
    }
    Ok(())
}

/// A YAML value for a variables file, before it is written out.
#[derive(Debug, Clone)]
enum Yaml {
    /// A scalar as written (plain, quoted, tagged, an alias…), on one line.
    Scalar(String),
    /// A block scalar: `|`, `>-`, … and its lines.
    Block(&'static str, Vec<String>),
    Seq(Vec<Yaml>),
    Map(Vec<(String, Yaml)>),
    /// `[...]` or `{...}` on one line.
    Flow(String),
    /// `&name` before the value.
    Anchored(String, Box<Yaml>),
}

/// Scalars that YAML parsers (and JSON numbers) get wrong or argue about.
const WEIRD_SCALARS: &[&str] = &[
    "~",
    "null",
    "Null",
    "''",
    "\"\"",
    "yes",
    "no",
    "on",
    "off",
    "y",
    "true",
    "True",
    "FALSE",
    "012",
    "-012",
    "0x1F",
    "0o17",
    "0b101",
    "+12",
    "1_000",
    "1e400",
    "-1e400",
    "1e-400",
    ".inf",
    "-.Inf",
    ".NaN",
    "123456789012345678901234567890",
    "-9223372036854775809",
    "18446744073709551615",
    "18446744073709551616",
    "340282366920938463463374607431768211457",
    "3.14159265358979323846264338327950288419716939937510",
    "0.",
    ".5",
    "-0",
    "2026-11-20T03:00:00Z",
    "2001-12-14t21:59:43.10-05:00",
    "2026-11-20",
    "12:30:00",
    "!!binary aGVsbG8=",
    "!foo bar",
    "!!str 12",
    "!!int \"3\"",
    "!!float 1",
    "!!bool yes",
    "!!null ''",
    "!<tag:yaml.org,2002:str> x",
    "!!map {}",
    "'{{a}}'",
    "\"{{#if}}\"",
    "\"{{> partial}}\"",
    "'{{{{raw}}}}'",
    "\"\\u263A\\x00\\t\\N\\_\"",
    "\"\\uD800\"",
    "\"\\U0010FFFF\"",
    "'it''s'",
    "\"a\\\nb\"",
    "6f1c2d9e-3b4a-4c5d-8e7f-0a1b2c3d4e5f",
    "30s",
    "1h30m",
    "*anchor",
    "*missing",
    "? x",
    "- x",
    "%",
    "@x",
    "`x`",
    "\u{feff}x",
    "é ü 中文 🦀 \u{202e}rtl",
    "\u{0}",
    "a\u{85}b",
    "a\u{2028}b",
];

const KEYS: &[&str] = &[
    "a",
    "b",
    "c",
    "d",
    "e",
    "_",
    "x1",
    "db_plan",
    "vao_password",
    "1x",
    "a-b",
    "a.b",
    "é",
    "''",
    "\"a\"",
    "'a b'",
    "<<",
    "? a",
    "[a]",
    "{a: 1}",
    "*anchor",
    "!!str a",
    "\"\\u0061\"",
    "null",
    "~",
    "12",
];

fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(WEIRD_SCALARS).prop_map(str::to_owned),
        1 => any::<i64>().prop_map(|n| n.to_string()),
        1 => any::<u128>().prop_map(|n| n.to_string()),
        1 => any::<f64>().prop_map(|n| format!("{n:e}")),
        // Unicode in every quoting style: double-quoted (escaped), single-quoted, plain.
        1 => "\\PC{0,12}".prop_map(|s| format!("{s:?}")),
        1 => "\\PC{0,12}".prop_map(|s| format!("'{}'", s.replace('\'', "''"))),
        1 => "[^\\n\\r]{0,12}",
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(KEYS).prop_map(str::to_owned),
        1 => "[A-Za-z_][A-Za-z0-9_]{0,6}",
        1 => "\\PC{1,6}".prop_map(|s| format!("{s:?}")),
    ]
}

fn yaml_value() -> impl Strategy<Value = Yaml> {
    let leaf = prop_oneof![
        6 => scalar().prop_map(Yaml::Scalar),
        1 => (
            prop::sample::select(&["|", "|-", "|+", ">", ">-", "|2"][..]),
            prop::collection::vec("[^\\n\\r]{0,10}", 0..3),
        )
            .prop_map(|(style, lines)| Yaml::Block(style, lines)),
        1 => prop::collection::vec(scalar(), 0..4)
            .prop_map(|items| Yaml::Flow(format!("[{}]", items.join(", ")))),
        1 => prop::collection::vec((key(), scalar()), 0..3).prop_map(|entries| {
            let entries: Vec<String> = entries.iter().map(|(k, v)| format!("{k}: {v}")).collect();
            Yaml::Flow(format!("{{{}}}", entries.join(", ")))
        }),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Yaml::Seq),
            prop::collection::vec((key(), inner.clone()), 0..4).prop_map(Yaml::Map),
            (prop::sample::select(&["anchor", "a", "x"][..]), inner)
                .prop_map(|(name, value)| Yaml::Anchored(name.to_owned(), Box::new(value))),
        ]
    })
}

/// Writes `value` after `prefix` (`key:`, `-` or nothing) at `indent` spaces.
fn write_yaml(out: &mut String, indent: usize, prefix: &str, value: &Yaml) {
    let pad = " ".repeat(indent);
    let sep = if prefix.is_empty() { "" } else { " " };
    match value {
        Yaml::Scalar(s) | Yaml::Flow(s) => out.push_str(&format!("{pad}{prefix}{sep}{s}\n")),
        Yaml::Block(style, lines) => {
            out.push_str(&format!("{pad}{prefix}{sep}{style}\n"));
            for line in lines {
                out.push_str(&format!("{pad}  {line}\n"));
            }
        }
        Yaml::Seq(items) if items.is_empty() => out.push_str(&format!("{pad}{prefix}{sep}[]\n")),
        Yaml::Map(entries) if entries.is_empty() => {
            out.push_str(&format!("{pad}{prefix}{sep}{{}}\n"))
        }
        Yaml::Seq(items) => {
            let inner = if prefix.is_empty() {
                indent
            } else {
                out.push_str(&format!("{pad}{prefix}\n"));
                indent + 2
            };
            for item in items {
                write_yaml(out, inner, "-", item);
            }
        }
        Yaml::Map(entries) => {
            let inner = if prefix.is_empty() {
                indent
            } else {
                out.push_str(&format!("{pad}{prefix}\n"));
                indent + 2
            };
            for (k, v) in entries {
                write_yaml(out, inner, &format!("{k}:"), v);
            }
        }
        Yaml::Anchored(name, value) => {
            let prefix = format!("{prefix}{sep}&{name}");
            write_yaml(out, indent, &prefix, value)
        }
    }
}

/// A whole variables file: usually a mapping, sometimes something else, with the odd
/// directive, document marker, comment or second document around it.
fn vars_file_text() -> impl Strategy<Value = String> {
    let root = prop_oneof![
        8 => prop::collection::vec((key(), yaml_value()), 0..8).prop_map(Yaml::Map),
        1 => yaml_value(),
    ];
    let header = prop::sample::select(
        &[
            "",
            "",
            "",
            "---\n",
            "%YAML 1.2\n---\n",
            "# vars\n",
            "\u{feff}",
            "--- !!map\n",
        ][..],
    );
    let footer = prop::sample::select(&["", "", "", "...\n", "---\nsecond: doc\n", "# end"][..]);
    (header, root, footer).prop_map(|(header, root, footer)| {
        let mut text = header.to_owned();
        write_yaml(&mut text, 0, "", &root);
        text.push_str(footer);
        text
    })
}

/// A `--var` (or environment) name: valid, invalid, or anything.
fn var_name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(&["a", "b", "c", "d", "e", "_", "vao_token"][..])
            .prop_map(str::to_owned),
        2 => "[A-Za-z_][A-Za-z0-9_]{0,8}",
        1 => prop::sample::select(&["", "1x", "a-b", "é", " a", "a ", "DRBOOK_VAR_a"][..])
            .prop_map(str::to_owned),
        1 => "\\PC{0,6}",
        1 => any::<String>(),
    ]
}

/// A `--var` value: anything, including control characters, newlines and templates.
fn var_value() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => prop::sample::select(&[
            "", "true", "false", "True", "012", "=", "a=b", "{{a}}", "{{#if}}", "{{{{raw}}}}",
            "\n- failover:\n    plan_id: x\n", "6f1c2d9e-3b4a-4c5d-8e7f-0a1b2c3d4e5f", "5m", "0s",
            "1e400", "-", "<&>", "\u{0}", "\u{feff}", "🦀",
        ][..])
        .prop_map(str::to_owned),
        2 => "\\PC{0,24}",
        1 => any::<String>(),
    ]
}

/// `NAME=VALUE`, or something that is not one.
fn assignment() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => (var_name(), var_value()).prop_map(|(n, v)| format!("{n}={v}")),
        1 => var_name(),
        1 => any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 250, ..ProptestConfig::default() })]

    #[test]
    fn generated_and_mutated_vars_files_never_panic_and_errors_have_positions(
        text in vars_file_text(),
        edits in prop::collection::vec(edit(), 0..4),
    ) {
        let text = apply(&text, &edits);
        let inputs = VarInputs {
            files: vec![("v.yaml".into(), text.clone())],
            ..Default::default()
        };
        let files = [("v.yaml", text.as_str())];
        check_collect(&inputs, &files)?;
        check_render(&inputs, &files)?;
    }

    #[test]
    fn generated_var_flags_and_env_never_panic_and_errors_are_reported(
        cli in prop::collection::vec(assignment(), 0..5),
        env in prop::collection::vec((var_name(), var_value()), 0..3),
    ) {
        let inputs = VarInputs { cli: cli.clone(), env: env.clone(), ..Default::default() };
        check_collect(&inputs, &[])?;
        // The documented contract, exactly: NAME=VALUE with a valid name; `true` and
        // `false` are booleans, anything else stays the string it was.
        let bad_cli = cli
            .iter()
            .filter(|a| !a.split_once('=').is_some_and(|(n, _)| is_variable_name(n)))
            .count();
        let bad_env = env.iter().filter(|(n, _)| !is_variable_name(n)).count();
        match Variables::collect(None, &inputs) {
            Ok(vars) => {
                prop_assert_eq!(bad_cli + bad_env, 0);
                let mut expected = std::collections::BTreeMap::new();
                let cli = cli.iter().filter_map(|a| a.split_once('='));
                let env = env.iter().map(|(n, v)| (n.as_str(), v.as_str()));
                for (name, value) in env.chain(cli) {
                    expected.insert(name.to_owned(), value.to_owned());
                }
                prop_assert_eq!(vars.len(), expected.len());
                for (name, value) in &expected {
                    let want = match value.as_str() {
                        "true" => serde_json::Value::Bool(true),
                        "false" => serde_json::Value::Bool(false),
                        _ => serde_json::Value::String(value.clone()),
                    };
                    prop_assert_eq!(&vars.get(name).unwrap().value, &want);
                }
            }
            Err(diagnostics) => prop_assert_eq!(diagnostics.len(), bad_cli + bad_env),
        }
        check_render(&inputs, &[])?;
        // A value is data: it ends up verbatim in the rendered string, never re-parsed,
        // re-rendered or escaped.
        if bad_cli + bad_env == 0 {
            // `--var` wins over the environment; the last of each wins.
            let from_cli = cli
                .iter()
                .filter_map(|a| a.split_once('='))
                .rfind(|(n, _)| *n == "a")
                .map(|(_, v)| v);
            let from_env = env.iter().rfind(|(n, _)| n == "a").map(|(_, v)| v.as_str());
            if let (Some(a), Ok(prepared)) = (
                from_cli.or(from_env),
                prepare(Source::from_text("uses-vars.yaml", USES_VARS), &inputs),
            ) {
                prop_assert_eq!(prepared.runbook.name, format!("drill {a}"));
            }
        }
    }
}
