//! The loader's fast path: a [`Node`] tree built straight from granit-parser's events (the
//! parser serde-saphyr itself drives), with the events' marks for positions.
//!
//! Going through serde (`Spanned<Tagged<Value>>`, a duplicate-key `HashSet` per mapping) was
//! most of `drbook validate`'s time. This path takes only what runbooks are made of: one
//! document of mappings, lists and scalars, without tags, anchors, aliases or merge keys, no
//! key twice, every plain scalar one whose YAML 1.2 type it can tell for certain. Anything
//! else it declines (`None`), and [`super::yaml`] loads the file with serde-saphyr instead, whose
//! rules (duplicate keys, the alias budget, tags, scalar typing) and messages stay the only
//! ones: a declined document, and every invalid one, is judged there. A test holds the trees
//! of the two paths equal, positions included.

use super::node::{Key, Node, Pos, Value};
use granit_parser::{Event, Parser, ScalarStyle, Span, StrInput};
use std::borrow::Cow;

/// Deeper documents go to serde-saphyr, whose budget stops them at 64 levels.
const MAX_DEPTH: usize = 48;

/// Larger documents go to serde-saphyr, whose budget allows 250,000 nodes and 1,000,000
/// events; a 10,000-step runbook has about 100,000 nodes.
const MAX_NODES: usize = 200_000;

/// Mappings with more keys look for a duplicate through a hash set, not a scan.
const SCAN_KEYS: usize = 16;

/// The document's tree, or `None` when serde-saphyr must judge it.
pub(super) fn load(text: &str) -> Option<Node> {
    // The parser's defaults are the options serde-saphyr gives it (its default budget keeps
    // them, comments are not asked for).
    let mut loader = Loader {
        parser: Parser::new_from_str(text),
        nodes: 0,
        items: Vec::new(),
        entries: Vec::new(),
    };
    if !matches!(loader.next()?.0, Event::StreamStart) {
        return None;
    }
    // A `%YAML` directive is serde-saphyr's to interpret.
    if !matches!(loader.next()?.0, Event::DocumentStart(_, None)) {
        return None;
    }
    let (event, pos) = loader.next()?;
    let root = loader.node(event, pos, 0)?;
    // One document, and the parser's verdict on the rest of the file too.
    if !matches!(loader.next()?.0, Event::DocumentEnd)
        || !matches!(loader.next()?.0, Event::StreamEnd)
    {
        return None;
    }
    (root.value != Value::Null).then_some(root)
}

struct Loader<'a> {
    parser: Parser<'a, StrInput<'a>>,
    nodes: usize,
    /// The items and entries of the lists and mappings being read, innermost last: each is
    /// moved into a vector of its exact length when it ends (a `Vec` grown by pushing would
    /// keep room for four entries where a runbook's mappings mostly have one or two).
    items: Vec<Node>,
    entries: Vec<(Key, Node)>,
}

impl<'a> Loader<'a> {
    /// The next event and where it starts; a parse error declines the document
    /// (serde-saphyr words it).
    fn next(&mut self) -> Option<(Event<'a>, Pos)> {
        let (event, span) = self.parser.next_event()?.ok()?;
        Some((event, pos(&span)))
    }

    fn node(&mut self, event: Event<'a>, pos: Pos, depth: usize) -> Option<Node> {
        self.nodes += 1;
        if depth > MAX_DEPTH || self.nodes > MAX_NODES {
            return None;
        }
        let value = match event {
            Event::Scalar(text, style, 0, None) => scalar(text, style)?,
            Event::SequenceStart(_, 0, None) => {
                let start = self.items.len();
                loop {
                    match self.next()? {
                        (Event::SequenceEnd, _) => break,
                        (event, pos) => {
                            let item = self.node(event, pos, depth + 1)?;
                            self.items.push(item);
                        }
                    }
                }
                Value::Seq(self.items.drain(start..).collect())
            }
            Event::MappingStart(_, 0, None) => Value::Map(self.entries(depth)?),
            // Anchors, aliases, tags.
            _ => return None,
        };
        Some(Node { value, pos })
    }

    fn entries(&mut self, depth: usize) -> Option<Vec<(Key, Node)>> {
        let start = self.entries.len();
        let mut seen: Option<std::collections::HashSet<String>> = None;
        loop {
            let (event, key_pos) = self.next()?;
            let name = match event {
                Event::MappingEnd => return Some(self.entries.drain(start..).collect()),
                // A key is a name; a key of another type (`1:`, `~:`, a list) is declined.
                Event::Scalar(text, style, 0, None) => match scalar(text, style)? {
                    Value::String(name) if name != "<<" => name,
                    _ => return None,
                },
                _ => return None,
            };
            let entries = &self.entries[start..];
            let duplicate = match &mut seen {
                Some(seen) => !seen.insert(name.clone()),
                None => entries.iter().any(|(key, _)| key.name == name),
            };
            if duplicate {
                return None;
            }
            if seen.is_none() && entries.len() >= SCAN_KEYS {
                let mut names: std::collections::HashSet<String> =
                    entries.iter().map(|(key, _)| key.name.clone()).collect();
                names.insert(name.clone());
                seen = Some(names);
            }
            self.nodes += 1;
            let key = Key { name, pos: key_pos };
            let (event, pos) = self.next()?;
            let value = self.node(event, pos, depth + 1)?;
            self.entries.push((key, value));
        }
    }
}

/// A 1-based position, as serde-saphyr makes it from the same span.
fn pos(span: &Span) -> Pos {
    Pos {
        line: span.start.line(),
        column: span.start.col() + 1,
    }
}

/// An untagged scalar's value under the YAML 1.2 core schema as serde-saphyr resolves it
/// with drbook's options (strict booleans; leading-zero and underscored numbers stay
/// strings), or `None` where this path does not decide it (floats, `+12`, `0x1F`, `.inf`,
/// integers beyond 64 bits).
fn scalar(text: Cow<'_, str>, style: ScalarStyle) -> Option<Value> {
    if style != ScalarStyle::Plain {
        return Some(Value::String(text.into_owned()));
    }
    let text = text.as_ref();
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Some(Value::Null),
        "true" | "True" | "TRUE" => return Some(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Value::Bool(false)),
        _ => {}
    }
    let string = || Some(Value::String(text.to_owned()));
    // serde-saphyr trims these before typing; a plain scalar has none at its ends.
    if text.trim_matches([' ', '\t', '\r', '\n']) != text {
        return None;
    }
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let first = *unsigned.as_bytes().first()?;
    if !first.is_ascii_digit() {
        // Words are strings (Rust's `inf`, `nan` are not YAML's); `+…`, `.5`, `.inf`, `-x`
        // are left to serde-saphyr.
        return (!negative && !matches!(first, b'+' | b'.')).then(|| Value::String(text.into()));
    }
    if text.contains('_') {
        return string();
    }
    if unsigned.bytes().all(|b| b.is_ascii_digit()) {
        if unsigned.len() > 1 && first == b'0' {
            return string();
        }
        return if negative {
            text.parse::<i64>().ok().map(|n| Value::Number(n.into()))
        } else {
            text.parse::<u64>().ok().map(|n| Value::Number(n.into()))
        };
    }
    match unsigned.as_bytes() {
        [b'0', b'X' | b'O' | b'B', ..] => return string(),
        [b'0', radix @ (b'x' | b'o' | b'b'), digits @ ..] => {
            let radix = match radix {
                b'x' => 16,
                b'o' => 8,
                _ => 2,
            };
            let number = !digits.is_empty() && digits.iter().all(|&b| (b as char).is_digit(radix));
            return if number { None } else { string() };
        }
        _ => {}
    }
    // Only a float's characters: a float, or text serde-saphyr types.
    if unsigned.bytes().all(|b| b"0123456789.eE+-".contains(&b)) {
        return None;
    }
    string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_are_typed_or_declined() {
        let plain = |text: &str| scalar(text.into(), ScalarStyle::Plain);
        assert_eq!(plain("no"), Some(Value::String("no".into())));
        assert_eq!(plain("012"), Some(Value::String("012".into())));
        assert_eq!(plain("1_000"), Some(Value::String("1_000".into())));
        assert_eq!(plain("12"), Some(Value::Number(12.into())));
        assert_eq!(plain("-12"), Some(Value::Number((-12).into())));
        assert_eq!(plain("TRUE"), Some(Value::Bool(true)));
        assert_eq!(plain("~"), Some(Value::Null));
        assert_eq!(
            plain("6f1c2d9e-3b4a-4c5d-8e7f-0a1b2c3d4e5f"),
            Some(Value::String("6f1c2d9e-3b4a-4c5d-8e7f-0a1b2c3d4e5f".into()))
        );
        assert_eq!(plain("0x1F"), None);
        assert_eq!(plain("0X1F"), Some(Value::String("0X1F".into())));
        assert_eq!(plain("0b1c"), Some(Value::String("0b1c".into())));
        for declined in [
            "1.5",
            "1e5",
            "+12",
            ".inf",
            "-.inf",
            "2026-11-20",
            "99999999999999999999",
        ] {
            assert_eq!(plain(declined), None, "{declined}");
        }
        assert_eq!(
            scalar("12".into(), ScalarStyle::SingleQuoted),
            Some(Value::String("12".into()))
        );
    }
}
