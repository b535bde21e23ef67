//! Secrets (passwords, tokens) that cannot be printed by accident, and the [`Redactor`]
//! that masks them in anything drbook writes.
//!
//! Crate-level rather than inside `vao`: the client learns tokens, but the journal, the
//! reports and the log writer mask them too, and none of them should depend on the VAO
//! client for that.

use std::fmt;
use std::sync::{Arc, RwLock};

/// A secret string. `Debug` and `Display` print `***`; the value is only reachable through
/// [`Secret::expose`], which makes every use greppable.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Replaces every occurrence of known secrets in text. Clones share one list, so a secret
/// learnt anywhere (a token the server issues mid-run) is masked everywhere. Values shorter
/// than four characters are left alone: masking them would mangle ordinary words.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Arc<RwLock<Vec<String>>>,
}

/// The mask that replaces a secret.
pub const MASK: &str = "***";

impl Redactor {
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Redactor {
        let redactor = Redactor::default();
        for secret in secrets {
            redactor.add(&secret);
        }
        redactor
    }

    pub fn add(&self, secret: &str) {
        if secret.len() < 4 {
            return;
        }
        let mut secrets = self.secrets.write().unwrap_or_else(|e| e.into_inner());
        if !secrets.iter().any(|s| s == secret) {
            secrets.push(secret.to_owned());
            // Longest first, so a secret that contains another is masked whole.
            secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
    }

    pub fn redact(&self, text: &str) -> String {
        let secrets = self.secrets.read().unwrap_or_else(|e| e.into_inner());
        let mut out = text.to_owned();
        for secret in secrets.iter() {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), MASK);
            }
        }
        out
    }

    /// Masks secrets in every string of a JSON value (before it is serialised, so escaping
    /// cannot hide a secret from the mask), except under the object keys in `keep`: fixed
    /// vocabulary (`"result": "succeeded"`) that a secret equal to a word must not break.
    pub fn redact_json(&self, value: &mut serde_json::Value, keep: &[&str]) {
        match value {
            serde_json::Value::String(s) => {
                let redacted = self.redact(s);
                if redacted != *s {
                    *s = redacted;
                }
            }
            serde_json::Value::Array(items) => {
                items.iter_mut().for_each(|v| self.redact_json(v, keep))
            }
            serde_json::Value::Object(map) => {
                for (key, v) in map.iter_mut() {
                    if !keep.contains(&key.as_str()) {
                        self.redact_json(v, keep);
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("hunter22");
        assert_eq!(format!("{s} {s:?}"), "*** Secret(***)");
    }

    #[test]
    fn redactor_masks_every_occurrence() {
        let r = Redactor::new([
            "hunter22".to_owned(),
            "abc".to_owned(),
            "hunter22x".to_owned(),
        ]);
        assert_eq!(r.redact("p=hunter22x q=hunter22 abc"), "p=*** q=*** abc");
        let shared = r.clone();
        shared.add("learnt-later");
        assert_eq!(r.redact("a learnt-later b"), "a *** b");
        let mut json = serde_json::json!({"name": "x\"hunter22\\", "list": ["hunter22"]});
        r.redact_json(&mut json, &[]);
        assert_eq!(
            json,
            serde_json::json!({"name": "x\"***\\", "list": ["***"]})
        );
        let mut kept = serde_json::json!({"result": "hunter22", "error": "hunter22"});
        r.redact_json(&mut kept, &["result"]);
        assert_eq!(
            kept,
            serde_json::json!({"result": "hunter22", "error": "***"})
        );
    }
}
