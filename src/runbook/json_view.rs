//! The [`Node`] tree as a JSON representation jsonschema validates in place, so the schema
//! checks borrow the tree instead of copying it into a `serde_json::Value` (a copy of every
//! string and an index map per mapping, made twice per `drbook validate`). The same view
//! serialises the tree as JSON ([`JsonView`]), for the hash of a rendered runbook.

use super::node::{Key, Node, Pos, Value};
use jsonschema::json::{Array, Json, Node as JsonNode, NodeIdentity, Object};
use jsonschema::types::JsonType;
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use std::borrow::Cow;

/// jsonschema's name for a [`Node`] tree: `Validator<NodeJson>` validates `&Node`.
pub struct NodeJson;

impl Json for NodeJson {
    type Node<'a> = &'a Node;
    type PreparedKey = String;
    type StringBuffer = Option<Node>;

    // A mapping's lookup is a scan of its entries, so one pass over them beats a few lookups.
    const KEYS_PER_LOOKUP: usize = 4;
    const ACYCLIC: bool = true;

    fn prepare_key(key: &str) -> String {
        key.to_owned()
    }

    fn with_string_node<T>(
        buffer: &mut Option<Node>,
        string: &str,
        f: impl FnOnce(&Node) -> T,
    ) -> T {
        let node =
            buffer.get_or_insert_with(|| Node::new(Value::String(String::new()), Pos::default()));
        if let Value::String(text) = &mut node.value {
            text.clear();
            text.push_str(string);
        }
        f(node)
    }
}

impl<'a> JsonNode<'a, NodeJson> for &'a Node {
    type Object = Members<'a>;
    type Array = Items<'a>;
    type Number = &'a serde_json::Number;

    fn as_object(&self) -> Option<Members<'a>> {
        match &self.value {
            Value::Map(entries) => Some(Members(entries)),
            _ => None,
        }
    }

    fn as_array(&self) -> Option<Items<'a>> {
        match &self.value {
            Value::Seq(items) => Some(Items(items)),
            _ => None,
        }
    }

    fn as_string(&self) -> Option<Cow<'a, str>> {
        match &self.value {
            Value::String(text) => Some(Cow::Borrowed(text)),
            _ => None,
        }
    }

    fn as_number(&self) -> Option<&'a serde_json::Number> {
        match &self.value {
            Value::Number(number) => Some(number),
            _ => None,
        }
    }

    fn as_boolean(&self) -> Option<bool> {
        match self.value {
            Value::Bool(value) => Some(value),
            _ => None,
        }
    }

    fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    fn json_type(&self) -> JsonType {
        match self.value {
            Value::Null => JsonType::Null,
            Value::Bool(_) => JsonType::Boolean,
            Value::Number(_) => JsonType::Number,
            Value::String(_) => JsonType::String,
            Value::Seq(_) => JsonType::Array,
            Value::Map(_) => JsonType::Object,
        }
    }

    /// `const` and `enum` (the version, the listed words): strings and booleans compared as
    /// they are, the rest through JSON.
    fn equals_value(&self, expected: &serde_json::Value) -> bool {
        match (&self.value, expected) {
            (Value::String(a), serde_json::Value::String(b)) => a == b,
            (Value::Bool(a), serde_json::Value::Bool(b)) => a == b,
            (Value::Null, serde_json::Value::Null) => true,
            (Value::String(_) | Value::Bool(_) | Value::Null, _) => false,
            _ => jsonschema::json::cmp::equal(&self.to_json(), expected),
        }
    }

    fn to_value(&self) -> Cow<'a, serde_json::Value> {
        Cow::Owned(self.to_json())
    }

    fn identity(&self) -> Option<NodeIdentity> {
        Some(NodeIdentity::new(std::ptr::from_ref::<Node>(self) as usize))
    }
}

/// A mapping's entries, in source order.
pub struct Members<'a>(&'a [(Key, Node)]);

impl<'a> Object<'a, NodeJson> for Members<'a> {
    type Node = &'a Node;
    type MemberName = &'a str;
    type MembersIter = std::iter::Map<
        std::slice::Iter<'a, (Key, Node)>,
        fn(&'a (Key, Node)) -> (&'a str, &'a Node),
    >;

    fn len(&self) -> usize {
        self.0.len()
    }

    fn get(&self, key: &String) -> Option<&'a Node> {
        self.0
            .iter()
            .find(|(k, _)| k.name == *key)
            .map(|(_, node)| node)
    }

    fn members(&self) -> Self::MembersIter {
        self.0.iter().map(|(k, node)| (k.name.as_str(), node))
    }
}

/// A list's items.
pub struct Items<'a>(&'a [Node]);

impl<'a> Array<'a, NodeJson> for Items<'a> {
    type Node = &'a Node;
    type ElementsIter = std::slice::Iter<'a, Node>;

    fn len(&self) -> usize {
        self.0.len()
    }

    fn elements(&self) -> std::slice::Iter<'a, Node> {
        self.0.iter()
    }
}

/// The tree serialised as its JSON form ([`Node::to_json`]) without building it.
pub struct JsonView<'a>(pub &'a Node);

impl Serialize for JsonView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0.value {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(value) => serializer.serialize_bool(*value),
            Value::Number(number) => number.serialize(serializer),
            Value::String(text) => serializer.serialize_str(text),
            Value::Seq(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&JsonView(item))?;
                }
                seq.end()
            }
            Value::Map(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (key, node) in entries {
                    map.serialize_entry(&key.name, &JsonView(node))?;
                }
                map.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_view_serialises_as_the_json_copy_does() {
        let root = crate::runbook::yaml::parse(
            "t.yaml",
            "a: [1, -2, x, true, ~, {b: 'c'}]\nd: \"é\\n\"\ne: 1.5\n",
        )
        .unwrap();
        assert_eq!(
            serde_json::to_string(&JsonView(&root)).unwrap(),
            root.to_json().to_string()
        );
    }
}
