//! Secrets (passwords, tokens) that cannot be printed by accident, and the [`Redactor`]
//! that masks them in anything drbook writes.
//!
//! Crate-level rather than inside `vao`: the client learns tokens, but the journal, the
//! reports and the log writer mask them too, and none of them should depend on the VAO
//! client for that.

use std::borrow::Cow;
use std::cell::Cell;
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
    /// Longest first, so a secret that contains another is masked whole. Replaced whole
    /// when a secret is learnt, so a reader holds one list for as long as it needs.
    secrets: Arc<RwLock<Arc<[Known]>>>,
}

/// A secret with its searcher, built once: masking runs on every string drbook writes.
#[derive(Debug, Clone)]
struct Known {
    text: String,
    finder: memchr::memmem::Finder<'static>,
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
        if secrets.iter().any(|s| s.text == secret) {
            return;
        }
        let mut list = secrets.to_vec();
        list.push(Known::new(secret));
        list.sort_by_key(|s| std::cmp::Reverse(s.text.len()));
        *secrets = list.into();
    }

    /// The secrets known now.
    fn known(&self) -> Arc<[Known]> {
        self.secrets
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn redact(&self, text: &str) -> String {
        self.mask(text).into_owned()
    }

    /// `text` with every known secret masked; borrowed (no copy) when it holds none.
    pub fn mask<'t>(&self, text: &'t str) -> Cow<'t, str> {
        mask_with(&self.known(), text)
    }

    /// `value` as JSON (pretty-printed or on one line), every string masked as it is
    /// written, before it is escaped (so no escaping can hide a secret from the mask),
    /// except under the object keys in `keep`: fixed vocabulary (`"result": "succeeded"`)
    /// and typed values that a secret equal to a word must not break. Object keys are
    /// written as they are. No copy of the value is made.
    pub fn to_json(
        &self,
        value: &impl serde::Serialize,
        keep: &[&str],
        pretty: bool,
    ) -> serde_json::Result<Vec<u8>> {
        let mut out = Vec::new();
        self.write_json(&mut out, value, keep, pretty)?;
        Ok(out)
    }

    /// [`Redactor::to_json`] written to `out` (a buffer kept for the next value, a file),
    /// and whether a secret was masked in it: when none was, the value's strings hold no
    /// secret outside the kept keys.
    pub fn write_json(
        &self,
        out: impl std::io::Write,
        value: &impl serde::Serialize,
        keep: &[&str],
        pretty: bool,
    ) -> serde_json::Result<bool> {
        let masked = Cell::new(false);
        if pretty {
            let formatter =
                Masking::new(self, keep, &masked, serde_json::ser::PrettyFormatter::new());
            value.serialize(&mut serde_json::Serializer::with_formatter(out, formatter))?;
        } else {
            let formatter = Masking::new(self, keep, &masked, serde_json::ser::CompactFormatter);
            value.serialize(&mut serde_json::Serializer::with_formatter(out, formatter))?;
        }
        Ok(masked.get())
    }
}

impl Known {
    fn new(text: &str) -> Known {
        Known {
            text: text.to_owned(),
            finder: memchr::memmem::Finder::new(text.as_bytes()).into_owned(),
        }
    }
}

/// `text` with each of `secrets` masked, longest first; borrowed when it holds none.
fn mask_with<'t>(secrets: &[Known], text: &'t str) -> Cow<'t, str> {
    let mut out = Cow::Borrowed(text);
    for secret in secrets {
        if secret.finder.find(out.as_bytes()).is_some() {
            out = Cow::Owned(out.replace(secret.text.as_str(), MASK));
        }
    }
    out
}

/// A JSON formatter that masks secrets in the strings it writes ([`Redactor::to_json`]).
/// A string outside the kept keys is gathered whole (its fragments and the characters its
/// escapes stand for), masked, and written escaped at its end.
struct Masking<'r, F> {
    inner: F,
    /// The secrets known when the value began to be written.
    secrets: Arc<[Known]>,
    keep: &'r [&'r str],
    /// Gathering a string to be masked (in `string`, a buffer kept for the next one).
    gathering: bool,
    string: String,
    /// Set when a string was masked.
    masked: &'r Cell<bool>,
    /// Inside an object key, and the key so far.
    in_key: bool,
    key: String,
    /// How deep in objects the writer is, and the depth of the kept value it is inside.
    depth: usize,
    kept_at: Option<usize>,
}

impl<'r, F> Masking<'r, F> {
    fn new(redactor: &'r Redactor, keep: &'r [&'r str], masked: &'r Cell<bool>, inner: F) -> Self {
        Masking {
            inner,
            secrets: redactor.known(),
            keep,
            gathering: false,
            string: String::new(),
            masked,
            in_key: false,
            key: String::new(),
            depth: 0,
            kept_at: None,
        }
    }
}

/// The character a JSON escape stands for.
fn unescaped(escape: &serde_json::ser::CharEscape) -> char {
    use serde_json::ser::CharEscape::*;
    match escape {
        Quote => '"',
        ReverseSolidus => '\\',
        Solidus => '/',
        Backspace => '\u{8}',
        FormFeed => '\u{c}',
        LineFeed => '\n',
        CarriageReturn => '\r',
        Tab => '\t',
        AsciiControl(byte) => char::from(*byte),
    }
}

impl<F: serde_json::ser::Formatter> serde_json::ser::Formatter for Masking<'_, F> {
    fn begin_string<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        if self.in_key || self.kept_at.is_some() {
            return self.inner.begin_string(w);
        }
        self.gathering = true;
        self.string.clear();
        Ok(())
    }

    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        if self.in_key {
            self.key.push_str(fragment);
        }
        if self.gathering {
            self.string.push_str(fragment);
            Ok(())
        } else {
            self.inner.write_string_fragment(w, fragment)
        }
    }

    fn write_char_escape<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        escape: serde_json::ser::CharEscape,
    ) -> std::io::Result<()> {
        if self.in_key {
            self.key.push(unescaped(&escape));
        }
        if self.gathering {
            self.string.push(unescaped(&escape));
            Ok(())
        } else {
            self.inner.write_char_escape(w, escape)
        }
    }

    fn end_string<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        if !self.gathering {
            return self.inner.end_string(w);
        }
        self.gathering = false;
        let masked = mask_with(&self.secrets, &self.string);
        if let Cow::Owned(_) = masked {
            self.masked.set(true);
        }
        serde_json::to_writer(&mut *w, masked.as_ref()).map_err(std::io::Error::other)
    }

    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.inner.begin_array(w)
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.inner.end_array(w)
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.inner.begin_array_value(w, first)
    }

    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.inner.end_array_value(w)
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.depth += 1;
        self.inner.begin_object(w)
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.depth -= 1;
        self.inner.end_object(w)
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.in_key = true;
        self.key.clear();
        self.inner.begin_object_key(w, first)
    }

    fn end_object_key<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.in_key = false;
        self.inner.end_object_key(w)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        if self.kept_at.is_none() && self.keep.contains(&self.key.as_str()) {
            self.kept_at = Some(self.depth);
        }
        self.inner.begin_object_value(w)
    }

    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        if self.kept_at == Some(self.depth) {
            self.kept_at = None;
        }
        self.inner.end_object_value(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_masked_as_it_is_written_and_kept_keys_are_left_whole() {
        let redactor = Redactor::new(["pa\"ss\\word".to_owned(), "succeeded".to_owned()]);
        let value = serde_json::json!({
            "note": "the pa\"ss\\word leaked\n",
            "result": "succeeded",
            "kept": { "list": ["succeeded", { "deep": "succeeded" }] },
            "after": ["succeeded"],
            "pa\"ss\\word": 1,
        });
        let keep = ["result", "kept"];
        let compact = String::from_utf8(redactor.to_json(&value, &keep, false).unwrap()).unwrap();
        assert_eq!(
            compact,
            r#"{"note":"the *** leaked\n","result":"succeeded","kept":{"list":["succeeded",{"deep":"succeeded"}]},"after":["***"],"pa\"ss\\word":1}"#
        );
        // Pretty or not, it is serde_json's own text when nothing is secret.
        let plain = Redactor::default();
        let pretty = redactor.to_json(&value, &keep, true).unwrap();
        let reread: serde_json::Value = serde_json::from_slice(&pretty).unwrap();
        assert_eq!(reread["note"], "the *** leaked\n");
        assert_eq!(
            plain.to_json(&value, &[], true).unwrap(),
            serde_json::to_vec_pretty(&value).unwrap()
        );
        assert_eq!(
            plain.to_json(&value, &[], false).unwrap(),
            serde_json::to_vec(&value).unwrap()
        );
    }

    #[test]
    fn write_json_appends_and_says_whether_it_masked() {
        let redactor = Redactor::new(["hunter22".to_owned()]);
        let mut out = b"x".to_vec();
        let clean = serde_json::json!({"note": "nothing here", "result": "hunter22"});
        assert!(
            !redactor
                .write_json(&mut out, &clean, &["result"], false)
                .unwrap()
        );
        assert_eq!(out, br#"x{"note":"nothing here","result":"hunter22"}"#);
        out.clear();
        let secret = serde_json::json!({"note": "a hunter22 here"});
        assert!(redactor.write_json(&mut out, &secret, &[], false).unwrap());
        assert_eq!(out, br#"{"note":"a *** here"}"#);
        assert!(matches!(redactor.mask("plain"), Cow::Borrowed("plain")));
    }

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
        let json = serde_json::json!({"name": "x\"hunter22\\", "list": ["hunter22"]});
        let masked: serde_json::Value =
            serde_json::from_slice(&r.to_json(&json, &[], false).unwrap()).unwrap();
        assert_eq!(
            masked,
            serde_json::json!({"name": "x\"***\\", "list": ["***"]})
        );
        let kept = serde_json::json!({"result": "hunter22", "error": "hunter22"});
        let masked: serde_json::Value =
            serde_json::from_slice(&r.to_json(&kept, &["result"], true).unwrap()).unwrap();
        assert_eq!(
            masked,
            serde_json::json!({"result": "hunter22", "error": "***"})
        );
    }
}
