//! Wording helpers for messages about a document, used by every stage that reports a
//! problem (the schema check, the typed reader, templates): did-you-mean suggestions, field
//! paths and short renderings of values. A leaf: it depends only on the [`Node`] tree.

use super::node::{Node, Value};

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
        let segs: Vec<String> = ["steps", "2", "failover", "plan_id"]
            .map(String::from)
            .into();
        assert_eq!(display_path(&root, &segs), "steps[2].failover.plan_id");
        assert_eq!(display_path(&root, &["vars".into(), "1".into()]), "vars.1");
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
