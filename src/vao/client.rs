//! The VAO v3 REST client: authentication, calls on plans ([`PlanRequest`]s), plan state.
//!
//! One `reqwest::Client` (keep-alive) for the whole run. Access tokens are refreshed
//! shortly before they expire and once on a 401, which the server sends before acting, so
//! repeating the request after a 401 cannot run anything twice.

use super::credentials::Credentials;
use super::envelope;
use super::error::VaoError;
use super::flavour::ApiFlavour;
use super::request::PlanRequest;
use super::retry::{self, RetryPolicy};
use super::state::{PlanInfo, PlanStatus};
use crate::secret::{Redactor, Secret};
use serde::Deserialize;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// How to reach the server.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Base URL, such as `https://vao.example.internal:9899`.
    pub server: String,
    /// Which edition of the API: it set the prefix and token path below (unless they were
    /// given), and decides whether lists are asked for page by page.
    pub api: ApiFlavour,
    /// The API prefix, `/api/v3` for VAO 3.
    pub api_prefix: String,
    /// The token endpoint, `/token` for VAO 3.
    pub token_path: String,
    /// Accept any TLS certificate (self-signed lab servers).
    pub insecure: bool,
    /// Extra trusted CA certificates, PEM.
    pub ca_cert_pem: Option<Vec<u8>>,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// How token requests are retried when the server is unreachable or failing.
    pub token_retries: RetryPolicy,
}

impl ClientOptions {
    pub fn new(server: &str) -> ClientOptions {
        let api = ApiFlavour::default();
        ClientOptions {
            server: server.trim_end_matches('/').to_owned(),
            api,
            api_prefix: api.api_prefix().to_owned(),
            token_path: api.token_path().to_owned(),
            insecure: false,
            ca_cert_pem: None,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            token_retries: RetryPolicy {
                retries: 3,
                delay: Duration::from_secs(1),
            },
        }
    }

    /// The flavour's prefix and token path (what `--api` sets; `--api-prefix` and
    /// `--token-path` override them afterwards).
    pub fn with_api(mut self, api: ApiFlavour) -> ClientOptions {
        self.api = api;
        self.api_prefix = api.api_prefix().to_owned();
        self.token_path = api.token_path().to_owned();
        self
    }

    /// `/api/v3/Plans`: the collection of plans.
    pub fn plans_path(&self) -> String {
        format!("{}/Plans", self.api_prefix)
    }

    /// The path of a plan action, such as `/api/v3/Plans/{id}/Failover`.
    pub fn plan_path(&self, plan_id: &uuid::Uuid, action: &str) -> String {
        format!("{}/Plans/{plan_id}/{action}", self.api_prefix)
    }

    pub fn runtime_details_path(&self, plan_id: &uuid::Uuid) -> String {
        format!("{}/RuntimeDetails/Plans/{plan_id}", self.api_prefix)
    }

    pub fn plan_info_path(&self, plan_id: &uuid::Uuid) -> String {
        format!("{}/Plans/{plan_id}", self.api_prefix)
    }
}

/// What the server answered to a state-changing call.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: String,
    pub elapsed: Duration,
    /// 2 when the first try was refused with 401 and sent again with a renewed token.
    pub attempts: u32,
    /// What a `Retry-After` header asked for.
    pub retry_after: Option<Duration>,
}

/// The `Accept` header of every call (VAO answers JSON when asked, and by default).
pub const ACCEPT: &str = "application/json";
/// The `Content-Type` of calls with a JSON body.
pub const CONTENT_TYPE: &str = "application/json";

#[derive(Deserialize)]
struct TokenAnswer {
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
}

#[derive(Default)]
struct Session {
    access: Option<Secret>,
    refresh: Option<Secret>,
    expires_at: Option<Instant>,
}

pub struct VaoClient {
    http: reqwest::Client,
    options: ClientOptions,
    credentials: Credentials,
    session: Mutex<Session>,
    /// Learns every token the server issues, so output can never show one.
    redactor: Redactor,
}

/// The longest token lifetime drbook believes.
const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// Refresh this long before a token expires.
const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// Longest part of an answer body kept in messages and reports.
const MAX_BODY_CHARS: usize = 2000;

pub fn truncate(text: &str) -> String {
    if text.chars().count() > MAX_BODY_CHARS {
        let cut: String = text.chars().take(MAX_BODY_CHARS).collect();
        format!("{cut}… (truncated)")
    } else {
        text.to_owned()
    }
}

/// The readable part of an error answer: a JSON `message` (any case), an OAuth
/// `error_description`, or the text itself.
pub fn error_message(body: &str) -> String {
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(body) {
        for name in ["message", "error_description", "error", "title", "detail"] {
            if let Some(text) = map
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .and_then(|(_, v)| v.as_str())
            {
                return truncate(text);
            }
        }
    }
    let trimmed = body.trim();
    if trimmed.is_empty() {
        "(no message)".to_owned()
    } else {
        truncate(trimmed)
    }
}

/// Makes ring rustls's crypto provider for this process; call it before building any
/// `reqwest::Client` (reqwest is built without a provider of its own).
/// aws-lc-rs (reqwest's default) collects CPU-jitter entropy at the first handshake of every
/// process, about 25 ms that a one-step run would pay in full (aws/aws-lc-rs#1140); ring seeds
/// from the operating system (`getrandom`) and offers the same TLS 1.2/1.3 suites.
pub fn install_crypto_provider() {
    // An error only means a provider is installed already, which is then the one used.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Whether a server URL is plain HTTP (no TLS).
fn is_plain_http(server: &str) -> bool {
    reqwest::Url::parse(server).is_ok_and(|u| u.scheme() == "http")
}

/// Whether a server URL names this machine (loopback).
pub fn is_loopback(server: &str) -> bool {
    reqwest::Url::parse(server)
        .ok()
        .and_then(|u| {
            u.host().map(|h| match h {
                url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
                url::Host::Ipv4(ip) => ip.is_loopback(),
                url::Host::Ipv6(ip) => ip.is_loopback(),
            })
        })
        .unwrap_or(false)
}

impl VaoClient {
    pub fn new(
        options: ClientOptions,
        credentials: Credentials,
        redactor: Redactor,
    ) -> Result<VaoClient, VaoError> {
        install_crypto_provider();
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("drbook/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(options.connect_timeout)
            .timeout(options.request_timeout)
            .danger_accept_invalid_certs(options.insecure)
            // A redirect would carry the password or the failover to another address, or
            // turn a POST into a GET: never follow one; a 3xx is an answer like any other.
            .redirect(reqwest::redirect::Policy::none())
            .tcp_nodelay(true);
        if is_loopback(&options.server) {
            // A proxy must never see (or reroute) a loopback conversation.
            builder = builder.no_proxy();
        }
        if let Some(pem) = &options.ca_cert_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| VaoError::Setup(format!("--ca-cert: {e}")))?;
            if certs.is_empty() {
                return Err(VaoError::Setup(
                    "--ca-cert: no PEM certificate in the file".to_owned(),
                ));
            }
            // In addition to the platform's roots, not instead of them.
            builder = builder.tls_certs_merge(certs);
        }
        if is_plain_http(&options.server) {
            // Every request goes to the server (no redirect is followed): over plain HTTP no
            // certificate is ever checked, so the platform's roots (hundreds of files, a few
            // milliseconds at every start) are not loaded.
            builder = builder.tls_certs_only([]);
        }
        let http = builder
            .build()
            .map_err(|e| VaoError::Setup(e.to_string()))?;
        Ok(VaoClient {
            http,
            options,
            credentials,
            session: Mutex::new(Session::default()),
            redactor,
        })
    }

    pub fn options(&self) -> &ClientOptions {
        &self.options
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.options.server)
    }

    /// Logs in (password grant) or installs the given token; says which, for people.
    pub async fn authenticate(&self) -> Result<String, VaoError> {
        let mut session = self.session.lock().await;
        match &self.credentials {
            Credentials::Token(token) => {
                session.access = Some(token.clone());
                Ok("using the token from VAO_TOKEN (checked by the first call)".to_owned())
            }
            Credentials::Password { username, .. } => {
                self.log_in(&mut session).await?;
                Ok(format!("logged in as {username}"))
            }
            Credentials::Client { client_id, .. } => {
                self.log_in(&mut session).await?;
                Ok(format!("logged in as client {client_id}"))
            }
        }
    }

    /// The password grant or the client credentials grant, whichever drbook was given.
    /// The client's id and secret go in the form (RFC 6749, section 2.3.1): VRO documents
    /// the grant's form fields, not where the client authenticates.
    async fn log_in(&self, session: &mut Session) -> Result<(), VaoError> {
        let form = match &self.credentials {
            Credentials::Token(_) => return Err(VaoError::Auth(
                "the token from VAO_TOKEN was refused or expired, and no password is available to log in again".to_owned(),
            )),
            Credentials::Password { username, password } => [
                ("grant_type", "password"),
                ("username", username.as_str()),
                ("password", password.expose()),
            ],
            Credentials::Client { client_id, secret } => [
                ("grant_type", "client_credentials"),
                ("client_id", client_id.as_str()),
                ("client_secret", secret.expose()),
            ],
        };
        self.token_request(session, &form).await
    }

    async fn token_request(
        &self,
        session: &mut Session,
        form: &[(&str, &str)],
    ) -> Result<(), VaoError> {
        let path = self.options.token_path.clone();
        let grant = form.first().map_or("", |(_, g)| *g).to_owned();
        tracing::debug!(%path, grant, "requesting a token");
        // Asking for a token twice is harmless: unreachable, busy or failing servers get
        // the token policy's retries.
        let mut retry = 0;
        let body = loop {
            let outcome = self
                .http
                .post(self.url(&path))
                .header(reqwest::header::ACCEPT, ACCEPT)
                .form(form)
                .send()
                .await;
            let (error, retry_after) = match outcome {
                Err(e) => (transport_error("POST", &path, &e), None),
                Ok(response) => {
                    let status = response.status().as_u16();
                    let retry_after = retry_after(&response);
                    let challenge = response
                        .headers()
                        .get(reqwest::header::WWW_AUTHENTICATE)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    let body = response.text().await.unwrap_or_default();
                    if (200..300).contains(&status) {
                        break body;
                    }
                    // drbook cannot answer a second factor unattended: say so, never retry.
                    if asks_for_mfa(&body, &challenge) {
                        return Err(self.mfa_refusal(&path, status));
                    }
                    let hint = if status == 404 {
                        " — no token endpoint there: is the API flavour right (--api or the runbook's `api:`; vao3 uses /token, vro7 and vro13 /api/token), or --token-path?"
                    } else {
                        ""
                    };
                    let refused = VaoError::Auth(format!(
                        "POST {path} ({grant} grant) answered {status}: {}{hint}",
                        error_message(&body)
                    ));
                    if !retry::is_retryable_status(status) {
                        return Err(refused);
                    }
                    (refused, retry_after)
                }
            };
            if retry >= self.options.token_retries.retries {
                return Err(error);
            }
            retry += 1;
            let pause = self.options.token_retries.pause(retry, retry_after);
            tracing::info!("{error}; asking again in {pause:?}");
            tokio::time::sleep(pause).await;
        };
        // The token answer's schema in VRO is not public: an envelope is unwrapped here too.
        let answer: TokenAnswer = serde_json::from_str::<serde_json::Value>(&body)
            .map_err(|e| e.to_string())
            .and_then(|value| {
                let inner = envelope::unwrap(&value)?;
                TokenAnswer::deserialize(inner).map_err(|e| e.to_string())
            })
            .map_err(|e| VaoError::Decode {
                path: path.clone(),
                message: format!("not a token answer ({e})"),
            })?;
        let Some(access_token) = answer.access_token else {
            // A 200 that holds an MFA token instead of an access token asks for the factor.
            if asks_for_mfa(&body, "") {
                return Err(self.mfa_refusal(&path, 200));
            }
            return Err(VaoError::Decode {
                path: path.clone(),
                message: "not a token answer (no access_token)".to_owned(),
            });
        };
        self.redactor.add(&access_token);
        session.access = Some(Secret::new(access_token));
        if let Some(refresh) = answer.refresh_token {
            self.redactor.add(&refresh);
            session.refresh = Some(Secret::new(refresh));
        }
        // The lifetime comes from the server: never trust it to fit (a day at most).
        session.expires_at = answer
            .expires_in
            .map(|secs| Duration::from_secs(secs.min(MAX_TOKEN_LIFETIME.as_secs())))
            .and_then(|lifetime| Instant::now().checked_add(lifetime));
        Ok(())
    }

    fn mfa_refusal(&self, path: &str, status: u16) -> VaoError {
        VaoError::Auth(format!(
            "the server asks for multi-factor authentication (MFA) to log in with the {} (POST {path} answered {status}); drbook runs unattended and cannot answer an MFA prompt. Set up a client for drbook in the orchestrator and log in with the client credentials grant instead: --client-id ID (or VAO_CLIENT_ID) with VAO_CLIENT_SECRET or --client-secret-file FILE",
            self.credentials.describe()
        ))
    }

    /// Gets a new access token: the refresh grant first, the password grant if that fails.
    async fn renew(&self, session: &mut Session) -> Result<(), VaoError> {
        if let Some(refresh) = session.refresh.clone() {
            let form = [
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh.expose()),
            ];
            match self.token_request(session, &form).await {
                Ok(()) => return Ok(()),
                Err(e) => tracing::warn!("token refresh failed, logging in again: {e}"),
            }
        }
        self.log_in(session).await
    }

    /// The current access token, renewed first if it is about to expire.
    async fn token(&self) -> Result<Secret, VaoError> {
        let mut session = self.session.lock().await;
        let expiring = session
            .expires_at
            .is_some_and(|at| at.saturating_duration_since(Instant::now()) < REFRESH_MARGIN);
        if session.access.is_none() || (expiring && self.credentials.logs_in()) {
            self.renew(&mut session).await?;
        }
        session
            .access
            .clone()
            .ok_or_else(|| VaoError::Auth("no access token".to_owned()))
    }

    async fn renew_after_401(&self, rejected: &Secret) -> Result<(), VaoError> {
        let mut session = self.session.lock().await;
        // Another task may have renewed it already.
        if session.access.as_ref() != Some(rejected) {
            return Ok(());
        }
        self.renew(&mut session).await
    }

    /// Sends one request with the bearer token; on a 401, renews the token and sends it once
    /// more (a 401 means the server refused before acting).
    async fn send(
        &self,
        method: &'static str,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Answer, VaoError> {
        let mut renewed = false;
        loop {
            let token = self.token().await?;
            let started = Instant::now();
            let verb = reqwest::Method::from_bytes(method.as_bytes())
                .map_err(|e| VaoError::Setup(format!("HTTP method {method}: {e}")))?;
            let mut request = self
                .http
                .request(verb, self.url(path))
                .bearer_auth(token.expose())
                .header(reqwest::header::ACCEPT, ACCEPT);
            if let Some(body) = body {
                request = request.json(body);
            }
            let response = request
                .send()
                .await
                .map_err(|e| transport_error(method, path, &e))?;
            let status = response.status().as_u16();
            let retry_after = retry_after(&response);
            let text = response.text().await.map_err(|e| VaoError::Transport {
                method,
                path: path.to_owned(),
                message: format!("reading the answer: {}", transport_message(&e)),
                connected: true,
                timed_out: e.is_timeout(),
            })?;
            tracing::debug!(method, path, status, "answer");
            if status == 401 && !renewed {
                if let Credentials::Token(_) = self.credentials {
                    return Err(VaoError::Auth(format!(
                        "{method} {path} answered 401: the token from VAO_TOKEN was refused or has expired ({})",
                        error_message(&text)
                    )));
                }
                // A 401 is sent before the server acts, so sending the request again with
                // a renewed token cannot run anything twice; the answer records both tries.
                tracing::info!(
                    method,
                    path,
                    "401: renewing the token and sending once more"
                );
                renewed = true;
                self.renew_after_401(&token).await?;
                continue;
            }
            return Ok(Answer {
                status,
                body: text,
                elapsed: started.elapsed(),
                attempts: if renewed { 2 } else { 1 },
                retry_after,
            });
        }
    }

    /// `POST .../Plans/{id}/{action}` with the request's body. Returns the answer whatever
    /// its status; the caller decides what a non-2xx means.
    pub async fn plan_action(
        &self,
        plan_id: &uuid::Uuid,
        request: &impl PlanRequest,
    ) -> Result<Answer, VaoError> {
        let path = self.options.plan_path(plan_id, request.action());
        self.send("POST", &path, request.body().as_ref()).await
    }

    /// A GET, tried again within `policy` when it fails in a way that allows it. Returns the
    /// answer (any status but a retryable one) and the failures of the tries before it.
    async fn get(
        &self,
        path: &str,
        policy: RetryPolicy,
    ) -> (Result<Answer, VaoError>, Vec<String>) {
        let mut failures = Vec::new();
        let mut retry = 0;
        loop {
            let (error, retry_after) = match self.send("GET", path, None).await {
                Ok(answer) if retry::is_retryable_status(answer.status) => {
                    let after = answer.retry_after;
                    (http_error("GET", path, &answer), after)
                }
                Ok(answer) => return (Ok(answer), failures),
                Err(error) if error.is_retryable() => (error, None),
                Err(error) => return (Err(error), failures),
            };
            if retry >= policy.retries {
                return (Err(error), failures);
            }
            retry += 1;
            let pause = policy.pause(retry, retry_after);
            tracing::info!("{error}; trying again in {pause:?}");
            failures.push(error.to_string());
            tokio::time::sleep(pause).await;
        }
    }

    /// The plan itself (`GET .../Plans/{id}`): the truth about it even after VAO restarted.
    pub async fn read_plan(
        &self,
        plan_id: &uuid::Uuid,
        policy: RetryPolicy,
    ) -> (Result<PlanInfo, VaoError>, Vec<String>) {
        let path = self.options.plan_info_path(plan_id);
        let (answer, failures) = self.get(&path, policy).await;
        let info = answer.and_then(|answer| {
            if !(200..300).contains(&answer.status) {
                return Err(http_error("GET", &path, &answer));
            }
            let value = serde_json::from_str::<serde_json::Value>(&answer.body).ok();
            if let Some(Err(said)) = value.as_ref().map(envelope::unwrap) {
                return Err(VaoError::Decode {
                    path: path.clone(),
                    message: said,
                });
            }
            value
                .and_then(|value| PlanInfo::from_json(&value))
                .ok_or_else(|| VaoError::Decode {
                    path: path.clone(),
                    message: format!("no plan in {}", truncate(&answer.body)),
                })
        });
        (info, failures)
    }

    /// Every plan (`GET .../Plans`), page by page where the flavour pages collections:
    /// `start` / `limit`, until a page comes back short of the limit the server says it
    /// applied, the total it gives is reached, or a page adds no plan not seen (a server
    /// that ignores paging). `only_enabled` asks VAO 3 for `onlyEnabled=true` (documented)
    /// and, for every flavour, keeps no plan that says it is disabled.
    pub async fn list_plans(
        &self,
        only_enabled: bool,
        policy: RetryPolicy,
    ) -> Result<Vec<PlanInfo>, VaoError> {
        /// The page size asked for; VRO's default and maximum are not documented.
        const LIMIT: usize = 100;
        /// A bound on a server that pages for ever.
        const MAX_PAGES: usize = 10_000;
        let paged = self.options.api.pages_collections();
        let mut plans: Vec<PlanInfo> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut start = 0;
        for _ in 0..MAX_PAGES {
            let mut query = Vec::new();
            if only_enabled && self.options.api == ApiFlavour::Vao3 {
                query.push("onlyEnabled=true".to_owned());
            }
            if paged {
                query.extend([format!("start={start}"), format!("limit={LIMIT}")]);
            }
            let mut path = self.options.plans_path();
            if !query.is_empty() {
                path = format!("{path}?{}", query.join("&"));
            }
            let answer = self.get(&path, policy).await.0?;
            if !(200..300).contains(&answer.status) {
                return Err(http_error("GET", &path, &answer));
            }
            let decode = |message: String| VaoError::Decode {
                path: path.clone(),
                message,
            };
            let value: serde_json::Value = serde_json::from_str(&answer.body)
                .map_err(|e| decode(format!("not JSON ({e})")))?;
            let page = envelope::page(&value).map_err(decode)?;
            let count = page.items.len();
            let mut added = 0;
            for item in page.items {
                let info = PlanInfo::from_json(item).ok_or_else(|| {
                    decode(format!(
                        "a plan without a state: {}",
                        truncate(&item.to_string())
                    ))
                })?;
                let key = info.id.clone().unwrap_or_else(|| plans.len().to_string());
                if seen.insert(key) {
                    added += 1;
                    plans.push(info);
                }
            }
            let limit = page.limit.map_or(LIMIT, |l| l as usize).max(1);
            let complete = page.total.is_some_and(|t| plans.len() as u64 >= t);
            if !paged || count < limit || added == 0 || complete {
                break;
            }
            start += count;
        }
        if only_enabled {
            plans.retain(|p| p.enabled != Some(false));
        }
        Ok(plans)
    }

    /// The plan's current state: runtime details, or the plan itself when the server has
    /// none (they are wiped by a VAO restart).
    pub async fn plan_status(&self, plan_id: &uuid::Uuid) -> Result<PlanStatus, VaoError> {
        self.plan_status_retrying(plan_id, RetryPolicy::NONE)
            .await
            .0
    }

    /// [`plan_status`](Self::plan_status), each read tried again within `policy`.
    pub async fn plan_status_retrying(
        &self,
        plan_id: &uuid::Uuid,
        policy: RetryPolicy,
    ) -> (Result<PlanStatus, VaoError>, Vec<String>) {
        let path = self.options.runtime_details_path(plan_id);
        let (answer, mut failures) = self.get(&path, policy).await;
        match answer {
            Ok(answer) if (200..300).contains(&answer.status) => {
                if let Some(status) = parse_status(&answer.body, "runtime_details") {
                    return (Ok(status), failures);
                }
            }
            Ok(answer) if answer.status != 404 => {
                return (Err(http_error("GET", &path, &answer)), failures);
            }
            Ok(_) => {}
            Err(error) => return (Err(error), failures),
        }
        let (info, more) = self.read_plan(plan_id, policy).await;
        failures.extend(more);
        (info.map(|info| info.status), failures)
    }
}

/// Whether a refused token request (its body and `WWW-Authenticate` header) asks for a
/// second factor. VRO's exact MFA answer is not public (it documents an `mfa` grant with
/// `mfa_token` / `mfa_passcode` fields, and 401 for MFA), so this looks for any sign of
/// one: a key or word containing `mfa`, or "multi-factor" / "two-factor" in any spelling.
pub fn asks_for_mfa(body: &str, challenge: &str) -> bool {
    let mut text = format!("{body} {challenge}");
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(body) {
        fn keys(value: &serde_json::Value, out: &mut String) {
            match value {
                serde_json::Value::Object(map) => {
                    for (k, v) in map {
                        out.push(' ');
                        out.push_str(k);
                        keys(v, out);
                    }
                }
                serde_json::Value::Array(items) => items.iter().for_each(|v| keys(v, out)),
                _ => {}
            }
        }
        keys(&value, &mut text);
    }
    let lower = text.to_lowercase();
    let folded: String = lower.chars().filter(|c| c.is_alphanumeric()).collect();
    lower
        .split(|c: char| !c.is_alphanumeric())
        .any(|word| word.starts_with("mfa") || word.ends_with("mfa") || word == "2fa")
        || folded.contains("multifactor")
        || folded.contains("twofactor")
}

fn parse_status(body: &str, source: &str) -> Option<PlanStatus> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    PlanStatus::from_json(&value, source)
}

pub fn http_error(method: &'static str, path: &str, answer: &Answer) -> VaoError {
    VaoError::Http {
        method,
        path: path.to_owned(),
        status: answer.status,
        message: error_message(&answer.body),
    }
}

/// What an answer's `Retry-After` header asks for.
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(retry::parse_retry_after)
}

fn transport_error(method: &'static str, path: &str, error: &reqwest::Error) -> VaoError {
    VaoError::Transport {
        method,
        path: path.to_owned(),
        message: transport_message(error),
        connected: !error.is_connect(),
        timed_out: error.is_timeout(),
    }
}

/// A transport error's chain of causes, without the URL (which reqwest repeats).
fn transport_message(error: &reqwest::Error) -> String {
    let mut parts = Vec::new();
    if error.is_timeout() {
        parts.push("timed out".to_owned());
    } else if error.is_connect() {
        parts.push("could not connect".to_owned());
    }
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.contains(&text) {
            parts.push(text);
        }
        source = cause.source();
    }
    if parts.is_empty() {
        parts.push(error.to_string());
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_messages_are_extracted_tolerantly() {
        assert_eq!(
            error_message(r#"{"Message":"Plan is busy"}"#),
            "Plan is busy"
        );
        assert_eq!(
            error_message(r#"{"error":"invalid_grant","error_description":"bad password"}"#),
            "bad password"
        );
        assert_eq!(error_message("  gateway timeout \n"), "gateway timeout");
        assert_eq!(error_message(""), "(no message)");
        assert!(error_message(&"x".repeat(5000)).ends_with("(truncated)"));
    }

    #[test]
    fn mfa_demands_are_recognised_tolerantly() {
        for (body, challenge) in [
            (r#"{"error":"mfa_required"}"#, ""),
            (r#"{"error":"invalid_grant","mfa_token":"abc"}"#, ""),
            (
                r#"{"message":"Multi-factor authentication is required."}"#,
                "",
            ),
            (r#"{"Message":"Two-Factor code needed"}"#, ""),
            ("MFA required", ""),
            ("", r#"Bearer error="mfa_required""#),
            (r#"{"data":{"requiresMfa":true}}"#, ""),
        ] {
            assert!(asks_for_mfa(body, challenge), "{body} / {challenge}");
        }
        for body in [
            r#"{"error":"invalid_grant","error_description":"The user name or password is incorrect."}"#,
            r#"{"message":"Authorization has been denied for this request."}"#,
            "",
        ] {
            assert!(!asks_for_mfa(body, "Bearer"), "{body}");
        }
    }

    #[test]
    fn loopback_detection() {
        for (server, loopback) in [
            ("http://127.0.0.1:9899", true),
            ("http://localhost:1", true),
            ("http://[::1]:1", true),
            ("https://vao.example.internal:9899", false),
        ] {
            assert_eq!(is_loopback(server), loopback, "{server}");
        }
    }
}
