//! Health checks (`http_check`, `tcp_check`): the one "try until it answers" loop behind
//! both, and what one try of each is.
//!
//! A check is a read: it changes nothing, so it is tried again freely, every `interval`,
//! until an answer matches or its `timeout` passes, and it is never journalled as an
//! intent (each try is a `probed` event, for the report). What differs between the two
//! kinds is one try, a [`Probe`]; the loop owns the pace, the deadline, the interrupt and
//! the words of the step's end.

use super::{Executor, StepEnd, interrupted};
use crate::exec::event::{Event, StepResult};
use crate::runbook::values::format_duration;
use crate::runbook::{HttpCheck, TcpCheck};
use chrono::Utc;
use std::time::Duration;
use tokio::time::Instant;

/// How much of an answer's body is read (a health page is small; a huge one is cut).
const MAX_BODY_BYTES: usize = 64 * 1024;
/// How much of the body the report keeps.
const BODY_EXCERPT_CHARS: usize = 500;

/// One try of a check, as the report and the step's end tell it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Answer {
    pub healthy: bool,
    pub status: Option<u16>,
    /// In words: `200 OK`, `connection refused`, `503 Service Unavailable`.
    pub answer: String,
    pub body: Option<String>,
}

/// One kind of check: what it tries, how long it tries for, and one try.
pub(super) trait Probe {
    /// What is checked, for messages (`GET http://…`, `db.example:5432`).
    fn target(&self) -> String;
    fn timeout(&self) -> Duration;
    fn interval(&self) -> Duration;
    /// The longest one try may take (cut to the time left before the deadline).
    fn try_timeout(&self) -> Duration;
    /// One try, within `limit`.
    async fn try_once(&self, limit: Duration) -> Answer;
}

/// The error's innermost cause, which says what happened ("connection refused").
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// An `http_check`: its own client (TLS options, no redirects), then one request a try.
pub(super) struct HttpProbe<'c> {
    check: &'c HttpCheck,
    client: reqwest::Client,
}

impl<'c> HttpProbe<'c> {
    pub fn new(check: &'c HttpCheck) -> Result<HttpProbe<'c>, String> {
        crate::vao::client::install_crypto_provider();
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("drbook/", env!("CARGO_PKG_VERSION")))
            .danger_accept_invalid_certs(check.insecure)
            // A redirect is an answer like any other: list its status to accept it.
            .redirect(reqwest::redirect::Policy::none());
        if crate::vao::client::is_loopback(&check.url) {
            builder = builder.no_proxy();
        }
        if let Some(path) = &check.ca_cert {
            let pem = std::fs::read(path)
                .map_err(|e| format!("ca_cert {}: cannot be read: {e}", path.display()))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| format!("ca_cert {}: {e}", path.display()))?;
            if certs.is_empty() {
                return Err(format!(
                    "ca_cert {}: no PEM certificate in the file",
                    path.display()
                ));
            }
            builder = builder.tls_certs_merge(certs);
        }
        let client = builder.build().map_err(|e| e.to_string())?;
        Ok(HttpProbe { check, client })
    }

    /// The body, up to [`MAX_BODY_BYTES`].
    async fn body(mut response: reqwest::Response) -> String {
        let mut bytes = Vec::new();
        while bytes.len() < MAX_BODY_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
                _ => break,
            }
        }
        bytes.truncate(MAX_BODY_BYTES);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// The start of a body, for the report.
fn excerpt(body: &str) -> String {
    let trimmed = body.trim();
    if trimmed.chars().count() > BODY_EXCERPT_CHARS {
        let cut: String = trimmed.chars().take(BODY_EXCERPT_CHARS).collect();
        format!("{cut}… (truncated)")
    } else {
        trimmed.to_owned()
    }
}

/// The expected statuses, for a message: `200`, `200 or 204`.
fn statuses(codes: &[u16]) -> String {
    let codes: Vec<String> = codes.iter().map(u16::to_string).collect();
    codes.join(" or ")
}

impl Probe for HttpProbe<'_> {
    fn target(&self) -> String {
        format!("{} {}", self.check.method, self.check.url)
    }

    fn timeout(&self) -> Duration {
        self.check.timeout
    }

    fn interval(&self) -> Duration {
        self.check.interval
    }

    fn try_timeout(&self) -> Duration {
        self.check.request_timeout
    }

    async fn try_once(&self, limit: Duration) -> Answer {
        let method = match self.check.method {
            "HEAD" => reqwest::Method::HEAD,
            _ => reqwest::Method::GET,
        };
        let mut request = self.client.request(method, &self.check.url).timeout(limit);
        for (name, value) in &self.check.headers {
            request = request.header(name, value);
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) if error.is_timeout() => {
                return Answer {
                    healthy: false,
                    status: None,
                    answer: format!("no answer within {}", format_duration(limit)),
                    body: None,
                };
            }
            Err(error) => {
                return Answer {
                    healthy: false,
                    status: None,
                    answer: root_cause(&error),
                    body: None,
                };
            }
        };
        let status = response.status();
        let line = format!(
            "{} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        )
        .trim_end()
        .to_owned();
        let body = Self::body(response).await;
        let status_ok = self.check.expect_status.contains(&status.as_u16());
        let body_ok = self
            .check
            .expect_body
            .as_ref()
            .is_none_or(|m| m.matches(&body));
        let answer = match (status_ok, body_ok, &self.check.expect_body) {
            (false, _, _) => format!("{line}, expected {}", statuses(&self.check.expect_status)),
            (true, false, Some(wanted)) => {
                format!("{line}, but the body does not {}", wanted.wanted())
            }
            _ => line,
        };
        Answer {
            healthy: status_ok && body_ok,
            status: Some(status.as_u16()),
            answer,
            body: (!body.trim().is_empty()).then(|| excerpt(&body)),
        }
    }
}

/// A `tcp_check`: a connection opens, or not.
pub(super) struct TcpProbe<'c>(pub &'c TcpCheck);

impl Probe for TcpProbe<'_> {
    fn target(&self) -> String {
        format!("{}:{}", self.0.host, self.0.port)
    }

    fn timeout(&self) -> Duration {
        self.0.timeout
    }

    fn interval(&self) -> Duration {
        self.0.interval
    }

    fn try_timeout(&self) -> Duration {
        self.0.connect_timeout
    }

    async fn try_once(&self, limit: Duration) -> Answer {
        let connect = tokio::net::TcpStream::connect((self.0.host.as_str(), self.0.port));
        let (healthy, answer) = match tokio::time::timeout(limit, connect).await {
            Ok(Ok(_stream)) => (true, "connected".to_owned()),
            Ok(Err(error)) => (false, root_cause(&error)),
            Err(_) => (
                false,
                format!("no connection within {}", format_duration(limit)),
            ),
        };
        Answer {
            healthy,
            status: None,
            answer,
            body: None,
        }
    }
}

impl Executor<'_> {
    /// Tries `probe` until it answers as expected, its timeout passes (the step fails with
    /// the last answer seen), or an interrupt comes. A timeout of 0 is one try.
    pub(super) async fn probe(&mut self, number: usize, probe: &impl Probe) -> StepEnd {
        let deadline = Instant::now() + probe.timeout();
        let mut attempt = 0;
        let mut last: Option<Answer> = None;
        let last_seen = |last: &Option<Answer>| {
            last.as_ref()
                .map(|a| format!("; the last answer was: {}", a.answer))
                .unwrap_or_default()
        };
        loop {
            if self.is_interrupted() {
                return StepEnd::Interrupted(format!(
                    "interrupted while checking {}{}",
                    probe.target(),
                    last_seen(&last)
                ));
            }
            attempt += 1;
            let left = deadline.saturating_duration_since(Instant::now());
            let limit = if left.is_zero() {
                probe.try_timeout()
            } else {
                probe.try_timeout().min(left)
            };
            let mut interrupt = self.interrupt.clone();
            let answer = tokio::select! {
                answer = probe.try_once(limit) => answer,
                _ = interrupted(&mut interrupt) => continue,
            };
            self.emit(Event::Probed {
                step: number,
                attempt,
                healthy: answer.healthy,
                status: answer.status,
                answer: answer.answer.clone(),
                body: answer.body.clone(),
                at: Utc::now(),
            });
            if answer.healthy {
                return StepEnd::Done(StepResult::Succeeded, None);
            }
            last = Some(answer);
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                let body = last
                    .as_ref()
                    .and_then(|a| a.body.as_ref())
                    .map(|b| format!(" (body: {b})"))
                    .unwrap_or_default();
                return StepEnd::Done(
                    StepResult::Failed,
                    Some(format!(
                        "{} was not healthy within {} ({attempt} tries){}{body}",
                        probe.target(),
                        format_duration(probe.timeout()),
                        last_seen(&last)
                    )),
                );
            }
            self.sleep(probe.interval().min(left)).await;
        }
    }

    /// `http_check`: the URL until an answer matches.
    pub(super) async fn http_check(&mut self, number: usize, check: &HttpCheck) -> StepEnd {
        match HttpProbe::new(check) {
            Ok(probe) => self.probe(number, &probe).await,
            Err(why) => StepEnd::Done(StepResult::Failed, Some(why)),
        }
    }

    /// `tcp_check`: host:port until a connection opens.
    pub(super) async fn tcp_check(&mut self, number: usize, check: &TcpCheck) -> StepEnd {
        self.probe(number, &TcpProbe(check)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_is_cut_for_the_report() {
        let long = "x".repeat(BODY_EXCERPT_CHARS + 10);
        assert!(excerpt(&long).ends_with("… (truncated)"));
        assert_eq!(excerpt("  ok\n"), "ok");
        assert_eq!(statuses(&[200, 204]), "200 or 204");
    }
}
