//! The HTTP side of the simulator: one handler that records each request,
//! routes it by hand and answers the way `vao-api.md` describes.
//!
//! Routing by hand rather than with axum's router keeps every answer,
//! including unknown routes, wrong methods and malformed input, in the
//! JSON shapes VAO uses instead of axum's plain-text rejections.

use std::future::{Future, IntoFuture};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use super::config::SimConfig;
use super::conn::{ConnectionKill, KillableListener};
use super::fault::{FaultEndpoint, FaultKind, FaultTarget};
use super::request::RecordedRequest;
use super::state::{Action, Details, IssuedTokens, PlanView, Refusal, SimState, state_name};

/// Prefix of every API route (the v3 API).
const API_PREFIX: &str = "/api/v3";
/// `POST` here restarts the simulator ([`SimState::restart`]) without
/// authorization; not a VAO route, and never hit by faults.
pub(crate) const RESTART_PATH: &str = "/simulator/restart";
/// Bodies larger than this are refused; no real request comes close.
const MAX_BODY: usize = 1 << 20;
/// How long in-flight requests may finish after shutdown is requested.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// Serves `config` on an already bound listener until `shutdown` completes.
///
/// The caller binds (and prints the address if it wants to); this function
/// prints nothing and logs the address with `tracing`.
pub async fn serve(
    config: SimConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(
            %addr,
            plans = config.plans.len(),
            faults = config.faults.len(),
            "VAO simulator listening"
        );
    }
    run(Arc::new(SimState::new(config)), listener, shutdown).await
}

pub(crate) async fn run(
    state: Arc<SimState>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = Router::new()
        .fallback(handle)
        .with_state(state)
        .into_make_service_with_connect_info::<ConnectionKill>();
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let server = axum::serve(KillableListener(listener), app)
        .with_graceful_shutdown(async move {
            let _ = stop_rx.wait_for(|stop| *stop).await;
        })
        .into_future();
    // Graceful shutdown alone could wait forever on a client that keeps a
    // request half-sent; after the grace period the server is dropped.
    tokio::select! {
        result = server => result,
        () = async {
            shutdown.await;
            let _ = stop_tx.send(true);
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => Ok(()),
    }
}

async fn handle(State(state): State<Arc<SimState>>, request: Request) -> Response {
    let kill = request
        .extensions()
        .get::<ConnectInfo<ConnectionKill>>()
        .map(|info| info.0.clone());
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, MAX_BODY).await.ok();
    let fault = if parts.uri.path() == RESTART_PATH {
        None
    } else {
        state.pick_fault(&fault_target(&parts.method, parts.uri.path()))
    };
    state.record(RecordedRequest {
        method: parts.method.to_string(),
        path: parts.uri.path_and_query().map_or_else(
            || parts.uri.path().to_string(),
            |pq| pq.as_str().to_string(),
        ),
        authorization: header_text(&parts.headers, header::AUTHORIZATION),
        content_type: header_text(&parts.headers, header::CONTENT_TYPE),
        body: body
            .as_ref()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default(),
        received_at: SystemTime::now(),
        fault: fault.map(|kind| kind.name().to_string()),
    });
    let (method, path) = (parts.method.clone(), parts.uri.path().to_string());
    let response = match fault {
        None => answer(&state, &parts, body.as_ref()),
        Some(FaultKind::Latency(delay)) => {
            // Handled in a task of its own, so that a client that gives up
            // waiting does not cancel the action, as with a slow server.
            let state = state.clone();
            let work = tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                answer(&state, &parts, body.as_ref())
            });
            work.await.unwrap_or_else(|_| {
                message(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "The simulator failed to answer.",
                )
            })
        }
        Some(FaultKind::Status(code)) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            message(
                status,
                &format!("Injected fault: the server answers {}.", status.as_u16()),
            )
        }
        Some(FaultKind::RetryAfter(seconds)) => {
            let mut response = message(
                StatusCode::TOO_MANY_REQUESTS,
                &format!("Injected fault: too many requests; retry after {seconds} s."),
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            response
        }
        Some(FaultKind::Unauthorized) => unauthorized(),
        Some(FaultKind::DropAfterAction) => {
            let acted = answer(&state, &parts, body.as_ref());
            tracing::debug!(
                %method,
                path,
                status = acted.status().as_u16(),
                "simulator dropped the answer"
            );
            drop_connection(kill.as_ref())
        }
    };
    // Only method, path and status: bodies and headers carry credentials.
    tracing::debug!(
        %method,
        path,
        status = response.status().as_u16(),
        fault = fault.map(|k| k.name()),
        "simulator request"
    );
    response
}

/// What a request is about, for fault matching; routes as [`route`] does.
fn fault_target(method: &Method, path: &str) -> FaultTarget {
    if path == "/token" {
        return FaultTarget {
            endpoint: (method == Method::POST).then_some(FaultEndpoint::Token),
            plan: None,
        };
    }
    let Some(rest) = path
        .strip_prefix(API_PREFIX)
        .filter(|r| r.is_empty() || r.starts_with('/'))
    else {
        return FaultTarget::default();
    };
    let segments: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
    let plan = match segments.as_slice() {
        ["Plans", id, ..] | ["RuntimeDetails", "Plans", id, ..] if !id.is_empty() => {
            Some((*id).to_string())
        }
        _ => None,
    };
    let endpoint = match (method, segments.as_slice()) {
        (&Method::GET, ["Plans"]) => Some(FaultEndpoint::Plans),
        (&Method::GET, ["Plans", _]) => Some(FaultEndpoint::Plan),
        (&Method::GET, ["RuntimeDetails", "Plans", _]) => Some(FaultEndpoint::RuntimeDetails),
        (&Method::POST, ["Plans", _, "Failover"]) => Some(FaultEndpoint::Failover),
        (&Method::POST, ["Plans", _, "Undo"]) => Some(FaultEndpoint::Undo),
        (&Method::POST, ["Plans", _, "Halt"]) => Some(FaultEndpoint::Halt),
        (&Method::POST, ["Plans", _, "ReadinessCheck"]) => Some(FaultEndpoint::ReadinessCheck),
        _ => None,
    };
    FaultTarget {
        endpoint: endpoint.filter(|_| plan.is_some() || segments.as_slice() == ["Plans"]),
        plan,
    }
}

/// Kills the request's connection so that the client gets no answer at
/// all. The response returned here is never sent: hyper fails to write it
/// and closes the socket. Without a kill switch (a server not started by
/// [`run`]) the status line goes out and the body fails instead.
fn drop_connection(kill: Option<&ConnectionKill>) -> Response {
    match kill {
        Some(kill) => {
            kill.kill();
            StatusCode::OK.into_response()
        }
        None => {
            let failing = futures_util::stream::once(async {
                Err::<Bytes, std::io::Error>(std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    "answer dropped by an injected fault",
                ))
            });
            (StatusCode::OK, Body::from_stream(failing)).into_response()
        }
    }
}

fn answer(state: &SimState, parts: &Parts, body: Option<&Bytes>) -> Response {
    match body {
        Some(body) => route(state, parts, body),
        None => message(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The request body is too large or could not be read.",
        ),
    }
}

fn route(state: &SimState, parts: &Parts, body: &Bytes) -> Response {
    let path = parts.uri.path();
    let method = &parts.method;
    if path == "/token" {
        return if method == Method::POST {
            token(state, &parts.headers, body)
        } else {
            not_found(parts)
        };
    }
    if path == RESTART_PATH {
        return if method == Method::POST {
            state.restart();
            tracing::info!("simulator restarted: runtime details and tokens wiped");
            message(
                StatusCode::OK,
                "The simulator restarted: runtime details and tokens are gone.",
            )
        } else {
            not_found(parts)
        };
    }
    let Some(rest) = path
        .strip_prefix(API_PREFIX)
        .filter(|r| r.is_empty() || r.starts_with('/'))
    else {
        return not_found(parts);
    };
    if !authorized(state, &parts.headers) {
        return unauthorized();
    }
    let segments: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
    match (method, segments.as_slice()) {
        (&Method::GET, ["Plans"]) => list_plans(state, parts.uri.query()),
        (&Method::GET, ["Plans", id]) if !id.is_empty() => match state.plan(id) {
            Some(view) => (StatusCode::OK, axum::Json(PlanBody::from(&view))).into_response(),
            None => plan_not_found(id),
        },
        (&Method::GET, ["RuntimeDetails", "Plans", id]) if !id.is_empty() => {
            match state.runtime_details(id) {
                Details::Found(view) => {
                    (StatusCode::OK, axum::Json(RuntimeBody::from(&view))).into_response()
                }
                Details::UnknownPlan => plan_not_found(id),
                Details::Missing => message(
                    StatusCode::NOT_FOUND,
                    &format!("Runtime details for plan {id} were not found."),
                ),
            }
        }
        (&Method::POST, ["Plans", id, "Failover"]) if !id.is_empty() => {
            failover(state, id, &parts.headers, body)
        }
        (&Method::POST, ["Plans", id, "Undo"]) if !id.is_empty() => undo(state, id),
        (&Method::POST, ["Plans", id, "Halt"]) if !id.is_empty() => {
            halt(state, id, &parts.headers, body)
        }
        (&Method::POST, ["Plans", id, "ReadinessCheck"]) if !id.is_empty() => {
            readiness_check(state, id, &parts.headers, body)
        }
        _ => not_found(parts),
    }
}

fn unauthorized() -> Response {
    let mut response = message(
        StatusCode::UNAUTHORIZED,
        "Authorization has been denied for this request.",
    );
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

fn token(state: &SimState, headers: &HeaderMap, body: &Bytes) -> Response {
    // Like an OWIN token endpoint, a body that is not a form is read as an
    // empty form, which then lacks grant_type.
    let form = if media_type(headers).as_deref() == Some("application/x-www-form-urlencoded") {
        parse_form(body)
    } else {
        Vec::new()
    };
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let issued = match field("grant_type") {
        Some("password") => state
            .password_grant(
                field("username").unwrap_or(""),
                field("password").unwrap_or(""),
            )
            .ok_or("The user name or password is incorrect."),
        Some("refresh_token") => state
            .refresh_grant(field("refresh_token").unwrap_or(""))
            .ok_or("The refresh token is invalid or has already been used."),
        _ => {
            return (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({"error": "unsupported_grant_type"})),
            )
                .into_response();
        }
    };
    match issued {
        Ok(IssuedTokens {
            access_token,
            refresh_token,
            expires_in,
        }) => {
            let mut response = axum::Json(json!({
                "access_token": access_token,
                "token_type": "bearer",
                "expires_in": expires_in,
                "refresh_token": refresh_token,
            }))
            .into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            response
        }
        Err(description) => (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": "invalid_grant", "error_description": description})),
        )
            .into_response(),
    }
}

fn authorized(state: &SimState, headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    match value.trim().split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => {
            state.access_token_valid(token.trim())
        }
        _ => false,
    }
}

fn list_plans(state: &SimState, query: Option<&str>) -> Response {
    // ASP.NET binds query parameters case-insensitively.
    let only_enabled = query
        .map(|q| parse_form(q.as_bytes()))
        .unwrap_or_default()
        .into_iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("onlyEnabled"))
        .map(|(_, v)| v);
    let only_enabled = match only_enabled.as_deref().map(str::to_ascii_lowercase) {
        None => false,
        Some(v) if v.is_empty() || v == "false" => false,
        Some(v) if v == "true" => true,
        Some(_) => {
            return message(
                StatusCode::BAD_REQUEST,
                "The value of onlyEnabled must be true or false.",
            );
        }
    };
    let plans: Vec<PlanBody> = state
        .plans()
        .iter()
        .filter(|p| p.enabled || !only_enabled)
        .map(PlanBody::from)
        .collect();
    (StatusCode::OK, axum::Json(plans)).into_response()
}

fn failover(state: &SimState, id: &str, headers: &HeaderMap, body: &Bytes) -> Response {
    state.count_request(Action::Failover, id);
    if state.plan(id).is_none() {
        return plan_not_found(id);
    }
    let options = match check_failover_request(headers, body) {
        Ok(options) => options,
        Err(problem) => {
            tracing::debug!(plan = id, %problem, "failover request rejected");
            return message(StatusCode::BAD_REQUEST, &problem);
        }
    };
    tracing::debug!(plan = id, ?options, "failover requested");
    acted(id, "failover", state.start_failover(id))
}

/// `POST .../Undo` takes no body; whatever comes is ignored.
fn undo(state: &SimState, id: &str) -> Response {
    state.count_request(Action::Undo, id);
    acted(id, "undo", state.start_undo(id))
}

fn halt(state: &SimState, id: &str, headers: &HeaderMap, body: &Bytes) -> Response {
    flag_action(state, id, headers, body, "fullStop", "halt", || {
        state.halt(id)
    })
}

fn readiness_check(state: &SimState, id: &str, headers: &HeaderMap, body: &Bytes) -> Response {
    state.count_request(Action::Check, id);
    flag_action(
        state,
        id,
        headers,
        body,
        "generateReport",
        "readiness check",
        || state.start_check(id),
    )
}

/// An action whose body is a JSON object with one optional boolean `field`,
/// such as `{"fullStop": true}`: 404 for an unknown plan, 400 for a
/// malformed body, else what `act` answers. The flag itself only shows in
/// the log, since it changes nothing the simulator does.
fn flag_action(
    state: &SimState,
    id: &str,
    headers: &HeaderMap,
    body: &[u8],
    field: &str,
    action: &str,
    act: impl FnOnce() -> Result<(), Refusal>,
) -> Response {
    if state.plan(id).is_none() {
        return plan_not_found(id);
    }
    let value = match optional_flag(headers, body, field) {
        Ok(value) => value,
        Err(problem) => {
            tracing::debug!(plan = id, action, %problem, "request rejected");
            return message(StatusCode::BAD_REQUEST, &problem);
        }
    };
    tracing::debug!(plan = id, action, field, value, "requested");
    acted(id, action, act())
}

/// The answer to an action the state accepted or refused.
fn acted(id: &str, action: &str, result: Result<(), Refusal>) -> Response {
    match result {
        Ok(()) => {
            tracing::debug!(plan = id, action, "started");
            StatusCode::OK.into_response()
        }
        Err(Refusal::UnknownPlan) => plan_not_found(id),
        Err(Refusal::NotAllowed(problem)) => {
            tracing::debug!(plan = id, action, %problem, "refused");
            message(StatusCode::BAD_REQUEST, &problem)
        }
    }
}

/// The body of `POST .../Failover` once validated.
#[derive(Debug, Default, PartialEq, Eq)]
struct FailoverOptions {
    execute_chained_plans: bool,
    restore_point_date: Option<chrono::NaiveDateTime>,
    protect_storage_volumes: bool,
}

fn check_failover_request(headers: &HeaderMap, body: &[u8]) -> Result<FailoverOptions, String> {
    let fields = json_object(headers, body)?;
    let mut options = FailoverOptions::default();
    // Property names match case-insensitively, as in ASP.NET; unknown ones
    // are ignored.
    for (name, value) in &fields {
        match name.to_ascii_lowercase().as_str() {
            "executechainedplans" => options.execute_chained_plans = flag(name, value)?,
            "protectstoragevolumes" => options.protect_storage_volumes = flag(name, value)?,
            "restorepointdate" => options.restore_point_date = restore_point(name, value)?,
            _ => {}
        }
    }
    Ok(options)
}

/// The one boolean of a body such as `{"fullStop": true}` (`POST .../Halt`)
/// or `{"generateReport": true}` (`POST .../ReadinessCheck`); false when
/// absent.
fn optional_flag(headers: &HeaderMap, body: &[u8], field: &str) -> Result<bool, String> {
    let fields = json_object(headers, body)?;
    let mut value = false;
    for (name, given) in &fields {
        if name.eq_ignore_ascii_case(field) {
            value = flag(name, given)?;
        }
    }
    Ok(value)
}

/// A JSON object body with a JSON content type.
fn json_object(headers: &HeaderMap, body: &[u8]) -> Result<serde_json::Map<String, Value>, String> {
    match media_type(headers) {
        Some(t) if t == "application/json" || t == "text/json" || t.ends_with("+json") => {}
        Some(t) => {
            return Err(format!(
                "The request content type {t} is not supported; send application/json."
            ));
        }
        None => return Err("The request has no content type; send application/json.".to_string()),
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| format!("The request body is not valid JSON: {e}."))?;
    match value {
        Value::Object(fields) => Ok(fields),
        _ => Err("The request body must be a JSON object.".to_string()),
    }
}

fn flag(name: &str, value: &Value) -> Result<bool, String> {
    value
        .as_bool()
        .ok_or_else(|| format!("{name} must be true or false, not {value}."))
}

fn restore_point(name: &str, value: &Value) -> Result<Option<chrono::NaiveDateTime>, String> {
    let bad =
        || format!("{name} must be null or a date and time as YYYY-MM-DDTHH:MM:SS, not {value}.");
    match value {
        Value::Null => Ok(None),
        Value::String(text) => chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
            .map(Some)
            .map_err(|_| bad()),
        _ => Err(bad()),
    }
}

/// The media type of the request, lowercase, without parameters.
fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let media = value.split(';').next().unwrap_or("").trim();
    (!media.is_empty()).then(|| media.to_ascii_lowercase())
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// Decodes `application/x-www-form-urlencoded` (also query strings).
fn parse_form(input: &[u8]) -> Vec<(String, String)> {
    input
        .split(|b| *b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let mut halves = pair.splitn(2, |b| *b == b'=');
            let name = halves.next().unwrap_or_default();
            let value = halves.next().unwrap_or_default();
            (percent_decode(name), percent_decode(value))
        })
        .collect()
}

fn percent_decode(input: &[u8]) -> String {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let escaped = match input.get(i + 1..i + 3) {
            Some([hi, lo]) if input[i] == b'%' => hex(*hi).zip(hex(*lo)).map(|(h, l)| h * 16 + l),
            _ => None,
        };
        match (escaped, input[i]) {
            (Some(byte), _) => {
                out.push(byte);
                i += 3;
                continue;
            }
            (None, b'+') => out.push(b' '),
            // A stray `%` stays literal, as browsers and most servers do.
            (None, c) => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(digit: u8) -> Option<u8> {
    (digit as char)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

fn message(status: StatusCode, text: &str) -> Response {
    (status, axum::Json(json!({ "message": text }))).into_response()
}

fn plan_not_found(id: &str) -> Response {
    message(StatusCode::NOT_FOUND, &format!("Plan {id} was not found."))
}

fn not_found(parts: &Parts) -> Response {
    message(
        StatusCode::NOT_FOUND,
        &format!(
            "No HTTP resource was found that matches the request URI '{}' with method {}.",
            parts.uri.path(),
            parts.method
        ),
    )
}

/// A plan as `GET /api/v3/Plans` returns it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PlanBody {
    id: String,
    name: String,
    plan_type: String,
    state: String,
    state_name: String,
    result_name: String,
    last_stable_state: String,
    last_stable_state_name: String,
    previous_execution_state: String,
    description: String,
    enabled: bool,
}

impl From<&PlanView> for PlanBody {
    fn from(v: &PlanView) -> Self {
        PlanBody {
            id: v.id.clone(),
            name: v.name.clone(),
            plan_type: v.plan_type.clone(),
            state: v.state.clone(),
            state_name: state_name(&v.state),
            result_name: v.result_name.clone(),
            last_stable_state: v.last_stable_state.clone(),
            last_stable_state_name: state_name(&v.last_stable_state),
            previous_execution_state: v.previous_execution_state.clone(),
            description: format!("Simulated {} plan", v.plan_type),
            enabled: v.enabled,
        }
    }
}

/// A plan as `GET /api/v3/RuntimeDetails/Plans/{planId}` returns it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RuntimeBody {
    plan_id: String,
    plan_type: String,
    state: String,
    state_name: String,
    result_name: String,
    last_stable_state: String,
    last_stable_state_name: String,
    total_progress: u8,
    current_run_result: bool,
    current_test_result: bool,
    current_check_result: String,
}

impl From<&PlanView> for RuntimeBody {
    fn from(v: &PlanView) -> Self {
        RuntimeBody {
            plan_id: v.id.clone(),
            plan_type: v.plan_type.clone(),
            state: v.state.clone(),
            state_name: state_name(&v.state),
            result_name: v.result_name.clone(),
            last_stable_state: v.last_stable_state.clone(),
            last_stable_state_name: state_name(&v.last_stable_state),
            total_progress: v.total_progress,
            current_run_result: v.current_run_result,
            current_test_result: true,
            current_check_result: v.current_check_result.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json_headers(content_type: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_str(content_type).unwrap(),
        );
        headers
    }

    #[tokio::test]
    async fn dropped_answer_without_kill_switch_fails_its_body() {
        let response = drop_connection(None);
        assert_eq!(response.status(), StatusCode::OK);
        assert!(
            axum::body::to_bytes(response.into_body(), 1024)
                .await
                .is_err()
        );
    }

    #[test]
    fn fault_targets() {
        let id = "6f1c2d9e-3b4a-4c5d-8e7f-0a1b2c3d4e5f";
        let target = |method: Method, path: &str| {
            let t = fault_target(&method, path);
            (t.endpoint, t.plan)
        };
        let plan = Some(id.to_string());
        assert_eq!(
            target(Method::POST, "/token"),
            (Some(FaultEndpoint::Token), None)
        );
        assert_eq!(target(Method::GET, "/token"), (None, None));
        assert_eq!(
            target(Method::GET, "/api/v3/Plans"),
            (Some(FaultEndpoint::Plans), None)
        );
        assert_eq!(
            target(Method::GET, &format!("/api/v3/Plans/{id}")),
            (Some(FaultEndpoint::Plan), plan.clone())
        );
        assert_eq!(
            target(Method::GET, &format!("/api/v3/RuntimeDetails/Plans/{id}")),
            (Some(FaultEndpoint::RuntimeDetails), plan.clone())
        );
        for (action, endpoint) in [
            ("Failover", FaultEndpoint::Failover),
            ("Undo", FaultEndpoint::Undo),
            ("Halt", FaultEndpoint::Halt),
            ("ReadinessCheck", FaultEndpoint::ReadinessCheck),
        ] {
            assert_eq!(
                target(Method::POST, &format!("/api/v3/Plans/{id}/{action}")),
                (Some(endpoint), plan.clone())
            );
        }
        assert_eq!(
            target(Method::GET, &format!("/api/v3/Plans/{id}/Failover")),
            (None, plan.clone())
        );
        assert_eq!(
            target(Method::POST, &format!("/api/v3/Plans/{id}/Continue")),
            (None, plan)
        );
        assert_eq!(target(Method::GET, "/api/v3/Plans/"), (None, None));
        assert_eq!(target(Method::GET, "/api/v3x/Plans"), (None, None));
        assert_eq!(target(Method::POST, RESTART_PATH), (None, None));
    }

    #[test]
    fn one_flag_bodies() {
        let json = json_headers("application/json");
        let flag = |body: &[u8]| optional_flag(&json, body, "generateReport");
        assert_eq!(flag(b"{}"), Ok(false));
        assert_eq!(flag(br#"{"GENERATEREPORT": true, "other": 1}"#), Ok(true));
        assert_eq!(flag(br#"{"generateReport": false}"#), Ok(false));
        assert!(flag(br#"{"generateReport": 1}"#).is_err());
        assert!(flag(br#"{"generateReport": null}"#).is_err());
        assert!(flag(b"").is_err());
        assert!(flag(b"[]").is_err());
        assert!(optional_flag(&HeaderMap::new(), b"{}", "fullStop").is_err());
        assert_eq!(
            optional_flag(&json, br#"{"FullStop": true}"#, "fullStop"),
            Ok(true)
        );
    }

    #[test]
    fn form_decoding() {
        assert_eq!(
            parse_form(b"grant_type=password&username=CORP%5Cdrbook&password=a+b%26c%"),
            vec![
                ("grant_type".to_string(), "password".to_string()),
                ("username".to_string(), "CORP\\drbook".to_string()),
                ("password".to_string(), "a b&c%".to_string()),
            ]
        );
        assert_eq!(
            parse_form(b"a&&b=%zz"),
            vec![
                ("a".to_string(), String::new()),
                ("b".to_string(), "%zz".to_string())
            ]
        );
        assert!(parse_form(b"").is_empty());
    }

    #[test]
    fn failover_bodies() {
        let json = json_headers("application/json; charset=utf-8");
        assert_eq!(
            check_failover_request(&json, b"{}"),
            Ok(FailoverOptions::default())
        );
        let parsed = check_failover_request(
            &json,
            br#"{"EXECUTECHAINEDPLANS": true, "restorepointDate": "2024-05-01T10:20:30.5", "protectStorageVolumes": false, "other": 1}"#,
        )
        .unwrap();
        assert!(parsed.execute_chained_plans);
        assert_eq!(
            parsed.restore_point_date.map(|d| d.to_string()),
            Some("2024-05-01 10:20:30.500".to_string())
        );
        assert!(
            check_failover_request(&json, br#"{"restorePointDate":"2024-05-01T10:20:30"}"#).is_ok()
        );
        for bad in [
            &b""[..],
            b"not json",
            b"[]",
            b"null",
            br#"{"executeChainedPlans":"true"}"#,
            br#"{"protectStorageVolumes":null}"#,
            br#"{"restorePointDate":"2024-05-01"}"#,
            br#"{"restorePointDate":"2024-05-01T10:20:30Z"}"#,
            br#"{"restorePointDate":20240501}"#,
        ] {
            assert!(
                check_failover_request(&json, bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        assert!(check_failover_request(&json_headers("text/plain"), b"{}").is_err());
        assert!(check_failover_request(&HeaderMap::new(), b"{}").is_err());
        assert!(check_failover_request(&json_headers("text/json"), b"{}").is_ok());
    }
}
