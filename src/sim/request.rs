//! The record of one request the simulator received, for tests to inspect.

use std::fmt;
use std::time::SystemTime;

/// One request as received, recorded before it is answered.
#[derive(Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    pub method: String,
    /// Path and query, as sent.
    pub path: String,
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    /// The body, lossily decoded as UTF-8. For `POST /token` it holds the
    /// credentials: `Debug` masks them, tests may read them.
    pub body: String,
    pub received_at: SystemTime,
    /// The kind of the injected fault that hit this request
    /// ([`super::FaultKind::name`]), if any.
    pub fault: Option<String>,
}

impl fmt::Debug for RecordedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordedRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field(
                "authorization",
                &self.authorization.as_deref().map(mask_authorization),
            )
            .field("content_type", &self.content_type)
            .field("body", &mask_form_secrets(&self.body))
            .field("received_at", &self.received_at)
            .field("fault", &self.fault)
            .finish()
    }
}

fn mask_authorization(value: &str) -> String {
    match value.split_once(' ') {
        Some((scheme, _)) => format!("{scheme} ***"),
        None => "***".to_string(),
    }
}

/// Masks the values of form fields that carry secrets; other bodies pass.
fn mask_form_secrets(body: &str) -> String {
    const SECRET: [&str; 3] = ["password", "refresh_token", "access_token"];
    if !body.contains('=') || body.trim_start().starts_with(['{', '[']) {
        return body.to_string();
    }
    body.split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if SECRET.iter().any(|s| name.eq_ignore_ascii_case(s)) => {
                format!("{name}=***")
            }
            _ => pair.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_masks_secrets() {
        let r = RecordedRequest {
            method: "POST".into(),
            path: "/token".into(),
            authorization: Some("Bearer abc123".into()),
            content_type: Some("application/x-www-form-urlencoded".into()),
            body: "grant_type=password&username=drbook&password=hunter2".into(),
            received_at: SystemTime::now(),
            fault: Some("status".into()),
        };
        let text = format!("{r:?}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(!text.contains("abc123"), "{text}");
        assert!(text.contains("username=drbook"), "{text}");
        assert!(text.contains("fault: Some(\"status\")"), "{text}");
        assert_eq!(
            mask_form_secrets("grant_type=refresh_token&refresh_token=x"),
            "grant_type=refresh_token&refresh_token=***"
        );
        assert_eq!(mask_form_secrets("{\"a\":\"b=c\"}"), "{\"a\":\"b=c\"}");
    }
}
