//! How drbook authenticates to VAO: a token from elsewhere, or the password grant.

use crate::secret::Secret;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_print_their_secret() {
        let c = Credentials::Password {
            username: "CORP\\dr".into(),
            password: Secret::new("hunter22"),
        };
        assert!(!format!("{c:?}").contains("hunter22"));
        assert_eq!(c.secrets(), ["hunter22"]);
        assert_eq!(c.describe(), "password grant for CORP\\dr");
    }
}
