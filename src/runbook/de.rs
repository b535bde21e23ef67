//! A serde `Deserializer` over a [`Node`] tree, so the typed `document` is read from the
//! same tree the schema check judged, and every error knows where it is.
//!
//! Errors are typed ([`ErrorKind`]: an unknown key with the keys allowed there, a missing
//! key, a value that is not what was expected) and carry the document path of the value
//! they are about; `schema::from_de_error` turns one into a `Diagnostic` with the same
//! wording as the schema check's.

use super::node::{Node, Value};
use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use std::fmt;

/// A problem found while reading a tree into the typed document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    /// Where: `["steps", "0", "failover", "plan_id"]`. For an unknown key, the key itself.
    pub segments: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// A key the mapping does not have; `expected` are the keys it may have.
    UnknownKey {
        key: String,
        expected: &'static [&'static str],
    },
    MissingKey(&'static str),
    /// The value is not what was expected there (the expectation in the user's words).
    Expected(String),
    Other(String),
}

impl Error {
    fn new(kind: ErrorKind) -> Error {
        Error {
            kind,
            segments: Vec::new(),
        }
    }

    /// Places the error at `path`, unless a deeper value already placed it (only the root
    /// has no segments, and nothing is above it).
    fn at(mut self, path: &Path) -> Error {
        if self.segments.is_empty() {
            self.segments = path.segments();
        }
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.segments.join(".");
        match &self.kind {
            ErrorKind::UnknownKey { key, .. } => write!(f, "{path}: unknown key `{key}`"),
            ErrorKind::MissingKey(key) => write!(f, "{path}: missing required key `{key}`"),
            ErrorKind::Expected(what) => write!(f, "{path}: expected {what}"),
            ErrorKind::Other(message) => write!(f, "{path}: {message}"),
        }
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(message: T) -> Error {
        Error::new(ErrorKind::Other(message.to_string()))
    }

    fn invalid_type(_: de::Unexpected, expected: &dyn de::Expected) -> Error {
        Error::new(ErrorKind::Expected(expected.to_string()))
    }

    fn invalid_value(_: de::Unexpected, expected: &dyn de::Expected) -> Error {
        Error::new(ErrorKind::Expected(expected.to_string()))
    }

    fn invalid_length(_: usize, expected: &dyn de::Expected) -> Error {
        Error::new(ErrorKind::Expected(expected.to_string()))
    }

    fn unknown_variant(_: &str, expected: &'static [&'static str]) -> Error {
        let expected = match expected.split_last() {
            Some((last, [])) => (*last).to_owned(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => "nothing".to_owned(),
        };
        Error::new(ErrorKind::Expected(expected))
    }

    fn unknown_field(key: &str, expected: &'static [&'static str]) -> Error {
        Error::new(ErrorKind::UnknownKey {
            key: key.to_owned(),
            expected,
        })
    }

    fn missing_field(key: &'static str) -> Error {
        Error::new(ErrorKind::MissingKey(key))
    }
}

/// Where a value is, as a chain to the root (built only when an error needs it).
#[derive(Debug, Clone, Copy)]
enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl Path<'_> {
    fn segments(&self) -> Vec<String> {
        let mut segments = Vec::new();
        let mut path = self;
        loop {
            match path {
                Path::Root => break,
                Path::Key(parent, key) => {
                    segments.push((*key).to_owned());
                    path = parent;
                }
                Path::Index(parent, index) => {
                    segments.push(index.to_string());
                    path = parent;
                }
            }
        }
        segments.reverse();
        segments
    }
}

/// Deserialises a type from a node.
pub struct NodeDeserializer<'a> {
    node: &'a Node,
    path: Path<'a>,
}

impl<'a> NodeDeserializer<'a> {
    pub fn new(root: &'a Node) -> NodeDeserializer<'a> {
        NodeDeserializer {
            node: root,
            path: Path::Root,
        }
    }

    /// Reads `T` from the whole tree.
    pub fn read<T: de::DeserializeOwned>(self) -> Result<T, Error> {
        let path = self.path;
        T::deserialize(self).map_err(|e| e.at(&path))
    }
}

impl<'de> de::Deserializer<'de> for NodeDeserializer<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.node.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    visitor.visit_u64(u)
                } else if let Some(i) = n.as_i64() {
                    visitor.visit_i64(i)
                } else {
                    visitor.visit_f64(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            Value::String(s) => visitor.visit_str(s),
            Value::Seq(items) => visitor.visit_seq(SeqAccess {
                items: items.iter().enumerate(),
                path: &self.path,
            }),
            Value::Map(entries) => visitor.visit_map(MapAccess {
                entries: entries.iter(),
                value: None,
                path: &self.path,
            }),
        }
    }

    /// A key that is there has a value: `timeout: null` is not "no timeout" but a value the
    /// field's type refuses (a key left out is `None`).
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match &self.node.value {
            Value::String(s) => visitor.visit_enum(s.as_str().into_deserializer()),
            _ => self.deserialize_any(visitor),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct
        identifier ignored_any
    }
}

/// Reads a list item or a mapping value, placing its errors there.
fn child<'de, T: DeserializeSeed<'de>>(
    seed: T,
    node: &Node,
    path: Path,
) -> Result<T::Value, Error> {
    seed.deserialize(NodeDeserializer { node, path })
        .map_err(|e| e.at(&path))
}

struct SeqAccess<'a, 'p> {
    items: std::iter::Enumerate<std::slice::Iter<'a, Node>>,
    path: &'p Path<'p>,
}

impl<'de> de::SeqAccess<'de> for SeqAccess<'_, '_> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let Some((index, node)) = self.items.next() else {
            return Ok(None);
        };
        child(seed, node, Path::Index(self.path, index)).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct MapAccess<'a, 'p> {
    entries: std::slice::Iter<'a, (super::node::Key, Node)>,
    value: Option<(&'a str, &'a Node)>,
    path: &'p Path<'p>,
}

impl<'de> de::MapAccess<'de> for MapAccess<'_, '_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some((key, node)) = self.entries.next() else {
            return Ok(None);
        };
        self.value = Some((&key.name, node));
        let deserializer: de::value::StrDeserializer<Error> = key.name.as_str().into_deserializer();
        seed.deserialize(deserializer)
            .map(Some)
            .map_err(|e| e.at(&Path::Key(self.path, &key.name)))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let (key, node) = self
            .value
            .take()
            .ok_or_else(|| <Error as de::Error>::custom("a value without a key"))?;
        child(seed, node, Path::Key(self.path, key))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runbook::yaml::parse;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        plan_id: String,
        retries: Option<u32>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        steps: Vec<Inner>,
    }

    fn error(text: &str) -> Error {
        NodeDeserializer::new(&parse("t.yaml", text).unwrap())
            .read::<Outer>()
            .unwrap_err()
    }

    #[test]
    fn errors_are_typed_and_placed_at_the_value() {
        let e = error("steps:\n  - plan_id: a\n  - plan_id: b\n    retries: many\n");
        assert_eq!(e.segments, ["steps", "1", "retries"]);
        assert!(matches!(e.kind, ErrorKind::Expected(_)), "{e:?}");

        let e = error("steps:\n  - plan_id: a\n    plan: b\n");
        assert_eq!(e.segments, ["steps", "0", "plan"]);
        assert_eq!(
            e.kind,
            ErrorKind::UnknownKey {
                key: "plan".into(),
                expected: &["plan_id", "retries"]
            }
        );

        let e = error("steps:\n  - retries: 1\n");
        assert_eq!(e.segments, ["steps", "0"]);
        assert_eq!(e.kind, ErrorKind::MissingKey("plan_id"));
    }
}
