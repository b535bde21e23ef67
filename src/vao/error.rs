//! [`VaoError`]: what can go wrong talking to VAO, and whether trying again may help.
//!
//! A file of its own so that the client (which raises these errors) and the retry rules
//! (which judge them) both depend on it, and not on each other.

use super::retry::is_retryable_status;

#[derive(Debug, thiserror::Error)]
pub enum VaoError {
    #[error("{method} {path} answered {status}: {message}")]
    Http {
        method: &'static str,
        path: String,
        status: u16,
        message: String,
    },
    #[error("{method} {path} failed: {message}")]
    Transport {
        method: &'static str,
        path: String,
        message: String,
        /// False when no connection was made, so the request certainly was not sent.
        connected: bool,
        /// No answer came within the request timeout: a slow server may still act on it.
        timed_out: bool,
    },
    #[error("authentication failed: {0}")]
    Auth(String),
    #[error("{path}: unexpected answer: {message}")]
    Decode { path: String, message: String },
    #[error("invalid client setting: {0}")]
    Setup(String),
}

impl VaoError {
    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            VaoError::Http { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether a failed read may be tried again: the server was unreachable, too busy, or
    /// failed (5xx, 429, 408). Any other answer would be the same the next time.
    pub fn is_retryable(&self) -> bool {
        match self {
            VaoError::Transport { .. } => true,
            VaoError::Http { status, .. } => is_retryable_status(*status),
            VaoError::Auth(_) | VaoError::Decode { .. } | VaoError::Setup(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreachable_busy_and_failing_servers_are_retryable() {
        let http = |status| VaoError::Http {
            method: "GET",
            path: "/p".to_owned(),
            status,
            message: String::new(),
        };
        for status in [500, 503, 429, 408] {
            assert!(http(status).is_retryable(), "{status}");
        }
        for status in [400, 401, 404, 409] {
            assert!(!http(status).is_retryable(), "{status}");
        }
        let transport = VaoError::Transport {
            method: "GET",
            path: "/p".to_owned(),
            message: "could not connect".to_owned(),
            connected: false,
            timed_out: false,
        };
        assert!(transport.is_retryable());
        assert!(!VaoError::Auth("no".to_owned()).is_retryable());
        assert_eq!(http(503).status(), Some(503));
        assert_eq!(transport.status(), None);
    }
}
