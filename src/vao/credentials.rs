//! How drbook authenticates to VAO: a token from elsewhere, the password grant, or the
//! client credentials grant (VRO).

use crate::secret::Secret;

/// How drbook authenticates to VAO.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// A bearer token obtained elsewhere (`VAO_TOKEN`); it cannot be refreshed.
    Token(Secret),
    /// The password grant on the token endpoint (`VAO_USERNAME` + `VAO_PASSWORD`, or
    /// `--username` + `--password-file`).
    Password { username: String, password: Secret },
    /// The `client_credentials` grant (VRO 7.x and 13): a client set up for drbook, which
    /// logs in unattended where an account would be asked for MFA (`VAO_CLIENT_ID` or
    /// `--client-id`, with `VAO_CLIENT_SECRET` or `--client-secret-file`).
    Client { client_id: String, secret: Secret },
}

impl Credentials {
    /// The secret values, for scrubbing them from anything drbook writes.
    pub fn secrets(&self) -> Vec<String> {
        match self {
            Credentials::Token(t) => vec![t.expose().to_owned()],
            Credentials::Password { password, .. } => vec![password.expose().to_owned()],
            Credentials::Client { secret, .. } => vec![secret.expose().to_owned()],
        }
    }

    /// A description safe to print (`password grant for DOMAIN\\user`).
    pub fn describe(&self) -> String {
        match self {
            Credentials::Token(_) => "bearer token from VAO_TOKEN".to_owned(),
            Credentials::Password { username, .. } => format!("password grant for {username}"),
            Credentials::Client { client_id, .. } => {
                format!("client credentials grant for client {client_id}")
            }
        }
    }

    /// Whether drbook logs in itself (and so can log in again), rather than being handed a
    /// token.
    pub fn logs_in(&self) -> bool {
        !matches!(self, Credentials::Token(_))
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
        let client = Credentials::Client {
            client_id: "drbook-drills".into(),
            secret: Secret::new("client-s3cret"),
        };
        assert!(!format!("{client:?}").contains("client-s3cret"));
        assert_eq!(client.secrets(), ["client-s3cret"]);
        assert_eq!(
            client.describe(),
            "client credentials grant for client drbook-drills"
        );
        assert!(client.logs_in() && !Credentials::Token(Secret::new("t")).logs_in());
    }
}
