//! Secrets (passwords, tokens) that cannot be printed by accident.

use std::fmt;

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

/// How drbook authenticates to VAO.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// A bearer token obtained elsewhere (`VAO_TOKEN`); it cannot be refreshed.
    Token(Secret),
    /// The password grant on `POST /token` (`VAO_USERNAME` + `VAO_PASSWORD`, or
    /// `--username` + `--password-file`).
    Password { username: String, password: Secret },
}

impl Credentials {
    /// The secret values, for scrubbing them from anything drbook writes.
    pub fn secrets(&self) -> Vec<String> {
        match self {
            Credentials::Token(t) => vec![t.expose().to_owned()],
            Credentials::Password { password, .. } => vec![password.expose().to_owned()],
        }
    }

    /// A description safe to print (`password grant for DOMAIN\\user`).
    pub fn describe(&self) -> String {
        match self {
            Credentials::Token(_) => "bearer token from VAO_TOKEN".to_owned(),
            Credentials::Password { username, .. } => format!("password grant for {username}"),
        }
    }
}

/// Replaces every occurrence of known secrets in text. Values shorter than four characters
/// are left alone: masking them would mangle ordinary words and reveal little.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Redactor {
        let mut secrets: Vec<String> = secrets.into_iter().filter(|s| s.len() >= 4).collect();
        // Longest first, so a secret that contains another is masked whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Redactor { secrets }
    }

    pub fn add(&mut self, secret: &str) {
        if secret.len() >= 4 && !self.secrets.iter().any(|s| s == secret) {
            self.secrets.push(secret.to_owned());
            self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
    }

    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), "***");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("hunter22");
        assert_eq!(format!("{s} {s:?}"), "*** Secret(***)");
        let c = Credentials::Password {
            username: "CORP\\dr".into(),
            password: s,
        };
        assert!(!format!("{c:?}").contains("hunter22"));
    }

    #[test]
    fn redactor_masks_every_occurrence() {
        let r = Redactor::new([
            "hunter22".to_owned(),
            "abc".to_owned(),
            "hunter22x".to_owned(),
        ]);
        assert_eq!(r.redact("p=hunter22x q=hunter22 abc"), "p=*** q=*** abc");
    }
}
