//! Nothing panics or hangs on any input: generated mutations of the example runbooks go
//! through the whole loader (parse, schema, variables, templates, build).

use crate::validate::examples;
use drbook::prepare::{PrepareError, prepare};
use drbook::runbook::Source;
use drbook::template::VarInputs;
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
        let lines = text.lines().count() + 1;
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
